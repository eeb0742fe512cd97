"""A sample whose frozen population spans several periods of one processor (docs/sampling.md, Draw).

Demo data: Belcall's current reports for 2026-09 (submission 6, 330 cases) and 2026-10 (submission 7, 332 cases)
share the cases still open at the end of September, which the October report lists again with their outcome.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest

from spotchecks import population as pop
from spotchecks.errors import EmptyPopulation, InvalidArgument, NoCheckRun
from spotchecks.queries import case_facts, get_sample, list_samples
from spotchecks.samples import draw_sample, enlarge_sample, replace_case
from spotchecks.verify import verify_sample
from store.db import connect
from tests.conftest import HEADER_NL, copy_demo, nl_row, run_cli
from tests.spot_demo import BELCALL, add_check_run, user

AUDITOR = user("auditor")
BOTH = ["2026-09", "2026-10"]
OPEN_IN_SEPTEMBER_REFUSED_IN_OCTOBER = "BC-260915-03"  # outcome empty in the 2026-09 report, 'refused' in 2026-10


def draw(con, **kwargs):
    kwargs.setdefault("processor", BELCALL)
    kwargs.setdefault("period", BOTH)
    return draw_sample(con, AUDITOR, **kwargs)


def report_case_ids(con, period: str) -> set[str]:
    return {r[0] for r in con.execute("SELECT case_id FROM report_cases WHERE processor = ? AND period = ?",
                                      [BELCALL, period]).fetchall()}


def test_the_population_is_the_distinct_cases_of_both_reports_with_the_fingerprint_of_their_ids(demo) -> None:
    september, october = report_case_ids(demo, "2026-09"), report_case_ids(demo, "2026-10")
    assert september & october and len(september) == 330 and len(october) == 332  # the demo overlaps
    result = draw(demo, size=40, seed="two months")
    distinct = september | october
    assert result.population.size == len(distinct) < len(september) + len(october)
    assert result.population.fingerprint == hashlib.sha256("\n".join(sorted(distinct)).encode()).hexdigest()
    assert result.population.periods == ("2026-09", "2026-10") and result.period == "2026-10"
    assert result.population.submission_ids == (6, 7)
    assert {p.case_id for p in result.random_part} <= distinct and len(result.random_part) == 40
    assert {p.case_id for p in result.random_part} & (september - october)  # cases of September alone are drawn
    stored = get_sample(demo, result.sample_id)
    assert stored["periods"] == BOTH and stored["submission_ids"] == [6, 7]
    assert (stored["period"], stored["submission_id"]) == ("2026-10", 7)
    assert stored["population_size"] == len(distinct)


def test_periods_are_taken_in_any_order_once_each(demo) -> None:
    first = draw(demo, size=30, seed="order", period=["2026-10", "2026-09", "2026-10"])
    again = draw(demo, size=30, seed="order")
    assert first.population.periods == ("2026-09", "2026-10")
    assert [p.case_id for p in first.random_part] == [p.case_id for p in again.random_part]


def test_same_seed_same_sample_and_the_one_month_sample_differs(demo) -> None:
    first = draw(demo, size=30, seed=777)
    again = draw(demo, size=30, seed="777")
    october = draw(demo, size=30, seed=777, period="2026-10", seed_reuse_reason="comparing the populations")
    assert [p.case_id for p in first.random_part] == [p.case_id for p in again.random_part]
    assert first.population.fingerprint == again.population.fingerprint != october.population.fingerprint
    assert [p.case_id for p in first.random_part] != [p.case_id for p in october.random_part]


def test_a_case_in_both_reports_counts_once_with_its_latest_months_row(demo) -> None:
    refused = draw(demo, size=5, seed="r", filters=pop.Filters(outcomes=("refused",)))
    october_refused = demo.execute("SELECT count(*) FROM report_cases WHERE processor = ? AND period = '2026-10' "
                                   "AND outcome = 'refused'", [BELCALL]).fetchall()[0][0]
    september_only_refused = demo.execute(
        "SELECT count(*) FROM report_cases s WHERE processor = ? AND period = '2026-09' AND outcome = 'refused' "
        "AND case_id NOT IN (SELECT case_id FROM report_cases WHERE processor = ? AND period = '2026-10')",
        [BELCALL, BELCALL]).fetchall()[0][0]
    assert refused.population.size == october_refused + september_only_refused
    refusals = draw(demo, size=5, seed="r", key_items="refusals", seed_reuse_reason="the same seed on purpose")
    assert OPEN_IN_SEPTEMBER_REFUSED_IN_OCTOBER in refusals.key_item_ids
    facts = case_facts(demo, refusals.sample_id, OPEN_IN_SEPTEMBER_REFUSED_IN_OCTOBER)
    assert facts is not None and facts["outcome"] == "refused"


def test_major_key_items_come_from_the_latest_checks_of_every_month(demo) -> None:
    september_only = sorted(report_case_ids(demo, "2026-09") - report_case_ids(demo, "2026-10"))[0]
    october_case = sorted(report_case_ids(demo, "2026-10"))[0]
    add_check_run(demo, BELCALL, "2026-09", {"deadline.late_response": [september_only]})
    with pytest.raises(NoCheckRun, match="2026-10"):
        draw(demo, size=20, seed="k", key_items="major")
    add_check_run(demo, BELCALL, "2026-10", {"deadline.late_response": [october_case]})
    result = draw(demo, size=20, seed="k", key_items="breaches")
    assert result.key_item_ids == tuple(sorted([september_only, october_case]))
    assert not {september_only, october_case} & {p.case_id for p in result.random_part}
    assert verify_sample(demo, result.sample_id).key_items_match


def test_verify_matches_then_reports_a_resubmitted_month(demo, write_csv, key_path) -> None:
    from ingest.service import ingest_report

    result = draw(demo, size=40, seed="verify", method="stratified", by="request_type")
    check = verify_sample(demo, result.sample_id)
    assert check.matches and check.reproduced and not check.problems
    assert check.fingerprint_current == check.fingerprint_stored
    path = write_csv("belcall_2026-09_v3.csv", [HEADER_NL, nl_row("BC-260901-99", received="01-09-2026")])
    ingest_report(demo, path, user=user("compliance_officer"), key_path=key_path, processor=BELCALL,
                  period="2026-09", submitted_on=date(2026, 11, 20), replace=True)  # it removes cases
    check = verify_sample(demo, result.sample_id)
    assert not check.matches and check.reproduced  # the draw still follows from the reports it was drawn from
    assert check.fingerprint_current != check.fingerprint_stored
    assert check.population_size_current == len(report_case_ids(demo, "2026-10") | {"BC-260901-99"})
    problems = " ".join(check.problems)
    assert "The population changed" in problems and "2026-09: submission 6 →" in problems
    assert "2026-10: submission" not in problems  # only September was resubmitted


def test_enlarge_and_replace_work_over_both_months(demo) -> None:
    result = draw(demo, size=20, seed="grow")
    added = enlarge_sample(demo, AUDITOR, result.sample_id, 25)
    assert len(added) == 5
    swap = replace_case(demo, AUDITOR, result.sample_id, result.random_part[0].case_id, "duplicate_entry")
    assert swap.replacement not in {p.case_id for p in result.random_part} | {p.case_id for p in added}
    assert verify_sample(demo, result.sample_id).matches


def test_a_sample_is_listed_under_each_of_its_months(demo) -> None:
    result = draw(demo, size=10, seed="list")
    for period in BOTH:
        found = [s for s in list_samples(demo, BELCALL, period) if s["sample_id"] == result.sample_id]
        assert found and found[0]["periods"] == BOTH
    assert not [s for s in list_samples(demo, BELCALL, "2026-08") if s["sample_id"] == result.sample_id]


def test_a_month_without_a_report_or_a_malformed_month_is_refused(demo) -> None:
    with pytest.raises(EmptyPopulation, match="2026-11") as refused:
        draw(demo, size=10, period=["2026-10", "2026-11"])
    assert "Ingest the report first" in str(refused.value)
    with pytest.raises(InvalidArgument, match="'2026-13'"):
        draw(demo, size=10, period=["2026-10", "2026-13"])
    with pytest.raises(InvalidArgument, match="at least one period"):
        draw(demo, size=10, period=[])


def test_migration_5_gives_an_older_sample_its_one_period(demo_files, db_path, key_path) -> None:
    con = connect(copy_demo(demo_files, db_path))
    sample_id = draw_sample(con, AUDITOR, processor=BELCALL, period="2026-10", size=10, seed="old").sample_id
    # Back to the schema of version 4, as a database written before migration 5 has it.
    con.execute("ALTER TABLE samples DROP COLUMN periods")
    con.execute("ALTER TABLE samples DROP COLUMN submission_ids")
    con.execute("DELETE FROM schema_migrations WHERE version = 5")
    con.close()
    con = connect(db_path)
    try:
        row = con.execute("SELECT periods, submission_ids FROM samples WHERE sample_id = ?", [sample_id]).fetchall()
        assert row == [(["2026-10"], [7])]
        assert verify_sample(con, sample_id).matches
    finally:
        con.close()


def test_cli_draws_over_repeated_periods_and_reports_them_in_json(cli_env, demo_db) -> None:
    code, out, err = run_cli("sample", "draw", "--processor", BELCALL, "--period", "2026-09", "--period", "2026-10",
                             "--size", "12", "--seed", "cli", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["periods"] == BOTH and doc["period"] == "2026-10"
    assert doc["submission_ids"] == [6, 7] and doc["submission_id"] == 7
    assert doc["population_size"] == 593 and len(doc["random_case_ids"]) == 12
    shown = run_cli("sample", "show", doc["sample_id"])
    assert shown.code == 0 and "2026-09, 2026-10 (submission 6, 7)" in shown.out
    verified = run_cli("sample", "verify", doc["sample_id"], "--format", "json")
    assert verified.code == 0 and json.loads(verified.out)["matches"] is True

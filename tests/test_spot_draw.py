"""Drawing, enlarging, replacing and verifying stored samples on the demo reports."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from spotchecks import population as pop
from spotchecks.commitments import commit_seed, commitment_of
from spotchecks.errors import (
    EmptyPopulation,
    InvalidArgument,
    NoCheckRun,
    NothingToReplace,
    NotInSample,
    PopulationChanged,
)
from spotchecks.queries import sample_items
from spotchecks.samples import draw_sample, enlarge_sample, replace_case
from spotchecks.verify import verify_sample
from store.audit import list_events
from store.errors import PermissionDenied
from tests.conftest import HEADER_NL, nl_row
from tests.spot_demo import BELCALL, add_check_run, user

AUDITOR = user("auditor")


def draw(con, **kwargs):
    kwargs.setdefault("processor", BELCALL)
    kwargs.setdefault("period", "2026-10")
    return draw_sample(con, AUDITOR, **kwargs)


def test_same_seed_and_population_give_the_same_sample_also_for_integer_and_text_seeds(demo) -> None:
    first = draw(demo, size=30, seed=12345)
    again = draw(demo, size=30, seed="12345")
    other = draw(demo, size=30, seed="12346")
    assert first.as_dict()["case_ids"] == again.as_dict()["case_ids"]
    assert first.sample_id != again.sample_id and first.seed == again.seed == "12345"
    assert set(other.as_dict()["case_ids"]) != set(first.as_dict()["case_ids"])
    assert first.population.size == 332 and len(first.random_part) == 30
    # the lowest ranks, in rank order
    ranks = [p.rank for p in first.random_part]
    assert ranks == sorted(ranks)


def test_planned_draw_takes_the_plan_size_and_records_how_it_was_made(demo) -> None:
    result = draw(demo, confidence="0.95", tolerable="0.05", seed="s")
    doc = result.as_dict()
    assert {"sample_id", "seed", "population_size", "fingerprint", "case_ids"} <= set(doc)
    assert doc["requested_n"] == doc["obtained_n"] == len(doc["case_ids"]) == 59
    assert doc["plan"]["model"] == "binomial" and doc["plan"]["population"] == 332
    stored = demo.execute("SELECT seed, population_size, fingerprint, method, drawn_by, rubric_version "
                          "FROM samples WHERE sample_id = ?", [result.sample_id]).fetchall()
    assert stored == [("s", 332, result.population.fingerprint, "random", "ann", "1")]
    [event] = list_events(demo, action="sample.drawn")
    assert event["object"] == f"sample:{result.sample_id}" and event["details"]["seed"] == "s"


def test_sample_ids_are_numbered_per_year(demo) -> None:
    year = date.today().year
    assert [draw(demo, size=5, seed=i).sample_id for i in (1, 2)] == [f"S-{year}-0001", f"S-{year}-0002"]


def test_without_a_seed_one_is_drawn_from_the_os_and_stored(demo) -> None:
    a, b = draw(demo, size=5), draw(demo, size=5)
    assert a.seed_generated and len(a.seed) == 32 and a.seed != b.seed
    assert demo.execute("SELECT seed FROM samples WHERE sample_id = ?", [a.sample_id]).fetchall() == [(a.seed,)]


def test_stratified_allocation_sums_to_n_and_covers_every_stratum(demo) -> None:
    result = draw(demo, size=25, method="stratified", by="request_type", seed="x")
    strata = {r[0] for r in demo.execute("SELECT DISTINCT request_type FROM report_cases WHERE processor = ? "
                                         "AND period = '2026-10'", [BELCALL]).fetchall()}
    counts = Counter(p.stratum for p in result.random_part)
    assert sum(counts.values()) == 25
    assert set(counts) == strata


def test_stratified_with_fewer_cases_than_strata_is_refused(demo) -> None:
    with pytest.raises(InvalidArgument, match="every stratum needs at least one case"):
        draw(demo, size=3, method="stratified", by="request_type", seed="x")


def test_quota_takes_k_cases_per_agent(demo) -> None:
    result = draw(demo, method="quota", per=2, seed="x")
    per_agent = Counter(p.stratum for p in result.random_part)
    assert per_agent and max(per_agent.values()) == 2
    assert result.plan.n == len(result.random_part)


def test_refusals_are_key_items_kept_apart_from_the_random_part(demo) -> None:
    result = draw(demo, size=20, key_items="refusals", seed="x")
    refusals = {r[0] for r in demo.execute("SELECT case_id FROM report_cases WHERE processor = ? AND period = "
                                           "'2026-10' AND outcome IN ('refused', 'partially_fulfilled', "
                                           "'identity_not_confirmed')",
                                           [BELCALL]).fetchall()}
    assert refusals and set(result.key_item_ids) == refusals
    assert not refusals & {p.case_id for p in result.random_part} and len(result.random_part) == 20
    assert f"drawn from the other {332 - len(refusals)} case(s)" in " ".join(result.notes)


def test_major_key_items_without_a_check_run_say_run_the_checks_first(demo) -> None:
    with pytest.raises(NoCheckRun, match="no check run for this period yet: run `oversight check` first"):
        draw(demo, size=10, key_items="major", seed="x")


def test_major_key_items_are_the_cases_with_a_critical_or_major_exception_in_the_latest_results(demo) -> None:
    add_check_run(demo, BELCALL, "2026-10", {"deadline.late_response": ["BC-261007-05", "BC-261013-12"]},
                  {"extension.no_reason": ["BC-261009-01"]})
    run = add_check_run(demo, BELCALL, "2026-10", {"deadline.late_response": ["BC-261013-12"]})
    # add_check_run writes the words of older runs ("breach", "warning"): read as major and minor
    result = draw(demo, size=10, key_items="major", seed="x")
    assert result.key_item_ids == ("BC-261013-12",)  # the newer run cleared BC-261007-05; minor ones are no key items
    assert result.key_items == "major"
    assert demo.execute("SELECT key_item_runs FROM samples").fetchall() == [([1, run],)]
    add_check_run(demo, BELCALL, "2026-10", {"deadline.late_response": ["BC-261011-02"]})
    assert verify_sample(demo, result.sample_id).key_items_match  # recomputed from the runs it was drawn with


def test_empty_population_and_unknown_filters_are_refused_with_what_to_do(demo) -> None:
    with pytest.raises(EmptyPopulation, match="Ingest the report first"):
        draw(demo, size=5, period="2026-12")
    with pytest.raises(InvalidArgument, match="Unknown request_type 'inzage'"):
        pop.Filters(request_types=("inzage",))
    result = draw(demo, size=5, seed="x", filters=pop.Filters(request_types=("access",)))
    kinds = {r[0] for r in demo.execute("SELECT DISTINCT c.request_type FROM sample_items i JOIN report_cases c "
                                        "USING (case_id) WHERE c.processor = ? AND c.period = '2026-10'",
                                        [BELCALL]).fetchall()}
    assert kinds == {"access"} and result.population.size < 332


@pytest.mark.parametrize("roles", [("viewer",), ("vendor_manager",)])
def test_only_auditors_and_compliance_officers_draw(demo, roles) -> None:
    with pytest.raises(PermissionDenied, match="may not draw a sample"):
        draw_sample(demo, user(*roles), processor=BELCALL, period="2026-10", size=5)


def test_enlarging_keeps_every_case_drawn_and_equals_a_fresh_larger_draw(demo) -> None:
    small = draw(demo, size=59, seed="grow")
    added = enlarge_sample(demo, AUDITOR, small.sample_id, 93)
    items = sample_items(demo, small.sample_id)
    assert len(items) == 93 and len(added) == 34
    assert {i["case_id"] for i in items if i["round"] == 1} == {p.case_id for p in small.random_part}
    fresh = draw(demo, size=93, seed="grow")
    assert {i["case_id"] for i in items} == {p.case_id for p in fresh.random_part}
    assert verify_sample(demo, small.sample_id).matches
    with pytest.raises(InvalidArgument, match="larger than the sample's current size"):
        enlarge_sample(demo, AUDITOR, small.sample_id, 50)


def test_enlarging_a_stratified_sample_keeps_its_cases(demo) -> None:
    small = draw(demo, size=20, method="stratified", by="channel", seed="grow")
    enlarge_sample(demo, AUDITOR, small.sample_id, 35)
    items = {i["case_id"] for i in sample_items(demo, small.sample_id)}
    assert {p.case_id for p in small.random_part} <= items and len(items) == 35


def test_replacement_takes_the_next_case_in_rank_order_with_its_reason_and_is_counted(demo) -> None:
    result = draw(demo, size=10, seed="swap")
    eleventh = draw(demo, size=11, seed="swap").random_part[-1].case_id
    out = result.random_part[3].case_id
    replaced = replace_case(demo, AUDITOR, result.sample_id, out, "duplicate_entry", "same as BC-1")
    assert (replaced.replacement, replaced.reason, replaced.replacements) == (eleventh, "duplicate entry: same as BC-1",
                                                                              1)
    items = {i["case_id"]: i for i in sample_items(demo, result.sample_id)}
    assert items[out]["status"] == "replaced" and items[out]["replaced_because"] == "duplicate entry: same as BC-1"
    assert items[eleventh]["replaces"] == out and items[eleventh]["status"] == "active"
    second = replace_case(demo, AUDITOR, result.sample_id, eleventh, "outside the period", "received in 2025")
    assert second.replacements == 2
    assert verify_sample(demo, result.sample_id).matches
    [event, *_] = list_events(demo, action="sample.case_replaced")
    assert "outside the period: received in 2025" in str(event["details"])


@pytest.mark.parametrize("reason", ["case file unavailable", "  ", "lost"])
def test_a_case_that_cannot_be_tested_is_not_replaced(demo, reason) -> None:
    result = draw(demo, size=10, seed="swap")
    with pytest.raises(NothingToReplace, match="only when it is not in the population") as refused:
        replace_case(demo, AUDITOR, result.sample_id, result.random_part[0].case_id, reason)
    assert "answered \"unable\", which counts as a deviation" in str(refused.value)
    assert "--unable \"case file not supplied\"" in str(refused.value)


def test_replacement_needs_an_active_random_case(demo) -> None:
    result = draw(demo, size=10, seed="swap", key_items="refusals")
    with pytest.raises(NotInSample, match="is not in the sample"):
        replace_case(demo, AUDITOR, result.sample_id, "BC-000000-00", "duplicate_entry")
    with pytest.raises(NotInSample, match="key item"):
        replace_case(demo, AUDITOR, result.sample_id, result.key_item_ids[0], "not_a_request")


def test_verify_recomputes_a_stored_sample(demo) -> None:
    result = draw(demo, size=40, method="stratified", by="request_type", seed="check", key_items="refusals")
    check = verify_sample(demo, result.sample_id)
    assert check.matches and check.reproduced and check.key_items_match and not check.problems
    assert check.fingerprint_recomputed == check.fingerprint_stored == check.fingerprint_current


def test_verify_detects_a_changed_population(demo, write_csv, key_path) -> None:
    from ingest.service import ingest_report

    result = draw(demo, size=40, seed="check", processor=BELCALL, period="2026-10")
    path = write_csv("belcall_2026-10_v3.csv", [HEADER_NL, nl_row("BC-261001-99", received="01-10-2026")])
    ingest_report(demo, path, user=user("compliance_officer"), key_path=key_path, processor=BELCALL,
                  period="2026-10", submitted_on=date(2026, 11, 20), replace=True)  # it removes cases
    check = verify_sample(demo, result.sample_id)
    assert not check.matches
    assert check.reproduced  # the draw itself still follows from the report it was drawn from
    assert check.population_size_current == 1 and check.fingerprint_current != check.fingerprint_stored
    assert "The population changed" in " ".join(check.problems)


def test_verify_detects_cases_changed_under_a_stored_sample(demo) -> None:
    result = draw(demo, size=40, seed="check")
    victim = result.random_part[0].case_id
    demo.execute("DELETE FROM cases WHERE submission_id = ? AND case_id = ?", [result.population.submission_id, victim])
    check = verify_sample(demo, result.sample_id)
    assert not check.matches and not check.reproduced
    assert victim in check.missing and len(check.unexpected) == 1
    assert check.fingerprint_recomputed != check.fingerprint_stored
    with pytest.raises(PopulationChanged):
        enlarge_sample(demo, AUDITOR, result.sample_id, 50)


def test_verify_detects_a_tampered_selection(demo) -> None:
    result = draw(demo, size=10, seed="check")
    demo.execute("UPDATE sample_items SET case_id = 'BC-261001-01' WHERE sample_id = ? AND position = 1",
                 [result.sample_id])
    check = verify_sample(demo, result.sample_id)
    assert not check.matches and check.missing == ("BC-261001-01",)


def test_a_draw_with_a_committed_seed_is_marked_as_matching_its_commitment(demo) -> None:
    committed = commit_seed(demo, AUDITOR, "quarterly-seed-2026-q4-31f5")
    assert committed.commitment == commitment_of("quarterly-seed-2026-q4-31f5")
    assert demo.execute("SELECT count(*) FROM seed_commitments WHERE commitment = ?",
                        [committed.commitment]).fetchall() == [(1,)]
    assert "quarterly-seed" not in str(list_events(demo, action="seed.committed"))  # the seed itself stays secret
    result = draw(demo, size=5, seed="quarterly-seed-2026-q4-31f5")
    assert result.commitment is not None and result.commitment.commitment == committed.commitment
    assert result.commitment.before_report is False  # the demo report was ingested before the commitment
    assert "matches the commitment" in " ".join(result.notes)
    assert draw(demo, size=5, seed="another").commitment is None


def test_a_commitment_made_before_the_report_arrived_says_so(con, officer, ingest, write_csv) -> None:
    committed = commit_seed(con, officer)
    assert committed.seed_generated and len(committed.seed) == 32 and not committed.notes
    ingest(write_csv("b_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2")]), period="2026-10")
    result = draw_sample(con, officer, processor=BELCALL, period="2026-10", size=1, seed=committed.seed)
    assert result.commitment is not None and result.commitment.before_report is True
    assert "before the report was ingested" in result.commitment.describe()


def test_committing_a_short_seed_warns_that_it_can_be_guessed(demo) -> None:
    committed = commit_seed(demo, AUDITOR, 12345)
    assert committed.commitment == commitment_of("12345") and "short" in committed.notes[0]
    again = commit_seed(demo, AUDITOR, "12345")
    assert again.already_committed and again.committed_at == committed.committed_at

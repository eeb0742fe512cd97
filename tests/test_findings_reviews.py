"""Raising findings from spot-check reviews: one per rubric item answered "no", against the item's clause."""

from __future__ import annotations

import json

import duckdb
import pytest

from findings import queries
from findings.errors import UnknownSample
from findings.raising import raise_from_reviews
from spotchecks.review import ITEMS
from store.db import connect, transaction
from store.errors import PermissionDenied
from store.identity import User
from tests.conftest import run_cli
from tests.test_findings_raise import PERIOD, PROCESSOR, TODAY, ensure

SAMPLE = "S-2026-0001"
AUDITOR = User("aude", ("auditor",))


def add_sample(con: duckdb.DuckDBPyConnection, answers: list[tuple[str, str, str, str | None]],
               sample_id: str = SAMPLE) -> None:
    """Store a sample and (case id, item id, answer, comment) reviews, as spotchecks stores them."""
    ensure(con)
    with transaction(con):
        if not con.execute("SELECT 1 FROM samples WHERE sample_id = ?", [sample_id]).fetchall():
            con.execute("INSERT INTO samples (sample_id, processor, period, submission_id, filters, population_size, "
                        "fingerprint, seed, method, requested_n, plan, drawn_at, drawn_by, rubric_version, notes) "
                        "VALUES (?, ?, ?, 1, '{}', 100, 'f', 's', 'random', 3, '{}', now(), 'aude', '1', [])",
                        [sample_id, PROCESSOR, PERIOD])
        for case_id, item_id, answer, comment in answers:
            con.execute("INSERT INTO reviews (sample_id, case_id, item_id, answer, comment, reviewer, reviewed_at, "
                        "rubric_version) VALUES (?, ?, ?, ?, ?, 'aude', now(), '1')",
                        [sample_id, case_id, item_id, answer, comment])


def test_each_item_answered_no_becomes_one_finding_with_its_cases_and_comments(con, officer):
    add_sample(con, [("BC-1", "timely", "no", "answered on day 41"), ("BC-2", "timely", "no", "no extension"),
                     ("BC-3", "timely", "yes", None), ("BC-1", "identity", "no", "ID asked for an opt-out"),
                     ("BC-2", "identity", "na", None), ("BC-3", "substance", "yes", None)])
    results = raise_from_reviews(con, officer, SAMPLE, today=TODAY)
    assert [r.outcome for r in results] == ["created", "created"]
    found = {f["source"]: f for f in queries.list_findings(con)}
    assert set(found) == {f"spotcheck:{SAMPLE}:timely", f"spotcheck:{SAMPLE}:identity"}
    timely = queries.get_finding(con, str(found[f"spotcheck:{SAMPLE}:timely"]["finding_id"]))
    assert (timely["clause"], timely["severity"], timely["processor"], timely["period"]) == (
        "SCC 8(b)", "medium", PROCESSOR, PERIOD)
    assert timely["title"] == f"Spot check: {ITEMS['timely'].question}"
    assert [(c["case_id"], c["evidence"]["comment"], c["evidence"]["reviewer"]) for c in timely["cases"]] == [
        ("BC-1", "answered on day 41", "aude"), ("BC-2", "no extension", "aude")]
    assert timely["evidence"] == {"samples": [SAMPLE]}
    assert found[f"spotcheck:{SAMPLE}:identity"]["clause"] == "SCC 7.4"


def test_more_no_answers_later_update_the_same_finding_and_a_corrected_answer_is_not_raised(con, officer):
    add_sample(con, [("BC-1", "timely", "no", "late")])
    [first] = raise_from_reviews(con, officer, SAMPLE, today=TODAY)
    add_sample(con, [("BC-2", "timely", "no", "late too"), ("BC-3", "escalation", "no", "typo"),
                     ("BC-3", "escalation", "yes", "corrected: it was escalated")])
    results = raise_from_reviews(con, officer, SAMPLE, today=TODAY)
    assert [(r.finding_id, r.outcome, r.new_cases) for r in results] == [(first.finding_id, "updated", ("BC-2",))]
    assert len(queries.list_findings(con)) == 1


def test_an_auditor_may_raise_from_reviews_and_the_finding_waits_for_an_owner(con):
    add_sample(con, [("BC-1", "minimisation", "no", "full card number in the notes")])
    [raised] = raise_from_reviews(con, AUDITOR, SAMPLE, today=TODAY)
    finding = queries.get_finding(con, raised.finding_id)
    assert finding["owner"] is None and finding["created_by"] == "aude"
    assert finding["history"][0]["role"] == "auditor"
    with pytest.raises(PermissionDenied, match="may not raise a finding from reviews"):
        raise_from_reviews(con, User("vic", ("viewer",)), SAMPLE, today=TODAY)


def test_an_unknown_sample_is_refused(con, officer):
    ensure(con)
    with pytest.raises(UnknownSample, match="There is no sample 'S-2099-0001'"):
        raise_from_reviews(con, officer, "S-2099-0001")


def test_the_cli_raises_from_a_sample(cli_env):
    con = connect(cli_env.db)
    add_sample(con, [("BC-1", "refusal_notice", "no", "no mention of the authority")])
    con.close()
    code, out, err = run_cli("findings", "raise", "--from-sample", SAMPLE, "--format", "json")
    assert code == 0, err
    [doc] = json.loads(out)
    assert (doc["source"], doc["clause"], doc["case_ids"], doc["outcome"]) == (
        f"spotcheck:{SAMPLE}:refusal_notice", "SCC 8(b)", ["BC-1"], "created")

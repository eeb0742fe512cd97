"""Reviews: the rubric as data, answers per sampled case and item, refusals that say what to do."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from spotchecks.errors import InvalidReview, NotInSample, UnknownSample
from spotchecks.queries import answers, case_facts
from spotchecks.review import (
    RUBRIC,
    RUBRIC_VERSION,
    RUBRICS,
    items_for,
    record_review,
    record_reviews,
    rubric_clauses,
)
from spotchecks.samples import draw_sample, replace_case
from store.audit import list_events
from store.errors import PermissionDenied
from tests.spot_demo import BELCALL, add_check_run, user

AUDITOR = user("auditor")
ROOT = Path(__file__).resolve().parent.parent

# Changing the rubric's content needs a new RUBRIC_VERSION: samples keep the version they were reviewed with.
PINNED = {"1": "8439de02f5fe66a75af55715e11081c795c0750e631f4239754edb038fa6f3d9"}


def rubric_digest(items) -> str:
    content = [[i.id, i.question, i.clause, i.deviation_on_no] for i in items]
    return hashlib.sha256(json.dumps(content).encode()).hexdigest()


def test_rubric_items_are_complete_and_unique() -> None:
    ids = [item.id for item in RUBRIC]
    assert ids == ["recognised", "identity", "timely", "substance", "escalation", "refusal_notice",
                   "extension_notice", "minimisation"]  # docs/sampling.md, in order
    assert len(set(ids)) == len(ids)
    assert all(item.question.endswith("?") and item.clause for item in RUBRIC)
    assert RUBRICS[RUBRIC_VERSION] is RUBRIC


def test_rubric_content_is_pinned_to_its_version() -> None:
    assert rubric_digest(RUBRICS[RUBRIC_VERSION]) == PINNED[RUBRIC_VERSION], \
        "the rubric changed: give it a new RUBRIC_VERSION (and keep the old one in RUBRICS)"


def test_default_clauses_follow_spotchecks_md_and_the_default_profile() -> None:
    clauses = {item.id: item.clause for item in RUBRIC}
    assert clauses["recognised"] == "SCC 8(a)" and clauses["escalation"] == "Annex III"
    assert clauses["identity"] == clauses["minimisation"] == "SCC 7.4"


@pytest.fixture
def sample(demo):
    return draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=5, seed="review",
                       key_items="refusals")


def test_a_review_is_recorded_with_reviewer_time_and_rubric_version(demo, sample) -> None:
    case = sample.random_part[0].case_id
    review = record_review(demo, AUDITOR, sample.sample_id, case, "timely", "yes")
    assert (review.reviewer, review.rubric_version, review.answer) == ("ann", "1", "yes")
    [row] = answers(demo, sample.sample_id, case)
    assert row["item_id"] == "timely" and row["answer"] == "yes" and row["reviewed_at"] == review.reviewed_at
    [event] = list_events(demo, action="sample.reviewed")
    assert event["details"]["answers"] == {"timely": "yes"} and event["object"] == f"sample:{sample.sample_id}"


def test_the_latest_answer_counts_and_earlier_ones_are_kept(demo, sample) -> None:
    case = sample.random_part[0].case_id
    record_review(demo, AUDITOR, sample.sample_id, case, "timely", "yes")
    record_review(demo, user("auditor", name="bo"), sample.sample_id, case, "timely", "no",
                  "answered on day 41 without an extension")
    [current] = answers(demo, sample.sample_id, case)
    assert (current["answer"], current["reviewer"]) == ("no", "bo")
    assert demo.execute("SELECT count(*) FROM reviews").fetchall() == [(2,)]


def test_a_whole_case_is_recorded_at_once_or_not_at_all(demo, sample) -> None:
    case = sample.random_part[1].case_id
    with pytest.raises(InvalidReview):
        record_reviews(demo, AUDITOR, sample.sample_id, case, {"timely": ("yes", None), "identity": ("no", "")})
    assert demo.execute("SELECT count(*) FROM reviews").fetchall() == [(0,)]
    asked = items_for(demo, sample.sample_id, case)
    record_reviews(demo, AUDITOR, sample.sample_id, case, {i: ("yes", None) for i in asked})
    assert len(answers(demo, sample.sample_id, case)) == len(asked)


def test_key_items_are_reviewed_like_the_random_part(demo, sample) -> None:
    record_review(demo, AUDITOR, sample.sample_id, sample.key_item_ids[0], "refusal_notice", "no",
                  "no mention of the right to complain to the authority")
    assert answers(demo, sample.sample_id, sample.key_item_ids[0])[0]["answer"] == "no"


def test_a_case_not_in_the_sample_is_refused(demo, sample) -> None:
    outside = demo.execute("SELECT case_id FROM report_cases WHERE processor = ? AND period = '2026-10' AND case_id "
                           "NOT IN (SELECT case_id FROM sample_items) LIMIT 1", [BELCALL]).fetchall()[0][0]
    with pytest.raises(NotInSample, match="only the sampled cases are reviewed"):
        record_review(demo, AUDITOR, sample.sample_id, outside, "timely", "yes")
    with pytest.raises(UnknownSample, match="oversight sample list"):
        record_review(demo, AUDITOR, "S-1999-0001", outside, "timely", "yes")


def test_a_replaced_case_is_refused_and_points_at_its_replacement(demo, sample) -> None:
    out = sample.random_part[0].case_id
    replaced = replace_case(demo, AUDITOR, sample.sample_id, out, "outside_period")
    with pytest.raises(NotInSample, match=f"replaced .* by {replaced.replacement}"):
        record_review(demo, AUDITOR, sample.sample_id, out, "timely", "yes")


@pytest.mark.parametrize("roles", [("viewer",), ("vendor_manager",)])
def test_only_auditors_and_compliance_officers_review(demo, sample, roles) -> None:
    with pytest.raises(PermissionDenied, match="may not record a review"):
        record_review(demo, user(*roles), sample.sample_id, sample.random_part[0].case_id, "timely", "yes")


def test_no_without_a_comment_is_refused(demo, sample) -> None:
    with pytest.raises(InvalidReview, match="needs a comment"):
        record_review(demo, AUDITOR, sample.sample_id, sample.random_part[0].case_id, "timely", "no", "   ")


@pytest.mark.parametrize(("item", "answer", "message"), [
    ("speed", "yes", "Unknown rubric item 'speed'"),
    ("timely", "maybe", "must be yes, no, na \\(n/a: not applicable\\) or unable"),
])
def test_unknown_items_and_answers_are_refused(demo, sample, item, answer, message) -> None:
    with pytest.raises(InvalidReview, match=message):
        record_review(demo, AUDITOR, sample.sample_id, sample.random_part[0].case_id, item, answer)


def test_case_facts_show_the_drawn_report_and_the_check_exceptions(demo, sample) -> None:
    case = sample.random_part[0].case_id
    add_check_run(demo, BELCALL, "2026-10", {"deadline.late_response": [case]})
    facts = case_facts(demo, sample.sample_id, case)
    assert facts and facts["case_id"] == case and facts["received_on"] is not None
    assert [e["check_id"] for e in facts["exceptions"]] == ["deadline.late_response"]


def test_the_clause_comes_from_the_processors_contract_profile(demo, tmp_path, monkeypatch) -> None:
    assert rubric_clauses(demo, BELCALL)["escalation"] == "SL 4"  # the default profile's service-level item
    profiles = tmp_path / "contracts"
    shutil.copytree(ROOT / "contracts", profiles)
    default = profiles / "default.toml"
    text = default.read_text(encoding="utf-8")
    assert 'timely = "SCC 8(b)"' in text
    default.write_text(text.replace('timely = "SCC 8(b)"', 'timely = "Annex III"'), encoding="utf-8")
    monkeypatch.setenv("OVERSIGHT_CONTRACTS", str(profiles))
    assert rubric_clauses(demo, BELCALL)["timely"] == "Annex III"

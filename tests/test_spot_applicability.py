"""Which rubric items apply to a sampled case comes from its facts (issue 14, item 1): the form asks only those,
answers to others are refused, and "not applicable" on an item that applies needs a reason."""

from __future__ import annotations

import re

import pytest

from spotchecks import applicability
from spotchecks.errors import InvalidReview
from spotchecks.review import items_for, record_review, record_reviews
from spotchecks.samples import draw_sample
from tests.spot_demo import BELCALL, user

AUDITOR = user("auditor")
DEFAULT_VERIFY = ("access", "rectification", "erasure", "restriction", "portability")


@pytest.fixture
def demo_sample(demo):
    """The issue's demo: Belcall 2026-10, seed 12345, 95 % / 5 %, refusals as key items."""
    return draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", confidence="0.95", tolerable="0.05",
                       key_items="refusals", seed=12345)


def facts(con, sample_id: str) -> dict[str, dict[str, object]]:
    result = con.execute(
        "SELECT c.* FROM cases c JOIN samples s ON c.submission_id = s.submission_id "
        "WHERE s.sample_id = ? AND c.case_id IN (SELECT case_id FROM sample_items WHERE sample_id = ?)",
        [sample_id, sample_id])
    names = [d[0] for d in result.description]
    return {row[names.index("case_id")]: dict(zip(names, row, strict=True)) for row in result.fetchall()}


def test_each_item_applies_to_the_cases_its_facts_say(demo, demo_sample) -> None:
    applies = applicability.for_sample(demo, demo_sample.sample_id)
    rows = facts(demo, demo_sample.sample_id)
    assert set(applies) == set(rows) and len(rows) == len(demo_sample.random_part) + len(demo_sample.key_item_ids)
    for case_id, row in rows.items():
        items = set(applies[case_id])
        assert {"recognised", "minimisation"} <= items
        assert ("refusal_notice" in items) == (row["outcome"] in ("refused", "partially_fulfilled",
                                                                  "identity_not_confirmed"))
        assert ("extension_notice" in items) == (row["extension_notified_on"] is not None)
        assert ("identity" in items) == (row["request_type"] in DEFAULT_VERIFY or row["id_requested_on"] is not None)
        assert ("substance" in items) == (row["responded_on"] is not None)
        assert ("timely" in items) == (row["outcome"] != "withdrawn")
    # every key item is a refusal, so refusal_notice applies to each of them
    assert all("refusal_notice" in applies[c] for c in demo_sample.key_item_ids)
    assert sum("extension_notice" in applies[p.case_id] for p in demo_sample.random_part) < 59


def test_items_are_listed_in_the_rubrics_order(demo, demo_sample) -> None:
    case = demo_sample.random_part[0].case_id
    asked = items_for(demo, demo_sample.sample_id, case)
    order = ["recognised", "identity", "timely", "substance", "escalation", "refusal_notice", "extension_notice",
             "minimisation"]
    assert asked == [i for i in order if i in asked]


def test_an_item_that_does_not_apply_to_the_case_is_refused(demo, demo_sample) -> None:
    applies = applicability.for_sample(demo, demo_sample.sample_id)
    case = next(p.case_id for p in demo_sample.random_part if "extension_notice" not in applies[p.case_id])
    with pytest.raises(InvalidReview, match=f"extension_notice do\\(es\\) not apply to case '{case}'"):
        record_review(demo, AUDITOR, demo_sample.sample_id, case, "extension_notice", "yes")
    assert demo.execute("SELECT count(*) FROM reviews").fetchall() == [(0,)]


def test_not_applicable_on_an_item_that_applies_needs_a_reason(demo, demo_sample) -> None:
    case = demo_sample.random_part[0].case_id
    with pytest.raises(InvalidReview, match="\"not applicable\" needs a reason"):
        record_review(demo, AUDITOR, demo_sample.sample_id, case, "recognised", "na")
    review = record_review(demo, AUDITOR, demo_sample.sample_id, case, "recognised", "n/a",
                           "the case file is a duplicate of another case's")
    assert review.answer == "na" and review.comment.startswith("the case file")


def test_a_whole_case_answers_exactly_the_items_that_apply(demo, demo_sample) -> None:
    case = demo_sample.key_item_ids[0]
    asked = items_for(demo, demo_sample.sample_id, case)
    assert "refusal_notice" in asked
    record_reviews(demo, AUDITOR, demo_sample.sample_id, case, {i: ("yes", None) for i in asked})
    from spotchecks.queries import sample_items

    row = next(i for i in sample_items(demo, demo_sample.sample_id) if i["case_id"] == case)
    assert (row["answered"], row["applicable"], row["complete"]) == (len(asked), len(asked), True)


def test_the_profile_decides_which_request_types_need_identity(demo, demo_sample, tmp_path, monkeypatch) -> None:
    import shutil
    from pathlib import Path

    profiles = tmp_path / "contracts"
    shutil.copytree(Path(__file__).resolve().parent.parent / "contracts", profiles)
    default = profiles / "default.toml"
    text = default.read_text(encoding="utf-8")
    assert re.search(r"^verify_identity_types = \[.*\]", text, flags=re.M)
    default.write_text(re.sub(r"^verify_identity_types = \[.*\]", "verify_identity_types = []", text, flags=re.M),
                       encoding="utf-8")
    monkeypatch.setenv("OVERSIGHT_CONTRACTS", str(profiles))
    applies = applicability.for_sample(demo, demo_sample.sample_id)
    rows = facts(demo, demo_sample.sample_id)
    assert all(("identity" in applies[c]) == (rows[c]["id_requested_on"] is not None) for c in rows)

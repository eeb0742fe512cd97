"""The nature of each deviation (ISA 530 ¶12; issue 14, item 8): a "no" records a cause from a closed list besides
its comment, and the evaluation, the Evaluate tab and the pack count deviations by cause."""

from __future__ import annotations

import pytest

from spotchecks.errors import InvalidReview
from spotchecks.evaluate import evaluate_sample
from spotchecks.queries import answers
from spotchecks.review import DEVIATION_CAUSES, record_review, record_unable
from spotchecks.samples import draw_sample
from tests.conftest import with_db
from tests.spot_demo import BELCALL, answer_all, user
from tests.test_export_pack import export, section
from tests.test_spot_app import db, open_page, sample_id  # noqa: F401 (fixtures)

AUDITOR = user("auditor")


@pytest.fixture
def small(demo):
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=5, seed=12345)
    return sample.sample_id, [p.case_id for p in sample.random_part]


def test_the_causes_are_the_issues_closed_list() -> None:
    assert list(DEVIATION_CAUSES.values()) == ["procedure not followed", "system", "training", "record missing",
                                               "other"]


def test_a_no_records_its_cause_and_an_unknown_cause_is_refused(demo, small) -> None:
    sid, cases = small
    review = record_review(demo, AUDITOR, sid, cases[0], "timely", "no", "answered on day 41", "training")
    assert review.cause == "training" and answers(demo, sid, cases[0])[0]["cause"] == "training"
    with pytest.raises(InvalidReview, match="needs its cause: one of procedure_not_followed, system"):
        record_review(demo, AUDITOR, sid, cases[1], "timely", "no", "late", "bad luck")
    assert record_review(demo, AUDITOR, sid, cases[1], "timely", "no", "late", "Record missing").cause == \
        "record_missing"


def test_deviations_are_counted_by_cause(demo, small) -> None:
    sid, cases = small
    for case in cases:
        answer_all(demo, AUDITOR, sid, case)
    record_review(demo, AUDITOR, sid, cases[0], "timely", "no", "answered on day 41", "training")
    record_review(demo, AUDITOR, sid, cases[1], "recognised", "no", "recorded as a complaint", "system")
    record_review(demo, AUDITOR, sid, cases[2], "recognised", "no", "recorded as access")  # no cause given
    record_unable(demo, AUDITOR, sid, cases[3])
    evaluation = evaluate_sample(demo, sid)
    by_cause = evaluation.deviations_by_cause
    assert (by_cause["training"], by_cause["system"], by_cause["not stated"]) == (1, 1, 1)
    assert by_cause["unable"] == len([i for i in evaluation.items if cases[3] in i.deviation_case_ids])
    assert any("give no cause" in n for n in evaluation.notes)


def test_the_pack_counts_deviations_by_cause(demo, small, tmp_path) -> None:
    sid, cases = small
    record_review(demo, AUDITOR, sid, cases[0], "timely", "no", "answered on day 41", "procedure_not_followed")
    rows = section(export(demo, tmp_path)["Samples"], "Deviations by cause")
    assert rows == [{"sample_id": sid, "cause": "procedure_not_followed", "deviations": 1}]
    reviews = section(export(demo, tmp_path, name="again.xlsx")["Samples"], "Review answers")
    assert reviews[0]["cause"] == "procedure_not_followed"


def test_the_review_form_asks_the_cause_of_a_no(db, sample_id) -> None:  # noqa: F811
    at = open_page(processor=BELCALL, period="2026-10")
    case = at.selectbox(key=f"spot_case:{sample_id}").value
    at.radio(key=f"spot_answer:{sample_id}:{case}:timely").set_value("no").run()
    at.text_input(key=f"spot_comment:{sample_id}:{case}:timely").set_value("answered on day 41").run()
    at.selectbox(key=f"spot_cause:{sample_id}:{case}:timely").set_value("training").run()
    at.button(key=f"spot_save:{sample_id}:{case}").click().run()
    assert not at.exception
    saved = with_db(lambda con: con.execute("SELECT answer, cause FROM current_reviews WHERE case_id = ? AND "
                                            "item_id = 'timely'", [case]).fetchall())
    assert saved == [("no", "training")]

"""One case, one form (issue 12 §3), in AppTest: review answers and comments belong to their case.

Opening another case shows that case's saved answers or an empty form, never the previous case's; answers not
saved are kept as a draft of their case and named above the case list; "Save and next case"; the reviewed marker;
who saved each answer and when. The Findings forms are keyed per finding. The real-browser version of the first
test is tests/test_browser_review.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.review_form import case_label, next_case, pending
from spotchecks.samples import draw_sample
from store.identity import User
from tests.conftest import AppEnv, open_dashboard_page, with_db
from tests.spot_demo import BELCALL

AUDITOR = User("aude", ("auditor",))
COMMENT = "answered on day 41, no extension notified"


@pytest.fixture
def sample_id(app_env: AppEnv, demo_db: Path) -> str:
    return with_db(lambda con: draw_sample(con, AUDITOR, processor=BELCALL, period="2026-10", size=3,
                                           seed="one-form").sample_id)


def review_page(sample_id: str) -> AppTest:
    return open_dashboard_page("app/spotchecks.py", sample=sample_id, step="Review")


def case_box(at: AppTest, sample_id: str):
    return at.selectbox(key=f"spot_case:{sample_id}")


def answer(at: AppTest, sample_id: str, case: str, item: str):
    return at.radio(key=f"spot_answer:{sample_id}:{case}:{item}")


def comment(at: AppTest, sample_id: str, case: str, item: str):
    return at.text_input(key=f"spot_comment:{sample_id}:{case}:{item}")


def asked(at: AppTest, sample_id: str, case: str) -> list[str]:
    """The rubric items the form shows for this case (those that apply to its facts)."""
    prefix = f"spot_answer:{sample_id}:{case}:"
    return [r.key[len(prefix):] for r in at.radio if r.key and r.key.startswith(prefix)]


def click(at: AppTest, label: str) -> AppTest:
    at.button[[b.label for b in at.button].index(label)].click().run()
    assert not at.exception, at.exception
    return at


def test_another_case_shows_its_own_empty_form_and_the_first_keeps_its_answers(sample_id: str) -> None:
    at = review_page(sample_id)
    a, b = case_box(at, sample_id).options[:2]
    a, b = a.split()[1], b.split()[1]  # "○ BC-… — to review"
    assert case_box(at, sample_id).value == a
    answer(at, sample_id, a, "timely").set_value("no")
    comment(at, sample_id, a, "timely").set_value(COMMENT)
    click(at, "Save review")
    assert f"Saved 1 answer(s) for {a}." in [s.value for s in at.success]
    case_box(at, sample_id).set_value(b).run()
    assert answer(at, sample_id, b, "timely").value is None
    assert comment(at, sample_id, b, "timely").value == ""
    assert asked(at, sample_id, b) and all(answer(at, sample_id, b, i).value is None for i in asked(at, sample_id, b))
    case_box(at, sample_id).set_value(a).run()
    assert (answer(at, sample_id, a, "timely").value, comment(at, sample_id, a, "timely").value) == ("no", COMMENT)
    assert any(c.value.startswith("Saved: no · by ") for c in at.caption)  # who and when


def test_unsaved_answers_are_kept_for_their_case_and_named_when_another_case_is_opened(sample_id: str) -> None:
    at = review_page(sample_id)
    a, b = (o.split()[1] for o in case_box(at, sample_id).options[:2])
    item = asked(at, sample_id, a)[0]
    answer(at, sample_id, a, item).set_value("yes").run()
    assert any("1 answer(s) of" in w.value and "not saved yet" in w.value for w in at.warning)
    case_box(at, sample_id).set_value(b).run()
    assert any(f"Answers not saved yet on {a}" in w.value for w in at.warning)
    assert "unsaved answers" in case_box(at, sample_id).format_func(a)
    assert all(answer(at, sample_id, b, i).value is None for i in asked(at, sample_id, b))  # the draft stays put
    case_box(at, sample_id).set_value(a).run()
    assert answer(at, sample_id, a, item).value == "yes"
    click(at, "Discard unsaved")
    assert answer(at, sample_id, a, item).value is None
    assert with_db(lambda con: con.execute("SELECT count(*) FROM reviews").fetchall()) == [(0,)]


def test_save_and_next_case_opens_the_next_case_to_review_and_marks_the_first_reviewed(sample_id: str) -> None:
    at = review_page(sample_id)
    a, b = (o.split()[1] for o in case_box(at, sample_id).options[:2])
    for item in asked(at, sample_id, a):
        answer(at, sample_id, a, item).set_value("yes")
    click(at, "Save and next case")
    assert case_box(at, sample_id).value == b
    assert case_box(at, sample_id).format_func(a).startswith(f"✔ {a} — reviewed")


def test_the_pure_parts_of_the_form():
    saved = {"timely": {"answer": "no", "comment": "late"}}
    assert pending(saved, {"timely": ("no", "late"), "identity": (None, "")}) == {}
    assert pending(saved, {"timely": ("no", "later")}) == {"timely": ("no", "later")}
    assert pending({}, {"identity": (None, "a note without an answer")}) == {"identity": (None, "a note without an "
                                                                                            "answer")}
    assert next_case(["A", "B", "C"], "B", {"B", "C"}) == "A" and next_case(["A"], "A", {"A"}) is None
    assert case_label("A", 8, 8, False) == "✔ A — reviewed"
    assert case_label("A", 2, 8, True) == "◐ A — 2 of 8 answered · unsaved answers"


def test_findings_forms_are_keyed_per_finding(checked_demo_db: Path, app_env: AppEnv) -> None:
    from findings.raising import raise_from_checks

    created = with_db(lambda con: raise_from_checks(con, User("olivia", ("compliance_officer",)), period="2026-10"))
    first, second = sorted(f.finding_id for f in created)[:2]
    at = open_dashboard_page("app/findings.py", finding=first)
    assert at.text_input(key=f"move_note:{first}").value == ""
    with pytest.raises(KeyError):
        at.text_input(key=f"move_note:{second}")


def test_a_move_note_not_used_stays_with_its_finding_and_is_named(checked_demo_db: Path, app_env: AppEnv) -> None:
    from findings.raising import raise_from_checks

    created = with_db(lambda con: raise_from_checks(con, User("olivia", ("compliance_officer",)), period="2026-10"))
    first, second = sorted(f.finding_id for f in created)[:2]
    at = open_dashboard_page("app/findings.py", finding=first)
    at.text_input(key=f"move_note:{first}").set_value("sent with the October pack").run()
    assert "This note is not saved until the finding is moved." in [c.value for c in at.caption]
    at.selectbox(key="finding_pick").set_value(second).run()
    assert any(f"A note typed and not used yet on {first}" in w.value for w in at.warning)
    assert at.text_input(key=f"move_note:{second}").value == ""
    at.selectbox(key="finding_pick").set_value(first).run()
    assert at.text_input(key=f"move_note:{first}").value == "sent with the October pack"
    click(at, "Move")
    assert f"{first} moved to notified." in [s.value for s in at.success]
    assert not [w for w in at.warning if "A note typed" in w.value]


def test_a_response_or_dismissal_reason_not_used_stays_with_its_finding(checked_demo_db: Path, app_env: AppEnv) -> None:
    from findings.raising import raise_from_checks

    created = with_db(lambda con: raise_from_checks(con, User("olivia", ("compliance_officer",)), period="2026-10"))
    first, second = sorted(f.finding_id for f in created)[:2]
    at = open_dashboard_page("app/findings.py", finding=first)
    at.text_area(key=f"response_text:{first}").set_value("We retrained the team on 2 December.").run()
    at.text_area(key=f"dismiss_reason:{first}").set_value("accepted risk because the case was a test").run()
    at.selectbox(key="finding_pick").set_value(second).run()
    assert any(f"A note typed and not used yet on {first}" in w.value for w in at.warning)
    assert at.text_area(key=f"response_text:{second}").value == ""
    assert at.text_area(key=f"dismiss_reason:{second}").value == ""
    at.selectbox(key="finding_pick").set_value(first).run()
    assert at.text_area(key=f"response_text:{first}").value == "We retrained the team on 2 December."
    click(at, "Record response")
    assert f"Response recorded on {first}." in [s.value for s in at.success]
    saved = with_db(lambda con: con.execute("SELECT response_text FROM findings WHERE finding_id = ?",
                                            [first]).fetchone())
    assert saved == ("We retrained the team on 2 December.",)
    # the dismissal reason is still a draft: named until it is used or cleared
    assert any(f"A note typed and not used yet on {first}" in w.value for w in at.warning)
    at.text_area(key=f"dismiss_reason:{first}").set_value("").run()
    assert not [w for w in at.warning if "A note typed" in w.value]

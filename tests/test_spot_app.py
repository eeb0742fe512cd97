"""The Spot checks page in AppTest: the plan's n follows the inputs, a draw shows its seed, reviews are recorded,
the evaluation is shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from spotchecks.review import items_for, record_reviews
from spotchecks.samples import draw_sample
from store.identity import User
from tests.conftest import AppEnv, with_db
from tests.spot_demo import BELCALL, answer_all

ROOT = Path(__file__).resolve().parent.parent
AUDITOR = User("aude", ("auditor",))


@pytest.fixture
def db(app_env: AppEnv, demo_db: Path) -> Path:
    """The demo database for the app (conftest's copy at the app's db_path), no users configured (the local user
    has every role)."""
    return demo_db


def open_page(processor: str | None = None, period: str | None = None, step: str | None = None) -> AppTest:
    """Open the Spot checks page (on the tab `step`, as a shared link does) and pick the sidebar filters (kept in
    the URL) as a user would."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    if step:
        at.query_params["step"] = step
    at.switch_page("app/spotchecks.py").run()
    if processor:
        at.selectbox(key="filter_processor").set_value(processor).run()
    if period:
        at.selectbox(key="filter_period").set_value(period).run()
    assert not at.exception, at.exception
    return at


def n_shown(at: AppTest) -> int:
    [metric] = [m for m in at.metric if m.label == "Sample size n"]
    return int(metric.value)


def frame(at: AppTest, column: str):
    """The first table on the page with this column (AppTest does not expose a display table's key)."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, f"no table with a {column!r} column"
    return found[0]


def markdown(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def test_the_planned_n_follows_the_inputs_live(db: Path) -> None:
    at = open_page()
    assert n_shown(at) == 59
    at.number_input(key="spot_tolerable").set_value(10.0).run()
    assert n_shown(at) == 29
    at.number_input(key="spot_expected").set_value(1.0).run()
    assert n_shown(at) == 46  # AICPA Table A-1: tolerable 10 %, expected 1 %
    at.selectbox(key="spot_confidence").set_value(0.90).run()
    assert n_shown(at) == 38  # Table A-2


def test_with_a_report_chosen_the_plan_uses_its_population(db: Path) -> None:
    at = open_page(processor=BELCALL, period="2026-10")
    at.radio(key="spot_model").set_value("hypergeometric").run()
    assert not at.exception and n_shown(at) < 59
    assert "332" in str([n.value for n in at.number_input])


def test_a_draw_shows_its_seed_and_the_work_list(db: Path) -> None:
    at = open_page(processor=BELCALL, period="2026-10")
    assert "No sample drawn" in "\n".join(str(i.value) for i in at.info)
    at.text_input(key="spot_seed").set_value("12345").run()
    at.button(key="spot_draw").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Seed `12345`" in markdown(at)
    assert f"Drew {at.query_params['sample']} with seed 12345." in [s.value for s in at.success]
    items = frame(at, "replaced because")
    assert len(items) == 59 and at.query_params["sample"]
    expected = with_db(lambda con: draw_sample(con, AUDITOR, processor=BELCALL, period="2026-10", size=59,
                                               seed=12345).random_part)
    assert list(items["case"]) == [p.case_id for p in expected]


def test_the_draw_form_takes_several_months_into_one_population(db: Path) -> None:
    at = open_page(processor=BELCALL, period="2026-10")
    months = at.multiselect(key=f"spot_months:{BELCALL}:2026-10")
    assert months.value == ["2026-10"] and "2026-09" in months.options
    months.set_value(["2026-09", "2026-10"]).run()
    assert "593" in str([n.value for n in at.number_input])  # distinct cases of both reports: the plan's N
    at.text_input(key="spot_seed").set_value("months").run()
    at.button(key="spot_draw").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "2026-09, 2026-10 (submission 6, 7)" in "\n".join(str(c.value) for c in at.caption)
    expected = with_db(lambda con: draw_sample(con, AUDITOR, processor=BELCALL, period=["2026-09", "2026-10"],
                                               size=59, seed="months").random_part)
    assert list(frame(at, "replaced because")["case"]) == [p.case_id for p in expected]


@pytest.fixture
def sample_id(db: Path) -> str:
    return with_db(lambda con: draw_sample(con, AUDITOR, processor=BELCALL, period="2026-10", size=59,
                                           seed="app").sample_id)


def test_with_a_sample_the_page_opens_on_review_and_runs_only_that_tab(db: Path, sample_id: str) -> None:
    at = open_page(processor=BELCALL, period="2026-10")
    assert at.session_state["step"] == "Review"
    assert "Review a case" in [s.value for s in at.subheader]
    assert not [m for m in at.metric if m.label == "Sample size n"]  # the plan tab did not run
    assert not [d for d in at.dataframe if "upper limit" in d.value.columns]  # nor the evaluation
    assert "0 of 59 cases reviewed" in str(at.get("progress")[0].proto)  # the progress shows on every tab
    at = open_page(processor=BELCALL, period="2026-10", step="Plan and draw")
    assert n_shown(at) == 59 and "Review a case" not in [s.value for s in at.subheader]


def test_the_review_form_records_the_answers(db: Path, sample_id: str) -> None:
    at = open_page(processor=BELCALL, period="2026-10")
    case = at.selectbox(key=f"spot_case:{sample_id}").value
    assert "Review a case" in [s.value for s in at.subheader]
    asked = with_db(lambda con: items_for(con, sample_id, case))
    for item_id in asked:
        at.radio(key=f"spot_answer:{sample_id}:{case}:{item_id}").set_value("yes")
    at.radio(key=f"spot_answer:{sample_id}:{case}:timely").set_value("no")
    at.text_input(key=f"spot_comment:{sample_id}:{case}:timely").set_value("answered on day 41 without an extension")
    at.button[[b.label for b in at.button].index("Save review")].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    rows = with_db(lambda con: con.execute("SELECT item_id, answer, comment, reviewer FROM current_reviews WHERE "
                                           "sample_id = ? AND case_id = ?", [sample_id, case]).fetchall())
    assert len(rows) == len(asked) and "timely" in asked
    assert ("timely", "no", "answered on day 41 without an extension") in [r[:3] for r in rows]


def test_a_no_without_comment_is_refused_on_the_page(db: Path, sample_id: str) -> None:
    at = open_page(processor=BELCALL, period="2026-10")
    case = at.selectbox(key=f"spot_case:{sample_id}").value
    at.radio(key=f"spot_answer:{sample_id}:{case}:timely").set_value("no")
    at.button[[b.label for b in at.button].index("Save review")].click().run()
    assert not at.exception
    assert "needs a comment" in "\n".join(str(e.value) for e in at.error)
    assert with_db(lambda con: con.execute("SELECT count(*) FROM reviews").fetchall()) == [(0,)]


def test_the_evaluation_is_shown_with_its_conclusion_and_chart(db: Path, sample_id: str) -> None:
    def review(con):
        cases = [r[0] for r in con.execute("SELECT case_id FROM active_sample_items WHERE sample_id = ?",
                                           [sample_id]).fetchall()]
        for case in cases:
            answer_all(con, AUDITOR, sample_id, case)
        record_reviews(con, AUDITOR, sample_id, cases[0], {"timely": ("no", "answered on day 41")})

    with_db(review)
    at = open_page(processor=BELCALL, period="2026-10", step="Evaluate")
    table = frame(at, "upper limit")
    timely = table[table["item"] == "timely"].iloc[0]
    assert (timely["deviations"], timely["conclusion"]) == (1, "not_relied_on") and timely["reviewed"] >= 59
    assert "cannot be relied on for: timely" in "\n".join(str(w.value) for w in at.warning)
    assert "59 of 59 cases reviewed" in str(at.get("progress")[0].proto)
    charts = at.get("vega_lite_chart")
    assert charts, "the upper-limit chart is shown"
    spec = charts[0].proto.spec
    assert "upper limit" in spec and "tolerable" in spec


def test_a_no_can_be_raised_as_a_finding_against_its_clause(db: Path, sample_id: str) -> None:
    def review(con):
        [(case,)] = con.execute("SELECT case_id FROM active_sample_items WHERE sample_id = ? AND position = 1",
                                [sample_id]).fetchall()
        record_reviews(con, AUDITOR, sample_id, case, {"timely": ("no", "answered on day 41")})

    with_db(review)
    at = open_page(processor=BELCALL, period="2026-10", step="Evaluate")
    [raise_button] = [b for b in at.button if b.label.startswith("Raise findings from the 1")]
    raise_button.click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    found = with_db(lambda con: con.execute("SELECT clause, source FROM findings").fetchall())
    assert found == [("SCC 8(b)", f"spotcheck:{sample_id}:timely")]

"""Help text on each rubric item with its legal basis (issue 6): the review form shows it, the Contract page's
clause evidence carries it, and every item cites the GDPR article docs/sampling.md gives for it."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from checks.coverage import Kind, clause_coverage
from spotchecks.review import RUBRIC, items_for
from spotchecks.samples import draw_sample
from store.db import connect
from store.identity import User
from tests.conftest import AppEnv, copy_demo
from tests.spot_demo import BELCALL

ROOT = Path(__file__).resolve().parent.parent
AUDITOR = User("aude", ("auditor",))
# docs/sampling.md's rubric table: the article each question rests on.
ARTICLES = {"recognised": "Art. 12(2)", "identity": "Art. 12(6)", "timely": "Art. 12(3)", "substance": "Art. 12(1)",
            "escalation": "Art. 28(3)(e)", "refusal_notice": "Art. 12(4)", "extension_notice": "Art. 12(3)",
            "minimisation": "Art. 5(1)(c)"}


def test_every_rubric_item_cites_its_article() -> None:
    assert {item.id for item in RUBRIC} == set(ARTICLES)
    for item in RUBRIC:
        assert ARTICLES[item.id] in item.basis, item.id
        assert re.match(r"^GDPR Art\. ", item.basis), item.id


def test_the_contract_pages_evidence_carries_the_items_basis(demo_files: tuple[Path, Path], tmp_path: Path) -> None:
    copy_demo(demo_files, tmp_path / "demo.duckdb")
    con = connect(tmp_path / "demo.duckdb")
    try:
        coverage = clause_coverage(con, BELCALL, "2026-10")
    finally:
        con.close()
    rubric = {e.id: e.basis for c in coverage.clauses for e in c.evidence if e.kind is Kind.RUBRIC}
    # Besides the questions, the case records a spot check needs (SL 6, SCC 7.6(c); vocab/rubric.py CASE_RECORDS).
    assert rubric.pop("case_records").startswith("GDPR Art. 28(3)(h); SCC 7.6(c)")
    assert rubric == {item.id: item.basis for item in RUBRIC}


def test_the_review_form_shows_each_items_basis_as_help(app_env: AppEnv, demo_files: tuple[Path, Path]) -> None:
    copy_demo(demo_files, app_env.db, app_env.key)
    con = connect(app_env.db)
    try:
        sample_id = draw_sample(con, AUDITOR, processor=BELCALL, period="2026-10", size=5, seed="help").sample_id
    finally:
        con.close()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    at.switch_page("app/spotchecks.py").run()
    assert not at.exception, at.exception
    assert at.session_state["step"] == "Review" and at.query_params["sample"] == sample_id
    case = at.selectbox(key=f"spot_case:{sample_id}").value
    con = connect(app_env.db)
    try:
        asked = items_for(con, sample_id, case)  # the form asks only the items that apply (issue 14, item 1)
    finally:
        con.close()
    assert asked
    for item in RUBRIC:
        if item.id in asked:
            assert at.radio(key=f"spot_answer:{sample_id}:{case}:{item.id}").help == item.basis

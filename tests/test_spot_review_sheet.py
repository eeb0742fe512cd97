"""Review offline (issue 14, item 10): the review sheet (.xlsx) with one row per sampled case and a column per rubric
item, items that do not apply marked and locked; read back validated as a whole, audited per case, a second import
changing only what changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from spotchecks.errors import InvalidReview
from spotchecks.evaluate import evaluate_sample
from spotchecks.queries import answers
from spotchecks.review import RUBRIC
from spotchecks.review_sheet import DOES_NOT_APPLY, read_sheet, write_sheet
from spotchecks.samples import draw_sample
from store.audit import list_events
from tests.conftest import run_cli
from tests.spot_demo import BELCALL, user

AUDITOR = user("auditor")


@pytest.fixture
def sheet(demo, tmp_path):
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=4, seed=12345)
    path = tmp_path / "review.xlsx"
    assert write_sheet(demo, sample.sample_id, path) == 4
    return sample, path


def fill(path: Path, out: Path, change) -> None:
    """Answer the sheet as an auditor would: `change(row, header)` edits the row's cells in place."""
    wb = load_workbook(path)
    ws = wb["Review"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        change(row, header)
    wb.save(out)


def all_yes(row, header) -> None:
    for item in RUBRIC:
        cell = row[header.index(item.id)]
        if cell.value != DOES_NOT_APPLY:
            cell.value = "yes"


def test_the_sheet_has_a_row_per_case_and_locks_the_items_that_do_not_apply(demo, sheet) -> None:
    sample, path = sheet
    ws = load_workbook(path)["Review"]
    header = [c.value for c in ws[1]]
    assert header[0] == "case_id" and all(item.id in header for item in RUBRIC)
    assert [r[0].value for r in ws.iter_rows(min_row=2)] == [p.case_id for p in sample.random_part]
    assert ws.protection.sheet
    marked = [row[header.index(i.id)] for row in ws.iter_rows(min_row=2) for i in RUBRIC
              if row[header.index(i.id)].value == DOES_NOT_APPLY]
    assert marked and all(c.protection.locked for c in marked)
    open_cells = [row[header.index(i.id)] for row in ws.iter_rows(min_row=2) for i in RUBRIC
                  if row[header.index(i.id)].value != DOES_NOT_APPLY]
    assert open_cells and not any(c.protection.locked for c in open_cells)


def test_answers_come_back_audited_per_case_and_a_second_import_changes_only_what_changed(demo, sheet,
                                                                                         tmp_path) -> None:
    sample, path = sheet
    answered = tmp_path / "answered.xlsx"
    fill(path, answered, all_yes)
    done = read_sheet(demo, AUDITOR, sample.sample_id, answered)
    assert len(done.cases) == 4 and done.answers == len(answers(demo, sample.sample_id))
    assert len(list_events(demo, action="sample.reviewed")) == 4
    assert read_sheet(demo, AUDITOR, sample.sample_id, answered).answers == 0  # nothing changed

    def one_no(row, header) -> None:
        all_yes(row, header)
        if row[0].value == sample.random_part[0].case_id:
            row[header.index("recognised")].value = "no"
            row[header.index("recognised comment")].value = "recorded as a complaint"
            row[header.index("recognised cause")].value = "training"

    fill(path, answered, one_no)
    again = read_sheet(demo, AUDITOR, sample.sample_id, answered)
    assert (again.cases, again.answers) == ((sample.random_part[0].case_id,), 1)
    assert evaluate_sample(demo, sample.sample_id).item("recognised").deviations == 1


def test_a_sheet_with_mistakes_records_nothing_and_names_each(demo, sheet, tmp_path) -> None:
    sample, path = sheet

    def mistakes(row, header) -> None:
        all_yes(row, header)
        if row[0].value == sample.random_part[0].case_id:
            row[header.index("timely")].value = "maybe"
            row[header.index("recognised")].value = "no"
            row[header.index("recognised comment")].value = "wrong type"
            for item in RUBRIC:
                if row[header.index(item.id)].value == DOES_NOT_APPLY:
                    row[header.index(item.id)].value = "yes"
                    break

    bad = tmp_path / "bad.xlsx"
    fill(path, bad, mistakes)
    with pytest.raises(InvalidReview) as refused:
        read_sheet(demo, AUDITOR, sample.sample_id, bad)
    text = str(refused.value)
    assert "nothing was recorded" in text and "Row 2, column timely" in text
    assert "Row 2, column recognised: a \"no\" needs its cause" in text and "does not apply" in text
    assert answers(demo, sample.sample_id) == []


def test_the_cli_writes_and_imports_the_sheet(cli_env, demo_db, tmp_path) -> None:
    import json

    code, out, _ = run_cli("sample", "draw", "--processor", BELCALL, "--period", "2026-10", "--size", "2",
                           "--seed", "sheet", "--format", "json")
    sample_id = json.loads(out)["sample_id"]
    path = tmp_path / "s.xlsx"
    code, out, _ = run_cli("sample", "review-sheet", sample_id, "--out", str(path))
    assert code == 0 and path.exists() and "2 case(s)" in out
    fill(path, path, all_yes)
    code, out, _ = run_cli("sample", "review-import", sample_id, str(path))
    assert code == 0 and "for 2 case(s)" in out


def test_the_review_tab_offers_the_sheet(app_env, demo_db) -> None:
    from tests.conftest import with_db
    from tests.test_spot_app import open_page

    sample_id = with_db(lambda con: draw_sample(con, AUDITOR, processor=BELCALL, period="2026-10", size=3,
                                                seed="tab").sample_id)
    at = open_page(processor=BELCALL, period="2026-10")
    at.button(key="spot_sheet_prepare").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(sample_id in str(b.proto) for b in at.get("download_button"))

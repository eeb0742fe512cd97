"""Review offline (issue 14, item 10): a sample's cases as an .xlsx sheet to answer, and the answers read back.

The sheet has one row per active sampled case: `case_id`, the case's facts, then per rubric item a column named by
its id (the answer: yes, no, n/a or unable), `<item> comment` and `<item> cause` (for a "no"). An item that does not
apply to the case says so and is locked (the sheet is protected; only answer, comment and cause cells of items that
apply are open). The saved answers are filled in, so a sheet answered twice changes only what changed.

Reading it back validates the whole sheet before anything is written (every row and cell; all problems are named,
by row and column), then records each case's changed answers through review.record_reviews, audited as if typed on
the Review tab.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from spotchecks import applicability
from spotchecks.errors import InvalidReview
from spotchecks.queries import answers, case_facts, sample_items
from spotchecks.review import DEVIATION_CAUSES, RUBRIC, Answer, _cause, _validate, record_reviews
from store.identity import User, require
from store.spreadsheet import safe_cell

FACTS = ("part", "received_on", "request_type", "channel", "outcome", "responded_on", "extension_notified_on",
         "id_requested_on", "escalated_on", "agent_id")
DOES_NOT_APPLY = "does not apply"
SHOWN = {"na": "n/a"}  # how an answer is written in the sheet


def _columns() -> list[str]:
    cols = ["case_id", *FACTS]
    for item in RUBRIC:
        cols += [item.id, f"{item.id} comment", f"{item.id} cause"]
    return cols


def write_sheet(con: duckdb.DuckDBPyConnection, sample_id: str, out: Path) -> int:
    """Write the review sheet of a sample to `out` (.xlsx); return the number of cases."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    active = [i for i in sample_items(con, sample_id) if i["status"] == "active"]
    applies = applicability.for_sample(con, sample_id, [str(i["case_id"]) for i in active])
    saved = {(str(a["case_id"]), str(a["item_id"])): a for a in answers(con, sample_id)}
    wb = Workbook()
    ws = wb.active
    ws.title = "Review"
    columns = _columns()
    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    answer_list = DataValidation(type="list", formula1='"yes,no,n/a,unable"', allow_blank=True)
    cause_list = DataValidation(type="list", formula1=f'"{",".join(DEVIATION_CAUSES)}"', allow_blank=True)
    ws.add_data_validation(answer_list)
    ws.add_data_validation(cause_list)
    grey = PatternFill("solid", fgColor="DDDDDD")
    for row_number, item in enumerate(active, start=2):
        case_id = str(item["case_id"])
        facts = case_facts(con, sample_id, case_id) or {}
        row: list[object] = [case_id, item["part"], *(facts.get(f) for f in FACTS[1:])]
        for rubric_item in RUBRIC:
            before = saved.get((case_id, rubric_item.id))
            if rubric_item.id not in applies[case_id]:
                row += [DOES_NOT_APPLY, None, None]
            elif before:
                row += [SHOWN.get(str(before["answer"]), before["answer"]), before["comment"], before.get("cause")]
            else:
                row += [None, None, None]
        ws.append([safe_cell(v) for v in row])
        for index, rubric_item in enumerate(RUBRIC):
            first = len(FACTS) + 2 + 3 * index  # 1-based column of the item's answer
            cells = [ws.cell(row_number, first + k) for k in range(3)]
            if rubric_item.id in applies[case_id]:
                for cell in cells:
                    cell.protection = Protection(locked=False)
                answer_list.add(cells[0])
                cause_list.add(cells[2])
            else:
                for cell in cells:
                    cell.fill = grey
    ws.protection.sheet = True  # only the answer cells of items that apply are open
    ws.freeze_panes = "B2"
    wb.save(out)
    return len(active)


@dataclass(frozen=True)
class Imported:
    """What an import recorded: cases with changed answers, and the answers changed."""

    sample_id: str
    cases: tuple[str, ...]
    answers: int


def _text(value: object) -> str:
    text = "" if value is None else str(value).strip()
    return text[1:] if text.startswith("'") else text  # a formula-safe cell as written


def read_sheet(con: duckdb.DuckDBPyConnection, user: User, sample_id: str, path: Path) -> Imported:
    """Read a review sheet back: validate all of it, then record what changed, case by case."""
    from openpyxl import load_workbook

    require(user, "record a review")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not an .xlsx workbook
        raise InvalidReview(f"{path.name} is not a review sheet (.xlsx): {exc}. Write one with `oversight sample "
                            f"review-sheet {sample_id} --out FILE.xlsx`.") from None
    ws = wb["Review"] if "Review" in wb.sheetnames else wb.worksheets[0]
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    wb.close()
    if not grid or "case_id" not in [_text(v) for v in grid[0]]:
        raise InvalidReview(f"{path.name}: the first row must name the columns, `case_id` among them.")
    header = [_text(v) for v in grid[0]]
    col = {name: i for i, name in enumerate(header)}
    active = {str(i["case_id"]) for i in sample_items(con, sample_id) if i["status"] == "active"}
    seen_cases = [_text(r[col["case_id"]]) for r in grid[1:] if any(v not in (None, "") for v in r)]
    applies = applicability.for_sample(con, sample_id, [c for c in seen_cases if c in active])
    saved = {(str(a["case_id"]), str(a["item_id"])): a for a in answers(con, sample_id)}
    problems: list[str] = []
    changes: dict[str, dict[str, tuple[object, ...]]] = {}
    seen: set[str] = set()
    for number, row in enumerate(grid[1:], start=2):
        if not any(v not in (None, "") for v in row):
            continue
        cell = {name: _text(row[i]) if i < len(row) else "" for name, i in col.items()}
        case_id = cell["case_id"]
        if case_id not in active:
            problems.append(f"Row {number}: case '{case_id}' is not an active case of {sample_id}.")
            continue
        if case_id in seen:
            problems.append(f"Row {number}: case '{case_id}' appears twice.")
            continue
        seen.add(case_id)
        for item in RUBRIC:
            if item.id not in col:
                continue
            given = cell[item.id]
            comment = cell.get(f"{item.id} comment") or None
            cause = cell.get(f"{item.id} cause") or None
            if item.id not in applies[case_id]:
                if given.lower() not in ("", DOES_NOT_APPLY):
                    problems.append(f"Row {number}, column {item.id}: the item does not apply to {case_id}, so it "
                                    f"takes no answer (found '{given}').")
                continue
            if not given:
                continue
            try:
                answer, text = _validate(item.id, given, comment)
                chosen_cause = _cause(item.id, answer, cause)
                if answer is Answer.no and not chosen_cause:
                    raise InvalidReview(f"a \"no\" needs its cause in `{item.id} cause`: one of "
                                        f"{', '.join(DEVIATION_CAUSES)}")
                if answer is Answer.na and not text:
                    raise InvalidReview("\"n/a\" on an item that applies needs a reason in the comment")
            except InvalidReview as exc:
                problems.append(f"Row {number}, column {item.id}: {exc}")
                continue
            before = saved.get((case_id, item.id))
            now = (answer.value, text or "", chosen_cause or "")
            was = ((str(before["answer"]), str(before["comment"] or ""), str(before.get("cause") or ""))
                   if before else None)
            if now != was:
                changes.setdefault(case_id, {})[item.id] = (answer.value, text, chosen_cause)
    if problems:
        raise InvalidReview(f"{path.name}: nothing was recorded; fix these and import again:\n"
                            + "\n".join(f"- {p}" for p in problems))
    for case_id, given in changes.items():
        record_reviews(con, user, sample_id, case_id, given)
    return Imported(sample_id, tuple(changes), sum(len(g) for g in changes.values()))

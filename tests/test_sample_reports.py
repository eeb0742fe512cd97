"""The committed demo reports: reproducible, listed in the manifest, and carrying the planted problems."""

from __future__ import annotations

import csv
import re
import tomllib
from datetime import date, datetime
from functools import cache
from pathlib import Path

import openpyxl
import pytest

from sample_reports.generate import generate

ROOT = Path(__file__).resolve().parents[1] / "sample_reports"
BOOL_HEADERS = {"Identiteit geverifieerd", "Klachtrecht gemeld", "Identité vérifiée", "Droit de réclamation notifié"}
DATE_TEXT = re.compile(r"(\d\d)[-/](\d\d)[-/](\d{4})( \d\d:\d\d)?")

BC07, BC08, BC09 = "belcall/belcall_2026-07.csv", "belcall/belcall_2026-08.csv", "belcall/belcall_2026-09.csv"
BC09V2, BC10 = "belcall/belcall_2026-09_v2.csv", "belcall/belcall_2026-10.csv"
AP07, AP08, AP10 = "appelia/appelia_2026-07.xlsx", "appelia/appelia_2026-08.xlsx", "appelia/appelia_2026-10.xlsx"

# (check id, file, case id, expected cells): values normalised by `normal` (dates ISO, booleans yes/no).
PLANTED = [
    ("deadline.late_response", BC08, "BC-260703-01", {"Datum ontvangst": "2026-07-03", "Datum antwoord": "2026-08-20"}),
    ("deadline.late_response", AP08, "APS-260708-001", {"Date de réception": "2026-07-08",
                                                         "Date de réponse": "2026-08-27"}),
    ("deadline.overdue_open", BC10, "BC-260908-01", {"Datum ontvangst": "2026-09-08", "Datum antwoord": ""}),
    ("sla.complaint_late", AP10, "APS-260825-001", {"Date de réception": "2026-08-25", "Type de demande": "Plainte",
                                                    "Date de réponse": ""}),
    ("deadline.due_soon", BC10, "BC-261001-01", {"Datum ontvangst": "2026-10-01", "Datum antwoord": ""}),
    ("deadline.due_soon", AP10, "APS-261005-001", {"Date de réception": "2026-10-05", "Date de réponse": ""}),
    ("extension.late_notice", BC09, "BC-260706-01", {"Datum ontvangst": "2026-07-06",
                                                     "Verlenging gemeld op": "2026-08-19"}),
    ("extension.no_reason", BC08, "BC-260804-01", {"Verlenging gemeld op": "2026-08-21", "Reden verlenging": ""}),
    ("extension.no_reason", AP07, "APS-260713-001", {"Prolongation notifiée le": "2026-07-30",
                                                     "Motif de prolongation": ""}),
    ("refusal.no_complaint_notice", BC08, "BC-260812-01", {"Resultaat": "Geweigerd", "Klachtrecht gemeld": "no"}),
    ("refusal.no_complaint_notice", AP10, "APS-261007-001", {"Résultat": "Refusé",
                                                             "Droit de réclamation notifié": "no"}),
    ("refusal.no_reason", BC09, "BC-260903-01", {"Resultaat": "Gedeeltelijk", "Reden weigering": ""}),
    ("refusal.no_reason", AP08, "APS-260806-001", {"Résultat": "Refusé", "Motif du refus": ""}),
    ("identity.not_verified", BC07, "BC-260715-01", {"Soort verzoek": "Inzage", "Resultaat": "Uitgevoerd",
                                                     "Identiteit geverifieerd": "no"}),
    ("identity.not_verified", AP10, "APS-261008-001", {"Type de demande": "Portabilité", "Résultat": "Accordé",
                                                       "Identité vérifiée": "no"}),
    ("identity.disproportionate", BC08, "BC-260804-02", {"Identificatie gevraagd op": "2026-08-05"}),
    ("identity.disproportionate", AP07, "APS-260720-001", {"Identification demandée le": "2026-07-20"}),
    ("identity.late_request", BC09, "BC-260901-01", {"Datum ontvangst": "2026-09-01",
                                                     "Identificatie gevraagd op": "2026-09-14"}),
    ("sla.forwarding_late", BC07, "BC-260708-01", {"Datum ontvangst": "2026-07-08", "Doorgestuurd op": "2026-07-16"}),
    ("sla.forwarding_late", AP10, "APS-261013-001", {"Date de réception": "2026-10-13", "Transmis le": "2026-10-23"}),
    ("sla.answered_without_authorisation", BC08, "BC-260817-01", {"Doorgestuurd op": "",
                                                                  "Datum antwoord": "2026-08-26"}),
    ("sla.forwarding_late", AP07, "APS-260722-001", {"Transmis le": "",
                                                                    "Date de réponse": "2026-07-24"}),
    ("sla.escalation_missing", BC09, "BC-260916-01", {"Soort verzoek": "Klacht", "Geëscaleerd op": ""}),
    ("sla.escalation_missing", AP10, "APS-261014-001", {"Type de demande": "Effacement", "Escaladé le": ""}),
    ("sla.escalation_late", BC08, "BC-260803-01", {"Datum ontvangst": "2026-08-03", "Geëscaleerd op": "2026-08-14"}),
    ("sla.escalation_late", AP07, "APS-260706-001", {"Date de réception": "2026-07-06",
                                                     "Escaladé le": "2026-07-17"}),
    ("marketing.optout_not_effective", BC09, "BC-260907-01", {"Uitgeschreven op": "",
                                                              "Datum antwoord": "2026-09-08"}),
    ("marketing.optout_not_effective", BC10, "BC-261005-01", {"Datum ontvangst": "2026-10-05",
                                                              "Uitgeschreven op": "2026-10-19"}),
    ("marketing.optout_not_effective", AP08, "APS-260810-001", {"Date de réception": "2026-08-10",
                                                                "Désinscrit le": "2026-08-28"}),
    ("repeat.same_request", BC09, "BC-260922-01", {"Klantnummer": "KL-118204"}),
    ("repeat.same_request", AP10, "APS-261012-001", {"Numéro client": "CL-53317", "Type de demande": "Accès"}),
    ("training.not_current", AP07, "APS-260714-001", {"Conseiller": "p.renard"}),
    ("training.agent_unknown", AP10, "APS-261019-001", {"Conseiller": "y.benali"}),
    ("report.history_changed", BC08, "BC-260824-01", {"Datum ontvangst": "2026-08-24"}),
    ("report.history_changed", BC09V2, "BC-260824-01", {"Datum ontvangst": "2026-09-02"}),
]


def normal(header: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    text = str(value).strip()
    if match := DATE_TEXT.fullmatch(text):
        return f"{match[3]}-{match[2]}-{match[1]}"
    if header in BOOL_HEADERS and text:
        return "yes" if text.lower() in ("ja", "j", "oui") else "no"
    return text


@cache
def raw_lines(name: str) -> tuple[list[str], ...]:
    text = (ROOT / name).read_bytes().decode("cp1252")
    return tuple(csv.reader(text.split("\r\n")[:-1], delimiter=";"))


@cache
def cases(name: str) -> tuple[dict[str, str], ...]:
    """The case rows of a report as header -> normalised value (no blank or total rows)."""
    if name.endswith(".csv"):
        header, *rows = raw_lines(name)[3:]
        rows = [row for row in rows if any(row) and row[0] != "Totaal"]
    else:
        sheet = openpyxl.load_workbook(ROOT / name)["Dossiers"]
        header, *rows = [list(row) for row in sheet.iter_rows(min_row=4, values_only=True)]
    return tuple({h: normal(h, v) for h, v in zip(header, row, strict=True)} for row in rows)


def by_id(name: str) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    for row in cases(name):
        found.setdefault(next(iter(row.values())), []).append(row)
    return found


@cache
def summary(name: str) -> dict[str, object]:
    return dict(openpyxl.load_workbook(ROOT / name)["Résumé"].iter_rows(values_only=True))


def workbook_content(path: Path) -> tuple[dict[str, list[tuple[object, ...]]], tuple[object, object]]:
    """Cell values per sheet, and the (created, modified) properties, fixed by the generator."""
    wb = openpyxl.load_workbook(path)
    values = {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    return values, (wb.properties.created, wb.properties.modified)


def test_regenerating_gives_the_committed_files(tmp_path: Path) -> None:
    written = generate(tmp_path)
    assert {p.relative_to(tmp_path).as_posix() for p in written} >= {BC07, BC09V2, AP10, "manifest.toml"}
    for path in written:
        committed = ROOT / path.relative_to(tmp_path)
        if path.suffix == ".xlsx":
            (values, stamps), (committed_values, committed_stamps) = map(workbook_content, (path, committed))
            assert values == committed_values, committed.name
            assert stamps == committed_stamps and stamps[0] == stamps[1]
        else:
            assert path.read_bytes() == committed.read_bytes(), committed.name


def test_manifest_lists_existing_files_in_load_order() -> None:
    reports = tomllib.loads((ROOT / "manifest.toml").read_text(encoding="utf-8"))["report"]
    files = [report["file"] for report in reports]
    assert all((ROOT / file).is_file() for file in files)
    assert files.index(BC09) < files.index(BC09V2)
    assert not any("appelia_2026-09" in file for file in files)  # report.missing
    for report in reports:
        # Every report says the day it reached the controller (issue 12 §2: never the processor's own date).
        submitted = date.fromisoformat(report["submitted_on"])
        if report["file"] == BC09V2:
            assert submitted == date(2026, 10, 14)  # a correction after day 10: report.corrected_late
        elif report["file"].endswith(".csv"):
            assert report["processor"] == "Belcall Antwerpen BV" and 3 <= submitted.day <= 9
        else:
            assert "period" not in report  # from the Résumé sheet


@pytest.mark.parametrize(("check", "file", "case_id", "expected"), PLANTED,
                         ids=[f"{p[0]}:{p[2]}" for p in PLANTED])
def test_planted_problem_is_in_the_file(check: str, file: str, case_id: str, expected: dict[str, str]) -> None:
    rows = by_id(file)[case_id]
    assert len(rows) == 1
    assert {header: rows[0][header] for header in expected} == expected


def test_belcall_csv_is_excel_on_a_belgian_pc() -> None:
    data = (ROOT / BC10).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert data.count(b"\r\n") == data.count(b"\n") and "Geëscaleerd op".encode("cp1252") in data
    lines = raw_lines(BC10)
    assert lines[0][0].startswith("Maandrapport privacyverzoeken") and lines[1][0] == "Periode: oktober 2026"
    assert lines[2] == [] and lines[3][0] == "Dossiernummer"
    assert [""] * len(lines[3]) in lines[4:]  # a blank row inside the data
    assert lines[-1][0] == "Totaal" and int(lines[-1][1]) == len(cases(BC10))


def test_appelia_report_level_problems() -> None:
    assert summary(AP08)["Date d'envoi"] == datetime(2026, 9, 15)  # report.late
    assert summary(AP07)["Nombre de dossiers"] == len(cases(AP07))
    assert summary(AP10)["Nombre de dossiers"] == len(cases(AP10)) + 3  # report.totals_mismatch
    assert summary(AP10)["Période"] == "2026-10" and "Priorité" in cases(AP10)[0]


def test_training_roster_is_outdated_and_incomplete() -> None:
    roster = {row[0]: row[1] for row in openpyxl.load_workbook(ROOT / AP10)["Formation"].iter_rows(
        min_row=2, values_only=True)}
    assert "y.benali" not in roster and any(row["Conseiller"] == "y.benali" for row in cases(AP10))
    renard = [date.fromisoformat(row["Date de réception"]) for row in cases(AP07) if row["Conseiller"] == "p.renard"]
    assert renard and all((received - roster["p.renard"].date()).days > 365 for received in renard)


def test_case_dropped_from_september_and_back_in_october() -> None:
    assert by_id(BC08)["BC-260818-01"][0]["Datum antwoord"] == ""
    assert "BC-260818-01" not in by_id(BC09) and "BC-260818-01" not in by_id(BC09V2)
    assert by_id(BC10)["BC-260818-01"][0]["Datum antwoord"] == "2026-10-06"


def test_quarantinable_rows_in_belcall_reports() -> None:
    july = by_id(BC07)
    assert len(july["BC-260720-01"]) == 2 and july["BC-260720-01"][0] == july["BC-260720-01"][1]
    assert len(july["BC-260722-01"]) == 2 and july["BC-260722-01"][0] != july["BC-260722-01"][1]
    september = by_id(BC09V2)
    assert september["BC-260914-01"][0]["Datum ontvangst"] == "2026-02-31"  # 31/02/2026 in the file
    assert september["BC-260915-01"][0]["Soort verzoek"] == "Adreswijziging"
    assert len(september[""]) == 1
    dated_before = by_id(BC10)["BC-261014-01"][0]
    assert dated_before["Datum antwoord"] < dated_before["Datum ontvangst"]


def test_september_resubmission_adds_two_cases_and_fixes_one_date() -> None:
    first, second = by_id(BC09), by_id(BC09V2)
    assert set(second) - set(first) == {"BC-260928-01", "BC-260929-01"} and set(first) <= set(second)
    assert first["BC-260910-01"][0]["Datum antwoord"] == "2026-09-12"
    assert second["BC-260910-01"][0]["Datum antwoord"] == "2026-09-21"


def test_repeat_requests_span_several_reports() -> None:
    opt_outs = {row["Dossiernummer"] for file in (BC07, BC08, BC09V2) for row in cases(file)
                if row["Klantnummer"] == "KL-118204"}
    assert opt_outs == {"BC-260709-01", "BC-260811-01", "BC-260922-01"}
    access = {row["N° dossier"] for file in (AP08, AP10) for row in cases(file)
              if row["Numéro client"] == "CL-53317" and row["Type de demande"] == "Accès"}
    assert access == {"APS-260803-001", "APS-261012-001"}

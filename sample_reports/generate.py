"""Write the committed demo reports: `python -m sample_reports.generate [--out DIR]`.

Deterministic: the same code gives the same files (CSV byte for byte; xlsx cell for cell, and in
practice byte for byte, since zip entry times and document properties are fixed too).
What is planted where is listed in README.md; the simulation lives in cases/scenario/planted.py.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.writer.excel import ExcelWriter

from sample_reports.cases import Case, is_listed, snapshot
from sample_reports.planted import appelia_cases, belcall_cases
from sample_reports.profiles import APPELIA, APPELIA_ROSTER, BELCALL
from sample_reports.scenario import CaseIds, Customers, Profile, background

SEED = 20261128
HERE = Path(__file__).resolve().parent
SIMULATION = (date(2026, 6, 15), date(2026, 10, 31))  # June cases feed the July report's carry-over
FIXED_ZIP_TIME = (2026, 11, 28, 9, 0, 0)


@dataclass(frozen=True)
class Report:
    profile: Profile
    period: str
    file: str
    submitted_on: date
    version: str = ""
    note: str = ""
    declared_off_by: int = 0  # Appelia October declares a total that is not its row count

    @property
    def tags(self) -> set[str]:
        return {self.period, f"{self.period}_{self.version}"} if self.version else {self.period}


REPORTS = (
    Report(BELCALL, "2026-07", "belcall/belcall_2026-07.csv", date(2026, 8, 6),
           note="exact duplicate row BC-260720-01 (skipped) and conflicting duplicate BC-260722-01"),
    Report(APPELIA, "2026-07", "appelia/appelia_2026-07.xlsx", date(2026, 8, 7),
           note="training roster: p.renard last trained 22-04-2025"),
    Report(BELCALL, "2026-08", "belcall/belcall_2026-08.csv", date(2026, 9, 4)),
    Report(APPELIA, "2026-08", "appelia/appelia_2026-08.xlsx", date(2026, 9, 15),
           note="submitted late: 15-09-2026, after day 10"),
    Report(BELCALL, "2026-09", "belcall/belcall_2026-09.csv", date(2026, 10, 5), version="v1",
           note="drops open case BC-260818-01; 3 quarantinable rows; misses 2 cases added in v2"),
    Report(BELCALL, "2026-09", "belcall/belcall_2026-09_v2.csv", date(2026, 10, 14), version="v2",
           note="resubmission after day 10: adds BC-260928-01 and BC-260929-01, answer of BC-260910-01 12-09 -> "
                "21-09"),
    Report(BELCALL, "2026-10", "belcall/belcall_2026-10.csv", date(2026, 11, 5)),
    Report(APPELIA, "2026-10", "appelia/appelia_2026-10.xlsx", date(2026, 11, 6), declared_off_by=3,
           note="no September report before it; Résumé declares 3 cases more than the sheet holds"),
)

MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
             "oktober", "november", "december")
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre")

# (header, canonical field): the headers are aliases from docs/report-format.md.
NL_COLUMNS = (
    ("Dossiernummer", "case_id"), ("Datum ontvangst", "received_on"), ("Soort verzoek", "request_type"),
    ("Kanaal", "channel"), ("Klantnummer", "subject"), ("Identiteit geverifieerd", "identity_verified"),
    ("Identificatie gevraagd op", "id_requested_on"), ("Identificatie ontvangen op", "id_received_on"),
    ("Doorgestuurd op", "forwarded_on"), ("Geëscaleerd op", "escalated_on"),
    ("Geëscaleerd naar", "escalated_to"), ("Verlenging gemeld op", "extension_notified_on"),
    ("Reden verlenging", "extension_reason"), ("Datum antwoord", "responded_on"), ("Resultaat", "outcome"),
    ("Reden weigering", "refusal_reason"), ("Klachtrecht gemeld", "complaint_right_notified"),
    ("Rechtsmiddel gemeld", "judicial_remedy_notified"),
    ("Uitgeschreven op", "suppressed_on"), ("Medewerker", "agent"), ("Taal", "language"),
    ("Notities", "summary"),
)
FR_COLUMNS = (
    ("N° dossier", "case_id"), ("Date de réception", "received_on"), ("Type de demande", "request_type"),
    ("Canal", "channel"), ("Numéro client", "subject"), ("Identité vérifiée", "identity_verified"),
    ("Identification demandée le", "id_requested_on"), ("Identification reçue le", "id_received_on"),
    ("Transmis le", "forwarded_on"), ("Escaladé le", "escalated_on"), ("Escaladé vers", "escalated_to"),
    ("Prolongation notifiée le", "extension_notified_on"), ("Motif de prolongation", "extension_reason"),
    ("Date de réponse", "responded_on"), ("Résultat", "outcome"), ("Motif du refus", "refusal_reason"),
    ("Droit de réclamation notifié", "complaint_right_notified"),
    ("Recours juridictionnel notifié", "judicial_remedy_notified"), ("Désinscrit le", "suppressed_on"),
    ("Conseiller", "agent"), ("Langue", "language"), ("Commentaire", "summary"),
    ("Priorité", "priority"),  # not a format field: the tool must keep it as an extra
)
# Several words mean the same type; a case keeps one of them (chosen from its id) in every report.
NL_VALUES: dict[str, dict[str, tuple[str, ...]]] = {
    "request_type": {
        "access": ("Inzage",), "rectification": ("Correctie",), "erasure": ("Verwijdering",),
        "restriction": ("Beperking",), "portability": ("Overdraagbaarheid",), "objection": ("Bezwaar",),
        "marketing_opt_out": ("Uitschrijving", "Bel-me-niet", "Afmelding"),
        "consent_withdrawal": ("Intrekking toestemming",), "complaint": ("Klacht",), "other": ("Overige",)},
    "channel": {"phone": ("Telefoon",), "email": ("E-mail",), "web": ("Webformulier",), "letter": ("Brief",),
                "chat": ("Chat",)},
    "outcome": {"fulfilled": ("Uitgevoerd",), "partially_fulfilled": ("Gedeeltelijk",),
                "refused": ("Geweigerd",), "no_data": ("Geen gegevens",), "withdrawn": ("Ingetrokken",),
                "identity_not_confirmed": ("Identiteit niet bevestigd",)},
    "escalated_to": {"dpo": ("DPO",), "legal": ("Legal",), "controller": ("Controller",)},
}
FR_VALUES: dict[str, dict[str, tuple[str, ...]]] = {
    "request_type": {
        "access": ("Accès",), "rectification": ("Rectification",), "erasure": ("Effacement",),
        "restriction": ("Limitation",), "portability": ("Portabilité",), "objection": ("Opposition",),
        "marketing_opt_out": ("Désinscription", "Opposition prospection"),
        "consent_withdrawal": ("Retrait du consentement",), "complaint": ("Plainte", "Réclamation"),
        "other": ("Autre",)},
    "channel": {"phone": ("Téléphone",), "email": ("Courriel",), "web": ("Formulaire",),
                "letter": ("Courrier",), "chat": ("Chat",)},
    "outcome": {"fulfilled": ("Accordé",), "partially_fulfilled": ("Partiel",), "refused": ("Refusé",),
                "no_data": ("Aucune donnée",), "withdrawn": ("Retiré",),
                "identity_not_confirmed": ("Identité non confirmée",)},
    "escalated_to": NL_VALUES["escalated_to"],
}


def word(vocab: dict[str, dict[str, tuple[str, ...]]], name: str, value: str, case_id: str) -> str:
    if value not in vocab[name]:
        return value  # a raw planted value such as "Adreswijziging"
    words = vocab[name][value]
    return words[zlib.crc32(case_id.encode()) % len(words)]


def belcall_cell(row: dict[str, object], name: str) -> str:
    value = row[name]
    if value is None or (isinstance(value, str) and name not in NL_VALUES):
        return value or ""
    if isinstance(value, bool):
        return ("ja" if value else "nee") if row["bool_style"] == "long" else ("J" if value else "N")
    if isinstance(value, date):
        text = value.strftime("%d/%m/%Y" if row["date_style"] == "slash" else "%d-%m-%Y")
        if name == "received_on" and row["received_time"]:
            text += " " + row["received_time"].strftime("%H:%M")  # type: ignore[attr-defined]
        return text
    return word(NL_VALUES, name, str(value), str(row["case_id"]))


def belcall_csv(report: Report, rows: Sequence[dict[str, object]]) -> bytes:
    """Excel-on-a-Belgian-PC CSV: `;`, Windows-1252, CRLF, title lines, a blank row, a total row."""
    width = len(NL_COLUMNS)
    month = MONTHS_NL[int(report.period[5:]) - 1]
    period_line = f"Periode: {month} {report.period[:4]}"
    if report.version == "v2":
        period_line += " – gecorrigeerde versie"
    lines: list[list[str]] = [
        ["Maandrapport privacyverzoeken – Belcall Antwerpen BV"] + [""] * (width - 1),
        [period_line] + [""] * (width - 1),
        [],  # a truly empty line, as when the title block was typed by hand
        [header for header, _ in NL_COLUMNS],
    ]
    data = [[belcall_cell(row, name) for _, name in NL_COLUMNS] for row in rows]
    middle = len(data) // 2
    lines += [*data[:middle], [""] * width, *data[middle:]]  # an empty spreadsheet row left in
    lines.append(["Totaal", str(len(data))] + [""] * (width - 2))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(lines)
    return buffer.getvalue().encode("cp1252")


def appelia_cell(row: dict[str, object], name: str) -> object:
    value = row[name]
    if value is None:
        return None
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, date):
        if row["date_style"] == "slash":  # a handful of dates typed as text in the sheet
            return value.strftime("%d/%m/%Y")
        return datetime(value.year, value.month, value.day)
    if name in FR_VALUES:
        return word(FR_VALUES, name, str(value), str(row["case_id"]))
    return value


def dated(ws_cell: object, value: object) -> None:
    if isinstance(value, datetime):
        ws_cell.number_format = "DD/MM/YYYY"  # type: ignore[attr-defined]


def appelia_workbook(report: Report, rows: Sequence[dict[str, object]]) -> Workbook:
    wb = Workbook()
    cases = wb.active
    cases.title = "Dossiers"
    width = len(FR_COLUMNS)
    cases.cell(1, 1, "Rapport mensuel — demandes RGPD").font = Font(bold=True, size=14)
    cases.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    month = MONTHS_FR[int(report.period[5:]) - 1]
    cases.cell(2, 1, f"Période : {month} {report.period[:4]} — {APPELIA.name}")
    for col, (header, _) in enumerate(FR_COLUMNS, start=1):
        cases.cell(4, col, header).font = Font(bold=True)
    for r, row in enumerate(rows, start=5):
        for col, (_, name) in enumerate(FR_COLUMNS, start=1):
            value = appelia_cell(row, name)
            dated(cases.cell(r, col, value), value)
    roster = wb.create_sheet("Formation")
    roster.append(["Conseiller", "Date de formation", "Confidentialité signée"])
    for agent, trained, signed in APPELIA_ROSTER:
        roster.append([agent, datetime.combine(trained, datetime.min.time()),
                       datetime.combine(signed, datetime.min.time()) if signed else None])
    for cell in (*roster["B"], *roster["C"]):
        dated(cell, cell.value)
    summary = wb.create_sheet("Résumé")
    for label, value in (("Prestataire", APPELIA.name), ("Période", report.period),
                         ("Date d'envoi", datetime.combine(report.submitted_on, datetime.min.time())),
                         ("Nombre de dossiers", len(rows) + report.declared_off_by)):
        summary.append([label, value])
        dated(summary.cell(summary.max_row, 2), value)
    sent = datetime.combine(report.submitted_on, datetime.min.time()) + timedelta(hours=9)
    wb.properties.creator = wb.properties.lastModifiedBy = APPELIA.name
    wb.properties.created = wb.properties.modified = sent
    return wb


class FixedTimeZip(zipfile.ZipFile):
    """Zip entries dated at a fixed time, so regenerating gives the same bytes."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):  # type: ignore[no-untyped-def]
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=FIXED_ZIP_TIME)
            zinfo_or_arcname.compress_type = self.compression
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):  # type: ignore[no-untyped-def]
        self.writestr(arcname or str(filename), Path(filename).read_bytes(), compress_type, compresslevel)


def save_xlsx(wb: Workbook, path: Path) -> None:
    # openpyxl's save() stamps "modified" with the current time; its writer keeps our fixed value.
    with FixedTimeZip(path, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()


def simulate(profile: Profile, plant: Callable[[CaseIds, Customers], list[Case]]) -> list[Case]:
    rng = random.Random(f"{SEED}-{profile.key}")
    ids, customers = CaseIds(profile), Customers(rng, profile)
    cases = plant(ids, customers) + background(rng, profile, ids, customers, *SIMULATION)
    return sorted(cases, key=lambda case: (case.received_on, case.case_id))


def report_rows(cases: Sequence[Case], report: Report) -> list[dict[str, object]]:
    tags = report.tags
    return [row for case in cases if is_listed(case, report.period, tags)
            for row in snapshot(case, report.period, tags)]


def manifest(reports: Sequence[Report]) -> str:
    lines = ["# Demo reports in the order the demo loads them. Written by sample_reports/generate.py.",
             "# Appelia's period comes from each workbook's Résumé sheet. submitted_on is the day the file reached",
             "# the controller (the Résumé's own date is only declared by the processor, and kept beside it)."]
    for report in reports:
        lines += ["", "[[report]]", f'file = "{report.file}"', f'processor = "{report.profile.name}"']
        if report.file.endswith(".csv"):
            lines.append(f'period = "{report.period}"')
        lines.append(f'submitted_on = "{report.submitted_on.isoformat()}"')
        if report.note:
            lines.append(f'note = "{report.note}"')
    return "\n".join(lines) + "\n"


def generate(out: Path) -> list[Path]:
    simulated = {BELCALL.key: simulate(BELCALL, belcall_cases), APPELIA.key: simulate(APPELIA, appelia_cases)}
    written = []
    for report in REPORTS:
        path = out / report.file
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = report_rows(simulated[report.profile.key], report)
        if report.profile is BELCALL:
            path.write_bytes(belcall_csv(report, rows))
        else:
            save_xlsx(appelia_workbook(report, rows), path)
        written.append(path)
    (out / "manifest.toml").write_text(manifest(REPORTS), encoding="utf-8", newline="\n")
    return [*written, out / "manifest.toml"]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: sample_reports/)")
    args = parser.parse_args(argv)
    for path in generate(args.out):
        print(path)


if __name__ == "__main__":
    main()

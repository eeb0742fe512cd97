"""Small real report files for the rule tests: a CSV written as a processor would send it, ingested through the
real reader, mapping and validation, then checked. A rule test shows the rule firing on the case it is about and
not on a clean neighbour, from the file up."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import duckdb

from ingest.service import ingest_report
from store.identity import ROLES, User
from tests.checkkit import Found, run

ROOT = Path(__file__).resolve().parents[1]
OFFICER = User("olivia", ROLES)
PROCESSOR = "Testcall BV"
HEADERS = {  # canonical field → the header a processor writes (an alias the format knows)
    "case_id": "Case ID", "received_on": "Received", "request_type": "Request type", "channel": "Channel",
    "data_subject_ref": "Customer ID", "identity_verified": "ID verified", "id_requested_on": "ID requested on",
    "id_received_on": "ID received on", "forwarded_on": "Forwarded on", "escalated_on": "Escalated on",
    "escalated_to": "Escalated to", "extension_notified_on": "Extension notified on",
    "extension_reason": "Extension reason", "responded_on": "Answered on", "closed_on": "Closed on",
    "outcome": "Outcome", "refusal_reason": "Refusal reason", "complaint_right_notified": "SA notice",
    "judicial_remedy_notified": "Judicial remedy notified", "suppressed_on": "Suppressed on", "agent_id": "Agent",
}
ROSTER_HEADERS = {"agent_id": "Agent", "trained_on": "Training date",
                  "confidentiality_signed_on": "Confidentiality signed"}


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":  # ISO in the test, day-first in the file
        return f"{text[8:]}/{text[5:7]}/{text[:4]}"
    return text


def write_report(folder: Path, name: str, cases: list[dict[str, object]], *, columns: Iterable[str] = ()) -> Path:
    """Write `cases` (canonical field → value, ISO dates) as a `;`-separated CSV with English headers.

    The columns are those any case uses, plus `columns`, in the order of HEADERS.
    """
    used = set(columns) | {k for case in cases for k in case}
    fields = [f for f in HEADERS if f in used]
    lines = [";".join(HEADERS[f] for f in fields)]
    lines += [";".join(_cell(case.get(f)) for f in fields) for case in cases]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_workbook(folder: Path, name: str, cases: list[dict[str, object]],
                   roster: list[dict[str, object]]) -> Path:
    """Write an xlsx report with a cases sheet and a training roster sheet."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Cases"
    fields = [f for f in HEADERS if any(f in case for case in cases)]
    sheet.append([HEADERS[f] for f in fields])
    for case in cases:
        sheet.append([_cell(case.get(f)) for f in fields])
    staff = book.create_sheet("Training")
    columns = [f for f in ROSTER_HEADERS if any(f in r for r in roster)] or list(ROSTER_HEADERS)[:2]
    staff.append([ROSTER_HEADERS[f] for f in columns])
    for r in roster:
        staff.append([_cell(r.get(f)) for f in columns])
    path = folder / name
    book.save(path)
    return path


def check_file(con: duckdb.DuckDBPyConnection, key_path: Path, path: Path, period: str, *,
               as_of: str | None = None, submitted_on: date | None = None, processor: str = PROCESSOR,
               quarantined: int = 0, controller_country: str | None = None) -> Found:
    """Ingest the file as the processor's report for `period` and run every check on it (statutory deadlines over
    `controller_country`'s holidays, as the configuration's ``[controller] country`` gives them).

    The file must load with exactly `quarantined` rows quarantined, so that a case a test is about is never
    silently left out by a typo in its dates.
    """
    year, month = map(int, period.split("-"))
    result = ingest_report(con, path, user=OFFICER, key_path=key_path, processor=processor, period=period,
                           submitted_on=submitted_on or date(year + month // 12, month % 12 + 1, 5))
    assert result.rows_quarantined == quarantined, result.parts
    return run(con, processor=processor, period=period, as_of=as_of, controller_country=controller_country)


def contracts_with(folder: Path, replacements: dict[str, str]) -> Path:
    """A copy of the shipped contract profiles whose default profile has these text replacements; point
    $OVERSIGHT_CONTRACTS at the returned folder."""
    target = folder / "contracts"
    shutil.copytree(ROOT / "contracts", target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    default = target / "default.toml"
    text = default.read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    default.write_text(text, encoding="utf-8")
    return target

"""The letters to a processor (issue 15 item 5; docs/letters.md): the findings letter and the escalation ladder.

A letter is a document a legal team would send, in the processor's language (its register entry's `language`, else
English; `--language` overrides), as an editable .docx or a PDF. Its content is built by exports/letter_doc.py and
drawn by exports/letter_docx.py or exports/letter_pdf.py; each letter sent is stored with its SHA-256 in `letters`
and in its audit event (exports/letter_store.py). They replace the .xlsx/.csv letter of earlier versions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from checks.contract import profile_for_processor
from exports.errors import UnsupportedFormat
from exports.letter_doc import Addressee, Letter, Signer, escalation_letter, findings_letter
from exports.letter_docx import docx_bytes
from exports.letter_pdf import pdf_bytes
from exports.letter_store import SentLetter, earlier_letters, letter_content, list_letters, next_letter_id, store_letter
from exports.scope import Scope, file_slug, resolve_scope
from exports.sheets_findings import list_for
from findings import escalation
from findings.queries import get_finding
from i18n import DEFAULT_LANGUAGE, LANGUAGES, UnknownLanguage, language_code
from store.db import rows
from store.identity import User, require
from store.scope import require_processor

__all__ = ["FORMATS", "PERMISSION", "SEND_PERMISSION", "SentLetter", "escalate", "export_letter", "letter_bytes",
           "letter_content", "letter_file_name", "list_letters", "open_findings", "processor_language"]

PERMISSION = "export a findings letter"
SEND_PERMISSION = "send a letter"  # an escalation step (store/identity.py)
FORMATS = ("docx", "pdf")
_RENDER = {"docx": docx_bytes, "pdf": pdf_bytes}
MIME = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "pdf": "application/pdf"}
# The findings as rows (finding_id ... response_text): what the letter covers, for the pages and the tests.
LETTER_COLUMNS = ["finding_id", "period", "clause", "clause_title", "title", "description", "severity", "status",
                  "case_ids", "due_on", "overdue", "response", "response_text"]


def letter_file_name(processor: str, fmt: str, as_of: date, kind: str = "findings") -> str:
    """The letter's suggested file name, e.g. findings-letter_Belcall-Antwerpen-BV_2026-11-28.docx."""
    return f"{kind.replace('_', '-')}-letter_{file_slug(processor)}_{as_of.isoformat()}.{fmt}"


def _format(fmt: str | None, out_path: Path | None) -> str:
    chosen = (fmt or (out_path.suffix.lstrip(".") if out_path else "docx")).lower()
    if chosen not in FORMATS:
        raise UnsupportedFormat(f"A letter is written as .docx (editable) or .pdf, not '{chosen}'; the .xlsx and "
                                ".csv letters are replaced. Give a file name ending in .docx or .pdf.")
    return chosen


def processor_language(con: duckdb.DuckDBPyConnection, processor: str, language: str | None = None) -> str:
    """The letter's language: the one asked for, else the register's for the processor, else English."""
    if language:
        return language_code(language)
    found = rows(con, "SELECT language FROM processors WHERE name = ?", [processor])
    try:
        return language_code(found[0]["language"]) if found and found[0]["language"] else DEFAULT_LANGUAGE
    except UnknownLanguage:
        return DEFAULT_LANGUAGE  # a register language we have no catalog for: English, which every party reads


def _addressee(con: duckdb.DuckDBPyConnection, processor: str) -> Addressee:
    found = rows(con, "SELECT name, contacts FROM processors WHERE name = ?", [processor])
    return Addressee(processor, tuple(str(c) for c in (found[0]["contacts"] or ()))) if found else Addressee(processor)


def open_findings_of(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date) -> list[dict[str, object]]:
    """The processor's findings not closed or dismissed, by id, with their case ids."""
    return list_for(con, scope.processor, None, as_of, open_only=True)


def open_findings(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date) -> list[list[object]]:
    """The letter's findings as rows of LETTER_COLUMNS (clause title from the profile, case ids joined)."""
    clauses = profile_for_processor(con, scope.processor).clauses
    out = []
    for f in open_findings_of(con, scope, as_of):
        clause = clauses.get(str(f["clause"]))
        values = {**f, "clause_title": clause.title if clause else "", "case_ids": ", ".join(f["case_ids"])}
        out.append([values[c] for c in LETTER_COLUMNS])
    return out


def _anchor(con: duckdb.DuckDBPyConnection) -> tuple[int, str] | None:
    last = con.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchall()
    return (int(last[0][0]), str(last[0][1])) if last else None


def _start(con: duckdb.DuckDBPyConnection, user: User, processor: str, permission: str) -> tuple[str, Scope]:
    require_processor(user, processor, "processor")  # another processor's name reads as unknown to a processor user
    role = require(user, permission)
    return role, resolve_scope(con, processor)


def _findings_letter(con: duckdb.DuckDBPyConnection, user: User, processor: str, fmt: str, language: str | None,
                     as_of: date | None, out_path: Path | None) -> tuple[SentLetter, bytes]:
    role, scope = _start(con, user, processor, PERMISSION)
    today = as_of or datetime.now(UTC).date()
    lang = processor_language(con, scope.processor, language)
    letter_id = next_letter_id(con, today)
    found = open_findings_of(con, scope, today)
    letter = findings_letter(language=lang, reference=letter_id, addressee=_addressee(con, scope.processor),
                             profile=profile_for_processor(con, scope.processor), findings=found, today=today,
                             signer=Signer(user.name, role), anchor=_anchor(con))
    data = _RENDER[fmt](letter)
    name = out_path.name if out_path is not None else letter_file_name(scope.processor, fmt, today)
    sent = store_letter(con, user=user, role=role, action="export.letter", letter_id=letter_id,
                        processor=scope.processor, kind="findings", finding_ids=list(letter.finding_ids),
                        language=lang, fmt=fmt, file_name=name, data=data, out_path=out_path)
    return sent, data


def export_letter(con: duckdb.DuckDBPyConnection, user: User, processor: str, out_path: Path,
                  fmt: str | None = None, *, language: str | None = None, as_of: date | None = None) -> SentLetter:
    """Write the processor's findings letter (.docx or .pdf, from `fmt` else the file's suffix), store it, audit it."""
    out_path = Path(out_path)
    sent, _ = _findings_letter(con, user, processor, _format(fmt, out_path), language, as_of, out_path)
    return sent


def letter_bytes(con: duckdb.DuckDBPyConnection, user: User, processor: str, fmt: str = "docx", *,
                 language: str | None = None, as_of: date | None = None) -> bytes:
    """The findings letter as bytes (for a download button), stored and audited as when written to a file."""
    _, data = _findings_letter(con, user, processor, _format(fmt, None), language, as_of, None)
    return data


def escalate(con: duckdb.DuckDBPyConnection, user: User, finding_id: str, step: str, out_path: Path | None = None,
             fmt: str | None = None, *, language: str | None = None, as_of: date | None = None) -> SentLetter:
    """Send the next step of a finding's escalation ladder as a dated letter: stored, hashed, audited as
    `letter.sent`, and appended to the finding's history (findings/escalation.py says which step may come)."""
    chosen = _format(fmt, Path(out_path) if out_path is not None else None)
    finding = escalation.check_step(con, user, finding_id, step)  # scope first: another's finding is not found
    processor = str(finding["processor"])
    role, scope = _start(con, user, processor, SEND_PERMISSION)
    today = as_of or datetime.now(UTC).date()
    lang = processor_language(con, processor, language)
    rung = escalation.step_named(step)
    answer_by = today + timedelta(days=rung.answer_days) if rung.answer_days is not None else None
    letter_id = next_letter_id(con, today)
    shown = get_finding(con, finding_id, as_of=today)
    letter: Letter = escalation_letter(
        language=lang, reference=letter_id, addressee=_addressee(con, processor),
        profile=profile_for_processor(con, processor), finding=shown, step=rung,
        earlier=earlier_letters(con, finding_id), today=today, answer_by=answer_by, signer=Signer(user.name, role),
        anchor=_anchor(con))
    data = _RENDER[chosen](letter)
    name = out_path.name if out_path is not None else letter_file_name(scope.processor, chosen, today, step)

    def history(tx: duckdb.DuckDBPyConnection, digest: str) -> None:
        escalation.record_step(tx, user=user.name, role=role, finding=finding, step=step, letter_id=letter_id,
                               sha256=digest, answer_by=answer_by.isoformat() if answer_by else None)

    return store_letter(con, user=user, role=role, action="letter.sent", letter_id=letter_id, processor=processor,
                        kind=step, finding_ids=[finding_id], language=lang, fmt=chosen, file_name=name, data=data,
                        out_path=Path(out_path) if out_path is not None else None, extra=history)


LANGUAGE_CHOICES = LANGUAGES  # for the CLI's help

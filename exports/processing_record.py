"""This tool's own entry in the controller's record of processing activities (GDPR Art. 30(1)), as .docx or .md.

Art. 30(1) lists what the entry holds: (a) the controller and the DPO, (b) the purposes, (c) the categories of data
subjects and of personal data, (d) the recipients, (f) the time limits for erasure, (g) the security measures of
Art. 32(1). The values come from the configuration (`[retention]` periods, `[controller] country`, the roles in use)
and from how the tool works (docs/privacy.md explains each choice); what only the organisation knows (names, contact
details) is left as a placeholder in brackets to fill in before filing. Writing it is audited like every export.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from exports.errors import UnsupportedFormat
from exports.output import Produced, record_export
from store.identity import ROLES, Config, User, require

PERMISSION = "write the record of processing"
ACTION = "export.processing_record"
FORMATS = (".docx", ".md")


@dataclass(frozen=True)
class Entry:
    """One heading of the record: the Art. 30(1) point it answers and its lines."""

    heading: str
    article: str
    lines: list[str]


def entries(config: Config) -> list[Entry]:
    """The record's content from the configuration (pure: no database, no clock)."""
    r = config.retention
    country = f" (Member State: {config.controller_country})" if config.controller_country else ""
    roles = sorted({role for roles in config.users.values() for role in roles}) or list(ROLES)
    return [
        Entry("Controller and data protection officer", "Art. 30(1)(a)", [
            f"Controller: [name, address and contact details of the controller]{country}.",
            "Representative (Art. 27), if any: [name and contact details].",
            "Data protection officer: [name and contact details of the DPO].",
            "Processing activity: oversight of a call-centre processor's handling of data subjects' requests "
            "(processor-oversight).",
        ]),
        Entry("Purposes of the processing", "Art. 30(1)(b)", [
            "Verifying that the processor handles data subjects' requests as the processing agreement and GDPR Art. "
            "12 to 22 require (Art. 28(3)(h): audits and inspections), and demonstrating it (Art. 5(2), "
            "accountability).",
            "Monthly checks of the processor's reports, spot checks of sampled cases, findings followed up with the "
            "processor, and the records of these (oversight pack, letters, audit trail).",
            "Lawful basis: Art. 6(1)(c) (the controller's obligations under Art. 5(2), 24 and 28) and Art. 6(1)(f) "
            "(the controller's legitimate interest in supervising its processor).",
        ]),
        Entry("Categories of data subjects", "Art. 30(1)(c)", [
            "Customers who made a request to the call centre (identified only by a keyed pseudonym).",
            "The processor's agents who handled the cases (staff codes; names are pseudonymised).",
            f"Users of this tool (names, e-mail addresses, roles: {', '.join(roles)}).",
        ]),
        Entry("Categories of personal data", "Art. 30(1)(c)", [
            "Per case: case id, pseudonymised customer reference, request type and channel, dates of receipt, "
            "identification, forwarding, escalation, extension and answer, outcome, refusal reason, agent code, "
            "language; free-text notes only where the configuration opts in.",
            "Agents' training and confidentiality dates; rows that could not be loaded with their raw values "
            "(quarantine, kept briefly, see below).",
            "Spot-check reviews with reviewers' comments; findings, the processor's responses, letters and evidence "
            "files sent by the processor.",
            "Users' actions in the audit trail. No special categories (Art. 9) are sought; a note or evidence file "
            "may contain them by accident and follows the same retention.",
        ]),
        Entry("Recipients", "Art. 30(1)(d)", [
            "The controller's compliance officer, auditors, vendor managers and viewers, each as their role allows.",
            "The processor, for its own data only (its reports, results, findings, letters and evidence requests).",
            "The controller's external auditor and the supervisory authority on request (the oversight pack).",
            "No transfer to a third country or international organisation (Art. 30(1)(e)): the tool runs on the "
            "controller's own infrastructure. [Correct this if it is hosted elsewhere.]",
        ]),
        Entry("Time limits for erasure", "Art. 30(1)(f)", [
            f"Case rows, the processor's training rows and the exceptions naming a case: {r.cases_months} months "
            "after the month of the report ([retention] cases_months).",
            f"Raw values of rows that could not be loaded: {r.quarantine_raw_months} months after the month "
            "([retention] quarantine_raw_months); the row and its reasons stay.",
            f"Review answers and comments, closed findings, letters and evidence files: {r.evidence_months} months "
            "after their month or closing ([retention] evidence_months).",
            "`oversight retention apply` removes what is past its period in one audited transaction and compacts "
            "the database file; a legal hold (Art. 17(3)(e)) keeps what it covers until it is lifted. The audit "
            "trail keeps counts and digests only, never the removed values.",
        ]),
        Entry("Technical and organisational security measures", "Art. 30(1)(g), Art. 32(1)", [
            "Pseudonymisation (Art. 4(5), 32(1)(a)): customer references are replaced at ingest by a keyed "
            "HMAC-SHA256; the key is kept outside the database, owner-only (0600), and refused when short or readable "
            "by others.",
            "Integrity and accountability: every change appends an event to an audit trail hash-chained with HMAC "
            "under a separate audit key; events of changing data carry a digest of it; `oversight audit verify` and "
            "anchors outside the database show deletions and edits.",
            "Access control: named users with roles, permissions checked by every service function, processor users "
            "limited to their own processor, sign-in attempts limited; it fails closed when the configuration is "
            "missing or wrong.",
            "Files: the database, keys, exports and the configuration are created owner-only; reports are checked "
            "against size limits before they are read; exports escape spreadsheet formulas.",
            "Storage limitation: the retention periods above, applied by `oversight retention apply`.",
        ]),
    ]


def markdown(config: Config, generated: str) -> str:
    """The record as Markdown text."""
    out = ["# Record of processing activities (GDPR Art. 30(1)): processor oversight", "", f"_{generated}_", ""]
    for entry in entries(config):
        out += [f"## {entry.heading} ({entry.article})", "", *(f"- {line}" for line in entry.lines), ""]
    return "\n".join(out)


def docx(config: Config, generated: str) -> bytes:
    """The record as a Word document's bytes (python-docx)."""
    from docx import Document

    doc = Document()
    doc.core_properties.title = "Record of processing activities (GDPR Art. 30(1)): processor oversight"
    doc.add_heading("Record of processing activities (GDPR Art. 30(1)): processor oversight", level=1)
    doc.add_paragraph(generated)
    for entry in entries(config):
        doc.add_heading(f"{entry.heading} ({entry.article})", level=2)
        for line in entry.lines:
            doc.add_paragraph(line, style="List Bullet")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def write_processing_record(con: duckdb.DuckDBPyConnection, user: User, config: Config, out_path: Path) -> Produced:
    """Write the record to `out_path` (.docx or .md) and record the export in the audit trail."""
    role = require(user, PERMISSION)
    out_path = Path(out_path)
    suffix = out_path.suffix.lower()
    if suffix not in FORMATS:
        raise UnsupportedFormat(f"The record of processing is written as .docx or .md: give a file name ending in "
                                f"one of them, not '{out_path.name}'.")
    generated = f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by {user.name} from the configuration."
    data = docx(config, generated) if suffix == ".docx" else markdown(config, generated).encode("utf-8")
    return record_export(con, user=user.name, role=role, action=ACTION, obj="tool:processing-record",
                         file_name=out_path.name, data=data, details={"format": suffix[1:],
                                                                      "retention": config.retention.as_dict()},
                         out_path=out_path)

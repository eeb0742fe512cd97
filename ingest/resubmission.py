"""Resubmissions: what a new file would change in the current report, and whether it may replace it.

A resubmission replaces the current report for its processor and month. Before it does, the person sees the cases
added, removed and, per changed case, each field before and after (issue 12 §1). A file that would remove cases is
refused unless the replacement is confirmed; a file that loads no case is refused always: a report with no cases
is not a correction of one that had them (the mis-mapped upload that emptied a month).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb

from ingest.errors import IngestError
from ingest.validate import ident
from ingest.vocabulary import CASE_FIELDS

# Fields compared between two reports (the case id is the key).
COMPARED = [f.name for f in CASE_FIELDS if f.name != "case_id"]
# Issue 12, Names and decisions: lists longer than this are cut and the result says "truncated".
LIST_LIMIT = 10_000


@dataclass(frozen=True)
class FieldChange:
    """One field of one case that differs between the current report and the new file."""

    case_id: str
    field: str
    before: object  # as JSON has it: dates ISO text, booleans true/false
    after: object

    def as_dict(self) -> dict[str, object]:
        return {"case_id": self.case_id, "field": self.field, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class Diff:
    """What a resubmission changes against the report it replaces; the lists are cut at LIST_LIMIT."""

    replaces: int  # the submission id of the current report
    cases_before: int
    cases_after: int
    added: list[str]
    removed: list[str]
    changed: list[str]
    field_changes: list[FieldChange] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # added, removed, changed, field_changes: uncut

    @property
    def truncated(self) -> bool:
        return any(self.counts[k] > LIST_LIMIT for k in ("added", "removed", "changed", "field_changes"))

    def summary(self) -> dict[str, object]:
        """The stored "changes" summary (counts and the first case ids), as ingest always wrote it."""
        summary: dict[str, object] = {}
        for kind, ids in (("added", self.added), ("removed", self.removed), ("changed", self.changed)):
            summary[kind] = self.counts[kind]
            summary[f"{kind}_case_ids"] = ids[:SUMMARY_IDS]
        return summary


SUMMARY_IDS = 1000  # case ids kept per kind in the stored summary (the submission row)


class ResubmissionRefused(IngestError):
    """A resubmission would remove cases (without --replace) or load no case at all; nothing was written."""

    def __init__(self, message: str, *, reason: str, diff: Diff, processor: str, period: str) -> None:
        super().__init__(message)
        self.refusal = reason
        self.diff = diff
        self.processor = processor
        self.period = period

    def details(self) -> dict[str, object]:
        """What the refusal event records: whose report, which month, the counts (no case ids, no values)."""
        return {"processor": self.processor, "period": self.period, "replaces": self.diff.replaces,
                "cases_before": self.diff.cases_before, "cases_after": self.diff.cases_after,
                "added": self.diff.counts["added"], "removed": self.diff.counts["removed"],
                "changed": self.diff.counts["changed"]}


def _cases_of(source: str) -> str:
    return f"SELECT case_id, {', '.join(ident(f) for f in COMPARED)} FROM {source}"


def staged_cases(table: str) -> str:
    """A SELECT of the loaded rows of a staged cases table, with the case fields under their own names."""
    columns = ", ".join(f"{ident('p_' + f)} AS {ident(f)}" for f in COMPARED)
    return f"SELECT p_case_id AS case_id, {columns} FROM {table} WHERE status = 'loaded'"


def submission_cases(submission_id: int) -> str:
    """A SELECT of a stored submission's cases (the id is an int: safe to inline)."""
    return _cases_of(f"cases WHERE submission_id = {int(submission_id)}")


def compare(con: duckdb.DuckDBPyConnection, replaces: int, old_sql: str, new_sql: str) -> Diff:
    """Compare two sets of cases (SELECTs of case_id and the compared fields): added, removed, field by field."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _diff_old AS {old_sql}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _diff_new AS {new_sql}")
    try:
        before, after = (con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in ("_diff_old", "_diff_new"))
        added = _ids(con, "SELECT case_id FROM _diff_new EXCEPT SELECT case_id FROM _diff_old")
        removed = _ids(con, "SELECT case_id FROM _diff_old EXCEPT SELECT case_id FROM _diff_new")
        # One field at a time into a table, not one UNION ALL of every field: DuckDB 1.5.5 (the postgres extra's
        # pin) mis-binds that union's columns; and compared as text, as a staged column may be typed otherwise than
        # the stored one there (a NULL-only column as an integer: 1.5.5 then cast the stored 'NL' to an integer).
        con.execute("CREATE OR REPLACE TEMP TABLE _diff_changes (case_id VARCHAR, field VARCHAR, ord INTEGER, "
                    "bj VARCHAR, aj VARCHAR)")
        for i, f in enumerate(COMPARED):
            con.execute(f"INSERT INTO _diff_changes SELECT o.case_id, '{f}', {i}, to_json(o.{ident(f)})::VARCHAR, "
                        f"to_json(n.{ident(f)})::VARCHAR FROM _diff_old o JOIN _diff_new n USING (case_id) "
                        f"WHERE o.{ident(f)}::VARCHAR IS DISTINCT FROM n.{ident(f)}::VARCHAR")
        total = con.execute("SELECT count(*), count(DISTINCT case_id) FROM _diff_changes").fetchall()[0]
        rows = con.execute(f"SELECT case_id, field, bj, aj FROM _diff_changes ORDER BY case_id, ord "
                           f"LIMIT {LIST_LIMIT}").fetchall()
        changed = _ids(con, "SELECT DISTINCT case_id FROM _diff_changes")
    finally:
        for table in ("_diff_old", "_diff_new", "_diff_changes"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    changes = [FieldChange(c, f, _value(b), _value(a)) for c, f, b, a in rows]
    counts = {"added": len(added), "removed": len(removed), "changed": total[1], "field_changes": total[0]}
    return Diff(replaces, before, after, added[:LIST_LIMIT], removed[:LIST_LIMIT], changed[:LIST_LIMIT], changes,
                counts)


def _value(text: str | None) -> object:
    return None if text is None else json.loads(text)


def _ids(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    return [r[0] for r in con.execute(f"SELECT case_id FROM ({sql}) ORDER BY case_id").fetchall()]


def judge(diff: Diff, *, file: str, processor: str, period: str, rows_quarantined: int, replace: bool) -> None:
    """Refuse a resubmission that loads no case (always) or removes cases (unless `replace`)."""
    counts = (f"{diff.cases_after} case(s) loaded, {rows_quarantined} row(s) quarantined; the current report "
              f"(submission {diff.replaces}) has {diff.cases_before} case(s): {diff.counts['added']} would be added, "
              f"{diff.counts['removed']} removed, {diff.counts['changed']} changed")
    if diff.cases_after == 0:
        raise ResubmissionRefused(
            f"{file}: refused, nothing was written. It would replace the report of {processor} for {period} but "
            f"loads no case ({counts}). A report with no cases is not a correction: check the file and its "
            "column mapping, and ingest the corrected file.", reason="resubmission_without_cases", diff=diff,
            processor=processor, period=period)
    if diff.counts["removed"] and not replace:
        shown = ", ".join(diff.removed[:5]) + (", ..." if diff.counts["removed"] > 5 else "")
        raise ResubmissionRefused(
            f"{file}: refused, nothing was written. It would replace the report of {processor} for {period} and "
            f"remove {diff.counts['removed']} case(s) ({shown}); {counts}. If the processor did withdraw these "
            "cases, ingest the file again with --replace.", reason="resubmission_removes_cases", diff=diff,
            processor=processor, period=period)

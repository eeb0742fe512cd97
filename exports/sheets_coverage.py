"""The pack's Clause coverage sheet: each clause of the processor's contract, what evidences it and what that
showed this month (checks.coverage computes it; this module lays it out)."""

from __future__ import annotations

import duckdb

from checks.coverage import Coverage, Kind, clause_coverage, result_text
from exports.scope import Scope
from exports.xlsx import Section, Sheet
from store.errors import OversightError

CLAUSE_COLUMNS = ["clause", "title", "part", "status", "checks", "rubric_items", "tested_by", "offending",
                  "open_findings", "result"]
EVIDENCE_COLUMNS = ["clause", "kind", "id", "title", "basis", "severity", "tested", "offending", "run_id", "error",
                    "logged_against"]


def _ids(evidence: object, kind: Kind | None = None) -> str:
    return ", ".join(e.id for e in evidence if kind is None or e.kind is kind)  # type: ignore[attr-defined]


def _notes(coverage: Coverage) -> str:
    notes = [f"Contract profile '{coverage.profile}' (SHA-256 {coverage.profile_sha256}). A clause is tested when one "
             "of its checks tested a case (or the report) in the month's latest check results, or one of its review "
             "items was answered yes or no on a sample of the month; 'for information' checks do not count as "
             "offending."]
    notes += [f"Some of the month's check results were run under profile '{name}' (SHA-256 {sha})."
              for name, sha in coverage.other_profile_runs]
    notes += [f"Open findings {', '.join(ids)} cite clause {ref}, which is not in the current register."
              for ref, ids in coverage.stray_findings.items()]
    return " ".join(notes)


def coverage_sheet(con: duckdb.DuckDBPyConnection, scope: Scope) -> Sheet:
    """Each clause with the checks and rubric items that evidence it, whether they tested it this month, the result."""
    title = f"Clause coverage — {scope.processor}, {scope.period}"
    try:
        coverage = clause_coverage(con, scope.processor, scope.period)
    except OversightError as exc:  # an invalid contract profile file: say so, the rest of the pack still stands
        return Sheet("Clause coverage", title, sections=[Section(
            "Clauses of the contract", CLAUSE_COLUMNS, [],
            empty=f"The contract profile '{scope.profile}' could not be read: {exc}")])
    clauses = [[c.clause.ref, c.clause.title, c.clause.part, c.status.value, _ids(c.evidence, Kind.CHECK),
                _ids(c.evidence, Kind.RUBRIC), _ids(c.tested_by), c.offending, ", ".join(c.open_findings),
                result_text(c)] for c in coverage.clauses]
    evidence = [[c.clause.ref, e.kind.value, e.id, e.title, e.basis, e.severity, e.tested, e.offending, e.run_id,
                 e.error, e.logged_against] for c in coverage.clauses for e in c.evidence]
    return Sheet("Clause coverage", title, sections=[
        Section("Clauses of the contract", CLAUSE_COLUMNS, clauses, empty="The clause register is empty.",
                note=_notes(coverage)),
        Section("Evidence per clause", EVIDENCE_COLUMNS, evidence,
                empty="No check or review item is logged against any clause."),
    ])

"""The pack's Clause coverage sheet: for each clause of the processor's contract, what evidenced it this month."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from exports.scope import Scope
from exports.sheets_checks import latest_results
from exports.sheets_findings import list_for
from exports.sheets_samples import review_answers
from exports.xlsx import Section, Sheet
from store.errors import OversightError

if TYPE_CHECKING:
    from checks.contract import Profile

COVERAGE_COLUMNS = ["clause", "title", "part", "checks", "rubric_items", "tested_this_month", "checks_run",
                    "cases_tested", "cases_offending", "reviews", "review_deviations", "findings_open", "result"]


@dataclass
class _Evidence:
    checks_run: list[str] = field(default_factory=list)
    tested: int = 0
    offending: int = 0
    errors: int = 0
    reviews: int = 0
    deviations: int = 0
    findings_open: int = 0


def _register(con: duckdb.DuckDBPyConnection, scope: Scope) -> tuple[Profile | None, str | None]:
    """Return the processor's contract profile, or None and why it is not available."""
    try:
        from checks.contract import profile_for_processor
    except ImportError:
        return None, "The clause register is not available in this version; the clauses below are those the checks "\
                     "and findings of this month were logged against."
    try:
        return profile_for_processor(con, scope.processor), None
    except OversightError as exc:
        return None, f"The contract profile '{scope.profile}' could not be read ({exc}); the clauses below are those "\
                     "the checks and findings of this month were logged against."


def result_text(e: _Evidence) -> str:
    """Say in words what the month's evidence on a clause shows."""
    if not e.checks_run and not e.reviews:
        return "not tested this month"
    parts = []
    if e.errors:
        parts.append(f"{e.errors} check(s) failed to run")
    if e.checks_run:
        parts.append(f"{e.offending} offending case(s)" if e.offending else "checks: no exceptions")
    if e.reviews:
        parts.append(f"{e.deviations} deviation(s) in {e.reviews} review answer(s)" if e.deviations
                     else f"spot check: no deviation in {e.reviews} review answer(s)")
    return "; ".join(parts)


def coverage_sheet(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date) -> Sheet:
    """Each clause with the checks and rubric items that evidence it, and whether they did so this month."""
    profile, why = _register(con, scope)
    evidence: dict[str, _Evidence] = defaultdict(_Evidence)
    for r in latest_results(con, scope):
        e = evidence[str(r["clause"])]
        e.checks_run.append(str(r["check_id"]))
        e.tested += int(r["cases_tested"])
        e.offending += int(r["cases_offending"])
        e.errors += bool(r["error"])
    rubric = dict(profile.rubric_clauses) if profile else {}
    for answer in review_answers(con, scope):
        clause = rubric.get(str(answer["item"])) or answer.get("clause")
        if clause:
            evidence[str(clause)].reviews += 1
            evidence[str(clause)].deviations += answer["answer"] == "no"
    for f in list_for(con, scope.processor, scope.period, as_of):
        if f["status"] not in ("closed", "dismissed"):
            evidence[str(f["clause"])].findings_open += 1

    register: dict[str, tuple[str, str]] = {}
    mapped_checks: dict[str, list[str]] = defaultdict(list)
    mapped_items: dict[str, list[str]] = defaultdict(list)
    if profile:
        register = {ref: (c.title, c.part) for ref, c in profile.clauses.items()}
        for check_id, clause in profile.check_clauses.items():
            mapped_checks[clause].append(check_id)
        for item, clause in profile.rubric_clauses.items():
            mapped_items[clause].append(item)
    unregistered = sorted(set(evidence) - set(register))
    body = []
    for ref in [*register, *unregistered]:
        title, part = register.get(ref, ("(not in the current clause register)" if profile else "", ""))
        e = evidence.get(ref, _Evidence())
        body.append([ref, title, part, ", ".join(mapped_checks[ref]), ", ".join(mapped_items[ref]),
                     "yes" if e.checks_run or e.reviews else "no", ", ".join(e.checks_run), e.tested, e.offending,
                     e.reviews, e.deviations, e.findings_open, result_text(e)])
    note = why or (f"Contract profile '{profile.name}' ({profile.title}). A clause is tested this month when a check "
                   "logged against it ran for this month, or a review item evidencing it was answered on a sample "
                   "of this month.")
    return Sheet("Clause coverage", f"Clause coverage — {scope.processor}, {scope.period}", sections=[Section(
        "Clauses of the contract", COVERAGE_COLUMNS, body,
        empty="No clause register and no check results for this month.", note=note,
    )])

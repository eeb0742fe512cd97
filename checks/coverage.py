"""Clause coverage: for one processor and month, what evidences each clause of its contract, and what it showed.

Which checks and rubric items evidence a clause comes from the processor's contract profile (the clause each is
logged against). A clause is *tested* in a month when one of its checks tested at least one case (or report, for the
report-level checks) in the latest check results for that month, or one of its rubric items was answered "yes" or
"no" on an active case of a sample of that month ("na" says the item did not apply, so it evidences nothing). The
result is the offending cases and the "no" answers; open findings are the month's findings against the clause that
are neither closed nor dismissed (docs/findings.md, "Lifecycle"). Read-only: nothing here writes.

A service-level item names the standard clauses it implements (`implements`, e.g. SL 1 → SCC 7.6(c)): what is logged
against the item evidences those clauses too, and is shown under them with `via` naming the item (issue 13,
item 14). The case records a spot check needs (`[rubric] case_records`) evidence their clause by the month's
reviewed sampled cases, a case answered "unable" counting against it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from enum import StrEnum

import duckdb

from checks.catalog import BY_ID
from checks.contract import PARTS, Clause, Profile, profile_for_processor
from store.db import rows
from vocab.finding_states import OPEN_STATES
from vocab.rubric import CASE_RECORDS, CASE_RECORDS_TITLE, ITEMS
from vocab.severity import Severity


class Kind(StrEnum):
    CHECK = "check"
    RUBRIC = "rubric"


class Status(StrEnum):
    """What the month's evidence says about a clause, from nothing at all to exceptions found."""

    NOT_EVIDENCED = "not evidenced"  # no check and no rubric item is logged against the clause
    NOT_TESTED = "not tested"        # evidenced, but nothing tested it this month
    PASSED = "tested, no exceptions"
    EXCEPTIONS = "exceptions"        # offending cases, or "no" answers on deviation items


@dataclass(frozen=True)
class Evidence:
    """One check or rubric item logged against a clause, with what it found this month."""

    kind: Kind
    id: str
    title: str        # the check's title, or the rubric item's question
    basis: str        # the check's or the rubric item's legal basis
    tested: int       # check: cases (or reports) tested in the latest run; rubric: yes/no answers this month
    offending: int    # check: offending cases (or reports); rubric: "no" answers on a deviation item
    severity: str = ""  # the check's severity; "" for a rubric item
    run_id: int | None = None
    error: str | None = None  # the check failed to run: it tested nothing
    logged_against: str | None = None  # the clause the run logged it against, when that differs from the profile's
    via: str | None = None  # logged against this service-level item, which implements the clause shown

    @property
    def was_tested(self) -> bool:
        return self.tested > 0

    @property
    def is_shortfall(self) -> bool:
        """Whether what it found counts against the clause: an `info` check (e.g. due soon) is a heads-up only."""
        return self.severity != Severity.INFO.value


@dataclass(frozen=True)
class ClauseCoverage:
    """A clause of the register with its evidence and its open findings for the month."""

    clause: Clause
    evidence: tuple[Evidence, ...]
    open_findings: tuple[str, ...]

    @property
    def tested_by(self) -> tuple[Evidence, ...]:
        return tuple(e for e in self.evidence if e.was_tested)

    @property
    def offending(self) -> int:
        """Offending cases and "no" answers of the month, heads-up checks left out."""
        return sum(e.offending for e in self.tested_by if e.is_shortfall)

    @property
    def status(self) -> Status:
        if not self.evidence:
            return Status.NOT_EVIDENCED
        if not self.tested_by:
            return Status.NOT_TESTED
        return Status.EXCEPTIONS if self.offending else Status.PASSED


@dataclass(frozen=True)
class Coverage:
    """The clause register of a processor's profile with the evidence of one month."""

    processor: str
    period: str | None
    profile: str
    profile_sha256: str
    clauses: tuple[ClauseCoverage, ...]
    # Profile versions (name, sha256) the month's latest check results were run under, when not the current one.
    other_profile_runs: tuple[tuple[str, str], ...] = ()
    # Open findings of the month against refs that are not in the current register (e.g. logged under an older one).
    stray_findings: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def by_ref(self, ref: str) -> ClauseCoverage:
        return next(c for c in self.clauses if c.clause.ref == ref)

    def counts(self) -> list[dict[str, object]]:
        """Clauses per contract part and status, in register part order: the data of the coverage chart."""
        found = Counter((c.clause.part, c.status) for c in self.clauses)
        return [{"part": part, "status": status.value, "clauses": found[(part, status)]}
                for part in PARTS for status in Status if found[(part, status)]]


def result_text(c: ClauseCoverage) -> str:
    """Say in words what the month's evidence on a clause shows."""
    if c.status is Status.NOT_EVIDENCED:
        return "not evidenced: no check or rubric item is logged against it"
    failed = [e.id for e in c.evidence if e.error]
    broken = f"; {len(failed)} check(s) failed to run" if failed else ""
    if c.status is Status.NOT_TESTED:
        return f"not tested this month{broken}"
    parts = []
    checks = [e for e in c.tested_by if e.kind is Kind.CHECK]
    reviews = [e for e in c.tested_by if e.kind is Kind.RUBRIC]
    if checks:
        n = sum(e.offending for e in checks if e.is_shortfall)
        parts.append(f"{n} offending case(s)" if n else "checks: no exceptions")
        heads_up = sum(e.offending for e in checks if not e.is_shortfall)
        if heads_up:
            parts.append(f"{heads_up} for information (e.g. due soon)")
    if reviews:
        n, answers = sum(e.offending for e in reviews), sum(e.tested for e in reviews)
        parts.append(f"{n} 'no' in {answers} review answer(s)" if n else f"no deviation in {answers} review answer(s)")
    return "; ".join(parts) + broken


def _check_results(con: duckdb.DuckDBPyConnection, processor: str, period: str) -> list[dict[str, object]]:
    return rows(con, """
        SELECT check_id, run_id, clause, profile, profile_sha256, cases_tested, cases_offending, error
        FROM latest_check_results WHERE processor = $processor AND period = $period""",
                {"processor": processor, "period": period})


def _review_counts(con: duckdb.DuckDBPyConnection, processor: str, period: str) -> dict[str, tuple[int, int]]:
    """Rubric item → (yes/no answers, "no" answers) on the active cases of the month's samples."""
    found = rows(con, """
        SELECT r.item_id, count(*) AS answers, count(*) FILTER (WHERE r.answer = 'no') AS noes
        FROM current_reviews r
        JOIN active_sample_items i USING (sample_id, case_id)
        JOIN samples s USING (sample_id)
        WHERE s.processor = $processor AND s.period = $period AND r.answer IN ('yes', 'no')
        GROUP BY r.item_id""", {"processor": processor, "period": period})
    return {str(r["item_id"]): (int(r["answers"]), int(r["noes"])) for r in found}


def _records_counts(con: duckdb.DuckDBPyConnection, processor: str, period: str) -> tuple[int, int]:
    """(active sampled cases of the month with any answer, those answered "unable": records not made available)."""
    found = rows(con, """
        SELECT count(DISTINCT r.sample_id || '/' || r.case_id) AS reviewed,
               count(DISTINCT r.sample_id || '/' || r.case_id) FILTER (WHERE r.answer = 'unable') AS unable
        FROM current_reviews r
        JOIN active_sample_items i USING (sample_id, case_id)
        JOIN samples s USING (sample_id)
        WHERE s.processor = $processor AND s.period = $period""", {"processor": processor, "period": period})
    return (int(found[0]["reviewed"]), int(found[0]["unable"])) if found else (0, 0)


def _records_evidence(counts: tuple[int, int]) -> Evidence:
    return Evidence(Kind.RUBRIC, CASE_RECORDS, CASE_RECORDS_TITLE,
                    "GDPR Art. 28(3)(h); SCC 7.6(c): information needed to demonstrate compliance, made available",
                    *counts)


def _open_findings(con: duckdb.DuckDBPyConnection, processor: str, period: str) -> dict[str, list[str]]:
    found = rows(con, """
        SELECT clause, finding_id FROM findings
        WHERE processor = $processor AND period = $period AND list_contains($open, status)
        ORDER BY finding_id""", {"processor": processor, "period": period, "open": [s.value for s in OPEN_STATES]})
    by_clause: dict[str, list[str]] = {}
    for r in found:
        by_clause.setdefault(str(r["clause"]), []).append(str(r["finding_id"]))
    return by_clause


def _check_evidence(check_id: str, ref: str, result: dict[str, object] | None) -> Evidence:
    check = BY_ID[check_id]
    if result is None:
        return Evidence(Kind.CHECK, check_id, check.title, check.basis, 0, 0, check.severity.value)
    logged = str(result["clause"])
    return Evidence(Kind.CHECK, check_id, check.title, check.basis, int(result["cases_tested"]),
                    int(result["cases_offending"]), check.severity.value, int(result["run_id"]),
                    result["error"],  # type: ignore[arg-type]
                    logged if logged != ref else None)


def _rubric_evidence(item_id: str, answers: tuple[int, int] | None) -> Evidence:
    item = ITEMS.get(item_id)
    question = item.question if item else item_id
    tested, noes = answers or (0, 0)
    # docs/sampling.md: a "no" is a deviation only on items that say so.
    deviations = noes if item is None or item.deviation_on_no else 0
    return Evidence(Kind.RUBRIC, item_id, question, item.basis if item else "spot-check review", tested, deviations)


def clause_coverage(con: duckdb.DuckDBPyConnection, processor: str, period: str | None,
                    profile: Profile | None = None) -> Coverage:
    """Return each clause of the processor's register with its evidence and the month's results.

    `profile` defaults to the one the processor is linked to. With no period, the register and its evidence are
    returned with nothing tested.
    """
    profile = profile or profile_for_processor(con, processor)
    results = {str(r["check_id"]): r for r in _check_results(con, processor, period)} if period else {}
    reviews = _review_counts(con, processor, period) if period else {}
    findings = _open_findings(con, processor, period) if period else {}
    checks_for: dict[str, list[str]] = {}
    for check_id, ref in profile.check_clauses.items():  # catalog order
        checks_for.setdefault(ref, []).append(check_id)
    items_for: dict[str, list[str]] = {}
    for item_id, ref in profile.rubric_clauses.items():
        items_for.setdefault(ref, []).append(item_id)
    records = _records_counts(con, processor, period) if period else (0, 0)

    def own(ref: str) -> tuple[Evidence, ...]:
        return (*(_check_evidence(c, ref, results.get(c)) for c in checks_for.get(ref, [])),
                *(_rubric_evidence(i, reviews.get(i)) for i in items_for.get(ref, [])),
                *((_records_evidence(records),) if ref == profile.records_clause else ()))

    implemented_by: dict[str, list[str]] = {}
    for ref, clause in profile.clauses.items():
        for target in clause.implements:
            implemented_by.setdefault(target, []).append(ref)
    clauses = tuple(ClauseCoverage(
        clause,
        (*own(ref), *(replace(e, via=item) for item in implemented_by.get(ref, []) for e in own(item))),
        tuple(dict.fromkeys([*findings.get(ref, []),
                             *(f for item in implemented_by.get(ref, []) for f in findings.get(item, []))])),
    ) for ref, clause in profile.clauses.items())
    other_runs = sorted({(str(r["profile"]), str(r["profile_sha256"])) for r in results.values()
                         if r["profile_sha256"] != profile.sha256})
    stray = {ref: tuple(ids) for ref, ids in sorted(findings.items()) if ref not in profile.clauses}
    return Coverage(processor, period, profile.name, profile.sha256, clauses, tuple(other_runs), stray)

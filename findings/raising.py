"""Raise findings from a check run's exceptions and from spot-check reviews: group, then create or update."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from datetime import date

import duckdb

from checks.catalog import CHECKS
from findings import terms
from findings.errors import UnknownSample
from findings.lifecycle import (
    OPEN_STATES,
    SEVERITY_FROM_REVIEW,
    Severity,
    Status,
    due_date,
    higher,
)
from findings.merging import absorb
from findings.record import Candidate, Raised, create, find_same, update
from store.db import rows, transaction
from store.identity import User, may, require
from vocab.rubric import CASE_RECORDS_CLAUSE
from vocab.severity import finding_severity


def _details(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def group_exceptions(exceptions: Iterable[dict[str, object]], titles: dict[str, tuple[str, str]]) -> list[Candidate]:
    """One candidate per (processor, period, check) with its cases (docs/findings.md: group, not one per case).

    Exceptions whose severity has no finding severity (info) are left out; a group takes the highest severity of its
    exceptions. `titles` maps a check id to its (title, description).
    """
    groups: dict[tuple[str, str, str], list[dict[str, object]]] = {}
    for e in exceptions:
        if finding_severity(str(e["severity"])) is not None:
            groups.setdefault((str(e["processor"]), str(e["period"]), str(e["check_id"])), []).append(e)
    candidates = []
    for (processor, period, check_id), found in sorted(groups.items()):
        severity = Severity.LOW
        for e in found:
            severity = higher(severity, finding_severity(str(e["severity"])) or Severity.LOW)
        cases: dict[str, dict[str, object]] = {}
        report_level = []
        for e in found:
            if e["case_id"] is None:
                report_level.append(_details(e["details"]))
            else:
                cases.setdefault(str(e["case_id"]), {"run_id": e["run_id"], "details": _details(e["details"])})
        evidence: dict[str, list[object]] = {"run_ids": sorted({e["run_id"] for e in found})}
        if report_level:
            evidence["report"] = report_level
        title, description = titles.get(check_id, (check_id, ""))
        scope = (f"{len(cases)} case(s) in the {period} report offend this check." if cases
                 else f"The {period} report offends this check.")
        candidates.append(Candidate(
            processor=processor, period=period, source=f"check:{check_id}", clause=str(found[0]["clause"]),
            title=title, description=f"{description} {scope}".strip(), severity=severity, cases=cases,
            evidence=evidence))
    return candidates


def group_reviews(reviews: Iterable[dict[str, object]], sample: dict[str, object],
                  items: dict[str, tuple[str, str]], records_clause: str = CASE_RECORDS_CLAUSE) -> list[Candidate]:
    """One candidate per rubric item answered "no" at least once, with its cases and the review comments.

    `items` maps each rubric item whose "no" is a deviation to its (question, clause); answers to other items are
    not findings (docs/sampling.md: the rubric says whether a "no" is a deviation).
    """
    by_item: dict[str, list[dict[str, object]]] = {}
    for r in reviews:
        if r["answer"] == "no" and r["item_id"] in items:
            by_item.setdefault(str(r["item_id"]), []).append(r)
    candidates = []
    unable = [r for r in reviews if r["answer"] == "unable"]
    if unable:
        candidates.append(_unable_candidate(unable, sample, records_clause))
    for item_id, found in sorted(by_item.items()):
        question, clause = items[item_id]
        cases = {str(r["case_id"]): {"answer": "no", "comment": r.get("comment"), "reviewer": r.get("reviewer"),
                                     "reviewed_at": r.get("reviewed_at"), "rubric_version": r.get("rubric_version")}
                 for r in found}
        candidates.append(Candidate(
            processor=str(sample["processor"]), period=str(sample["period"]),
            source=f"spotcheck:{sample['sample_id']}:{item_id}", clause=clause,
            title=f"Spot check: {question}",
            description=(f"The spot check of the {sample['period']} report (sample {sample['sample_id']}) answered "
                         f"\"no\" for {len(cases)} reviewed case(s) to: {question}"),
            severity=SEVERITY_FROM_REVIEW, cases=cases, evidence={"samples": [sample["sample_id"]]}))
    return candidates


# SCC 7.6(c): the processor makes available all information needed to demonstrate compliance and allows audits. A
# case that could not be tested (its file not supplied) is a deviation for each item (ISA 530 ¶11) and, together,
# one finding (issue 14, item 4) against the clause the profile names for case records (`[rubric] case_records`:
# SL 6 in the default profile, which implements SCC 7.6(c); vocab/rubric.py CASE_RECORDS).
def _unable_candidate(found: list[dict[str, object]], sample: dict[str, object], clause: str) -> Candidate:
    cases: dict[str, dict[str, object]] = {}
    for r in found:
        case = cases.setdefault(str(r["case_id"]), {"answer": "unable", "comment": r.get("comment"), "items": [],
                                                     "reviewer": r.get("reviewer"),
                                                     "reviewed_at": r.get("reviewed_at")})
        case["items"].append(str(r["item_id"]))  # type: ignore[union-attr]
    return Candidate(
        processor=str(sample["processor"]), period=str(sample["period"]),
        source=f"spotcheck:{sample['sample_id']}:unable", clause=clause,
        title="Spot check: case records not made available for audit",
        description=(f"The spot check of the {sample['period']} report (sample {sample['sample_id']}) could not "
                     f"test {len(cases)} sampled case(s) (e.g. the case file was not supplied); each counts as a "
                     "deviation for every item that applies to it."),
        severity=SEVERITY_FROM_REVIEW, cases=cases, evidence={"samples": [sample["sample_id"]]})


def apply(con: duckdb.DuckDBPyConnection, user: User, role: str, candidates: list[Candidate],
          today: date) -> list[Raised]:
    """Create a finding per candidate, or update the open one raised before from the same source, in one transaction.

    A closed or dismissed finding from the same source is left alone (the decision stands) and reported as skipped:
    reopen it to add the new cases.
    """
    due_days = {c.processor: terms.due_days(con, c.processor) for c in candidates}
    owner = user.name if may(user, "move a finding") else None
    results = []
    with transaction(con):
        for raised in candidates:
            # Issue 12 §7: cases a paired open finding already holds (same case, clause and check ↔ item pairing)
            # are recorded there; the rest of the candidate goes on as before.
            candidate, merged = absorb(con, user=user.name, role=role, candidate=raised)
            results += merged
            if candidate is None:
                continue
            existing = find_same(con, candidate)
            if existing is None:
                due_on = due_date(candidate.severity, today, due_days[candidate.processor])
                finding_id = create(con, user=user.name, role=role, candidate=candidate, owner=owner, due_on=due_on,
                                    today=today)
                results.append(Raised(finding_id, "created", tuple(sorted(candidate.cases))))
            elif Status(existing["status"]) in OPEN_STATES:
                results.append(update(con, user=user.name, role=role, existing=existing, candidate=candidate))
            else:
                results.append(Raised(str(existing["finding_id"]), "skipped", note=(
                    f"{existing['finding_id']} is {existing['status']}; reopen it to add what the new "
                    "evidence shows, or leave the decision as it stands.")))
    return results


def raise_from_checks(con: duckdb.DuckDBPyConnection, user: User, processor: str | None = None,
                      period: str | None = None, *, today: date | None = None) -> list[Raised]:
    """Raise one finding per (processor, period, check) from the newest check results' critical, major and minor
    exceptions (info raises none)."""
    role = require(user, "raise a finding")
    exceptions = rows(con, "SELECT run_id, check_id, severity, processor, period, case_id, clause, details "
                           "FROM latest_exceptions WHERE ($processor IS NULL OR processor = $processor) "
                           "AND ($period IS NULL OR period = $period) ORDER BY processor, period, check_id, case_id",
                      {"processor": processor, "period": period})
    titles = {c.id: (c.title, c.description) for c in CHECKS}
    candidates = [dataclasses.replace(c, clause=terms.check_clause(con, c.processor, c.source.split(":", 1)[1]),
                                      description=terms.worded(con, c.processor, c.description))
                  for c in group_exceptions(exceptions, titles)]
    return apply(con, user, role, candidates, today or date.today())


def raise_from_reviews(con: duckdb.DuckDBPyConnection, user: User, sample_id: object, *,
                       today: date | None = None) -> list[Raised]:
    """Raise one finding per rubric item answered "no" in a sample's reviews, against the item's clause, and one
    against the case-records clause for the cases that could not be tested ("unable")."""
    role = require(user, "raise a finding from reviews")
    found = rows(con, "SELECT sample_id, processor, period FROM samples WHERE sample_id = ?", [sample_id])
    if not found:
        raise UnknownSample(sample_id)
    [sample] = found
    reviews = rows(con, "SELECT case_id, item_id, answer, comment, reviewer, reviewed_at, rubric_version "
                        "FROM current_reviews WHERE sample_id = ? AND answer IN ('no', 'unable') "
                        "ORDER BY item_id, case_id",
                   [sample["sample_id"]])
    items = terms.rubric_items(con, str(sample["processor"]))
    candidates = group_reviews(reviews, sample, items, terms.records_clause(con, str(sample["processor"])))
    return apply(con, user, role, candidates, today or date.today())

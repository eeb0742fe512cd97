"""One problem, one finding (issue 12 §7): a spot-check deviation and a check exception on the same case join.

Each check of the catalog names the rubric item that asks the same question (`Check.rubric_item`, e.g.
`deadline.late_response` ↔ `timely`). When a raise brings a case that an open finding from the paired source already
holds, under the same clause, the case's new evidence is recorded on that finding (with its source) instead of
becoming a second finding: the letter then lists the problem once. Different rubric items, or the same item under
different clauses, stay different findings.
"""

from __future__ import annotations

import dataclasses
import json

import duckdb

from checks.catalog import BY_ID, CHECKS
from findings.lifecycle import OPEN_STATES
from findings.record import Candidate, Raised, log, now_utc, to_json
from store.db import rows


def paired_sources(source: str) -> list[str]:
    """The finding sources whose problem is the same as this source's: a check's rubric item, an item's checks.

    Review sources name their sample (`spotcheck:S-2026-0001:timely`), so an item's partners are the checks; a
    check's partners are matched on the item at the end of the review sources (see `_partners`).
    """
    kind, _, rest = source.partition(":")
    if kind == "check":
        check = BY_ID.get(rest)
        return [f"item:{check.rubric_item}"] if check and check.rubric_item else []
    if kind == "spotcheck":
        item = rest.rsplit(":", 1)[-1]
        return [f"check:{c.id}" for c in CHECKS if c.rubric_item == item]
    return []


def _partners(con: duckdb.DuckDBPyConnection, candidate: Candidate) -> list[dict[str, object]]:
    """Open findings of the processor, under the candidate's clause, from a paired source; oldest first."""
    sources = paired_sources(candidate.source)
    if not sources:
        return []
    items = [s.split(":", 1)[1] for s in sources if s.startswith("item:")]
    checks = [s for s in sources if s.startswith("check:")]
    return rows(con, """SELECT finding_id, status, source, CAST(evidence AS VARCHAR) AS evidence FROM findings
                        WHERE processor = $processor AND clause = $clause AND list_contains($open, status)
                          AND (list_contains($checks, source)
                               OR (starts_with(source, 'spotcheck:')
                                   AND list_contains($items, split_part(source, ':', 3))))
                        ORDER BY created_at, finding_id""",
                {"processor": candidate.processor, "clause": candidate.clause,
                 "open": [s.value for s in OPEN_STATES], "checks": checks, "items": items})


def absorb(con: duckdb.DuckDBPyConnection, *, user: str, role: str,
           candidate: Candidate) -> tuple[Candidate | None, list[Raised]]:
    """Record on paired open findings the candidate's cases they hold; return what is left of it (None: nothing).

    Inside the caller's transaction. Each absorbed case keeps its first evidence and gains `also`: source →
    evidence; the finding's evidence gains `sources` and the candidate's run ids or samples; its history a
    `source_added` entry. Repeating the raise changes nothing.
    """
    if not candidate.cases:
        return candidate, []
    remaining = dict(candidate.cases)
    results = []
    for partner in _partners(con, candidate):
        finding_id = str(partner["finding_id"])
        held = {r["case_id"]: r["evidence"] for r in rows(
            con, "SELECT case_id, CAST(evidence AS VARCHAR) AS evidence FROM finding_cases WHERE finding_id = ? "
                 "AND list_contains(?::VARCHAR[], case_id)", [finding_id, list(remaining)])}
        if not held:
            continue
        added = []
        for case_id, text in held.items():
            evidence = json.loads(str(text))
            also = evidence.setdefault("also", {})
            if also.get(candidate.source) != json.loads(to_json(remaining[case_id])):
                also[candidate.source] = remaining[case_id]
                con.execute("UPDATE finding_cases SET evidence = ? WHERE finding_id = ? AND case_id = ?",
                            [to_json(evidence), finding_id, case_id])
                added.append(case_id)
            del remaining[case_id]
        if added:
            old = json.loads(str(partner["evidence"]))
            merged = {k: list(v) for k, v in old.items()}
            for key, values in {"sources": [candidate.source], **candidate.evidence}.items():
                merged.setdefault(key, [])
                merged[key] += [v for v in values if v not in merged[key]]
            con.execute("UPDATE findings SET evidence = ?, updated_at = ? WHERE finding_id = ?",
                        [to_json(merged), now_utc(), finding_id])
            status = str(partner["status"])
            log(con, user=user, role=role, finding_id=finding_id, action="source_added", from_status=status,
                to_status=status, details={"source": candidate.source, "case_ids": sorted(added)})
            results.append(Raised(finding_id, "merged", tuple(sorted(added)),
                                  note=f"{candidate.source} on the same case(s) and clause: recorded on {finding_id}"))
        else:
            results.append(Raised(finding_id, "unchanged"))
    if not remaining:
        return None, results
    return dataclasses.replace(candidate, cases=remaining), results


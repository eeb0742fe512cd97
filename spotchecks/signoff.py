"""Sign-off: an evaluation recorded as it reads, by whom, once every sampled case is reviewed (docs/sampling.md §4).

`oversight sample signoff S` and the Evaluate tab's button both call `sign_off`. It is refused while a case of the
sample still has an item to answer, and (four eyes, issue 14 item 7) to anyone who reviewed the sample's cases when
another configured user holds the auditor or compliance officer role. The evaluation is stored as a frozen snapshot
(`sample_evaluations`) with an audit event; a later review answer, replacement or top-up supersedes it (`status`
says so), and signing off again records the new reading.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from spotchecks.errors import SpotCheckError
from spotchecks.evaluate import Evaluation, evaluate_sample
from spotchecks.queries import fetch, get_sample, sample_items
from store import audit
from store.db import transaction
from store.identity import User, require


class SignOffRefused(SpotCheckError):
    """The evaluation cannot be signed off yet (cases unreviewed) or not by this person."""


@dataclass(frozen=True)
class SignOff:
    """The latest sign-off of a sample and whether a later change has superseded it."""

    sample_id: str
    signed_off_at: datetime
    signed_off_by: str
    verdict: str
    superseded: bool
    superseded_by: str | None  # what changed after it, in words

    def as_dict(self) -> dict[str, object]:
        return {"sample_id": self.sample_id, "signed_off_at": self.signed_off_at.isoformat(),
                "signed_off_by": self.signed_off_by, "verdict": self.verdict, "superseded": self.superseded,
                "superseded_by": self.superseded_by}


def unreviewed(con: duckdb.DuckDBPyConnection, sample_id: str) -> list[str]:
    """The active cases of the sample with an item that applies still unanswered."""
    return [str(i["case_id"]) for i in sample_items(con, sample_id) if i["status"] == "active" and not i["complete"]]


FOUR_EYES_ROLES = ("auditor", "compliance_officer")


def reviewers(con: duckdb.DuckDBPyConnection, sample_id: str) -> list[str]:
    """Everyone who answered for the sample's cases, first or second review."""
    found = fetch(con, "SELECT reviewer FROM reviews WHERE sample_id = $s UNION SELECT reviewer FROM second_reviews "
                       "WHERE sample_id = $s ORDER BY 1", {"s": sample_id})
    return [str(r["reviewer"]) for r in found]


def sign_off(con: duckdb.DuckDBPyConnection, user: User, sample_id: str, *,
             users: Mapping[str, Iterable[str]]) -> Evaluation:
    """Record the sample's evaluation as it reads now; refused while a case is unreviewed, and to a reviewer of the
    sample when another of the configured `users` (name → roles) could sign off instead (four eyes)."""
    role = require(user, "evaluate a sample")
    get_sample(con, sample_id)
    others = sorted(name for name, roles in users.items()
                    if name != user.name and set(roles) & set(FOUR_EYES_ROLES))
    if others and user.name in reviewers(con, sample_id):
        raise SignOffRefused(f"{user.name} reviewed cases of {sample_id}, so another person signs its evaluation off "
                             f"(four eyes): {', '.join(others)} hold(s) the auditor or compliance officer role.")
    missing = unreviewed(con, sample_id)
    if missing:
        raise SignOffRefused(f"Sample {sample_id} cannot be signed off: {len(missing)} case(s) still have items to "
                             f"answer ({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''}). Review them "
                             "first (Review tab, or oversight sample review).")
    evaluation = evaluate_sample(con, sample_id)
    at = datetime.now(UTC).replace(tzinfo=None)
    with transaction(con):
        con.execute("INSERT INTO sample_evaluations VALUES (?, ?, ?, ?, ?)",
                    [sample_id, at, user.name, evaluation.rubric_version, json.dumps(evaluation.as_dict())])
        audit.append_event(con, user=user.name, role=role, action="sample.evaluated", obj=f"sample:{sample_id}",
                           details={"verdict": evaluation.verdict, "relied_on": evaluation.relied_on,
                                    "deciding_items": list(evaluation.deciding_items),
                                    "cases_reviewed": evaluation.cases_reviewed,
                                    "items": {i.item: {"reviewed": i.reviewed, "deviations": i.deviations,
                                                       "upper_limit": i.upper_limit, "conclusion": i.conclusion}
                                              for i in evaluation.items}})
    return evaluation


def status(con: duckdb.DuckDBPyConnection, sample_id: str) -> SignOff | None:
    """The sample's latest sign-off, and whether an answer, replacement or top-up after it superseded it."""
    found = fetch(con, "SELECT evaluated_at, evaluated_by, result FROM sample_evaluations WHERE sample_id = ? "
                       "ORDER BY evaluated_at DESC LIMIT 1", [sample_id])
    if not found:
        return None
    at: datetime = found[0]["evaluated_at"]  # type: ignore[assignment]
    result = json.loads(str(found[0]["result"]))
    [later] = fetch(con, """SELECT (SELECT count(*) FROM reviews WHERE sample_id = $s AND reviewed_at > $at) AS reviews,
                                   (SELECT count(*) FROM sample_replacements WHERE sample_id = $s AND replaced_at > $at)
                                       AS replacements,
                                   (SELECT count(*) FROM sample_items WHERE sample_id = $s AND added_at > $at)
                                       + (SELECT count(*) FROM sample_top_ups WHERE sample_id = $s AND drawn_at > $at)
                                       AS added""",
                    {"s": sample_id, "at": at})
    changes = [f"{n} {what}" for what, n in (("review answer(s)", later["reviews"]),
                                              ("replacement(s)", later["replacements"]),
                                              ("case(s) added", later["added"])) if n]
    return SignOff(sample_id, at, str(found[0]["evaluated_by"]), str(result.get("verdict") or
                   ("relied_on" if result.get("relied_on") else "not_relied_on")), bool(changes),
                   "; ".join(changes) + " since" if changes else None)

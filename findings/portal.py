"""Responses to findings by the processor itself (issue 15 item 4), and the controller's decision on each.

GDPR Art. 28(3)(h) has the processor make available what shows compliance and contribute to audits; SCC 7.6 has it
answer the controller's requests. So the processor answers a notified finding on the record itself: accepted,
partially accepted or disputed, an explanation, a remediation plan and date (unless it disputes), and files. The
compliance officer or vendor manager then accepts or rejects the answer; accepting a plan moves the finding to
`remediation_planned`, rejecting leaves it `notified` for a new answer. Each step is one transaction with its
history entry and audit event (findings.record.log), the attachments' SHA-256 included.

Scoping (store/scope.py): a processor user sees only its own processor's findings that were sent to it (notified or
later, never one still `open` internally) and none of the internal fields (owner, notes, reasons, source, evidence).
Anything else is answered as "not found" (OutOfScope), so another processor's ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb

from findings.errors import FindingError, InvalidValue, UnknownFinding
from findings.lifecycle import Response, Status, transition_action
from findings.record import load, log
from findings.service import parse_choice
from ingest.load import now_utc
from store import blobs
from store.db import next_id, rows, transaction
from store.identity import User, require
from store.scope import OutOfScope, in_scope, require_processor, sql_filter

RESPOND = "respond to a finding as the processor"
DECIDE = "decide on a processor response"

# A finding the processor may see: sent to it (a `notified` entry in its history) and not open again internally.
_SENT_SQL = ("f.status <> 'open' AND EXISTS (SELECT 1 FROM finding_events e WHERE e.finding_id = f.finding_id "
             "AND e.to_status = 'notified')")

# What the processor's view of a finding holds: what the letter tells it, nothing internal (no owner, notes,
# status reasons, source or evidence details).
PROCESSOR_FIELDS = ["finding_id", "period", "clause", "title", "description", "severity", "due_on", "status"]


class NotNotified(FindingError):
    """Only a notified finding is answered: before that the processor was not told; after, an answer was accepted."""

    def __init__(self, finding_id: str, status: str) -> None:
        why = ("its remediation plan was already accepted; report progress to your contact at the controller"
               if status == Status.REMEDIATION_PLANNED else f"it is {status.replace('_', ' ')}")
        super().__init__(f"Finding {finding_id} cannot be answered now: {why}. A response is possible while a "
                         "finding is notified (sent to you and not yet answered with an accepted plan).")


class ResponsePending(FindingError):
    """An earlier response to the finding still waits for the controller's decision."""

    def __init__(self, finding_id: str, response_id: int) -> None:
        super().__init__(f"Your response {response_id} to finding {finding_id} is still waiting for the controller's "
                         "decision. You can respond again if it is rejected.")


class UnknownResponse(FindingError):
    """No response has that id (or the user may not see it)."""

    def __init__(self, response_id: object) -> None:
        super().__init__(f"There is no processor response '{response_id}'. The responses to a finding are listed "
                         "on its page and by `oversight findings show FINDING_ID`.")


class AlreadyDecided(FindingError):
    """A response is decided once; a rejected one is answered by a new response, not a second decision."""

    def __init__(self, response_id: int, decision: str) -> None:
        super().__init__(f"Response {response_id} was already {decision}; a decision is not changed. If the "
                         "processor should answer again, it sends a new response after a rejection.")


class CommentRequired(InvalidValue):
    """Rejecting a response needs a reason the processor can act on."""

    def __init__(self, response_id: int) -> None:
        super().__init__(f"Rejecting response {response_id} needs a comment saying why, e.g. --comment \"The plan "
                         "does not cover the cases answered after 30 days\"; the processor reads it.")


def _response_id(value: object) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise UnknownResponse(value) from None


def _visible_finding(con: duckdb.DuckDBPyConnection, user: User, finding_id: str) -> dict[str, object]:
    """Load a finding the user may see; for a processor user anything else is "not found" (OutOfScope)."""
    try:
        finding = load(con, finding_id)
    except UnknownFinding:
        if user.is_processor:
            raise OutOfScope("finding") from None
        raise
    if user.is_processor:
        require_processor(user, str(finding["processor"]), "finding")
        [(sent,)] = con.execute(f"SELECT {_SENT_SQL} FROM findings f WHERE f.finding_id = ?", [finding_id]).fetchall()
        if not sent:  # still open internally: the processor was never told (issue 15 item 1)
            raise OutOfScope("finding")
    return finding


def _attachments(con: duckdb.DuckDBPyConnection, shas: Sequence[str], names: Sequence[str]) -> list[dict[str, object]]:
    meta = {r["sha256"]: r for r in rows(con, "SELECT sha256, size, media_type FROM blobs "
                                              "WHERE list_contains(?, sha256)", [list(shas)])}
    return [{"sha256": sha, "filename": name, "size": meta.get(sha, {}).get("size"),
             "media_type": meta.get(sha, {}).get("media_type")} for sha, name in zip(shas, names, strict=True)]


def _shape(con: duckdb.DuckDBPyConnection, user: User, r: dict[str, object]) -> dict[str, object]:
    shas = list(r.pop("attachments") or [])  # type: ignore[call-overload]
    names = list(r.pop("attachment_names") or [])  # type: ignore[call-overload]
    r["attachments"] = _attachments(con, shas, names)
    if user.is_processor:  # who decided on the controller's side is internal; the decision and comment are not
        r.pop("decided_by", None)
    return r


def _responses(con: duckdb.DuckDBPyConnection, user: User, finding_ids: list[str]) -> list[dict[str, object]]:
    found = rows(con, "SELECT * FROM finding_responses WHERE list_contains(?, finding_id) ORDER BY response_id",
                 [finding_ids])
    return [_shape(con, user, r) for r in found]


def responses_for(con: duckdb.DuckDBPyConnection, user: User, finding_id: str) -> list[dict[str, object]]:
    """The processor's responses to one finding, oldest first, with their attachments and decisions."""
    _visible_finding(con, user, finding_id)
    return _responses(con, user, [finding_id])


def get_response(con: duckdb.DuckDBPyConnection, user: User, response_id: int | str) -> dict[str, object]:
    """One response with its attachments and decision; UnknownResponse for one the user may not see."""
    rid = _response_id(response_id)
    found = rows(con, "SELECT * FROM finding_responses WHERE response_id = ?", [rid])
    if not found:
        raise UnknownResponse(rid)
    try:
        _visible_finding(con, user, str(found[0]["finding_id"]))
    except OutOfScope:
        raise UnknownResponse(rid) from None
    return _shape(con, user, found[0])


def findings_for_processor(con: duckdb.DuckDBPyConnection, user: User) -> list[dict[str, object]]:
    """The processor's view: its findings that were sent to it, newest first, with its responses and decisions.

    For the controller's users, every processor's sent findings in the same shape (what the processors see).
    """
    where, params = sql_filter(user, "f.processor")
    found = rows(con, f"SELECT f.processor, {', '.join(f'f.{c}' for c in PROCESSOR_FIELDS)}, "
                      "coalesce((SELECT list(c.case_id ORDER BY c.case_id) FROM finding_cases c "
                      "WHERE c.finding_id = f.finding_id), []) AS case_ids "
                      f"FROM findings f WHERE {_SENT_SQL} AND {where} "
                      "ORDER BY f.created_at DESC, f.finding_id DESC", params)
    responses = _responses(con, user, [str(f["finding_id"]) for f in found])
    for f in found:
        if user.is_processor:
            f.pop("processor")  # its own name; other processors' names are never in its view anyway
        f["responses"] = [r for r in responses if r["finding_id"] == f["finding_id"]]
    return found


def finding_for_processor(con: duckdb.DuckDBPyConnection, user: User, finding_id: str) -> dict[str, object]:
    """One finding in the processor's view (findings_for_processor's shape); OutOfScope when not visible."""
    _visible_finding(con, user, finding_id)
    found = [f for f in findings_for_processor(con, user) if f["finding_id"] == finding_id]
    if not found:  # visible to the controller's users but never sent: the processor's view has nothing of it
        raise OutOfScope("finding")
    return found[0]


def respond(con: duckdb.DuckDBPyConnection, user: User, finding_id: str, response: str, explanation: str,
            plan: str | None = None, planned_on: date | None = None,
            attachments: Sequence[tuple[str, bytes]] = (), *, today: date | None = None) -> int:
    """Record the processor's answer to a notified finding of its own; return the response id.

    A plan and its date are required unless the finding is disputed, and the date may not be in the past. Each
    attachment is stored by its SHA-256 (store/blobs.py refuses empty, oversize and forbidden files).
    """
    role = require(user, RESPOND)
    answer = parse_choice(Response, response, "response")
    explanation = (explanation or "").strip()
    plan = (plan or "").strip() or None
    today = today or date.today()
    if not explanation:
        raise InvalidValue("Explain the response: what happened and why, in a few sentences, e.g. --explanation "
                           "\"Two agents missed the deadline alert during the migration week.\"")
    if answer is not Response.DISPUTED and (plan is None or planned_on is None):
        raise InvalidValue(f"A response '{answer.value.replace('_', ' ')}' needs a remediation plan and the date it "
                           "will be done by, e.g. --plan \"Retrain the team; add a deadline alert\" --planned-on "
                           "2026-12-15. Only a disputed finding is answered without a plan.")
    if planned_on is not None and planned_on < today:
        raise InvalidValue(f"The planned date {planned_on.isoformat()} is in the past; give the day the remediation "
                           f"will be done, {today.isoformat()} or later.")
    files = [(blobs.safe_filename(name, "attachment"), data) for name, data in attachments]
    with transaction(con):
        finding = _visible_finding(con, user, finding_id)
        status = str(finding["status"])
        if status != Status.NOTIFIED:
            raise NotNotified(finding_id, status)
        pending = con.execute("SELECT response_id FROM finding_responses WHERE finding_id = ? AND decision IS NULL",
                              [finding_id]).fetchall()
        if pending:
            raise ResponsePending(finding_id, int(pending[0][0]))
        shas = [blobs.put_blob(con, data, filename=name) for name, data in files]
        response_id = next_id(con, "finding_response_ids")
        con.execute(
            "INSERT INTO finding_responses (response_id, finding_id, processor, response, explanation, plan, "
            "planned_on, attachments, attachment_names, submitted_at, submitted_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [response_id, finding_id, finding["processor"], answer.value, explanation, plan, planned_on, shas,
             [name for name, _ in files], now_utc(), user.name])
        # The finding's "response so far" (the letter and the pack quote it) is the processor's latest answer.
        con.execute("UPDATE findings SET response = ?, response_text = ?, updated_at = ? WHERE finding_id = ?",
                    [answer.value, explanation, now_utc(), finding_id])
        log(con, user=user.name, role=role, finding_id=finding_id, action="processor_responded", from_status=status,
            to_status=status,
            details={"response_id": int(response_id), "response": answer.value, "explanation": explanation,
                     "plan": plan, "planned_on": planned_on.isoformat() if planned_on else None,
                     "attachments": [{"filename": name, "sha256": sha, "size": len(data)}
                                     for (name, data), sha in zip(files, shas, strict=True)]})
    return int(response_id)


def decide_response(con: duckdb.DuckDBPyConnection, user: User, response_id: int | str, accept: bool,
                    comment: str | None = None) -> str:
    """Accept or reject a processor's response; return the finding's status after the decision.

    Accepting a response with a plan moves the finding from notified to remediation_planned (the lifecycle's own
    move); accepting a dispute leaves the status (dismiss the finding if the dispute is right). Rejecting needs a
    comment and leaves the finding notified: the processor may respond again.
    """
    role = require(user, DECIDE)
    rid = _response_id(response_id)
    comment = (comment or "").strip() or None
    if not accept and comment is None:
        raise CommentRequired(rid)
    with transaction(con):
        found = rows(con, "SELECT * FROM finding_responses WHERE response_id = ?", [rid])
        if not found or not in_scope(user, str(found[0]["processor"])):
            raise UnknownResponse(rid)
        r = found[0]
        if r["decision"] is not None:
            raise AlreadyDecided(rid, str(r["decision"]))
        finding_id = str(r["finding_id"])
        finding = load(con, finding_id)
        status = Status(finding["status"])
        decision = "accepted" if accept else "rejected"
        con.execute("UPDATE finding_responses SET decision = ?, decided_at = ?, decided_by = ?, decision_comment = ? "
                    "WHERE response_id = ?", [decision, now_utc(), user.name, comment, rid])
        log(con, user=user.name, role=role, finding_id=finding_id, action=f"response_{decision}",
            from_status=status.value, to_status=status.value,
            details={"response_id": rid, "response": r["response"], "comment": comment,
                     "attachments": list(r["attachments"] or [])})  # type: ignore[call-overload]
        if not (accept and r["plan"]):
            return status.value
        target = Status.REMEDIATION_PLANNED
        action = transition_action(status, target)
        if action is None:  # moved meanwhile (dismissed, say): the decision stands, the finding does not move
            return status.value
        con.execute("UPDATE findings SET status = ?, status_reason = ?, updated_at = ? WHERE finding_id = ?",
                    [target.value, None, now_utc(), finding_id])
        log(con, user=user.name, role=role, finding_id=finding_id, action=action, from_status=status.value,
            to_status=target.value,
            details={"reason": f"processor response {rid} accepted", "response_id": rid, "plan": r["plan"],
                     "planned_on": r["planned_on"]})
        return target.value

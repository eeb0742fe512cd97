"""Each finding in plain words, in the processor's language: what was found, by the source that raised it.

A finding's title is our internal label in English; the letter says instead, per check of checks/catalog.py and per
rubric item of vocab/rubric.py, what went wrong in a sentence the catalog translates (i18n, context `finding`).
A finding raised by hand is quoted with the title its author gave it (it may already be in the processor's language).
"""

from __future__ import annotations

from collections.abc import Callable

from i18n import Messages

# Every call is written out so that `python -m i18n.compile --check` finds the message ids in the code.
_CHECKS: dict[str, Callable[[Messages], str]] = {
    "deadline.late_response": lambda m: m.p_("finding", "Requests were answered after the legal deadline."),
    "deadline.overdue_open": lambda m: m.p_("finding", "Requests were still open after the legal deadline."),
    "deadline.due_soon": lambda m: m.p_("finding", "Requests were open and close to their legal deadline."),
    "response.date_missing": lambda m: m.p_("finding", "Cases were closed without the date of the answer."),
    "outcome.unstated": lambda m: m.p_("finding", "Cases were closed without stating their outcome."),
    "extension.late_notice": lambda m: m.p_("finding", "Data subjects were told of an extension too late."),
    "extension.no_reason": lambda m: m.p_("finding", "Deadlines were extended without giving a reason."),
    "refusal.no_complaint_notice": lambda m: m.p_(
        "finding", "Refusals did not tell the data subject of the right to complain to a supervisory authority."),
    "refusal.no_remedy_notice": lambda m: m.p_(
        "finding", "Refusals did not tell the data subject of the right to a judicial remedy."),
    "refusal.after_one_month": lambda m: m.p_("finding", "Refusals were sent after the first month."),
    "refusal.no_reason": lambda m: m.p_("finding", "Requests were refused without a reason."),
    "identity.not_verified": lambda m: m.p_("finding", "Requests were fulfilled without verifying identity."),
    "identity.disproportionate": lambda m: m.p_("finding", "Identification was asked where none was needed."),
    "identity.late_request": lambda m: m.p_("finding", "Identification was asked too late to pause the deadline."),
    "identity.pause_unevidenced": lambda m: m.p_(
        "finding", "The deadline was paused for identification without the date the identification arrived."),
    "sla.forwarding_late": lambda m: m.p_("finding", "Requests were forwarded to us late or not at all."),
    "sla.answered_without_authorisation": lambda m: m.p_(
        "finding", "Requests were answered by you without being forwarded to us."),
    "sla.escalation_missing": lambda m: m.p_("finding", "Cases that had to be escalated were not escalated."),
    "sla.escalation_late": lambda m: m.p_("finding", "Cases were escalated late."),
    "marketing.optout_not_effective": lambda m: m.p_("finding", "Marketing opt-outs did not take effect in time."),
    "consent.withdrawal_not_effective": lambda m: m.p_(
        "finding", "Withdrawals of consent did not take effect at once."),
    "sla.complaint_late": lambda m: m.p_("finding", "Complaints were answered late."),
    "repeat.same_request": lambda m: m.p_("finding", "Data subjects had to make the same request again."),
    "repeat.fix_not_held": lambda m: m.p_("finding", "A remedy did not hold: the same problem came back."),
    "training.roster_missing": lambda m: m.p_("finding", "The training roster was not sent."),
    "training.agent_missing": lambda m: m.p_("finding", "Cases did not name the agent who handled them."),
    "training.not_current": lambda m: m.p_("finding", "Agents' data protection training was not current."),
    "training.agent_unknown": lambda m: m.p_("finding", "Agents who handled cases are not on the training roster."),
    "confidentiality.not_signed": lambda m: m.p_(
        "finding", "Agents had not signed a confidentiality undertaking."),
    "report.late": lambda m: m.p_("finding", "The monthly report was sent late."),
    "report.corrected_late": lambda m: m.p_("finding", "The monthly report was corrected after its due day."),
    "report.rows_quarantined": lambda m: m.p_("finding", "Rows of the monthly report could not be read."),
    "report.field_missing": lambda m: m.p_(
        "finding", "The monthly report lacked a field the contract requires."),
    "report.totals_mismatch": lambda m: m.p_(
        "finding", "The totals declared in the monthly report differ from its rows."),
    "report.case_dropped": lambda m: m.p_("finding", "Open cases were dropped from the monthly report."),
    "report.history_changed": lambda m: m.p_("finding", "The history of cases was rewritten in a later report."),
    "report.missing": lambda m: m.p_("finding", "The monthly report was not sent."),
}

_RUBRIC: dict[str, Callable[[Messages], str]] = {
    "recognised": lambda m: m.p_("finding", "Our spot check found requests that were not recognised as what they "
                                            "are."),
    "identity": lambda m: m.p_("finding", "Our spot check found identity checks that were missing or went further "
                                          "than needed."),
    "timely": lambda m: m.p_("finding", "Our spot check found data subjects not answered within the legal "
                                        "deadline."),
    "substance": lambda m: m.p_("finding", "Our spot check found answers that did not address the person's actual "
                                           "concern."),
    "escalation": lambda m: m.p_("finding", "Our spot check found cases not escalated when they should have been."),
    "refusal_notice": lambda m: m.p_("finding", "Our spot check found refusals without the reasons or the notices "
                                                "the law requires."),
    "extension_notice": lambda m: m.p_("finding", "Our spot check found extensions not notified in time or without "
                                                  "reasons."),
    "minimisation": lambda m: m.p_("finding", "Our spot check found case notes holding more personal data than "
                                              "needed."),
    "unable": lambda m: m.p_("finding", "The records of sampled cases were not made available for our spot check."),
}


def what_was_found(m: Messages, source: str, title: str) -> str:
    """The finding in one plain sentence in the letter's language; a hand-raised finding's own title otherwise."""
    kind, _, rest = source.partition(":")
    if kind == "check" and rest in _CHECKS:
        return _CHECKS[rest](m)
    if kind == "spotcheck":
        item = rest.rsplit(":", 1)[-1]
        if item in _RUBRIC:
            return _RUBRIC[item](m)
    return title


def known_sources() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The check ids and rubric items with a plain sentence (a test holds them to the catalog and the rubric)."""
    return tuple(_CHECKS), tuple(_RUBRIC)

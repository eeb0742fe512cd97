"""The planted problems: hand-written cases, each clearly offending one check (see README.md).

Dates are "MM-DD" in 2026. Unless a keyword says otherwise a planted case is handled cleanly:
controller-handled types are forwarded (and escalated where required) on the day of receipt,
opt-outs are suppressed that day, identity is verified for disclosures, refusals carry a reason and
the complaint-right notice. "never" leaves a step out. Report tags in overrides/excluded/extra are a
period ("2026-09", every version of that report) or a file version ("2026-09_v1").
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sample_reports.cases import (
    ESCALATE_OUTCOMES,
    ESCALATE_TYPES,
    PROCESSOR_HANDLED,
    REFUSAL_OUTCOMES,
    VERIFY_TYPES,
    Case,
)
from sample_reports.profiles import APPELIA, BELCALL
from sample_reports.scenario import CaseIds, Customers, Profile

NEVER = "never"
WITHDRAWALS = ("marketing_opt_out", "consent_withdrawal")  # take effect in the systems on the day (suppressed_on)


def d(month_day: str) -> date:
    month, day = month_day.split("-")
    return date(2026, int(month), int(day))


def opt(value: str | None) -> date | None:
    return None if value in (None, NEVER) else d(value)


def plant(profile: Profile, ids: CaseIds, customers: Customers, case_id: str, received: str,
          request_type: str, **kw: Any) -> Case:
    controller = request_type not in PROCESSOR_HANDLED
    resp, outcome = kw.get("resp"), kw.get("outcome", "fulfilled" if kw.get("resp") else None)
    regular = [a for a, weight in profile.agents.items() if weight == 1.0]
    case = Case(
        case_id=ids.claim(case_id), received_on=d(received), request_type=request_type,
        channel=kw.get("channel", "phone"), agent=kw.get("agent", regular[sum(map(ord, case_id)) % len(regular)]),
        subject=customers.reserve(kw["subject"], request_type) if "subject" in kw else customers.pick(request_type),
        language=kw.get("lang", next(iter(profile.languages))),
        summary=kw.get("note", profile.notes[request_type][0]), planted=True,
        identity_verified=kw.get("verified", True if request_type in VERIFY_TYPES else None),
        id_requested_on=opt(kw.get("idreq")), id_received_on=opt(kw.get("idrec")),
        forwarded_on=opt(kw.get("fwd", received if controller else None)),
        extension_notified_on=opt(kw.get("ext")), responded_on=opt(resp), outcome=outcome,
        suppressed_on=opt(kw.get("supp", received if request_type in WITHDRAWALS else None)),
        overrides=kw.get("overrides", {}), excluded_from=set(kw.get("excluded", ())),
        extra_rows=kw.get("extra", {}),
    )
    if request_type in ESCALATE_TYPES or outcome in ESCALATE_OUTCOMES:
        case.escalated_on = opt(kw.get("esc", received))
        default_to = "legal" if request_type in ("erasure", "access", "restriction") else "dpo"
        case.escalated_to = kw.get("esc_to", default_to) if case.escalated_on else None
    if case.extension_notified_on:
        case.extension_reason = kw.get("ext_reason", profile.extension_reasons[0]) or None
    if outcome in REFUSAL_OUTCOMES:
        case.refusal_reason = kw.get("reason", profile.refusal_reasons[outcome][0]) or None
        case.complaint_right_notified = kw.get("complaint", True)
        case.judicial_remedy_notified = kw.get("remedy", True)
    return case


def belcall_cases(ids: CaseIds, customers: Customers) -> list[Case]:
    def p(*args: str, **kw: Any) -> Case:
        return plant(BELCALL, ids, customers, *args, **kw)

    return [
        # deadline.late_response (48 days); also due_soon in the July report (due 03-08).
        p("BC-260703-01", "07-03", "access", resp="08-20", note="Klant stuurde herinnering op 10-08"),
        # extension.late_notice: extension sent 19-08, after the 1-month date 06-08; so also late.
        p("BC-260706-01", "07-06", "access", ext="08-19", resp="09-15"),
        # Clean reference: erasure refused with reason and complaint notice, escalated next working day.
        p("BC-260707-01", "07-07", "erasure", esc="07-08", resp="07-21", outcome="refused"),
        # sla.forwarding_late: forwarded 16-07, the 6th working day after receipt.
        # training.agent_missing: no Medewerker on the row.
        p("BC-260708-01", "07-08", "erasure", fwd="07-16", esc="07-09", resp="07-30", agent=""),
        # repeat.same_request: KL-118204 opts out three times within 75 days (each suppressed).
        p("BC-260709-01", "07-09", "marketing_opt_out", subject="KL-118204", resp="07-10"),
        # identity.not_verified: access fulfilled, identity not verified.
        p("BC-260715-01", "07-15", "access", verified=False, resp="07-29", channel="email"),
        # report.rows_quarantined is not triggered by an exact duplicate: the tool skips the copy.
        # consent.withdrawal_not_effective: consent withdrawn, answered the next day, never made effective.
        p("BC-260720-01", "07-20", "consent_withdrawal", supp=NEVER, resp="07-21",
          extra={"2026-07": [{}]}),
        # report.rows_quarantined (duplicate_conflict): same id twice with a different answer.
        p("BC-260722-01", "07-22", "rectification", resp="07-24",
          extra={"2026-07": [{"responded_on": d("07-27"), "outcome": "no_data"}]}),
        # sla.escalation_late: objection escalated 14-08, the 9th working day after receipt.
        p("BC-260803-01", "08-03", "objection", fwd="08-04", esc="08-14", resp="08-27"),
        # extension.no_reason: extension without reason (answered within the first month anyway).
        p("BC-260804-01", "08-04", "portability", ext="08-21", ext_reason="", resp="08-31"),
        # identity.disproportionate: ID card copy asked to stop marketing.
        p("BC-260804-02", "08-04", "marketing_opt_out", idreq="08-05", idrec="08-07", supp="08-07",
          resp="08-07", note="Kopie identiteitskaart gevraagd vóór uitschrijving"),
        # Clean reference: extension notified in time with a reason, answered within 3 months.
        p("BC-260810-01", "08-10", "access", ext="08-28", resp="10-05"),
        p("BC-260811-01", "08-11", "marketing_opt_out", subject="KL-118204", resp="08-12"),
        # refusal.no_complaint_notice: refusal without the complaint-right notice.
        p("BC-260812-01", "08-12", "erasure", esc="08-13", resp="08-28", outcome="refused", complaint=False),
        # sla.forwarding_late (never) + sla.answered_without_authorisation.
        p("BC-260817-01", "08-17", "access", fwd=NEVER, resp="08-26"),
        # report.case_dropped: open at the end of August, missing from September (v1 and v2),
        # back in October answered (and late: due 18-09).
        p("BC-260818-01", "08-18", "access", fwd="08-19", resp="10-06", excluded=("2026-09",)),
        # report.history_changed: received 24-08 per August, 02-09 per September, hiding a late answer.
        p("BC-260824-01", "08-24", "access", fwd="08-25", resp="09-28",
          overrides={"2026-09": {"received_on": d("09-02"), "forwarded_on": d("09-02")}}),
        # identity.late_request: ID asked 13 days after receipt; identity.pause_unevidenced: the report leaves out
        # the date the ID arrived (18-09), so the answer gives no evidence of when the pause ended.
        p("BC-260901-01", "09-01", "access", idreq="09-14", idrec="09-18", resp="09-29",
          overrides={"2026-09": {"id_received_on": None}}),
        # refusal.no_reason: partial answer without a reason.
        p("BC-260903-01", "09-03", "access", esc="09-04", resp="09-21", outcome="partially_fulfilled",
          reason=""),
        # marketing.optout_not_effective: answered, never suppressed.
        p("BC-260907-01", "09-07", "marketing_opt_out", supp=NEVER, resp="09-08"),
        # deadline.overdue_open: open at 31-10, due 08-10.
        p("BC-260908-01", "09-08", "access", fwd="09-09"),
        # Resubmission: v1 says answered 12-09, v2 corrects it to 21-09.
        p("BC-260910-01", "09-10", "access", resp="09-21",
          overrides={"2026-09_v1": {"responded_on": d("09-12")}}),
        # report.rows_quarantined (bad_date): received date typed as 31/02/2026.
        p("BC-260914-01", "09-14", "consent_withdrawal", resp="09-15",
          overrides={"2026-09": {"received_on": "31/02/2026"}}),
        # report.rows_quarantined (unknown_value): an address change typed as its own type.
        p("BC-260915-01", "09-15", "rectification", resp="09-17", note="Nieuw adres doorgegeven",
          overrides={"2026-09": {"request_type": "Adreswijziging"}}),
        # sla.escalation_missing: complaint forwarded but never escalated.
        p("BC-260916-01", "09-16", "complaint", esc=NEVER, resp="09-30"),
        # report.rows_quarantined (missing_required): row without Dossiernummer.
        p("BC-260917-01", "09-17", "marketing_opt_out", resp="09-18", overrides={"2026-09": {"case_id": ""}}),
        p("BC-260922-01", "09-22", "marketing_opt_out", subject="KL-118204", resp="09-23",
          note="3e afmelding in drie maanden – klant wordt nog steeds gebeld"),
        # Resubmission: v2 adds these two rows that v1 left out; response.date_missing: the second says how it
        # ended (Uitgevoerd) but not when the person was answered (30-09).
        p("BC-260928-01", "09-28", "marketing_opt_out", resp="09-29", excluded=("2026-09_v1",)),
        p("BC-260929-01", "09-29", "rectification", resp="09-30", excluded=("2026-09_v1",),
          overrides={"2026-09": {"responded_on": None}}),
        # deadline.due_soon: open at 31-10, due 02-11 (01-11 is a Sunday and a holiday).
        p("BC-261001-01", "10-01", "access"),
        p("BC-261002-01", "10-02", "erasure"),
        # marketing.optout_not_effective: suppressed 19-10, the 10th working day.
        p("BC-261005-01", "10-05", "marketing_opt_out", supp="10-19", resp="10-19"),
        # report.rows_quarantined (date_order): answer dated 04-10, before receipt (typo for 24-10).
        p("BC-261014-01", "10-14", "rectification", resp="10-24",
          overrides={"2026-10": {"responded_on": d("10-04")}}),
    ]


def appelia_cases(ids: CaseIds, customers: Customers) -> list[Case]:
    def p(*args: str, **kw: Any) -> Case:
        return plant(APPELIA, ids, customers, *args, **kw)

    return [
        # sla.escalation_late: complaint escalated 17-07, the 9th working day.
        p("APS-260706-001", "07-06", "complaint", esc="07-17", resp="07-24"),
        # deadline.late_response: answered after 50 days.
        p("APS-260708-001", "07-08", "erasure", resp="08-27"),
        # extension.no_reason (answered within the first month anyway).
        p("APS-260713-001", "07-13", "access", ext="07-30", ext_reason="", resp="08-10"),
        # training.not_current: p.renard's training dates from 22-04-2025.
        p("APS-260714-001", "07-14", "marketing_opt_out", agent="p.renard", resp="07-15"),
        # identity.disproportionate: ID asked for a marketing opt-out.
        p("APS-260720-001", "07-20", "marketing_opt_out", idreq="07-20", idrec="07-23", supp="07-23",
          resp="07-23", note="Pièce d’identité demandée avant désinscription"),
        # sla.forwarding_late: never forwarded; answered by the processor, which needs no authorisation for
        # `other` (not a data-subject right: authorisation_required_types).
        p("APS-260722-001", "07-22", "other", fwd=NEVER, resp="07-24"),
        # Extension with reason, answered within 3 months (in October): in time, but the answer is a partial
        # refusal, sent after the first month (refusal.after_one_month).
        p("APS-260727-001", "07-27", "access", ext="08-12", resp="10-08", outcome="partially_fulfilled"),
        # repeat.same_request: CL-53317 asks for access again 70 days later.
        p("APS-260803-001", "08-03", "access", subject="CL-53317", resp="08-20"),
        # refusal.no_reason: refusal without reason.
        p("APS-260806-001", "08-06", "erasure", resp="08-24", outcome="refused", reason=""),
        # marketing.optout_not_effective: suppressed 28-08, the 13th working day.
        p("APS-260810-001", "08-10", "marketing_opt_out", supp="08-28", resp="08-28"),
        # sla.complaint_late: a complaint still open at 31-10, answer due 22-09 (20 working days; a complaint is
        # not a right of Arts 15-22, so no statutory month: deadline.overdue_open does not apply).
        p("APS-260825-001", "08-25", "complaint", esc="08-26"),
        # deadline.late_response seen only in October: received in September (no report), 48 days.
        p("APS-260902-001", "09-02", "access", resp="10-20"),
        # deadline.due_soon: open at 31-10, due 05-11 and 06-11.
        p("APS-261005-001", "10-05", "access"),
        p("APS-261006-001", "10-06", "erasure"),
        # refusal.no_complaint_notice.
        p("APS-261007-001", "10-07", "objection", esc="10-08", resp="10-22", outcome="refused", complaint=False,
          remedy=False),
        # identity.not_verified: portability fulfilled without verified identity.
        p("APS-261008-001", "10-08", "portability", verified=False, resp="10-23", channel="web"),
        p("APS-261012-001", "10-12", "access", subject="CL-53317", resp="10-26",
          note="Deuxième demande d’accès : le client juge la première réponse incomplète"),
        # sla.forwarding_late: restriction forwarded 23-10, the 8th working day.
        p("APS-261013-001", "10-13", "restriction", fwd="10-23", resp="10-29"),
        # sla.escalation_missing: erasure never escalated.
        p("APS-261014-001", "10-14", "erasure", esc=NEVER, resp="10-28"),
        # training.agent_unknown: y.benali is not on the Formation sheet; outcome.unstated: the outcome is
        # `Traité` (handled), which says the ticket was closed, not whether access was given.
        p("APS-261019-001", "10-19", "access", agent="y.benali", resp="10-30",
          overrides={"2026-10": {"outcome": "Traité"}}),
    ]

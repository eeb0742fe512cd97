"""The check catalog, declared as data (documented in docs/checks.md). The runner executes it; nothing here runs SQL.

Every check reads one *source*, a temporary table the runner builds for the run's scope (see checks/sources.py):

- ``cases``    one row per case of each report in scope, with its computed deadlines and the profile's parameters;
- ``reports``  one row per report in scope (submission facts, the report's due date);
- ``dropped``  the open cases of the previous month's report, and whether this month's report still lists them;
- ``history``  each case of the report that an earlier report listed, with what that earlier report said;
- ``missing``  the months between the previous report and this one, and after the last one up to the as-of date;
- ``repeats``  each case with a data subject, and their earlier requests of the same type within the window.
- ``agents``   each agent of a report (on its cases or the roster), with the cases the agent handled.

A check is three SQL expressions over one row of its source: ``applies`` (the row is tested), ``offends`` (it fails),
and ``details`` (a struct of the values that make it offend). Zero offending rows = pass. Ids are an interface
(CLI output, exports, findings): keep them stable.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from vocab.severity import Severity


class Source(StrEnum):
    CASES = "cases"
    REPORTS = "reports"
    DROPPED = "dropped"
    HISTORY = "history"
    MISSING = "missing"
    REPEATS = "repeats"
    AGENTS = "agents"


@dataclass(frozen=True)
class Check:
    """One rule: what it tests, when a row offends, and what the exception records."""

    id: str
    title: str
    description: str   # the rule in one sentence, shown beside the check
    severity: Severity
    basis: str         # the legal or contractual basis
    clause: str        # the default clause of the contract it is logged against (the profile may map another)
    source: Source
    applies: str       # SQL boolean: this row is tested
    offends: str       # SQL boolean: this tested row offends
    details: str       # SQL struct_pack(...) of the values that make it offend
    severity_sql: str | None = None  # SQL giving a row's severity when it depends on the row (else `severity`)
    # Issue 12 §7: the spot-check rubric item that asks the same question of a case (vocab/rubric.py), or None
    rubric_item: str | None = None

    @property
    def report_level(self) -> bool:
        """Report-level exceptions have no case (case_id null in the CLI contract); an agent's lists its cases."""
        return self.source in (Source.REPORTS, Source.MISSING, Source.AGENTS)


CRIT, MAJOR, MINOR, INFO = Severity.CRITICAL, Severity.MAJOR, Severity.MINOR, Severity.INFO
# Art. 12(5): a request refused as manifestly unfounded or excessive is a refusal like any other (Art. 12(4)).
REFUSED = "('refused', 'partially_fulfilled', 'excessive')"
REFUSALS = "('refused', 'partially_fulfilled', 'identity_not_confirmed', 'excessive')"  # Art. 12(4): not acting
# Art. 12(5): the controller bears the burden of showing a request excessive and decides on a fee, so these
# outcomes go to it whatever the contract's lists say.
CONTROLLER_OUTCOMES = "('excessive', 'fee')"
DISCLOSURE = "('access', 'portability')"  # the request types whose fulfilment hands personal data over
ANSWERED = "responded_on IS NOT NULL"
# Closed (a closing date or an outcome) is not answered: a case closed with no answer date is neither answered on
# time nor open and overdue; response.date_missing says what is missing.
CLOSED = "(closed_on IS NOT NULL OR outcome IS NOT NULL)"
# GDPR Art. 12(3) sets the month for the rights of Arts 15-22 only (a marketing opt-out is the Art. 21(2)-(3)
# objection); complaints and other requests get the contract's answer time (sla.complaint_late), and a consent
# withdrawal (Art. 7(3)) takes effect at once (consent.withdrawal_not_effective).
STATUTORY = ("request_type IN ('access', 'rectification', 'erasure', 'restriction', 'portability', 'objection', "
             "'marketing_opt_out')")
OPEN = f"responded_on IS NULL AND NOT {CLOSED}"


def _blank(column: str) -> str:
    return f"coalesce(trim({column}), '') = ''"


def _given(*fields: str) -> str:
    """SQL: the report has the fields a check reads, or the contract does not require them (when it does and the
    report lacks one, report.field_missing says so once instead of this check for every case)."""
    return f"NOT list_has_any(missing_required, [{', '.join(repr(f) for f in fields)}])"


CHECKS: tuple[Check, ...] = (
    # --- Statutory deadlines (GDPR Art. 12(3); months counted per Reg. 1182/71) ---
    Check("deadline.late_response", "Answered after the deadline",
          "The answer went out after the due date: one month from receipt, or three with an extension notified in "
          "the first month; identity pause applied, rolled to the next working day.",
          MAJOR, "GDPR Art. 12(3)", "SCC 8(b)", Source.CASES,
          applies=f"{STATUTORY} AND {ANSWERED}", offends="responded_on > due_on",
          details="struct_pack(received_on, responded_on, due_on, days_late := responded_on - due_on, "
                  "extension_valid, paused_days)"),
    Check("deadline.overdue_open", "Open past the deadline",
          "The request is still unanswered on the as-of date and its due date has passed.",
          MAJOR, "GDPR Art. 12(3)", "SCC 8(b)", Source.CASES,
          applies=f"{STATUTORY} AND {OPEN}", offends="as_of > due_on",
          details="struct_pack(received_on, due_on, as_of, days_overdue := as_of - due_on, extension_valid, "
                  "paused_days)"),
    Check("deadline.due_soon", "Open and due soon",
          "The request is unanswered and falls due within the profile's due_soon_days after the as-of date.",
          INFO, "GDPR Art. 12(3)", "SCC 8(b)", Source.CASES,
          applies=f"{STATUTORY} AND {OPEN}", offends="due_on >= as_of AND due_on <= as_of + due_soon_days",
          details="struct_pack(received_on, due_on, as_of, days_left := due_on - as_of)"),
    Check("response.date_missing", "Closed with no answer date",
          "The case is closed (it has a closing date or an outcome) but gives no date on which the person was "
          "answered, so it cannot be shown to have been answered in time.",
          MAJOR, "GDPR Art. 5(2), 12(3)", "SCC 8(b)", Source.CASES,
          applies=f"{ANSWERED} OR {CLOSED}", offends="responded_on IS NULL",
          details="struct_pack(received_on, closed_on, outcome, due_on)"),
    Check("outcome.unstated", "Outcome not stated",
          "The report says only that the ticket was closed, not whether the request was granted, refused or "
          "answered otherwise, so a refusal cannot be told apart and its notices cannot be checked.",
          MAJOR, "GDPR Art. 5(2), 12(4), 28(3)(h)", "SCC 7.6", Source.CASES,
          applies="outcome IS NOT NULL", offends="outcome = 'closed'",
          details="struct_pack(request_type, outcome, responded_on, closed_on)"),
    Check("extension.late_notice", "Extension notified too late",
          "The extension was notified after the one-month due date, so it is invalid and the one-month date stands.",
          MAJOR, "GDPR Art. 12(3)", "SCC 8(b)", Source.CASES,
          applies="extension_notified_on IS NOT NULL", offends="extension_notified_on > due_1m",
          details="struct_pack(received_on, extension_notified_on, one_month_due_on := due_1m)"),
    Check("extension.no_reason", "Extension without a reason",
          "An extension was notified without the reasons the data subject must be given; where the profile requires "
          "them (extension_requires_reason) the extension does not count and the one-month date stands.",
          MAJOR, "GDPR Art. 12(3)", "SCC 8(b)", Source.CASES,
          applies=f"extension_notified_on IS NOT NULL AND {_given('extension_reason')}",
          offends=_blank("extension_reason"),
          details="struct_pack(received_on, extension_notified_on, extension_reason, extension_valid, due_on)",
          severity_sql="CASE WHEN extension_requires_reason THEN 'major' ELSE 'minor' END"),
    Check("refusal.no_complaint_notice", "Refusal without the complaint-right notice",
          "A refusal (full or partial, or for unconfirmed identity) did not tell the person they can complain to the "
          "supervisory authority.",
          MAJOR, "GDPR Art. 12(4)", "SCC 8(b)", Source.CASES,
          applies=f"outcome IN {REFUSALS} AND {_given('complaint_right_notified')}",
          offends="complaint_right_notified IS NOT TRUE",
          details="struct_pack(outcome, complaint_right_notified, responded_on)"),
    Check("refusal.no_remedy_notice", "Refusal without the judicial-remedy notice",
          "A refusal (full or partial, or for unconfirmed identity) did not tell the person they may also seek a "
          "judicial remedy.",
          MAJOR, "GDPR Art. 12(4), 79", "SCC 8(b)", Source.CASES,
          applies=f"outcome IN {REFUSALS} AND {_given('judicial_remedy_notified')}",
          offends="judicial_remedy_notified IS NOT TRUE",
          details="struct_pack(outcome, judicial_remedy_notified, responded_on)"),
    Check("refusal.after_one_month", "Refusal sent after the first month",
          "A refusal went out after the one-month date, even where the period was extended: our interpretation of "
          "EDPB 01/2022 §157 and Art. 12(4), whose month for telling the person why the controller does not act "
          "is not extended.",
          MINOR, "GDPR Art. 12(4); EDPB 01/2022 §157 (interpretation)", "SCC 8(b)", Source.CASES,
          applies=f"outcome IN {REFUSALS} AND {ANSWERED}", offends="responded_on > due_1m",
          details="struct_pack(outcome, received_on, responded_on, one_month_due_on := due_1m, extension_valid)"),
    Check("refusal.no_reason", "Refusal without a reason",
          "A full or partial refusal has no recorded reason (the controller bears the burden of proof).",
          MAJOR, "GDPR Art. 12(4), 12(5)", "SCC 8(b)", Source.CASES,
          applies=f"outcome IN {REFUSED} AND {_given('refusal_reason')}", offends=_blank("refusal_reason"),
          details="struct_pack(outcome, refusal_reason)"),
    # --- Identity (Art. 12(6)) ---
    Check("identity.not_verified", "Fulfilled without identity verification",
          "A request of a type the contract has verified (verify_identity_types) was fulfilled, fully or partly, "
          "without the identity being verified; personal data given to an unverified caller (access, portability) "
          "is critical, a possible personal data breach.",
          CRIT, "GDPR Art. 4(12), 5(1)(f), 12(6), 32; Recital 64", "SCC 7.4", Source.CASES,
          applies=f"{_given('identity_verified')} AND list_contains(verify_identity_types, request_type) "
                  "AND outcome IN ('fulfilled', 'partially_fulfilled')",
          offends="identity_verified IS NOT TRUE",
          details="struct_pack(request_type, outcome, identity_verified)",
          # Art. 4(12): disclosure to the wrong person is itself a personal data breach; a change (erasure,
          # rectification, restriction) for an unverified caller is a major non-conformity.
          severity_sql=f"CASE WHEN request_type IN {DISCLOSURE} THEN 'critical' ELSE 'major' END"),
    Check("identity.disproportionate", "Identification asked where none is needed",
          "Identification was requested to stop marketing or withdraw consent, which needs none.",
          MINOR, "GDPR Art. 12(2), 12(6); EDPB 01/2022 §§65-79", "SCC 8(b)", Source.CASES,
          applies="request_type IN ('marketing_opt_out', 'consent_withdrawal')",
          offends="id_requested_on IS NOT NULL",
          details="struct_pack(request_type, id_requested_on)"),
    Check("identity.late_request", "Identification asked too late to pause the clock",
          "Identification was requested more than id_request_within_days after receipt, so the clock was not paused.",
          MINOR, "GDPR Art. 12(6); EDPB 01/2022 §159", "SCC 8(b)", Source.CASES,
          applies="id_requested_on IS NOT NULL", offends="id_requested_on - received_on > id_request_within_days",
          details="struct_pack(received_on, id_requested_on, days_after_receipt := id_requested_on - received_on, "
                  "allowed_days := id_request_within_days)"),
    Check("identity.pause_unevidenced", "Clock paused for identity with no date the ID arrived",
          "An answered case asked for identification but gives no date on which it was received, so the clock is "
          "not paused: the period is suspended only until the information is obtained.",
          MAJOR, "GDPR Art. 12(3), 12(6); EDPB 01/2022 §159", "SCC 8(b)", Source.CASES,
          applies=f"id_requested_on IS NOT NULL AND {ANSWERED} AND outcome IS DISTINCT FROM 'identity_not_confirmed'",
          offends="id_received_on IS NULL",
          details="struct_pack(received_on, id_requested_on, id_received_on, responded_on, outcome, due_on)"),
    # --- Contract service levels (the DPA and its annex) ---
    Check("sla.forwarding_late", "Request forwarded late or not at all",
          "A request the processor may not handle itself was not forwarded within forward_working_days working days "
          "of receipt.",
          MAJOR, "GDPR Art. 28(3)(e)", "SCC 8(a)", Source.CASES,
          applies=f"NOT list_contains(handled_by_processor, request_type) AND {_given('forwarded_on')}",
          offends="coalesce(forwarded_on > forward_due_on, as_of > forward_due_on)",
          details="struct_pack(request_type, received_on, forwarded_on, forward_due_on)"),
    Check("sla.answered_without_authorisation", "Answered by the processor without forwarding",
          "The processor answered a request of a type that needs the controller's authorisation "
          "(authorisation_required_types) and never forwarded it to the controller.",
          MAJOR, "GDPR Art. 28(3)(e)", "SCC 8(a)", Source.CASES,
          applies=f"{_given('forwarded_on')} AND list_contains(authorisation_required_types, request_type) "
                  f"AND NOT list_contains(handled_by_processor, request_type) AND {ANSWERED}",
          offends="forwarded_on IS NULL",
          details="struct_pack(request_type, responded_on, forwarded_on)"),
    Check("sla.escalation_missing", "Not escalated",
          "A request or outcome the contract says must go to the DPO or legal, or an outcome of Art. 12(5) "
          "(excessive, fee), was not escalated (once answered, or once the escalation deadline passed).",
          MAJOR, "GDPR Art. 28(3)(e)", "Annex III", Source.CASES,
          applies="(list_contains(escalate_request_types, request_type) OR list_contains(escalate_outcomes, outcome)"
                  f" OR outcome IN {CONTROLLER_OUTCOMES}) AND ({ANSWERED} OR as_of > escalation_due_on)"
                  f" AND {_given('escalated_on')}",
          offends="escalated_on IS NULL",
          details="struct_pack(request_type, outcome, escalated_on, escalation_due_on)"),
    Check("sla.escalation_late", "Escalated late",
          "The case was escalated more than escalation_working_days working days after receipt.",
          MINOR, "GDPR Art. 28(3)(e)", "Annex III", Source.CASES,
          applies="escalated_on IS NOT NULL", offends="escalated_on > escalation_due_on",
          details="struct_pack(received_on, escalated_on, escalation_due_on)"),
    Check("marketing.optout_not_effective", "Marketing opt-out not effective in time",
          "A marketing opt-out was not suppressed within optout_working_days working days of receipt (or was answered "
          "without any suppression).",
          MAJOR, "GDPR Art. 21(3)", "SCC 8(b)", Source.CASES,
          applies=f"request_type = 'marketing_opt_out' AND {_given('suppressed_on')}",
          offends=f"coalesce(suppressed_on > optout_due_on, {ANSWERED} OR as_of > optout_due_on)",
          details="struct_pack(received_on, suppressed_on, optout_due_on, responded_on)"),
    Check("consent.withdrawal_not_effective", "Consent withdrawal not effective at once",
          "A withdrawal of consent was not made effective within consent_withdrawal_working_days working days of "
          "receipt (or was answered without taking effect): withdrawing must be as easy as giving consent, and "
          "it takes effect at once.",
          MAJOR, "GDPR Art. 7(3)", "SCC 8(b)", Source.CASES,
          applies=f"request_type = 'consent_withdrawal' AND {_given('suppressed_on')}",
          offends=f"coalesce(suppressed_on > consent_due_on, {ANSWERED} OR as_of > consent_due_on)",
          details="struct_pack(received_on, suppressed_on, consent_due_on, responded_on)"),
    Check("sla.complaint_late", "Complaint answered late",
          "A complaint or other request outside Arts 15-22 was not answered within the contract's "
          "complaint_answer_working_days working days of receipt (answered later, or still open after them).",
          MAJOR, "Contract (service-level annex)", "SCC 8(b)", Source.CASES,
          applies="request_type IN ('complaint', 'other') AND (responded_on IS NOT NULL OR as_of > complaint_due_on)",
          offends="coalesce(responded_on, as_of) > complaint_due_on",
          details="struct_pack(request_type, received_on, responded_on, complaint_due_on, as_of)"),
    # EDPB 01/2022 §185: asking again is a right, not a breach in itself; it is a heads-up, unless the earlier
    # request was one whose effect can be seen to fail (repeat.fix_not_held).
    Check("repeat.same_request", "The same request again",
          "The same data subject made a request of the same type within repeat_window_days of an earlier one: "
          "for information (asking again is the person's right).",
          INFO, "GDPR Art. 12(2), 12(5); EDPB 01/2022 §185", "SCC 8(b)", Source.REPEATS,
          applies="TRUE", offends="earlier_count >= 1",
          details="struct_pack(request_type, received_on, earlier_count, earlier_case_ids, window_days)"),
    Check("repeat.fix_not_held", "A fix that did not hold",
          "The same data subject asked again for a marketing opt-out, an erasure or a rectification that the "
          "processor had reported fulfilled within repeat_window_days: what was done did not hold.",
          MAJOR, "GDPR Art. 16, 17, 21(3)", "SCC 8(b)", Source.REPEATS,
          applies="request_type IN ('marketing_opt_out', 'erasure', 'rectification')",
          offends="len(earlier_fulfilled_ids) > 0",
          details="struct_pack(request_type, received_on, earlier_fulfilled_ids, earlier_case_ids, window_days)"),
    # Training and confidentiality are about agents: one exception per agent and report, listing the agent's cases.
    Check("training.roster_missing", "No training roster",
          "The contract requires the staff roster (roster_required) and the report came without one, so the training "
          "of the agents who handled the month's requests cannot be checked.",
          MAJOR, "GDPR Art. 28(3)(b), 32(4)", "SCC 7.4(b)", Source.REPORTS,
          applies="roster_required", offends="NOT roster_sent",
          details="struct_pack(file_name)"),
    Check("training.agent_missing", "Case without an agent",
          "The case names no agent, so whether it was handled by trained staff bound to confidentiality cannot be "
          "checked.",
          MINOR, "GDPR Art. 28(3)(b), 32(4)", "SCC 7.4(b)", Source.CASES,
          applies=f"roster_required AND {_given('agent_id')}", offends="agent_id IS NULL",
          details="struct_pack(request_type, received_on)"),
    Check("training.not_current", "Agent's GDPR training not current",
          "An agent on the roster handled cases with no GDPR training within training_valid_months months before "
          "they were received.",
          MAJOR, "GDPR Art. 28(3)(b), 32(4)", "SCC 7.4(b)", Source.AGENTS,
          applies="has_roster AND on_roster AND len(case_ids) > 0", offends="len(stale_case_ids) > 0",
          details="struct_pack(agent_id, last_trained_on, valid_months := training_valid_months, "
                  "cases := stale_case_ids)"),
    Check("training.agent_unknown", "Agent not on the training roster",
          "An agent who handled cases is not on the processor's training roster.",
          MINOR, "GDPR Art. 28(3)(b), 32(4)", "SCC 7.4(b)", Source.AGENTS,
          applies="has_roster AND len(case_ids) > 0", offends="NOT on_roster",
          details="struct_pack(agent_id, cases := case_ids)"),
    Check("confidentiality.not_signed", "No confidentiality undertaking",
          "An agent on the roster has no date on which they signed a confidentiality undertaking.",
          MAJOR, "GDPR Art. 28(3)(b), 29, 32(4)", "SCC 7.4(b)", Source.AGENTS,
          applies="on_roster", offends="confidentiality_signed_on IS NULL",
          details="struct_pack(agent_id, cases := case_ids)"),
    # --- Report quality and completeness ---
    # Issue 12 §2: lateness is judged on the month's first report that loaded a case, counted from the day it was
    # received; a correction sent after the due day is reported apart (report.corrected_late), not as lateness.
    Check("report.late", "Report sent late",
          "The month's first report arrived after day report_due_day of the month after its period.",
          MAJOR, "GDPR Art. 28(3)(h); contract (service-level annex, reporting)", "SCC 7.6(c)", Source.REPORTS,
          applies="TRUE", offends="first_submitted_on > report_due_on",
          details="struct_pack(submitted_on := first_submitted_on, report_due_on, "
                  "submitted_on_source := first_submitted_on_source, submission_id := first_submission_id, "
                  "declared_submitted_on := first_declared_submitted_on, "
                  "days_late := first_submitted_on - report_due_on)"),
    Check("report.corrected_late", "Report corrected after the due day",
          "The month's report was corrected by a resubmission after day report_due_day of the month after its "
          "period; the first report's timeliness is report.late's.",
          INFO, "GDPR Art. 28(3)(h); contract (service-level annex, reporting)", "SCC 7.6(c)", Source.REPORTS,
          applies="submission_id <> first_submission_id", offends="submitted_on > report_due_on",
          details="struct_pack(corrected_on := submitted_on, report_due_on, submission_id, first_submission_id, "
                  "first_submitted_on)"),
    Check("report.rows_quarantined", "Report rows that could not be loaded",
          "The report had rows that could not be loaded (see the quarantine); more than the profile's "
          "quarantine_major_share of its rows makes the report unusable as evidence, a major non-conformity.",
          MINOR, "GDPR Art. 28(3)(h)", "SCC 7.6(c)", Source.REPORTS,
          applies="TRUE", offends="rows_quarantined > 0",
          details="struct_pack(rows_quarantined, data_rows, share := round(rows_quarantined / data_rows, 4), "
                  "major_above := quarantine_major_share, reasons := quarantine_reasons, file_name)",
          severity_sql="CASE WHEN rows_quarantined > quarantine_major_share * data_rows THEN 'major' "
                       "ELSE 'minor' END"),
    Check("report.field_missing", "Report without a field the contract requires",
          "The report has no column for a field the contract requires (required_fields); one exception for the "
          "report names the fields, instead of every case failing or passing for want of them.",
          MAJOR, "GDPR Art. 28(3)(h); contract (service-level annex, reporting)", "SCC 7.6(c)", Source.REPORTS,
          applies="report_fields IS NOT NULL AND len(required_fields) > 0",
          offends="len(list_filter(required_fields, lambda f: NOT list_contains(report_fields, f))) > 0",
          details="struct_pack(missing_fields := list_filter(required_fields, "
                  "lambda f: NOT list_contains(report_fields, f)), file_name)"),
    Check("report.totals_mismatch", "Declared total differs from the rows",
          "The total the report declares differs from the number of case rows it contains.",
          MAJOR, "GDPR Art. 28(3)(h)", "SCC 7.6(c)", Source.REPORTS,
          applies="declared_total IS NOT NULL", offends="declared_total <> data_rows",
          details="struct_pack(declared_total, data_rows, declared_total_source)"),
    Check("report.case_dropped", "Open case dropped from the report",
          "A case open in the previous month's report is missing from this one.",
          MAJOR, "GDPR Art. 28(3)(h)", "SCC 7.6(c)", Source.DROPPED,
          applies="TRUE", offends="NOT still_listed",
          details="struct_pack(previous_period, received_on, request_type)"),
    Check("report.history_changed", "Case history rewritten",
          "A case's receipt date, request type or answer date differs from what an earlier report said.",
          MINOR, "GDPR Art. 28(3)(h)", "SCC 7.6(c)", Source.HISTORY,
          applies="TRUE", offends="len(changed_fields) > 0",
          details="struct_pack(earlier_period, changed_fields, before := earlier_values, after := current_values)"),
    Check("report.missing", "Monthly report missing",
          "No report at all for a month in which the processor was active (between two reports, or past the due "
          "day after its last one), or a report none of whose rows could be loaded.",
          MAJOR, "GDPR Art. 28(3)(h); contract (service-level annex, reporting)", "SCC 7.6(c)", Source.MISSING,
          applies="TRUE", offends="NOT reported",
          details="struct_pack(missing_period, due_on)"),
)

# Issue 12 §7, one problem, one finding: the rubric item each check corresponds to. A spot-check "no" on that item
# and this check's exception on the same case and clause are one problem, so they belong to one finding
# (findings/merging.py). Checks with no counterpart in the rubric are left out.
RUBRIC_ITEMS: dict[str, str] = {
    "deadline.late_response": "timely",
    "deadline.overdue_open": "timely",
    "extension.late_notice": "extension_notice",
    "extension.no_reason": "extension_notice",
    "refusal.no_complaint_notice": "refusal_notice",
    "refusal.no_remedy_notice": "refusal_notice",
    "refusal.no_reason": "refusal_notice",
    "identity.not_verified": "identity",
    "identity.disproportionate": "identity",
    "sla.escalation_missing": "escalation",
    "sla.escalation_late": "escalation",
}
CHECKS = tuple(replace(check, rubric_item=RUBRIC_ITEMS.get(check.id)) for check in CHECKS)

BY_ID: dict[str, Check] = {check.id: check for check in CHECKS}


def get(check_id: str) -> Check:
    """Return the check with this id (KeyError names the known ids)."""
    try:
        return BY_ID[check_id]
    except KeyError:
        raise KeyError(f"No check '{check_id}'. Known: {', '.join(BY_ID)}") from None

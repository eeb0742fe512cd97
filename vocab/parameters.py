"""The contract parameters: every number, list and switch a contract profile sets (`[parameters]`), declared once.

Profile validation (checks/profile_schema.py), the validated profile (checks/profile_model.py), the run's
parameter table the check SQL reads (checks/sources.py, one column per parameter) and the Contract page all derive
from `PARAMETERS`. Adding a parameter is one entry here; tests/test_vocab.py holds the rest of the code, the
default profile and docs/checks.md to it.

The service-level numbers every contract states are `required` (a profile without one is refused). A parameter
added since, or one that reads the law rather than a negotiated number, has a default and may be left out, so
that a new one needs no change to the profiles already written.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a parameter's value is, in TOML and in the check SQL."""

    WHOLE = "whole number"
    LIST = "list"
    SHARE = "share"    # a fraction from 0 to 1, e.g. 0.05 for 5 %
    SWITCH = "switch"  # true or false
    CHOICE = "choice"  # one word of a fixed list (Parameter.choices)


# The column type of each kind in the run's parameter table (checks/sources.py).
SQL_TYPES: dict[Kind, str] = {Kind.WHOLE: "INTEGER", Kind.LIST: "VARCHAR[]", Kind.SHARE: "DOUBLE",
                              Kind.SWITCH: "BOOLEAN", Kind.CHOICE: "VARCHAR"}

Value = int | float | bool | str | tuple[str, ...]


@dataclass(frozen=True)
class Parameter:
    """One contract parameter: its name, kind, default (the default profile's value) and what it means."""

    name: str
    kind: Kind
    default: Value
    meaning: str
    minimum: int = 0               # WHOLE: the smallest value that makes sense
    maximum: int | None = None     # WHOLE: the largest, when there is one
    vocabulary: str | None = None  # LIST: the report-format vocabulary its values come from ("field": case fields)
    required: bool = False         # a profile must state it (a contract term), else it takes `default`
    choices: tuple[str, ...] = ()  # CHOICE: the words it may be


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("forward_working_days", Kind.WHOLE, 2,
              "Working days after receipt to forward a request the processor may not handle itself to the "
              "controller (SL 2, SCC 8(a)).", required=True),
    Parameter("optout_working_days", Kind.WHOLE, 5,
              "Working days after receipt for a marketing opt-out to be effective everywhere (SL 3, "
              "GDPR Art. 21(3)).", required=True),
    Parameter("escalation_working_days", Kind.WHOLE, 2,
              "Working days after receipt to escalate to the controller's DPO or legal team (SL 4).", required=True),
    Parameter("id_request_within_days", Kind.WHOLE, 5,
              "Calendar days after receipt within which asking for ID pauses the deadline; asked later, the "
              "clock runs on (GDPR Art. 12(6)).", required=True),
    # The due day must exist in every month, February included.
    Parameter("report_due_day", Kind.WHOLE, 10, "Day of the following month by which the monthly report is due (SL 1).",
              minimum=1, maximum=28, required=True),
    Parameter("training_valid_months", Kind.WHOLE, 12,
              "Months a GDPR training stays valid for an agent handling requests (SL 5).", minimum=1, required=True),
    Parameter("due_soon_days", Kind.WHOLE, 7, "Open cases due within this many days of the as-of date are flagged as "
              "due soon (information).", required=True),
    Parameter("repeat_window_days", Kind.WHOLE, 90,
              "The same person making the same request again within this many days is flagged.", minimum=1,
              required=True),
    Parameter("handled_by_processor", Kind.LIST, ("marketing_opt_out", "consent_withdrawal", "rectification"),
              "Request types the processor may answer itself; every other type is forwarded.",
              vocabulary="request_type", required=True),
    Parameter("escalate_request_types", Kind.LIST, ("erasure", "objection", "complaint"),
              "Request types that are always escalated to the DPO or legal team (SL 4).", vocabulary="request_type",
              required=True),
    Parameter("escalate_outcomes", Kind.LIST, ("refused", "partially_fulfilled"),
              "Outcomes that are always escalated to the DPO or legal team (SL 4).", vocabulary="outcome",
              required=True),
    Parameter("verify_identity_types", Kind.LIST,
              ("access", "portability", "erasure", "rectification", "restriction"),
              "Request types fulfilled only for a verified data subject: disclosure or change of personal data "
              "for an unverified caller is the account-takeover route (Recital 64; Arts 5(1)(f), 32).",
              vocabulary="request_type"),
    Parameter("extension_requires_reason", Kind.SWITCH, True,
              "An extension counts only when notified with its reasons (GDPR Art. 12(3): \"together with the "
              "reasons for the delay\"); without one the one-month date stands."),
    Parameter("complaint_answer_working_days", Kind.WHOLE, 20,
              "Working days after receipt to answer a complaint or other request outside Arts 15-22, which the "
              "statutory month does not cover (the contract's answer time)."),
    Parameter("consent_withdrawal_working_days", Kind.WHOLE, 2,
              "Working days after receipt for a consent withdrawal to take effect everywhere (GDPR Art. 7(3): at "
              "once, as easily as consent was given)."),
    Parameter("authorisation_required_types", Kind.LIST,
              ("access", "erasure", "restriction", "portability", "objection"),
              "Request types the processor may not answer unless the controller authorised it (SCC 8(a)): "
              "sla.answered_without_authorisation applies to these; a complaint or other request is not a "
              "data-subject right to be notified, and the types the processor handles itself need no "
              "authorisation.", vocabulary="request_type"),
    Parameter("quarantine_major_share", Kind.SHARE, 0.05,
              "Share of a report's rows that may be quarantined before report.rows_quarantined is major: above it "
              "the report is unusable as evidence of the month."),
    Parameter("required_fields", Kind.LIST, (),
              "Report fields the contract requires (canonical names, e.g. identity_verified): a report without a "
              "column for one raises report.field_missing once.", vocabulary="field"),
    Parameter("roster_required", Kind.SWITCH, True,
              "The report comes with the staff training roster (training.roster_missing without it), and every "
              "case names its agent (training.agent_missing)."),
    # Issue 17 (GDPR Art. 5(1)(c), 25): a staff code lets the processor act on "agent AG03 is not trained"; a name
    # is the staff member's personal data and is stored only as its pseudonym (the keyed hash of references).
    Parameter("agent_ids", Kind.CHOICE, "codes",
              "What the report's agent column holds: \"codes\" (staff codes, kept as they are) or \"names\" "
              "(stored only as their pseudonyms, so the roster still matches the cases but no name is in the "
              "database).",
              choices=("codes", "names")),
)

BY_NAME: dict[str, Parameter] = {p.name: p for p in PARAMETERS}

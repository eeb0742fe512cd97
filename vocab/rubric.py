"""The spot-check review rubric: the questions a reviewer answers per sampled case.

The rubric is versioned: a sample keeps the version it is reviewed with, and a changed rubric needs a new version.
Each item's `clause` is the default reference; a contract profile maps every item to a clause of its register
(`[rubric]`, whose keys are these ids).

Each item also declares which cases it applies to, from the case's facts (`applies`: a SQL condition over one row of
the `cases` table, with the profile's lists bound as `$verify_identity_types`, `$escalate_request_types` and
`$escalate_outcomes`), and its default tolerable deviation rate (`tolerable`; a profile's `[tolerable_rates]`
overrides it). spotchecks/applicability.py evaluates the conditions; the review form asks only the items that apply.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RubricItem:
    """One question a reviewer answers per sampled case, the clause it evidences, and whether "no" deviates."""

    id: str
    question: str
    clause: str  # the default reference; the processor's contract profile may map it to another clause
    basis: str  # the legal basis of the question, shown as the item's help and on the Contract page
    deviation_on_no: bool = True
    applies: str = "TRUE"  # SQL over one case row: the cases this question is asked of (module docstring)
    tolerable: str = "0.05"  # the default tolerable deviation rate, an exact decimal (docs/sampling.md §1)


RUBRIC_VERSION = "1"

# Outcomes that refuse the request, fully or partly. "identity_not_confirmed" is a refusal to act (GDPR Art. 12(2),
# 12(6)) that Art. 12(4) requires to be explained like any other, as the check refusal.no_complaint_notice counts it;
# `--key-items refusals` takes all three (issue 14, item 9).
REFUSAL_OUTCOMES: tuple[str, ...] = ("refused", "partially_fulfilled", "identity_not_confirmed")
_REFUSED = "outcome IN ('refused', 'partially_fulfilled', 'identity_not_confirmed')"

# The default items: what a reviewer checks in a sampled case.
RUBRIC: tuple[RubricItem, ...] = (
    RubricItem("recognised", "Was the request recognised as what it is (type correctly recorded)?", "SCC 8(a)",
               "GDPR Art. 12(2) and Arts 15-22: no form is required, a request to any official channel counts (EDPB "
               "Guidelines 01/2022 §§52-57); SCC 8(a): notify the controller of every request"),
    RubricItem("identity", "Was identity verified where needed, and only as far as needed?", "SCC 7.4",
               "GDPR Art. 12(6): more information only on reasonable doubt, and proportionate (EDPB Guidelines "
               "01/2022 §§65-79: no ID card copy by default, none to stop marketing)",
               # where the profile requires verification, and wherever ID was asked (was asking proportionate?)
               applies="list_contains($verify_identity_types::VARCHAR[], request_type) OR id_requested_on IS NOT NULL",
               tolerable="0.03"),
    RubricItem("timely", "Was the data subject answered within the legal deadline (or a valid extension)?",
               "SCC 8(b)", "GDPR Art. 12(3): one month from receipt, counted as Reg. (EEC, Euratom) 1182/71 "
               "counts; two more months only if the person was told within the first month",
               applies="outcome IS DISTINCT FROM 'withdrawn'"),
    RubricItem("substance", "Did the answer address the person's actual concern, not only a standard template?",
               "SCC 8(b)", "GDPR Art. 12(1): concise, transparent, intelligible information on the right exercised "
               "(Arts 15-22); for a complaint, answer the concern itself",
               applies="responded_on IS NOT NULL", tolerable="0.10"),
    RubricItem("escalation", "Was it escalated to the DPO or legal when it should have been?", "Annex III",
               "GDPR Art. 28(3)(e): the processor assists the controller with requests; Decision (EU) 2021/915 "
               "Annex III: the measures agreed for that, including the escalation terms",
               applies="list_contains($escalate_request_types::VARCHAR[], request_type) OR "
                       "list_contains($escalate_outcomes::VARCHAR[], outcome) OR escalated_on IS NOT NULL"),
    RubricItem("refusal_notice", "If refused (fully or partly): were the reasons, the right to complain to the "
               "authority and to a judicial remedy given?", "SCC 8(b)",
               "GDPR Art. 12(4): within one month, the reasons, the right to lodge a complaint with a supervisory "
               "authority and to seek a judicial remedy; Art. 12(5): a refusal needs a recorded reason",
               applies=_REFUSED, tolerable="0.03"),
    RubricItem("extension_notice", "If extended: was the person told within the first month, with reasons?",
               "SCC 8(b)", "GDPR Art. 12(3): an extension is valid only if the person is told within one month "
               "of receipt, with the reasons for the delay", applies="extension_notified_on IS NOT NULL"),
    RubricItem("minimisation", "Do the case notes hold no more personal data than needed?", "SCC 7.4",
               "GDPR Art. 5(1)(c) data minimisation and Art. 32 security; SCC 7.4: staff access only as strictly "
               "necessary"),
)

# ISA 530 ¶12 and A17: the auditor considers the nature and cause of each deviation. A "no" records one of these,
# besides its comment (issue 14, item 8); the Evaluate tab and the pack count deviations by cause.
DEVIATION_CAUSES: dict[str, str] = {
    "procedure_not_followed": "procedure not followed",
    "system": "system",
    "training": "training",
    "record_missing": "record missing",
    "other": "other",
}

# Not a question but what a spot check needs first: the case records. A sampled case answered "unable" (its file
# not supplied) raises one finding against the clause that obliges the processor to make the records available
# (SCC 7.6(c); the service-level annex's spot-check item where the contract has one). A profile maps it in
# `[rubric]` like an item (`case_records = "SL 6"`); left out, it takes this default.
CASE_RECORDS = "case_records"
CASE_RECORDS_CLAUSE = "SCC 7.6(c)"
CASE_RECORDS_TITLE = "Case records made available for the spot check"

RUBRICS: dict[str, tuple[RubricItem, ...]] = {RUBRIC_VERSION: RUBRIC}
ITEMS = {item.id: item for item in RUBRIC}

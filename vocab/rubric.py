"""The spot-check review rubric: the questions a reviewer answers per sampled case.

The rubric is versioned: a sample keeps the version it is reviewed with, and a changed rubric needs a new version.
Each item's `clause` is the default reference; a contract profile maps every item to a clause of its register
(`[rubric]`, whose keys are these ids).
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


RUBRIC_VERSION = "1"

# The default items: what a reviewer checks in a sampled case.
RUBRIC: tuple[RubricItem, ...] = (
    RubricItem("recognised", "Was the request recognised as what it is (type correctly recorded)?", "SCC 8(a)",
               "GDPR Art. 12(2) and Arts 15-22: no form is required, a request to any official channel counts (EDPB "
               "Guidelines 01/2022 §§52-57); SCC 8(a): notify the controller of every request"),
    RubricItem("identity", "Was identity verified where needed, and only as far as needed?", "SCC 7.4",
               "GDPR Art. 12(6): more information only on reasonable doubt, and proportionate (EDPB Guidelines "
               "01/2022 §§65-79: no ID card copy by default, none to stop marketing)"),
    RubricItem("timely", "Was the data subject answered within the legal deadline (or a valid extension)?",
               "SCC 8(b)", "GDPR Art. 12(3): one month from receipt, counted as Reg. (EEC, Euratom) 1182/71 "
               "counts; two more months only if the person was told within the first month"),
    RubricItem("substance", "Did the answer address the person's actual concern, not only a standard template?",
               "SCC 8(b)", "GDPR Art. 12(1): concise, transparent, intelligible information on the right exercised "
               "(Arts 15-22); for a complaint, answer the concern itself"),
    RubricItem("escalation", "Was it escalated to the DPO or legal when it should have been?", "Annex III",
               "GDPR Art. 28(3)(e): the processor assists the controller with requests; Decision (EU) 2021/915 "
               "Annex III: the measures agreed for that, including the escalation terms"),
    RubricItem("refusal_notice", "If refused (fully or partly): were the reasons, the right to complain to the "
               "authority and to a judicial remedy given?", "SCC 8(b)",
               "GDPR Art. 12(4): within one month, the reasons, the right to lodge a complaint with a supervisory "
               "authority and to seek a judicial remedy; Art. 12(5): a refusal needs a recorded reason"),
    RubricItem("extension_notice", "If extended: was the person told within the first month, with reasons?",
               "SCC 8(b)", "GDPR Art. 12(3): an extension is valid only if the person is told within one month "
               "of receipt, with the reasons for the delay"),
    RubricItem("minimisation", "Do the case notes hold no more personal data than needed?", "SCC 7.4",
               "GDPR Art. 5(1)(c) data minimisation and Art. 32 security; SCC 7.4: staff access only as strictly "
               "necessary"),
)

RUBRICS: dict[str, tuple[RubricItem, ...]] = {RUBRIC_VERSION: RUBRIC}
ITEMS = {item.id: item for item in RUBRIC}

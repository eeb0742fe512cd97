"""Evaluate: what the sample says, per rubric item (docs/sampling.md §4). Read-only; signoff.py records it.

Per item, over the cases it applies to (applicability.py): the random part's applicable cases and the item's top-ups
(a simple random sample of the item's sub-population outside the key items) and the key items (a census). The
conclusion per item (`relied_on`, `not_relied_on`, `insufficient` with the cases `more_needed`) is conclusions.py's;
the verdict names the items that decide it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import duckdb

from spotchecks import applicability
from spotchecks.agreement import agreement as second_review_agreement
from spotchecks.conclusions import (
    INSUFFICIENT,
    NOT_RELIED_ON,
    RELIED_ON,
    ItemConclusion,
    StratumEvidence,
    conclude,
    conclude_stratified,
)
from spotchecks.draw import Method
from spotchecks.plan import Model
from spotchecks.queries import fetch
from spotchecks.review import DEVIATION_CAUSES, RUBRICS, rubric_clauses
from spotchecks.samples import load

# The words of earlier versions, kept for readers of stored evaluations.
RELY, DO_NOT_RELY, NOT_REVIEWED = RELIED_ON, NOT_RELIED_ON, INSUFFICIENT


@dataclass(frozen=True)
class Evaluation:
    """The sample's evaluation: one conclusion per rubric item and the verdict they decide."""

    sample_id: str
    processor: str
    period: str
    model: str
    confidence: float
    tolerable: float  # the plan's rate (each item has its own: items[i].tolerable)
    population_size: int  # N of the random part (population without key items)
    sample_size: int  # random cases in the sample (replaced cases excluded)
    cases_reviewed: int  # random cases with every item that applies answered
    key_items_total: int
    key_items_reviewed: int
    top_ups: int  # cases drawn for one item's sub-population
    replacements: int
    rubric_version: str
    items: tuple[ItemConclusion, ...]
    verdict: str  # relied_on | not_relied_on | insufficient
    deciding_items: tuple[str, ...]  # the items that decide the verdict
    conclusion: str
    notes: tuple[str, ...] = ()
    periods: tuple[str, ...] = ()  # every period of the population, oldest first; `period` is the last
    # ISA 530 ¶12: deviations (of applicable items, active cases) by cause: DEVIATION_CAUSES, "unable" (could not be
    # tested) and "not stated" (a "no" recorded without its cause).
    deviations_by_cause: dict[str, int] = field(default_factory=dict)
    # Item 7: a second auditor's agreement per item (agreement.py), when some cases were reviewed twice.
    agreement: tuple[dict[str, object], ...] = ()

    @property
    def relied_on(self) -> bool:
        return self.verdict == RELIED_ON

    def item(self, item_id: str) -> ItemConclusion:
        return next(i for i in self.items if i.item == item_id)

    def as_dict(self) -> dict[str, object]:
        """The JSON of `oversight sample evaluate --format json` (issue 14, "Names and decisions")."""
        doc = asdict(self)
        doc["relied_on"] = self.relied_on
        return json.loads(json.dumps(doc, default=str))


def _verdict(items: list[ItemConclusion]) -> tuple[str, tuple[str, ...], str]:
    failing = [i.item for i in items if i.conclusion == NOT_RELIED_ON]
    open_ = [i.item for i in items if i.conclusion == INSUFFICIENT and i.population]
    if failing:
        return NOT_RELIED_ON, tuple(failing), (
            f"The processor's handling cannot be relied on for: {', '.join(failing)} (upper limit above the item's "
            "tolerable rate).")
    if open_:
        more = {i.item: i.more_needed for i in items if i.item in open_}
        said = ", ".join(f"{k} ({v} more case(s))" if v else f"{k} (reviews to finish)" for k, v in more.items())
        return INSUFFICIENT, tuple(open_), f"No conclusion yet for: {said}; every other item can be relied on."
    relied = tuple(i.item for i in items if i.population)
    return RELIED_ON, relied, ("Every rubric item's upper limit is within its tolerable rate: the processor's "
                               "handling can be relied on.")


def evaluate_sample(con: duckdb.DuckDBPyConnection, sample_id: str) -> Evaluation:
    """Evaluate a sample from its current answers (read-only; signoff.sign_off records it)."""
    stored = load(con, sample_id)
    sample = stored.sample
    plan: dict[str, object] = sample["plan"]  # type: ignore[assignment]
    confidence, tolerable = float(plan["confidence"]), float(plan["tolerable"])  # type: ignore[arg-type]
    expected = float(plan.get("expected") or 0)  # type: ignore[arg-type]
    model = Model(str(plan["model"]))
    rubric = RUBRICS[str(sample["rubric_version"])]
    processor = str(sample["processor"])
    clauses = rubric_clauses(con, processor)
    rates = tolerable_rates(plan, tolerable)
    parts = {str(i["case_id"]): str(i["part"]) for i in stored.items if not i["replacement"]}
    answers = fetch(con, "SELECT case_id, item_id, answer, cause FROM current_reviews WHERE sample_id = ?",
                    [sample_id])
    by_case: dict[str, dict[str, str]] = {}
    causes: dict[tuple[str, str], str | None] = {}
    for a in answers:
        if str(a["case_id"]) in parts:  # answers on replaced cases no longer count
            by_case.setdefault(str(a["case_id"]), {})[str(a["item_id"])] = str(a["answer"])
            causes[(str(a["case_id"]), str(a["item_id"]))] = a["cause"]  # type: ignore[assignment]
    applies = applicability.for_sample(con, sample_id, list(parts))
    outside, inside = applicability.population_counts(con, stored.population, processor, stored.key_ids)
    random_ids = [c for c, p in parts.items() if p == "random"]
    key_ids = [c for c, p in parts.items() if p == "key_item"]
    top_up_ids = [c for c, p in parts.items() if p == "top_up"]

    stratified = stored.design.method is not Method.random
    if stratified:  # ISA 530 A.1 ¶4: each stratum evaluated on its own and projected by its size
        sizes = applicability.stratum_counts(con, stored.population, processor, stored.key_ids, stored.design)
        stratum_of = {str(i["case_id"]): i["stratum"] for i in stored.items}
    items = []
    for item in rubric:
        def said(ids: list[str], item_id: str = item.id) -> dict[str, str | None]:
            return {c: by_case.get(c, {}).get(item_id) for c in ids if item_id in applies[c]}

        clause = clauses.get(item.id, item.clause)
        if stratified:
            answers_in = said(random_ids)
            strata = [StratumEvidence(name, size, {c: a for c, a in answers_in.items() if stratum_of[c] == name})
                      for name, size in sorted(sizes[item.id].items(), key=lambda s: (s[0] is None, s[0] or ""))]
            items.append(conclude_stratified(item.id, clause, strata=strata, key=said(key_ids),
                                             n_key=inside[item.id], tolerable=rates[item.id],
                                             confidence=confidence, model=model))
            continue
        items.append(conclude(item.id, clause, random=said(random_ids + top_up_ids),
                              key=said(key_ids), n_key=inside[item.id], n_random=outside[item.id],
                              tolerable=rates[item.id], confidence=confidence, expected=expected, model=model))

    def complete(case_id: str) -> bool:
        return set(applies[case_id]) <= set(by_case.get(case_id, {}))

    reviewed = sum(complete(c) for c in random_ids)
    key_reviewed = sum(complete(c) for c in key_ids)
    notes = []
    if reviewed < len(random_ids):
        notes.append(f"{reviewed} of {len(random_ids)} sampled cases are fully reviewed: the evaluation is "
                     "provisional until every case is.")
    if key_reviewed < len(key_ids):
        notes.append(f"{key_reviewed} of {len(key_ids)} key items are fully reviewed.")
    skipped = sum(len(i.not_applicable_case_ids) for i in items)
    if skipped:
        notes.append(f"{skipped} answer(s) say \"not applicable\" for an item that applies from the case's facts; "
                     "each gives its reason in the review answers.")
    by_cause = _by_cause(items, by_case, causes)
    if by_cause.get(NOT_STATED):
        notes.append(f"{by_cause[NOT_STATED]} \"no\" answer(s) give no cause: record it (procedure not followed, "
                     "system, training, record missing, other; ISA 530 ¶12).")
    if stratified:
        notes.append(f"{stored.design.describe()}: each item is evaluated per stratum and projected to the population "
                     "by stratum size; its upper limit combines the strata's limits (Bonferroni), and where a "
                     "stratum has no reviewed case no overall reliance is given.")
    verdict, deciding, conclusion = _verdict(items)
    return Evaluation(sample_id, processor, str(sample["period"]), model.value, confidence, tolerable,
                      int(sample["population_size"]) - len(stored.key_ids), len(random_ids), reviewed,  # type: ignore[call-overload]
                      len(key_ids), key_reviewed, len(top_up_ids), len(stored.excluded),
                      str(sample["rubric_version"]), tuple(items), verdict, deciding, conclusion, tuple(notes),
                      tuple(sample["periods"]), by_cause,  # type: ignore[arg-type]
                      tuple(asdict(a) for a in second_review_agreement(con, sample_id)))


NOT_STATED = "not stated"


def _by_cause(items: list[ItemConclusion], by_case: dict[str, dict[str, str]],
              causes: dict[tuple[str, str], str | None]) -> dict[str, int]:
    """Deviations counted by cause, in the closed list's order (ISA 530 ¶12)."""
    counts = dict.fromkeys([*DEVIATION_CAUSES, "unable", NOT_STATED], 0)
    for item in items:
        for case_id in item.deviation_case_ids:
            if by_case[case_id][item.item] == "unable":
                counts["unable"] += 1
            else:
                counts[causes.get((case_id, item.item)) or NOT_STATED] += 1
    return counts


def tolerable_rates(plan: dict[str, object], plan_rate: float) -> dict[str, float]:
    """Each rubric item's tolerable rate, as the draw fixed it (the contract profile's `[tolerable_rates]`, or the
    rate given for the draw); a sample drawn before rates per item has the plan's rate for every item."""
    fixed: dict[str, float] = plan.get("tolerable_rates") or {}  # type: ignore[assignment]
    return {item.id: float(fixed.get(item.id, plan_rate)) for item in RUBRICS[max(RUBRICS)]}

"""Evaluate: what the sample says, per rubric item (spotchecks.md §4).

Random part, per item: n (cases answered yes or no; "na" is outside the item's population), k (answered no), the
sample deviation rate, the upper deviation limit at the plan's confidence (binomial: one-sided Clopper-Pearson;
hypergeometric: exact with the random part's N) and the conclusion against the tolerable rate. Key items are a
census: their deviations count in full, without projection.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import duckdb

from spotchecks.bounds import upper_limit
from spotchecks.plan import Model
from spotchecks.queries import fetch, get_sample
from spotchecks.review import RUBRICS, rubric_clauses
from store import audit
from store.db import transaction
from store.identity import User, require

RELY = "rely"
DO_NOT_RELY = "do not rely"
NOT_REVIEWED = "not reviewed"


@dataclass(frozen=True)
class ItemResult:
    """One rubric item over the random part."""

    item_id: str
    question: str
    clause: str
    n: int
    k: int
    not_applicable: int
    rate: float | None
    upper_limit: float | None
    conclusion: str  # rely | do not rely | not reviewed
    text: str
    deviations: tuple[str, ...]  # case ids answered "no"


@dataclass(frozen=True)
class KeyItemResult:
    """One rubric item over the key items: a census."""

    item_id: str
    clause: str
    n: int
    k: int
    deviations: tuple[str, ...]


@dataclass(frozen=True)
class Evaluation:
    """The sample's evaluation; `conclusion` says in words whether the processor's handling can be relied on."""

    sample_id: str
    processor: str
    period: str
    model: str
    confidence: float
    tolerable: float
    population_size: int  # N of the random part (population without key items)
    sample_size: int  # random cases in the sample (replaced cases excluded)
    cases_reviewed: int  # random cases with every rubric item answered
    key_items_total: int
    key_items_reviewed: int
    replacements: int
    rubric_version: str
    items: tuple[ItemResult, ...]
    key_items: tuple[KeyItemResult, ...]
    relied_on: bool
    conclusion: str
    notes: tuple[str, ...] = ()
    periods: tuple[str, ...] = ()  # every period of the population, oldest first; `period` is the last

    def as_dict(self) -> dict[str, object]:
        return json.loads(json.dumps(asdict(self), default=str))


def _item_text(n: int, k: int, upper: float | None, tolerable: float, confidence: float) -> tuple[str, str]:
    if n == 0 or upper is None:
        return NOT_REVIEWED, "No case answered yes or no yet."
    if upper <= tolerable:
        return RELY, (f"{k} deviation(s) in {n}: upper limit {upper:.2%} ≤ tolerable {tolerable:.2%} at "
                      f"{confidence:.0%} confidence: the processor's handling can be relied on.")
    return DO_NOT_RELY, (f"{k} deviation(s) in {n}: upper limit {upper:.2%} > tolerable {tolerable:.2%} at "
                         f"{confidence:.0%} confidence: the processor's handling cannot be relied on.")


def evaluate_sample(con: duckdb.DuckDBPyConnection, sample_id: str) -> Evaluation:
    """Evaluate a sample from its current answers (read-only; `record_evaluation` signs it off)."""
    sample = get_sample(con, sample_id)
    plan: dict[str, object] = sample["plan"]  # type: ignore[assignment]
    confidence, tolerable = float(plan["confidence"]), float(plan["tolerable"])  # type: ignore[arg-type]
    model = Model(str(plan["model"]))
    rubric = RUBRICS[str(sample["rubric_version"])]
    clauses = rubric_clauses(con, str(sample["processor"]))
    items = fetch(con, "SELECT case_id, part FROM active_sample_items WHERE sample_id = ?", [sample_id])
    parts = {str(i["case_id"]): str(i["part"]) for i in items}
    answers = fetch(con, "SELECT case_id, item_id, answer FROM current_reviews WHERE sample_id = ?", [sample_id])
    by_case: dict[str, dict[str, str]] = {}
    for a in answers:
        if str(a["case_id"]) in parts:  # answers on replaced cases no longer count
            by_case.setdefault(str(a["case_id"]), {})[str(a["item_id"])] = str(a["answer"])
    random_ids = [c for c, p in parts.items() if p == "random"]
    key_ids = [c for c, p in parts.items() if p == "key_item"]
    [counts] = fetch(con, "SELECT count(*) AS n FROM sample_replacements WHERE sample_id = ?", [sample_id])
    population = int(sample["population_size"]) - len(key_ids)  # type: ignore[call-overload]
    finite = population if model is Model.hypergeometric else None

    results, census = [], []
    for item in rubric:
        clause = clauses.get(item.id, item.clause)
        said = {c: by_case.get(c, {}).get(item.id) for c in random_ids}
        no = tuple(sorted(c for c, a in said.items() if a == "no" and item.deviation_on_no))
        n = sum(a in ("yes", "no") for a in said.values())
        upper = upper_limit(n, len(no), confidence, finite) if n else None
        conclusion, text = _item_text(n, len(no), upper, tolerable, confidence)
        results.append(ItemResult(item.id, item.question, clause, n, len(no),
                                  sum(a == "na" for a in said.values()), len(no) / n if n else None, upper,
                                  conclusion, text, no))
        key_said = {c: by_case.get(c, {}).get(item.id) for c in key_ids}
        key_no = tuple(sorted(c for c, a in key_said.items() if a == "no" and item.deviation_on_no))
        census.append(KeyItemResult(item.id, clause, sum(a in ("yes", "no") for a in key_said.values()),
                                    len(key_no), key_no))

    def complete(case_id: str) -> bool:
        return len(by_case.get(case_id, {})) >= len(rubric)

    reviewed = sum(complete(c) for c in random_ids)
    key_reviewed = sum(complete(c) for c in key_ids)
    relied = bool(results) and all(r.conclusion == RELY for r in results)
    notes = []
    if reviewed < len(random_ids):
        notes.append(f"{reviewed} of {len(random_ids)} sampled cases are fully reviewed: the evaluation is "
                     "provisional until every case is.")
    if key_reviewed < len(key_ids):
        notes.append(f"{key_reviewed} of {len(key_ids)} key items are fully reviewed.")
    failing = [r.item_id for r in results if r.conclusion == DO_NOT_RELY]
    key_deviations = sum(c.k for c in census)
    if failing:
        conclusion = (f"The processor's handling cannot be relied on for: {', '.join(failing)} (upper limit above "
                      f"the tolerable {tolerable:.1%} at {confidence:.0%} confidence).")
    elif relied:
        conclusion = (f"Every rubric item's upper limit is at most the tolerable {tolerable:.1%} at "
                      f"{confidence:.0%} confidence: the processor's handling can be relied on.")
    else:
        conclusion = "Not every rubric item has answers yet: no conclusion."
    if key_deviations:
        conclusion += f" Key items: {key_deviations} deviation(s), each to be followed up (census)."
    return Evaluation(sample_id, str(sample["processor"]), str(sample["period"]), model.value, confidence,
                      tolerable, population, len(random_ids), reviewed, len(key_ids), key_reviewed,
                      int(counts["n"]), str(sample["rubric_version"]), tuple(results), tuple(census),  # type: ignore[call-overload]
                      relied, conclusion, tuple(notes), tuple(sample["periods"]))  # type: ignore[arg-type]


def record_evaluation(con: duckdb.DuckDBPyConnection, user: User, sample_id: str) -> Evaluation:
    """Evaluate and sign the evaluation off: stored as it reads now, with an audit event."""
    role = require(user, "evaluate a sample")
    evaluation = evaluate_sample(con, sample_id)
    at = datetime.now(UTC).replace(tzinfo=None)
    with transaction(con):
        con.execute("INSERT INTO sample_evaluations VALUES (?, ?, ?, ?, ?)",
                    [sample_id, at, user.name, evaluation.rubric_version, json.dumps(evaluation.as_dict())])
        audit.append_event(con, user=user.name, role=role, action="sample.evaluated", obj=f"sample:{sample_id}",
                           details={"relied_on": evaluation.relied_on, "cases_reviewed": evaluation.cases_reviewed,
                                    "items": {r.item_id: {"n": r.n, "k": r.k, "upper_limit": r.upper_limit,
                                                          "conclusion": r.conclusion} for r in evaluation.items}})
    return evaluation

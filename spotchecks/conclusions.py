"""What one rubric item's answers conclude (docs/sampling.md §4), as a pure function of counts: no database.

An item's population is the cases it applies to (applicability.py): N_key of them are key items, reviewed in full
(a census: their deviations are known exactly), and N_random are outside them, of which the sample holds a simple
random sample (the random part's applicable cases plus the item's top-ups: the lowest ranks of its sub-population).
The upper limit on the item's deviations in its population is

    D_upper = k_key + pending_key + U(n, k) × N_random

where U is the one-sided upper limit of the random sample's rate (binomial Clopper-Pearson, or exact
hypergeometric with N_random; exactly k/N_random when every case was reviewed), and key items not yet reviewed
count as deviations until they are. The item is relied on when D_upper / N ≤ its tolerable rate.

The size the item needs is the random-part n at which no further deviation would let it be relied on: the plan for
the tolerable rate left once the key items' deviations are counted, t_r = (t × N − k_key) / N_random.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from spotchecks.bounds import upper_limit
from spotchecks.errors import InvalidArgument
from spotchecks.plan import Model, plan_sample

RELIED_ON = "relied_on"
NOT_RELIED_ON = "not_relied_on"
INSUFFICIENT = "insufficient"
DEVIATING = ("no", "unable")  # ISA 530 ¶11: a case that cannot be tested is a deviation
ANSWERED = ("yes", *DEVIATING)


@dataclass(frozen=True)
class ItemConclusion:
    """One rubric item over the sample: the evaluate JSON's per-item object (issue 14, "Names and decisions")."""

    item: str
    clause: str
    applicable: int  # cases of the sample it applies to (random part, its top-ups and key items)
    reviewed: int  # of those, answered yes, no or unable
    deviations: int  # answered no or unable
    deviation_case_ids: tuple[str, ...]
    not_applicable_case_ids: tuple[str, ...]  # answered "not applicable" although it applies (with a reason)
    upper_limit: float | None
    tolerable: float
    conclusion: str  # relied_on | not_relied_on | insufficient
    more_needed: int | None  # cases to add (a top-up draw) for an insufficient item; None otherwise
    needed: int | None  # random cases the item needs (None: the key items' deviations alone exceed it)
    population: int  # N: cases of the population it applies to
    key_population: int  # of which key items (a census)
    census: bool  # every case it applies to is reviewed in full (no sampling risk)
    text: str

    @property
    def rate(self) -> float | None:
        return self.deviations / self.reviewed if self.reviewed else None


def needed_size(confidence: float, tolerable: float, expected: float, model: Model, n_random: int, n_key: int,
                k_key: int) -> int | None:
    """Random cases the item needs for reliance if no more deviate; None when the key items' deviations alone
    exceed the tolerable number."""
    if n_random == 0:
        return 0
    left = (Fraction(str(tolerable)) * (n_random + n_key) - k_key) / n_random
    if left <= 0:
        return None
    if left >= 1:
        return 0
    rate = Decimal(left.numerator) / Decimal(left.denominator)
    try:
        plan = plan_sample(confidence, rate, expected if Decimal(str(expected)) < rate else 0, model=model,
                           population=n_random)
    except InvalidArgument:  # no sample of the sub-population reaches the plan: review all of it
        return n_random
    return plan.n


def _random_upper(n: int, k: int, population: int, confidence: float, model: Model) -> float:
    if n >= population:  # every case of the sub-population reviewed: the rate is known
        return k / population
    return upper_limit(n, k, confidence, population if model is Model.hypergeometric else None)


def conclude(item: str, clause: str, *, random: Mapping[str, str | None], key: Mapping[str, str | None],
             n_random: int, n_key: int, tolerable: float, confidence: float, expected: float = 0.0,
             model: Model = Model.binomial) -> ItemConclusion:
    """Conclude one item from the answers of its applicable cases: random (random part and top-ups) and key items.

    `random` and `key` map case id → the current answer (None: not answered yet); `n_random` and `n_key` are the
    item's population outside and inside the key items.
    """
    said = {**random, **key}
    deviating = tuple(sorted(c for c, a in said.items() if a in DEVIATING))
    skipped = tuple(sorted(c for c, a in said.items() if a == "na"))
    n_r = sum(a in ANSWERED for a in random.values())
    k_r = sum(a in DEVIATING for a in random.values())
    k_k = sum(a in DEVIATING for a in key.values())
    pending_key = sum(a is None for a in key.values()) + max(0, n_key - len(key))
    unreviewed_r = sum(a is None for a in random.values())
    total = n_random + n_key
    reviewed = n_r + sum(a in ANSWERED for a in key.values())
    needed = needed_size(confidence, tolerable, expected, model, n_random, n_key, k_k)
    census = n_random == 0 or n_r >= n_random

    def bound(n: int, pending: int) -> float | None:
        if total == 0:
            return None
        if n_random and n == 0:
            random_part = float(n_random)  # nothing known about it yet
        else:
            random_part = _random_upper(n, k_r, n_random, confidence, model) * n_random if n_random else 0.0
        return min(1.0, (k_k + pending + random_part) / total)

    upper = bound(n_r, pending_key)
    common = dict(item=item, clause=clause, applicable=len(said), reviewed=reviewed, deviations=len(deviating),
                  deviation_case_ids=deviating, not_applicable_case_ids=skipped, upper_limit=upper,
                  tolerable=tolerable, needed=needed, population=total, key_population=n_key, census=census)
    if total == 0:
        return ItemConclusion(**common, conclusion=INSUFFICIENT, more_needed=0,  # type: ignore[arg-type]
                              text="No case of the population is one this item applies to: nothing to conclude.")
    # Best case: every case still to review answered yes, and the random part grown to the size it needs.
    best = bound(max(n_r + unreviewed_r, needed or 0), 0) if needed is not None else None
    if needed is None or (best is not None and best > tolerable):
        why = ("the key items' deviations alone exceed it" if needed is None else
               f"even with no further deviation in the {max(n_r + unreviewed_r, needed)} case(s) it needs")
        return ItemConclusion(**common, conclusion=NOT_RELIED_ON, more_needed=None,  # type: ignore[arg-type]
                              text=f"{len(deviating)} deviation(s) in {reviewed}: upper limit "
                                   f"{_pct(upper)} > tolerable {tolerable:.2%} at {confidence:.0%} confidence ({why}): "
                                   "cannot be relied on.")
    if upper is not None and upper <= tolerable and not pending_key and not unreviewed_r:
        kind = "a census" if census else f"{n_r} random of {n_random}"
        return ItemConclusion(**common, conclusion=RELIED_ON, more_needed=None,  # type: ignore[arg-type]
                              text=f"{len(deviating)} deviation(s) in {reviewed} ({kind}"
                                   f"{f', {n_key} key items' if n_key and not census else ''}): upper limit "
                                   f"{_pct(upper)} ≤ tolerable {tolerable:.2%} at {confidence:.0%} confidence: "
                                   "can be relied on.")
    drawn = sum(a != "na" for a in random.values())
    more = max(0, needed - drawn)
    if more:
        text = (f"{drawn} applicable random case(s) of the {needed} this item needs at {tolerable:.2%} "
                f"tolerable: {more} more needed (a top-up draw from the {n_random} case(s) it applies to).")
    else:
        text = (f"{unreviewed_r + pending_key} applicable case(s) still to review "
                f"({reviewed} of {len(said)} reviewed).")
    return ItemConclusion(**common, conclusion=INSUFFICIENT, more_needed=more, text=text)  # type: ignore[arg-type]


def _pct(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.2%}"


@dataclass(frozen=True)
class StratumEvidence:
    """One stratum of an item's population outside the key items: its size and the answers of its sampled cases."""

    name: str | None
    size: int  # N_h: cases of the stratum the item applies to
    answers: Mapping[str, str | None]  # case id → current answer (None: not answered yet)

    @property
    def reviewed(self) -> int:
        return sum(a in ANSWERED for a in self.answers.values())

    @property
    def deviations(self) -> int:
        return sum(a in DEVIATING for a in self.answers.values())


def projected_deviations(strata: list[StratumEvidence]) -> float | None:
    """The stratified estimate of the deviations in the strata: Σ N_h × k_h / n_h (ISA 530 A.1 ¶4: each stratum
    projected by its own size); None when a non-empty stratum has no reviewed case."""
    total = 0.0
    for s in strata:
        if s.size == 0:
            continue
        if s.reviewed == 0:
            return None
        total += s.size * s.deviations / s.reviewed
    return total


def stratified_upper(strata: list[StratumEvidence], confidence: float, model: Model) -> float | None:
    """An upper limit on the deviations in the strata at `confidence`: Σ N_h × U_h, each stratum's one-sided limit at
    1 − (1 − confidence) / H for the H strata still sampled (Bonferroni: the H limits hold together with probability
    at least `confidence`); a stratum reviewed in full counts exactly. None when a non-empty stratum has no reviewed
    case: no sound combined bound exists then."""
    sampled = [s for s in strata if s.size and s.reviewed < s.size]
    if any(s.size and s.reviewed == 0 for s in strata):
        return None
    each = 1 - (1 - confidence) / max(1, len(sampled))
    total = 0.0
    for s in strata:
        if s.size:
            total += _random_upper(s.reviewed, s.deviations, s.size, each, model) * s.size
    return total


def conclude_stratified(item: str, clause: str, *, strata: list[StratumEvidence], key: Mapping[str, str | None],
                        n_key: int, tolerable: float, confidence: float,
                        model: Model = Model.binomial) -> ItemConclusion:
    """Conclude one item of a stratified or per-agent sample: each stratum evaluated on its own and projected by its
    size, the key items a census; relied on only under a sound combined bound (stratified_upper)."""
    random = {c: a for s in strata for c, a in s.answers.items()}
    said = {**random, **key}
    deviating = tuple(sorted(c for c, a in said.items() if a in DEVIATING))
    skipped = tuple(sorted(c for c, a in said.items() if a == "na"))
    k_key = sum(a in DEVIATING for a in key.values())
    pending_key = sum(a is None for a in key.values()) + max(0, n_key - len(key))
    outside = sum(s.size for s in strata)
    total = outside + n_key
    reviewed = sum(s.reviewed for s in strata) + sum(a in ANSWERED for a in key.values())
    unreviewed = sum(a is None for a in random.values()) + pending_key
    bound = stratified_upper(strata, confidence, model)
    upper = None if bound is None or total == 0 else min(1.0, (k_key + pending_key + bound) / total)
    empty = [s.name or "(none)" for s in strata if s.size and s.reviewed == 0]
    common = dict(item=item, clause=clause, applicable=len(said), reviewed=reviewed, deviations=len(deviating),
                  deviation_case_ids=deviating, not_applicable_case_ids=skipped, upper_limit=upper,
                  tolerable=tolerable, needed=None, population=total, key_population=n_key,
                  census=all(s.reviewed >= s.size for s in strata))
    if total == 0:
        return ItemConclusion(**common, conclusion=INSUFFICIENT, more_needed=0,  # type: ignore[arg-type]
                              text="No case of the population is one this item applies to: nothing to conclude.")
    if upper is None:
        return ItemConclusion(**common, conclusion=INSUFFICIENT, more_needed=len(empty),  # type: ignore[arg-type]
                              text=f"No sound combined bound: the stratum/strata {', '.join(empty)} hold cases this "
                                   "item applies to but none of them is reviewed, so nothing can be said of them; "
                                   "no overall conclusion (review or add a case in each).")
    projected = projected_deviations(strata) or 0.0
    rate = (k_key + projected) / total
    said_text = (f"{len(deviating)} deviation(s) in {reviewed}; projected by stratum size {rate:.2%}; combined upper "
                 f"limit {upper:.2%} (each of {len(strata)} strata at its own limit, Bonferroni) against "
                 f"{tolerable:.2%}")
    if upper <= tolerable and not unreviewed:
        return ItemConclusion(**common, conclusion=RELIED_ON, more_needed=None,  # type: ignore[arg-type]
                              text=said_text + ": can be relied on.")
    if unreviewed:
        return ItemConclusion(**common, conclusion=INSUFFICIENT, more_needed=0,  # type: ignore[arg-type]
                              text=said_text + f"; {unreviewed} applicable case(s) still to review.")
    return ItemConclusion(**common, conclusion=NOT_RELIED_ON, more_needed=None,  # type: ignore[arg-type]
                          text=said_text + ": cannot be relied on (enlarge the sample to narrow the bound).")

"""Stored samples: draw, enlarge, replace a case (always with a reason). Each is one transaction and one audit event.

The random part of a sample is always: per stratum, the lowest-ranked cases of the population without its key
items and without the cases replaced out (docs/sampling.md, Draw). A replacement therefore is the next case in rank
order, enlarging keeps every case already drawn, and `verify` (verify.py) can recompute all of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

import duckdb

from spotchecks import applicability, seeds
from spotchecks import population as pop
from spotchecks.commitments import CommitmentMatch, match_commitment
from spotchecks.draw import (
    Allocation,
    Design,
    KeyItems,
    Method,
    Pick,
    Stratum,
    allocation_for,
    new_seed,
    normalize_seed,
    rank,
)
from spotchecks.errors import InvalidArgument, InvalidSeed, NothingToReplace, NotInSample, PopulationChanged
from spotchecks.plan import Model, Plan, parse_rate, plan_sample
from spotchecks.queries import fetch, get_sample
from spotchecks.review import RUBRIC, RUBRIC_VERSION
from store import audit
from store.db import transaction
from store.identity import User, require

# The columns a draw writes, in the order of its values (later migrations add columns: never insert positionally).
SAMPLE_COLUMNS = ("sample_id", "processor", "period", "submission_id", "filters", "population_size", "fingerprint",
                  "seed", "method", "stratify_by", "allocation", "per_stratum", "requested_n", "plan", "key_items",
                  "key_item_runs", "commitment", "drawn_at", "drawn_by", "rubric_version", "notes", "periods",
                  "submission_ids", "key_item_outcomes", "seed_reuse_reason")
DEFAULT_CONFIDENCE = "0.95"
DEFAULT_TOLERABLE = "0.05"


@dataclass(frozen=True)
class DrawResult:
    """A drawn sample and how it was made (jfa habit: method, requested and obtained n, N, seed, fingerprint)."""

    sample_id: str
    processor: str
    period: str
    seed: str
    seed_generated: bool
    population: pop.Population
    design: Design
    plan: Plan
    random_part: tuple[Pick, ...]
    key_items: KeyItems | None
    key_item_ids: tuple[str, ...]
    commitment: CommitmentMatch | None
    drawn_at: datetime
    notes: tuple[str, ...] = field(default=())
    seed_check: seeds.SeedCheck | None = None

    def as_dict(self) -> dict[str, object]:
        """The JSON interface of `oversight sample draw` (docs/architecture.md)."""
        return {
            "sample_id": self.sample_id, "seed": self.seed, "population_size": self.population.size,
            "fingerprint": self.population.fingerprint,
            "case_ids": [p.case_id for p in self.random_part] + list(self.key_item_ids),
            "random_case_ids": [p.case_id for p in self.random_part], "key_item_case_ids": list(self.key_item_ids),
            "processor": self.processor, "period": self.period, "periods": list(self.population.periods),
            "submission_id": self.population.submission_id,
            "submission_ids": list(self.population.submission_ids),
            "filters": self.population.filters.as_dict(), "method": str(self.design.method),
            "stratify_by": self.design.by, "allocation": str(self.design.allocation)
            if self.design.method is Method.stratified else None, "per": self.design.per,
            "requested_n": self.plan.n, "obtained_n": len(self.random_part), "key_items": self.key_items and
            str(self.key_items), "plan": self.plan.as_dict(), "seed_generated": self.seed_generated,
            "commitment": self.commitment.as_dict() if self.commitment else None,
            "drawn_at": self.drawn_at, "notes": list(self.notes),
            "seed_check": self.seed_check.as_dict() if self.seed_check else None,
        }


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _next_sample_id(con: duckdb.DuckDBPyConnection, at: datetime) -> str:
    prefix = f"S-{at.year}-"
    [row] = fetch(con, "SELECT coalesce(max(CAST(substr(sample_id, 8) AS INTEGER)), 0) AS last FROM samples "
                       "WHERE starts_with(sample_id, ?)", [prefix])
    return f"{prefix}{int(row['last']) + 1:04d}"  # type: ignore[call-overload]


def _design(method: object, by: str | None, allocation: object, per: int | None) -> Design:
    try:
        chosen = Method(str(method))
    except ValueError:
        raise InvalidArgument(f"'method' must be one of {', '.join(Method)}, not '{method}'.") from None
    try:
        split = Allocation(str(allocation))
    except ValueError:
        raise InvalidArgument(f"'allocation' must be one of {', '.join(Allocation)}, not '{allocation}'.") from None
    if chosen is Method.stratified and not by:
        raise InvalidArgument("A stratified draw needs 'by': the column to stratify by (request_type, channel, "
                              "agent_id or outcome).")
    if chosen is Method.quota:
        if per is None or isinstance(per, bool) or per < 1:
            raise InvalidArgument("A quota draw needs 'per': the number of cases per agent, a whole number ≥ 1.")
        by = by or "agent_id"
    return Design(chosen, by if chosen is not Method.random else None, split, per if chosen is Method.quota else None)


def _key_rule(value: object) -> KeyItems | None:
    if value in (None, ""):
        return None
    try:
        return KeyItems(str(value))
    except ValueError:
        raise InvalidArgument(f"'key_items' must be one of {', '.join(KeyItems)}, not '{value}'.") from None


def draw_sample(con: duckdb.DuckDBPyConnection, user: User, *, processor: str, period: str | Iterable[str],
                size: int | None = None, confidence: object = None, tolerable: object = None, expected: object = 0,
                model: object = Model.binomial, method: object = Method.random, by: str | None = None,
                allocation: object = "proportional", per: int | None = None, key_items: object = None,
                seed: object = None, filters: pop.Filters | None = None,
                seed_reuse_reason: str | None = None) -> DrawResult:
    """Draw a sample: freeze the population, take the key items, rank the rest by seed, store it all.

    `period` is one month or several (docs/sampling.md, Draw): the population is then the union of their
    current reports, each case once; the result's `period` is the last of them.
    """
    role = require(user, "draw a sample")
    periods = pop.normalize_periods([period] if isinstance(period, str) else period)
    design = _design(method, by, allocation, per)
    rule = _key_rule(key_items)
    generated = seed in (None, "")
    chosen_seed = new_seed() if generated else normalize_seed(seed)
    if design.method is not Method.quota and size is None and confidence is None:
        raise InvalidArgument("Say how many cases: give 'size', or 'confidence' to plan the size (with 'tolerable', "
                              "or without it the contract profile's tolerable rate of each rubric item).")
    notes: list[str] = []
    at = _now()
    with transaction(con):
        population = pop.freeze(con, processor, periods, filters or pop.Filters())
        key_ids, runs = pop.key_item_ids(con, population, rule)
        sizes = pop.stratum_sizes(con, population, design, key_ids)
        if rule is not None:
            notes.append(f"{len(key_ids)} key item(s) ({rule}) are reviewed in full and kept apart from the "
                         f"random part, which is drawn from the other {sum(sizes.values())} case(s).")
        rates, tolerable = _item_rates(con, processor, population, key_ids, tolerable, notes)
        plan = _plan(design, size, confidence, tolerable, expected, model, sizes, notes)
        picks = pop.ranked_selection(con, population, chosen_seed, design, _allocation(design, sizes, plan.n),
                                     key_ids)
        sample_id = _next_sample_id(con, at)
        commitment = match_commitment(con, chosen_seed, population.ingested_at)
        if commitment:
            notes.append(commitment.describe())
        reused = seeds.other_populations(con, chosen_seed, population.fingerprint)
        reason = (seed_reuse_reason or "").strip() or None
        if reused and not reason:
            raise InvalidSeed(f"The seed '{chosen_seed}' was used for another population ({', '.join(reused)}): the "
                              "two samples' cases would depend on each other. Leave the seed out for a new one, or "
                              "give the reason for reusing it (--seed-reuse-reason \"...\").")
        status = (seeds.SeedStatus.committed if commitment and commitment.before_report else
                  seeds.SeedStatus.late if commitment else seeds.SeedStatus.uncommitted)
        check = seeds.SeedCheck("", status, tuple(reused), reason if reused else None)
        if check.marked:
            notes.append(check.describe())
        con.execute(
            f"INSERT INTO samples ({', '.join(SAMPLE_COLUMNS)}) VALUES ({', '.join('?' * len(SAMPLE_COLUMNS))})",
            [sample_id, processor, population.period, population.submission_id,
             json.dumps(population.filters.as_dict()), population.size, population.fingerprint, chosen_seed,
             design.method.value, design.by,
             design.allocation.value if design.method is Method.stratified else None, design.per,
             plan.n if design.method is not Method.quota else None,
             json.dumps({**plan.as_dict(), "tolerable_rates": rates}),
             rule.value if rule else None, runs or None, commitment.commitment if commitment else None,
             at, user.name, RUBRIC_VERSION, notes, list(population.periods), list(population.submission_ids),
             list(pop.REFUSAL_OUTCOMES) if rule is KeyItems.refusals else None, check.reuse_reason],
        )
        _insert_items(con, sample_id, "random", picks, 1, 1, at, user.name)
        key_picks = [Pick(case_id, None, rank(chosen_seed, case_id)) for case_id in key_ids]
        _insert_items(con, sample_id, "key_item", key_picks, 1, 1, at, user.name)
        audit.append_event(con, user=user.name, role=role, action="sample.drawn", obj=f"sample:{sample_id}", details={
            "processor": processor, "period": population.period, "periods": list(population.periods),
            "submission_id": population.submission_id, "submission_ids": list(population.submission_ids),
            "population_size": population.size, "fingerprint": population.fingerprint, "seed": chosen_seed,
            "seed_generated": generated, "method": design.describe(), "n": len(picks), "key_items": len(key_ids),
            "commitment": commitment.commitment if commitment else None, "seed_status": status.name,
            "seed_reused_with": list(reused), "seed_reuse_reason": check.reuse_reason})
    return DrawResult(sample_id, processor, population.period, chosen_seed, generated, population, design, plan,
                      tuple(picks), rule, tuple(key_ids), commitment, at, tuple(notes), check)


def _item_rates(con: duckdb.DuckDBPyConnection, processor: str, population: pop.Population, key_ids: list[str],
                tolerable: object, notes: list[str]) -> tuple[dict[str, float], object]:
    """Each rubric item's tolerable rate for this sample, and the rate the plan sizes it for (issue 14, item 5).

    A rate given for the draw applies to every item; without one, the contract profile's `[tolerable_rates]` do, and
    the plan is sized for the most demanding item that applies to the cases to draw from.
    """
    if tolerable not in (None, ""):
        rate = float(parse_rate(tolerable, "tolerable"))
        return {item.id: rate for item in RUBRIC}, tolerable
    from checks.contract import profile_for_processor

    rates = dict(profile_for_processor(con, processor).tolerable_rates)
    outside, _ = applicability.population_counts(con, population, processor, key_ids)
    applying = [item.id for item in RUBRIC if outside[item.id]] or [item.id for item in RUBRIC]
    demanding = min(applying, key=lambda item_id: rates[item_id])
    notes.append(f"Sized for {demanding}, the most demanding rubric item that applies to these cases "
                 f"({rates[demanding]:.0%} tolerable in the contract profile's [tolerable_rates]); each item is "
                 "evaluated against its own rate.")
    return rates, str(rates[demanding])


def _plan(design: Design, size: int | None, confidence: object, tolerable: object, expected: object, model: object,
          sizes: dict[Stratum, int], notes: list[str]) -> Plan:
    """The plan the sample is evaluated against; a fixed size without objectives gets the default ones, announced."""
    remaining = sum(sizes.values())
    if design.method is Method.quota:
        size = sum(min(design.per or 0, n) for n in sizes.values())
    if size is not None and (confidence is None or tolerable is None):
        confidence, tolerable = confidence or DEFAULT_CONFIDENCE, tolerable or DEFAULT_TOLERABLE
        notes.append(f"No confidence or tolerable rate given: the sample is evaluated at {float(confidence):.0%} "
                     f"confidence and {float(tolerable):.0%} tolerable deviation rate.")
    if size is not None and 0 < remaining < size:
        notes.append(f"Asked for {size} cases but the population has {remaining} (without key items): all of them "
                     "are taken (a census of the random part).")
        size = remaining
    plan = plan_sample(confidence, tolerable, expected, model=model, population=remaining or None, size=size)
    notes.extend(plan.notes)
    return plan


def _allocation(design: Design, sizes: dict[Stratum, int], n: int) -> dict[Stratum, int]:
    return allocation_for(design, sizes, n) if sum(sizes.values()) else {}


def _insert_items(con: duckdb.DuckDBPyConnection, sample_id: str, part: str, picks: list[Pick], round_: int,
                  first_position: int, at: datetime, by: str, *, replaces: str | None = None) -> None:
    if not picks:
        return
    # One statement for all items: key items can be tens of thousands, and row-by-row inserts run at ~600/s.
    con.execute("INSERT INTO sample_items SELECT $sid, unnest($cases::VARCHAR[]), $part, unnest($ranks::VARCHAR[]), "
                "unnest($positions::INTEGER[]), unnest($strata::VARCHAR[]), $round, $replaces, $at, $by",
                {"sid": sample_id, "cases": [p.case_id for p in picks], "part": part, "ranks": [p.rank for p in picks],
                 "positions": list(range(first_position, first_position + len(picks))),
                 "strata": [p.stratum for p in picks], "round": round_, "replaces": replaces, "at": at, "by": by})


@dataclass(frozen=True)
class Stored:
    """What a stored sample needs to be recomputed."""

    sample: dict[str, object]
    population: pop.Population
    design: Design
    key_rule: KeyItems | None
    key_ids: list[str]
    items: list[dict[str, object]]  # sample_items with their replacement, if any

    @property
    def taken(self) -> list[str]:
        return [str(i["case_id"]) for i in self.items]

    @property
    def excluded(self) -> list[str]:
        return [str(i["case_id"]) for i in self.items if i["replacement"]]

    @property
    def active_random(self) -> list[dict[str, object]]:
        return [i for i in self.items if i["part"] == "random" and not i["replacement"]]


def load(con: duckdb.DuckDBPyConnection, sample_id: str) -> Stored:
    """Read a stored sample and rebuild its population definition (from the reports it was drawn from)."""
    sample = get_sample(con, sample_id)
    filters = pop.Filters.from_dict(sample["filters"])  # type: ignore[arg-type]
    population = pop.of_reports(con, str(sample["processor"]), sample["periods"],  # type: ignore[arg-type]
                                sample["submission_ids"], filters)  # type: ignore[arg-type]
    design = Design(Method(str(sample["method"])), sample["stratify_by"],  # type: ignore[arg-type]
                    Allocation(str(sample["allocation"] or Allocation.proportional)),
                    sample["per_stratum"])  # type: ignore[arg-type]
    items = fetch(con, "SELECT i.*, r.replacement, r.reason FROM sample_items i LEFT JOIN sample_replacements r "
                       "USING (sample_id, case_id) WHERE i.sample_id = ? ORDER BY i.part DESC, i.position",
                  [sample_id])
    key_ids = sorted(str(i["case_id"]) for i in items if i["part"] == "key_item")
    rule = KeyItems(str(sample["key_items"])) if sample["key_items"] else None
    return Stored(sample, population, design, rule, key_ids, items)


def _require_unchanged(stored: Stored) -> None:
    if stored.population.fingerprint != stored.sample["fingerprint"]:
        raise PopulationChanged(
            f"The cases of the report(s) sample {stored.sample['sample_id']} was drawn from no longer match its "
            "fingerprint: the sample cannot be extended reproducibly. Run `oversight sample verify "
            f"{stored.sample['sample_id']}` and draw a new sample.")


def enlarge_sample(con: duckdb.DuckDBPyConnection, user: User, sample_id: str, size: int) -> list[Pick]:
    """Raise the random part to `size` cases with the same seed: the cases drawn so far stay, new ones follow."""
    role = require(user, "draw a sample")
    at = _now()
    with transaction(con):
        stored = load(con, sample_id)
        sample = stored.sample
        if stored.design.method is Method.quota:
            raise InvalidArgument("A quota sample is enlarged by drawing again with a larger 'per' and the same seed.")
        current = int(sample["requested_n"] or 0)  # type: ignore[call-overload]
        if isinstance(size, bool) or not isinstance(size, int) or size <= current:
            raise InvalidArgument(f"'size' must be larger than the sample's current size ({current}), not '{size}'.")
        _require_unchanged(stored)
        sizes = pop.stratum_sizes(con, stored.population, stored.design, stored.key_ids)
        allocation = _allocation(stored.design, sizes, size)
        picks = pop.ranked_selection(con, stored.population, str(sample["seed"]), stored.design, allocation,
                                     stored.key_ids, stored.excluded)
        have = {str(i["case_id"]) for i in stored.active_random}
        if not have <= {p.case_id for p in picks}:  # by construction; a failure here is a bug, not a user error
            raise AssertionError(f"enlarging {sample_id} would drop cases already drawn")
        new = [p for p in picks if p.case_id not in have]
        round_ = max(int(i["round"]) for i in stored.items) + 1 if stored.items else 1  # type: ignore[call-overload]
        position = max((int(i["position"]) for i in stored.items if i["part"] == "random"), default=0) + 1  # type: ignore[call-overload]
        _insert_items(con, sample_id, "random", new, round_, position, at, user.name)
        con.execute("UPDATE samples SET requested_n = ? WHERE sample_id = ?", [size, sample_id])
        audit.append_event(con, user=user.name, role=role, action="sample.enlarged", obj=f"sample:{sample_id}",
                           details={"from": current, "to": size, "added": [p.case_id for p in new]})
    return new


class NotInPopulation(StrEnum):
    """The only reasons a sampled case is replaced: it is not a member of the population (ISA 530 ¶10; issue 14,
    item 4). A case that cannot be tested (its file not supplied, say) is not replaced: it is answered `unable`,
    a deviation (ISA 530 ¶11)."""

    duplicate_entry = "duplicate entry"
    not_a_request = "not a data-subject request"
    outside_period = "outside the period"

    @classmethod
    def _missing_(cls, value: object) -> NotInPopulation | None:
        text = str(value).strip().lower().replace("-", "_").replace(" ", "_")
        return next((r for r in cls if text in (r.name, r.value.replace(" ", "_").replace("-", "_"))), None)


@dataclass(frozen=True)
class Replacement:
    """A case taken out of a sample with its reason, and the next case in rank order that took its place."""

    sample_id: str
    case_id: str
    replacement: str
    rank: str
    reason: str
    replacements: int  # how many cases of this sample have been replaced, this one included


def replace_case(con: duckdb.DuckDBPyConnection, user: User, sample_id: str, case_id: str,
                 reason: object, note: str | None = None) -> Replacement:
    """Replace a sampled case that is not in the population (a duplicate entry, not a data-subject request, outside
    the period) by the next case in rank order; the reason is one of `NotInPopulation`, with an optional note."""
    role = require(user, "replace a sampled case")
    try:
        why = NotInPopulation(reason)
    except ValueError:
        raise NothingToReplace(
            f"A case is replaced only when it is not in the population: {', '.join(r.value for r in NotInPopulation)} "
            f"(--reason {'|'.join(r.name for r in NotInPopulation)}), not '{reason}'. A case that cannot be tested "
            "(its file not supplied, say) stays in the sample and is answered \"unable\", which counts as a "
            f"deviation: oversight sample review {sample_id} {case_id} --unable \"case file not supplied\".") from None
    text = why.value + (f": {note.strip()}" if note and note.strip() else "")
    at = _now()
    with transaction(con):
        stored = load(con, sample_id)
        item = next((i for i in stored.items if i["case_id"] == case_id), None)
        if item is None or item["replacement"]:
            state = "was already replaced" if item else "is not in the sample"
            raise NotInSample(f"Case '{case_id}' {state} in {sample_id}; only its active cases can be replaced.")
        if item["part"] == "top_up":
            raise NotInSample(f"Case '{case_id}' was drawn as a top-up of {sample_id}: top-ups are not replaced "
                              "(they are the next cases of their item in rank order).")
        if item["part"] == "key_item":
            raise NotInSample(f"Case '{case_id}' is a key item of {sample_id}: key items are reviewed in full and "
                              "cannot be swapped. If its file is unavailable, answer its items and say so.")
        _require_unchanged(stored)
        nxt = pop.next_in_rank(con, stored.population, str(stored.sample["seed"]), stored.design,
                               item["stratum"], stored.key_ids, stored.taken)  # type: ignore[arg-type]
        if nxt is None:
            raise NothingToReplace(f"No case is left in {'its stratum' if item['stratum'] else 'the population'} "
                                   f"to take the place of '{case_id}'. Keep it and note why it cannot be reviewed.")
        round_ = max(int(i["round"]) for i in stored.items) + 1  # type: ignore[call-overload]
        position = max(int(i["position"]) for i in stored.items if i["part"] == "random") + 1  # type: ignore[call-overload]
        con.execute("INSERT INTO sample_replacements VALUES (?, ?, ?, ?, ?, ?)",
                    [sample_id, case_id, nxt.case_id, text, at, user.name])
        _insert_items(con, sample_id, "random", [nxt], round_, position, at, user.name, replaces=case_id)
        count = len(stored.excluded) + 1
        audit.append_event(con, user=user.name, role=role, action="sample.case_replaced", obj=f"sample:{sample_id}",
                           details={"case_id": case_id, "replacement": nxt.case_id, "reason": text,
                                    "replacements": count})
    return Replacement(sample_id, case_id, nxt.case_id, nxt.rank, text, count)

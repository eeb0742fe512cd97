"""Top-up: more cases for one rubric item, drawn from the cases it applies to (issue 14, item 2; docs/sampling.md §2).

An item the sample cannot conclude on (`insufficient`: fewer applicable cases than it needs) is completed by taking
the next cases of its sub-population in rank order, with the sample's seed: the population outside the key items,
the cases the item applies to, less every case of the random part (replaced ones included) and the item's earlier
top-ups. Because the random part is the lowest ranks of the whole population, its applicable cases plus the top-ups
are the lowest ranks of the item's sub-population: a simple random sample of it, nested (a later top-up keeps the
earlier cases) and reproducible (`verify` recomputes it). Top-up cases count only for the item they were drawn for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from spotchecks import applicability
from spotchecks import population as pop
from spotchecks.draw import Method, rank
from spotchecks.errors import InvalidArgument
from spotchecks.evaluate import evaluate_sample
from spotchecks.queries import fetch
from spotchecks.review import ITEMS
from spotchecks.samples import Stored, _require_unchanged, load
from store import audit
from store.db import transaction
from store.identity import User, require


@dataclass(frozen=True)
class TopUp:
    """Cases added for one item, in rank order, and how many the item now has."""

    sample_id: str
    item_id: str
    case_ids: tuple[str, ...]
    ranks: tuple[str, ...]
    item_cases: int  # the item's random cases after the top-up (random part's applicable cases + its top-ups)


def candidates(con: duckdb.DuckDBPyConnection, stored: Stored, item_id: str, *, drawn: bool = False) -> list[str]:
    """Every case the item may be topped up from: applicable, outside the key items and the random part, not yet
    drawn for it unless `drawn` (unordered: the caller ranks them)."""
    processor = str(stored.sample["processor"])
    source = f"(SELECT * FROM {pop._cases(stored.population.submission_ids)} AS b WHERE {pop._WHERE})"
    sql = applicability.pairs_sql(source, [ITEMS[item_id]])
    taken = [str(i["case_id"]) for i in stored.items if i["part"] in ("random", "key_item")]
    if not drawn:
        taken += [str(r["case_id"]) for r in fetch(con, "SELECT case_id FROM sample_top_ups WHERE sample_id = ? AND "
                                                        "item_id = ?", [stored.sample["sample_id"], item_id])]
    found = fetch(con, f"SELECT case_id FROM ({sql}) WHERE NOT list_contains($taken::VARCHAR[], case_id)",
                  {**pop._params(stored.population.submission_ids, stored.population.filters), "taken": taken,
                   **applicability.used(sql, applicability.bindings(con, processor))})
    return [str(r["case_id"]) for r in found]


def next_cases(con: duckdb.DuckDBPyConnection, stored: Stored, item_id: str, size: int, *,
               drawn: bool = False) -> list[tuple[str, str]]:
    """The `size` lowest-ranked candidates: (case_id, rank), ranked in Python by draw.rank (the reference); with
    `drawn`, counting the item's earlier top-ups among them (what `verify` recomputes)."""
    seed = str(stored.sample["seed"])
    ranked = sorted((rank(seed, c), c) for c in candidates(con, stored, item_id, drawn=drawn))
    return [(c, r) for r, c in ranked[:size]]


def top_up(con: duckdb.DuckDBPyConnection, user: User, sample_id: str, item_id: str,
           size: int | None = None) -> TopUp:
    """Draw more cases for one rubric item: by default the number its conclusion says are needed."""
    role = require(user, "draw a sample")
    if item_id not in ITEMS:
        raise InvalidArgument(f"'item' must be a rubric item ({', '.join(ITEMS)}), not '{item_id}'.")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
        raise InvalidArgument(f"'size' must be a single integer > 0, not '{size}'.")
    at = datetime.now(UTC).replace(tzinfo=None)
    with transaction(con):
        stored = load(con, sample_id)
        if stored.design.method is not Method.random:
            raise InvalidArgument(f"Sample {sample_id} is {stored.design.describe()}: a top-up keeps a simple random "
                                  "sample of the item's cases only for a simple random draw. Enlarge the sample "
                                  f"instead (oversight sample enlarge {sample_id} --size N).")
        _require_unchanged(stored)
        conclusion = evaluate_sample(con, sample_id).item(item_id)
        wanted = size if size is not None else conclusion.more_needed
        if not wanted:
            raise InvalidArgument(f"Item {item_id} of {sample_id} needs no more cases ({conclusion.conclusion}: "
                                  f"{conclusion.text}) Give --size to draw some anyway.")
        picks = next_cases(con, stored, item_id, wanted)
        if not picks:
            raise InvalidArgument(f"No case of the population is left for {item_id}: every case it applies to is "
                                  "in the sample already.")
        present = {str(i["case_id"]) for i in stored.items}
        round_ = max(int(i["round"]) for i in stored.items) + 1 if stored.items else 1  # type: ignore[call-overload]
        position = max((int(i["position"]) for i in stored.items if i["part"] == "top_up"), default=0)  # type: ignore[call-overload]
        [before] = fetch(con, "SELECT count(*) AS n FROM sample_top_ups WHERE sample_id = ? AND item_id = ?",
                         [sample_id, item_id])
        for offset, (case_id, r) in enumerate(picks, start=1):
            con.execute("INSERT INTO sample_top_ups VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [sample_id, item_id, case_id, r, int(before["n"]) + offset, round_, at, user.name])  # type: ignore[call-overload]
            if case_id not in present:
                position += 1
                con.execute("INSERT INTO sample_items VALUES (?, ?, 'top_up', ?, ?, NULL, ?, NULL, ?, ?)",
                            [sample_id, case_id, r, position, round_, at, user.name])
        audit.append_event(con, user=user.name, role=role, action="sample.topped_up", obj=f"sample:{sample_id}",
                           details={"item_id": item_id, "added": [c for c, _ in picks], "requested": wanted})
    return TopUp(sample_id, item_id, tuple(c for c, _ in picks), tuple(r for _, r in picks),
                 conclusion.applicable - conclusion.key_population + len(picks))


def stored_top_ups(con: duckdb.DuckDBPyConnection, sample_id: str) -> dict[str, list[tuple[str, str]]]:
    """Item → its top-up cases (case_id, rank) in the order drawn."""
    out: dict[str, list[tuple[str, str]]] = {}
    for row in fetch(con, "SELECT item_id, case_id, rank FROM sample_top_ups WHERE sample_id = ? ORDER BY item_id, "
                          "position", [sample_id]):
        out.setdefault(str(row["item_id"]), []).append((str(row["case_id"]), str(row["rank"])))
    return out

"""Draw: which cases. Seeds, ranks, the population fingerprint and stratum allocation, as pure functions.

Reproducible and verifiable selection (docs/sampling.md, Draw): every case gets the rank

    rank(seed, case_id) = SHA-256( UTF-8(seed) ‖ 0x1F ‖ UTF-8(case_id) ), as 64 lowercase hex digits

and the lowest ranks are taken (within each stratum). The same seed and population give the same sample on any
machine; a larger n keeps every case a smaller n took. DuckDB computes the same rank as
`sha256(seed || chr(31) || case_id)` (population.py); tests hold the two equal.

Seeds are text. An integer seed means its decimal digits: 12345 and "12345" are the same seed. A seed may not be
empty, start or end with whitespace, or hold control characters (0x1F separates seed and case key).
The population fingerprint is SHA-256 of the sorted case ids (code-point order) joined by "\\n", in UTF-8.
"""

from __future__ import annotations

import hashlib
import heapq
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from spotchecks.errors import InvalidArgument, InvalidSeed

SEPARATOR = "\x1f"


class Method(StrEnum):
    random = "random"
    stratified = "stratified"
    quota = "quota"


class Allocation(StrEnum):
    proportional = "proportional"
    equal = "equal"


class KeyItems(StrEnum):
    """Cases always included and evaluated apart (a census): those with a critical or major exception in the latest
    check results, or refusals."""

    major = "major"
    refusals = "refusals"

    @classmethod
    def _missing_(cls, value: object) -> KeyItems | None:
        # The old name, before severities became critical/major/minor/info: still accepted, and stored samples
        # drawn with it are verified with the rule it now means.
        return cls.major if value == "breaches" else None


STRATA_COLUMNS = ("request_type", "channel", "agent_id", "outcome")

Stratum = str | None  # None: the case has no value in the stratifying column


@dataclass(frozen=True)
class Design:
    """How the random part is selected."""

    method: Method = Method.random
    by: str | None = None  # the stratifying column (stratified); agent_id for quota
    allocation: Allocation = Allocation.proportional
    per: int | None = None  # cases per agent (quota)

    def describe(self) -> str:
        if self.method is Method.stratified:
            return f"stratified by {self.by} ({self.allocation} allocation)"
        if self.method is Method.quota:
            return f"quota: {self.per} per {self.by}"
        return "simple random"


@dataclass(frozen=True)
class Pick:
    """One case of the random part: its key, stratum and rank."""

    case_id: str
    stratum: Stratum
    rank: str


def normalize_seed(seed: object) -> str:
    """Return the seed as text (12345 → "12345"); refuse what could not be re-entered exactly."""
    if isinstance(seed, bool) or not isinstance(seed, str | int):
        raise InvalidSeed(f"A seed is text or a whole number, not {type(seed).__name__} '{seed}'.")
    text = str(seed)
    if not text:
        raise InvalidSeed("The seed is empty. Leave it out to get a random one, or give any text or number.")
    if text != text.strip():
        raise InvalidSeed(f"The seed '{text}' starts or ends with whitespace, which is easily lost when it is "
                          "copied; give it without.")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise InvalidSeed("The seed holds control characters; give one of letters, digits and punctuation.")
    return text


def new_seed() -> str:
    """A seed from the operating system's random source: 128 bits, 32 hex digits; nobody can predict it."""
    return secrets.token_hex(16)


def rank(seed: str, case_id: str) -> str:
    """The case's rank under the seed (module docstring has the exact bytes)."""
    return hashlib.sha256(f"{seed}{SEPARATOR}{case_id}".encode()).hexdigest()


def fingerprint(case_ids: Iterable[str]) -> str:
    """SHA-256 of the sorted case ids joined by newlines: the population's identity."""
    return hashlib.sha256("\n".join(sorted(case_ids)).encode()).hexdigest()


def _order(stratum: Stratum) -> tuple[bool, str]:
    return (stratum is None, stratum or "")


def allocate(sizes: Mapping[Stratum, int], n: int, allocation: Allocation = Allocation.proportional
             ) -> dict[Stratum, int]:
    """Split n over the strata, at least one per non-empty stratum, never more than a stratum holds.

    Proportional allocation uses the Huntington-Hill method (the US House apportionment): every stratum first gets
    one case, then each next case goes to the stratum with the highest N_h / √(a_h(a_h + 1)). Equal allocation gives
    each next case to the stratum with the fewest. Both hand out cases one at a time, so the allocation for n + 1
    contains the one for n: enlarging a stratified sample keeps the cases already drawn.
    """
    strata = sorted((s for s, size in sizes.items() if size > 0), key=_order)
    if n < len(strata):
        raise InvalidArgument(f"'size' ({n}) is smaller than the number of strata ({len(strata)}): every stratum "
                              f"needs at least one case. Ask for at least {len(strata)}, or draw without strata.")
    n = min(n, sum(sizes[s] for s in strata))
    given = dict.fromkeys(strata, 0)
    heap: list[tuple[tuple[int, int | Fraction], int]] = []
    for position, stratum in enumerate(strata):
        heapq.heappush(heap, (_priority(sizes[stratum], 0, allocation), position))
    for _ in range(n):
        _, position = heapq.heappop(heap)
        stratum = strata[position]
        given[stratum] += 1
        if given[stratum] < sizes[stratum]:
            heapq.heappush(heap, (_priority(sizes[stratum], given[stratum], allocation), position))
    return given


def _priority(size: int, given: int, allocation: Allocation) -> tuple[int, int | Fraction]:
    """Heap key, smallest first: which stratum gets the next case."""
    if allocation is Allocation.equal:
        return (given, -size)  # the fewest first; the larger stratum on a tie
    if given == 0:
        return (0, -size)  # one for every stratum before any gets a second
    # Huntington-Hill: compare N²/(a(a+1)) exactly, so every machine breaks ties the same way.
    return (1, -Fraction(size * size, given * (given + 1)))


def quota(sizes: Mapping[Stratum, int], per: int) -> dict[Stratum, int]:
    """k cases per stratum (per agent), or all of a smaller stratum."""
    return {s: min(per, size) for s, size in sizes.items() if size > 0}


def allocation_for(design: Design, sizes: Mapping[Stratum, int], n: int | None) -> dict[Stratum, int]:
    """How many cases each stratum gives to the random part."""
    if design.method is Method.quota:
        if design.per is None or design.per < 1:
            raise InvalidArgument("'per' must be a whole number ≥ 1: the number of cases per agent.")
        return quota(sizes, design.per)
    if n is None or n < 1:
        raise InvalidArgument(f"'size' must be a single integer > 0, not '{n}'.")
    if design.method is Method.random:
        total = sum(sizes.values())
        return {None: min(n, total)} if total else {}
    return allocate(sizes, n, design.allocation)


def select(cases: Iterable[tuple[str, Stratum]], seed: str, design: Design, n: int | None,
           excluded: Iterable[str] = ()) -> list[Pick]:
    """The random part, computed in Python: the reference that `verify` recomputes a stored sample with.

    `cases` are (case_id, stratum) of the population without its key items. `excluded` are cases replaced out of
    the sample: they count in the stratum sizes (the allocation does not move) but are never taken again, so the
    next case in rank order takes their place.
    """
    by_stratum: dict[Stratum, list[tuple[str, str]]] = defaultdict(list)
    for case_id, stratum in cases:
        by_stratum[None if design.method is Method.random else stratum].append((rank(seed, case_id), case_id))
    sizes = {s: len(members) for s, members in by_stratum.items()}
    out = frozenset(excluded)
    picks = []
    for stratum, count in allocation_for(design, sizes, n).items():
        available = (m for m in by_stratum[stratum] if m[1] not in out)
        picks += [Pick(case_id, stratum, r) for r, case_id in heapq.nsmallest(count, available)]
    return sorted(picks, key=lambda p: (p.rank, p.case_id))

"""The pure draw: seeds, ranks, fingerprint, allocation; and the SQL twins agree with the Python reference."""

from __future__ import annotations

import hashlib

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spotchecks import population as pop
from spotchecks.draw import (
    Allocation,
    Design,
    Method,
    allocate,
    allocation_for,
    fingerprint,
    normalize_seed,
    rank,
    select,
)
from spotchecks.errors import InvalidArgument, InvalidSeed
from tests.spot_demo import BELCALL

TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)


def test_rank_is_sha256_of_seed_unit_separator_case_id_in_utf8() -> None:
    assert rank("12345", "BC-261007-05") == hashlib.sha256(b"12345\x1fBC-261007-05").hexdigest()
    assert rank("zaad", "AP-é") == hashlib.sha256("zaad\x1fAP-é".encode()).hexdigest()


def test_integer_and_text_seed_are_the_same_seed() -> None:
    assert normalize_seed(12345) == normalize_seed("12345") == "12345"
    assert rank(normalize_seed(12345), "X") == rank("12345", "X")


@pytest.mark.parametrize("seed", ["", " 42", "42 ", "4\x1f2", "a\nb", True, 1.5, None])
def test_seeds_that_could_not_be_reentered_exactly_are_refused(seed: object) -> None:
    with pytest.raises(InvalidSeed):
        normalize_seed(seed)


@settings(max_examples=60, deadline=None)
@given(seed=TEXT.filter(lambda s: s == s.strip()), case_ids=st.lists(TEXT, min_size=1, max_size=20, unique=True))
def test_duckdb_rank_and_fingerprint_equal_the_python_reference(seed: str, case_ids: list[str]) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE c (case_id VARCHAR)")
    con.executemany("INSERT INTO c VALUES (?)", [[c] for c in case_ids])
    ranks = dict(con.execute("SELECT case_id, sha256($s || chr(31) || case_id) FROM c", {"s": seed}).fetchall())
    assert ranks == {c: rank(seed, c) for c in case_ids}
    [(sql_fp,)] = con.execute("SELECT sha256(string_agg(case_id, chr(10) ORDER BY case_id)) FROM c").fetchall()
    assert sql_fp == fingerprint(case_ids)


def test_fingerprint_is_of_the_sorted_keys() -> None:
    assert fingerprint(["b", "a"]) == fingerprint(["a", "b"]) == hashlib.sha256(b"a\nb").hexdigest()


SIZES = st.dictionaries(st.one_of(st.none(), st.text(min_size=1, max_size=5)), st.integers(0, 400), min_size=1,
                        max_size=12)


@settings(max_examples=200, deadline=None)
@given(sizes=SIZES, n=st.integers(1, 500), how=st.sampled_from(list(Allocation)))
def test_allocation_sums_to_n_covers_every_stratum_and_never_exceeds_one(sizes: dict, n: int,
                                                                          how: Allocation) -> None:
    non_empty = [s for s, size in sizes.items() if size > 0]
    if n < len(non_empty):
        with pytest.raises(InvalidArgument, match="every stratum needs at least one"):
            allocate(sizes, n, how)
        return
    given_ = allocate(sizes, n, how)
    assert sum(given_.values()) == min(n, sum(sizes.values()))
    assert set(given_) == set(non_empty) and all(given_[s] >= 1 for s in non_empty)
    assert all(given_[s] <= sizes[s] for s in given_)
    if n + 1 <= sum(sizes.values()):  # one more case never takes a case away from a stratum
        more = allocate(sizes, n + 1, how)
        assert all(more[s] >= given_[s] for s in given_)


def test_proportional_allocation_follows_the_stratum_sizes() -> None:
    assert allocate({"access": 600, "erasure": 300, "complaint": 100}, 10) == {"access": 6, "erasure": 3,
                                                                              "complaint": 1}
    # a tiny stratum still gets its one case
    assert allocate({"a": 990, "b": 10, None: 1}, 10) == {"a": 8, "b": 1, None: 1}


def test_equal_allocation_gives_each_stratum_the_same_unless_it_runs_out() -> None:
    assert allocate({"a": 600, "b": 300, "c": 2}, 10, Allocation.equal) == {"a": 4, "b": 4, "c": 2}


@pytest.mark.parametrize(("design", "n"), [
    (Design(), 59),
    (Design(Method.stratified, "request_type"), 40),
    (Design(Method.stratified, "channel", Allocation.equal), 25),
    (Design(Method.quota, "agent_id", per=2), None),
])
def test_sql_selection_equals_the_python_reference_on_the_demo(demo, design: Design, n: int | None) -> None:
    population = pop.freeze(demo, BELCALL, "2026-10")
    sizes = pop.stratum_sizes(demo, population, design, [])
    excluded = ["BC-261007-05"]
    sql = pop.ranked_selection(demo, population, "zaad-7", design, allocation_for(design, sizes, n), [], excluded)
    python = select(pop.cases_with_strata(demo, population, design, []), "zaad-7", design, n, excluded)
    assert sql == python
    assert len(sql) == (n if n else sum(min(2, s) for s in sizes.values()))
    assert "BC-261007-05" not in {p.case_id for p in sql}
    # SQL fingerprint of the population equals the Python one over the same case ids
    assert population.fingerprint == fingerprint(c for c, _ in pop.cases_with_strata(demo, population, design, []))

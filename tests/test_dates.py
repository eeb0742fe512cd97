"""The SQL date reader and the Python one give the same answer for every string (one definition, two engines)."""

from __future__ import annotations

from datetime import date

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.dates import parse_date_text, sql_date

con = duckdb.connect()

parts = st.tuples(st.integers(0, 40), st.integers(0, 14), st.integers(1990, 2100))
separators = st.sampled_from(["/", "-", ".", "/-", " "])
times = st.sampled_from(["", " 14:32", " 09:05:59", "T10:00:00", " 24:00", " 9:5", " 23:59:59.123"])


@st.composite
def date_strings(draw: st.DrawFn) -> str:
    day, month, year = draw(parts)
    sep = draw(separators)
    kind = draw(st.sampled_from(["iso", "local", "serial", "junk"]))
    if kind == "iso":
        return f"{year}{sep}{month:02d}{sep}{day:02d}{draw(times)}"
    if kind == "local":
        pad = draw(st.booleans())
        d, m = (f"{day:02d}", f"{month:02d}") if pad else (str(day), str(month))
        return f"{d}{sep}{m}{sep}{year}{draw(times)}"
    if kind == "serial":
        return draw(st.sampled_from([str(draw(st.integers(100, 99999))), f"{draw(st.integers(10000, 99999))}.0"]))
    return draw(st.text(max_size=12))


@settings(max_examples=200, deadline=None)
@given(values=st.lists(date_strings(), min_size=1, max_size=25), order=st.sampled_from(["dmy", "mdy"]))
def test_sql_and_python_read_dates_the_same(values, order):
    values = [v.strip() for v in values]
    got = con.execute(f"SELECT v, {sql_date('v', order)} FROM unnest($vs) t(v)", {"vs": values}).fetchall()
    for value, sql_value in got:
        assert sql_value == parse_date_text(value, order), value


def test_reference_examples():
    assert parse_date_text("31/02/2026") is None
    assert parse_date_text("5.10.2026 14:32") == date(2026, 10, 5)
    assert parse_date_text("10/05/2026", "mdy") == date(2026, 10, 5)
    assert parse_date_text("2026-10-05T10:00:00") == date(2026, 10, 5)
    assert parse_date_text("05/10/2026 25:00") is None

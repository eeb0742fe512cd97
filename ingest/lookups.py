"""Small lookup tables that let validation read each distinct raw value once, not once per row.

A monthly report repeats the same few dates, vocabulary words and customer references down a million
rows. Each is read once here, into a temp table keyed by the raw cell text as written (spaces included),
holding the trimmed text, and the typed value: validation joins the rows to these. Duplicate rows are
found the same way: only rows whose key repeats (or is empty) are compared cell by cell.
"""

from __future__ import annotations

import duckdb

from ingest.dates import sql_date
from ingest.pseudonym import sql_pseudonym
from ingest.vocabulary import ENUM_VOCABULARY, label_key, value_index

TABLES = ("_values", "_vmap", "_dmap", "_refs", "_dups")  # suffixes of the raw table, created here
_TRIMMED = "NULLIF(trim(raw), '')"


def _bind(sql: str, params: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in params.items() if f"${k}" in sql}


def count_values(con: duckdb.DuckDBPyConnection, raw: str, columns: dict[str, str]) -> None:
    """Count each field's distinct raw values into `{raw}_values` (field, raw, n); columns: field → cN."""
    union = " UNION ALL ".join(f"SELECT '{name}' AS field, {col} AS raw, count(*) AS n FROM {raw} "
                               f"WHERE {col} IS NOT NULL GROUP BY {col}" for name, col in columns.items())
    source = union or "SELECT NULL::VARCHAR AS field, NULL::VARCHAR AS raw, 0 AS n WHERE false"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {raw}_values AS {source}")


def value_map(con: duckdb.DuckDBPyConnection, raw: str, fields: list[str]) -> str:
    """Map the distinct raw values of enum and boolean fields through the vocabularies (in Python, once)."""
    table = f"{raw}_vmap"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (field VARCHAR, raw VARCHAR, trimmed VARCHAR, value VARCHAR)")
    rows = con.execute(f"SELECT field, raw, {_TRIMMED} FROM {raw}_values WHERE list_contains($f, field)",
                       {"f": fields}).fetchall()
    if rows:
        values = [value_index(ENUM_VOCABULARY.get(f, "boolean")).get(label_key(t)) if t is not None else None
                  for f, _, t in rows]
        con.execute(f"INSERT INTO {table} SELECT unnest($f), unnest($r), unnest($t), unnest($v)",
                    {"f": [r[0] for r in rows], "r": [r[1] for r in rows], "t": [r[2] for r in rows], "v": values})
    return table


def date_map(con: duckdb.DuckDBPyConnection, raw: str, fields: list[str], date_order: str) -> str:
    """Read every distinct date text once into `{raw}_dmap` (raw, trimmed, value: NULL when not a date)."""
    table = f"{raw}_dmap"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT raw, trimmed, {sql_date('trimmed', date_order)} "
                f"AS value FROM (SELECT DISTINCT raw, {_TRIMMED} AS trimmed FROM {raw}_values "
                "WHERE list_contains($f, field))", {"f": fields})
    return table


def pseudonyms(con: duckdb.DuckDBPyConnection, raw: str, column: str, ipad: bytes, opad: bytes) -> str:
    """Pseudonymise every distinct customer reference once into `{raw}_refs` (raw, trimmed, value)."""
    table = f"{raw}_refs"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT raw, trimmed, "
                f"CASE WHEN trimmed IS NOT NULL THEN {sql_pseudonym('trimmed')} END AS value "
                f"FROM (SELECT raw, {_TRIMMED} AS trimmed FROM (SELECT DISTINCT {column} AS raw FROM {raw}) "
                "WHERE raw IS NOT NULL)", {"ipad": ipad, "opad": opad})
    return table


def duplicate_candidates(con: duckdb.DuckDBPyConnection, raw: str, key: str, cells: list[str], blank: str,
                         total: str, params: dict[str, object]) -> str:
    """Compare cell by cell only the rows whose key repeats or is empty: `{raw}_dups` (_r, k, is_dup).

    Identical rows share their key, so this finds every identical row exactly; is_dup marks all but the
    first of each set. `params` binds $last_r (the last non-blank row) and what `total` uses.
    """
    table = f"{raw}_dups"
    sql = f"""CREATE OR REPLACE TEMP TABLE {table} AS
        WITH keys AS MATERIALIZED (
            SELECT _r, {key} AS k FROM {raw} WHERE _r <= $last_r AND NOT {blank}
        ), candidates AS (
            SELECT _r FROM keys WHERE k IS NULL OR k IN (SELECT k FROM keys GROUP BY k HAVING count(*) > 1)
        )
        SELECT _r, {key} AS k, row_number() OVER (PARTITION BY {', '.join(cells)} ORDER BY _r) > 1 AS is_dup
        FROM {raw} WHERE _r IN (SELECT _r FROM candidates) AND NOT {total}"""
    con.execute(sql, _bind(sql, params))
    return table


def ambiguity_notes(con: duckdb.DuckDBPyConnection, raw: str, headers: dict[str, str], date_order: str) -> list[str]:
    """Say which date columns hold values like 05/10/2026 that nothing in the file disambiguates.

    headers: date field → its header as written, in column order.
    """
    if not headers:
        return []
    pattern = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{4}"
    either = "a <= 12 AND b <= 12 AND differ"
    rows = con.execute(
        f"SELECT field, coalesce(sum(n) FILTER (WHERE {either}), 0), coalesce(sum(n) FILTER (WHERE a > 12), 0), "
        f"coalesce(sum(n) FILTER (WHERE b > 12), 0), min(trimmed) FILTER (WHERE {either}) "
        "FROM (SELECT field, trimmed, n, TRY_CAST(p.a AS INT) AS a, TRY_CAST(p.b AS INT) AS b, p.a <> p.b AS differ "
        f"FROM (SELECT *, regexp_extract(trimmed, '{pattern}', ['a', 'b']) AS p FROM (SELECT field, n, {_TRIMMED} "
        f"AS trimmed FROM {raw}_values WHERE list_contains($f, field)))) GROUP BY field",
        {"f": list(headers)},
    ).fetchall()
    found = {row[0]: row[1:] for row in rows}
    stats = [(name, *found.get(name, (0, 0, 0, None))) for name in headers]
    # One export uses one convention: a single unambiguous date anywhere in the file decides for all columns.
    decided = sum(day_first if date_order == "dmy" else month_first for _, _, day_first, month_first, _ in stats)
    ambiguous = [(name, n, example) for name, n, _, _, example in stats if n]
    if decided or not ambiguous:
        return []
    reading, other = ("day first", "mdy") if date_order == "dmy" else ("month first", "dmy")
    columns = ", ".join(f"{headers[name]} ({n}, e.g. '{example}')" for name, n, example in ambiguous)
    return [f"Dates that could be read either way and that nothing in the file decides were read {reading}: "
            f"{columns}. If this processor writes dates the other way, save date_order = \"{other}\" in its mapping."]

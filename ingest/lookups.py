"""Read each distinct raw value once, not once per row, and keep the rows in file order while doing it.

A monthly report repeats the same few dates and vocabulary words down a million rows. Their distinct raw
texts (as written, spaces included) become a temporary ENUM type; what each text reads as (trimmed text,
date, vocabulary value) is a list in the type's order, bound as a query parameter. A row then finds its
value by position, `$list[enum_code(TRY_CAST(cell AS type)) + 1]`: a hash lookup without a join. Joins
would do the same, but DuckDB does not keep row order across a parallel join, and sorting a million
staged rows back into file order costs more than the whole lookup.

DuckDB copies a bound list once per 2,048 rows, so the lists stay short (LOOKUP_LIMIT). A column with
more distinct texts than fit (timestamps, free text typed into a vocabulary column) is read row by row:
dates by `sql_date`, vocabulary values by their position among the few spellings that mean something.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from ingest.dates import sql_date
from ingest.vocabulary import ENUM_VOCABULARY, Kind, label_key, value_index

TABLES = ("_values",)  # suffixes of the raw table: temp tables created here
TYPES = ("_texts",)  # suffixes of the raw table: temp types created here
LOOKUP_LIMIT = 1_000  # distinct texts in the lookup lists (about 20 ms per 1M rows for each list read)
_TRIMMED = "NULLIF(trim(raw), '')"


@dataclass(frozen=True)
class Lookup:
    """The distinct texts of the coded columns as a temp ENUM type, and what each reads as, in its order."""

    type_name: str
    params: dict[str, list[object]] = field(default_factory=dict)
    fields: frozenset[str] = frozenset()  # the fields read through the lookup (others row by row)

    def position(self, column: str) -> str:
        """SQL: the 1-based position of the column's text in the lookup lists (NULL for NULL)."""
        return f"(enum_code(TRY_CAST({column} AS {self.type_name})) + 1)"

    @staticmethod
    def trimmed(position: str) -> str:
        """SQL: the trimmed text at a position (NULL when the cell is empty or spaces)."""
        return f"CAST($lk_trimmed AS VARCHAR[])[{position}]"

    @staticmethod
    def value(name: str, kind: Kind, position: str) -> str:
        """SQL: what the text at a position reads as for field `name` (NULL when it reads as nothing)."""
        if kind is Kind.DATE:
            return f"CAST($lk_dates AS DATE[])[{position}]"
        value = f"CAST($lk_{name} AS VARCHAR[])[{position}]"
        return f"CAST({value} AS BOOLEAN)" if kind is Kind.BOOL else value

    @staticmethod
    def spelled(name: str, kind: Kind, trimmed: str) -> str:
        """SQL: the vocabulary value of a trimmed text, for a field read row by row (NULL when unknown)."""
        value = (f"CAST($lv_{name}_values AS VARCHAR[])[list_position(CAST($lv_{name}_texts AS VARCHAR[]), "
                 f"{trimmed})]")
        return f"CAST({value} AS BOOLEAN)" if kind is Kind.BOOL else value


def build(con: duckdb.DuckDBPyConnection, raw: str, columns: dict[str, tuple[str, Kind]], date_order: str,
          serials: bool = True) -> Lookup:
    """Count the coded columns' distinct texts into `{raw}_values` and read each once.

    columns: field → (cN, kind) for date, enum and boolean fields. Enum and boolean texts are mapped
    through the vocabularies in Python; date texts by `sql_date`, the same expression a row would use.
    """
    _count_values(con, raw, {name: col for name, (col, _) in columns.items()})
    dates = [n for n, (_, kind) in columns.items() if kind is Kind.DATE]
    counts = dict(con.execute(f"SELECT field, count(*) FROM {raw}_values GROUP BY field").fetchall())
    fields: list[str] = []
    for name in sorted(columns, key=lambda n: counts.get(n, 0)):  # the fewest texts first
        if sum(counts.get(n, 0) for n in fields) + counts.get(name, 0) <= LOOKUP_LIMIT:
            fields.append(name)
    type_name = f"{raw}_texts"
    con.execute(f"CREATE OR REPLACE TEMP TYPE {type_name} AS ENUM (SELECT DISTINCT raw FROM {raw}_values "
                "WHERE list_contains($f, field) ORDER BY raw)", {"f": fields})
    order = [text for (text,) in con.execute(f"SELECT unnest(enum_range(NULL::{type_name}))").fetchall()]
    read = {
        text: (trimmed, value) for text, trimmed, value in con.execute(
            f"SELECT raw, trimmed, {sql_date('trimmed', date_order, serials)} FROM (SELECT DISTINCT raw, "
            f"{_TRIMMED} AS trimmed "
            f"FROM {raw}_values WHERE list_contains($f, field))", {"f": fields}).fetchall()
    }
    params: dict[str, list[object]] = {"lk_trimmed": [read[t][0] for t in order]}
    if any(n in dates for n in fields):
        params["lk_dates"] = [read[t][1] for t in order]
    for name in fields:
        kind = columns[name][1]
        if kind in (Kind.ENUM, Kind.BOOL):
            index = value_index(ENUM_VOCABULARY.get(name, "boolean"))
            params[f"lk_{name}"] = [index.get(label_key(read[t][0])) if read[t][0] is not None else None
                                    for t in order]
    for name, (_, kind) in columns.items():
        if name not in fields and kind in (Kind.ENUM, Kind.BOOL):
            index = value_index(ENUM_VOCABULARY.get(name, "boolean"))
            texts = con.execute(f"SELECT DISTINCT {_TRIMMED} FROM {raw}_values WHERE field = $f",
                                {"f": name}).fetchall()
            spelled = {t: index[label_key(t)] for (t,) in texts if t is not None and label_key(t) in index}
            params[f"lv_{name}_texts"], params[f"lv_{name}_values"] = list(spelled), list(spelled.values())
    return Lookup(type_name, params, frozenset(fields))


def _count_values(con: duckdb.DuckDBPyConnection, raw: str, columns: dict[str, str]) -> None:
    """Count each field's distinct raw texts into `{raw}_values` (field, raw, n); columns: field → cN."""
    union = " UNION ALL ".join(f"SELECT '{name}' AS field, {col} AS raw, count(*) AS n FROM {raw} "
                               f"WHERE {col} IS NOT NULL GROUP BY {col}" for name, col in columns.items())
    source = union or "SELECT NULL::VARCHAR AS field, NULL::VARCHAR AS raw, 0 AS n WHERE false"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {raw}_values AS {source}")


def ambiguity_notes(con: duckdb.DuckDBPyConnection, raw: str, headers: dict[str, str], date_order: str) -> list[str]:
    """Say which date columns hold values like 05/10/2026 that nothing in the file disambiguates.

    headers: date field → its header as written, in column order. Reads `{raw}_values` (see `build`).
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

"""Row rules, in SQL over the raw text table: parse, classify (skipped / quarantined / loaded), give reasons.

Every data row ends in exactly one status, so rows read = loaded + quarantined + skipped. Reason codes
(report-format.md): missing_required, bad_date, unknown_value, date_order, future_date, out_of_period,
duplicate_conflict. Skip reasons: blank, total, duplicate_row (identical to an earlier row).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum

import duckdb

from ingest.dates import sql_date
from ingest.mapping import HeaderMap, Part
from ingest.vocabulary import (
    CASE_FIELDS,
    ENUM_VOCABULARY,
    TOTAL_LABELS,
    TRAINING_FIELDS,
    VOCABULARIES,
    Field,
    Kind,
    label_key,
    value_index,
)


class Reason(Enum):
    """Why a row was quarantined."""

    MISSING_REQUIRED = "missing_required"
    BAD_DATE = "bad_date"
    UNKNOWN_VALUE = "unknown_value"
    DATE_ORDER = "date_order"
    FUTURE_DATE = "future_date"
    OUT_OF_PERIOD = "out_of_period"
    DUPLICATE_CONFLICT = "duplicate_conflict"


class Skip(Enum):
    """Why a row was skipped (not data)."""

    BLANK = "blank"
    TOTAL = "total"
    DUPLICATE_ROW = "duplicate_row"


# Dates that cannot come before the date of receipt, and the pause that cannot end before it starts.
DATE_ORDER_RULES: tuple[tuple[str, str], ...] = (
    ("responded_on", "received_on"),
    ("forwarded_on", "received_on"),
    ("escalated_on", "received_on"),
    ("id_requested_on", "received_on"),
    ("extension_notified_on", "received_on"),
    ("suppressed_on", "received_on"),
    ("id_received_on", "id_requested_on"),
)


@dataclass(frozen=True)
class Rules:
    """The context a part's rows are validated in."""

    period_end: date | None
    submitted_on: date
    date_order: str
    ipad: bytes
    opad: bytes


@dataclass(frozen=True)
class Staged:
    """Where the classified rows are and what validation noticed about the part."""

    table: str
    fields: tuple[Field, ...]
    extras: dict[str, str]  # output name → raw column
    labels: dict[int, str]  # column index → header as written (for raw values in quarantine)
    cells: list[str]  # the raw text columns c0..cN
    notes: list[str]


def bind(sql: str, params: dict[str, object]) -> dict[str, object]:
    """Keep only the parameters the SQL uses (DuckDB refuses unused named parameters)."""
    return {k: v for k, v in params.items() if re.search(rf"\${re.escape(k)}\b", sql)}


def ident(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", label_key(text))


def fields_for(part: Part) -> tuple[Field, ...]:
    """Return the canonical fields of a part."""
    return CASE_FIELDS if part is Part.CASES else TRAINING_FIELDS


def stage(con: duckdb.DuckDBPyConnection, raw: str, header: HeaderMap, rules: Rules, width: int) -> Staged:
    """Classify every row of temp table `raw` into temp table `{raw}_stage` and return what was staged."""
    fields = fields_for(header.part)
    mapped = {f.name: f for f in fields if f.name in header.columns}
    cells = [f"c{i}" for i in range(width)]
    params: dict[str, object] = {}

    extras = {name: f"c{i}" for i, name in header.extras.items()}
    spare = _columns_with_data(con, raw, [f"c{i}" for i in range(len(header.headers), width)])
    notes = []
    for col in spare:
        extras[f"column_{int(col[1:]) + 1}"] = col
    if spare:
        notes.append(f"{len(spare)} column(s) without a header held values; kept as extras "
                     f"{', '.join(f'column_{int(c[1:]) + 1}' for c in spare)}.")
    labels = {i: (h or f"column_{i + 1}") for i, h in enumerate(header.headers)}
    labels.update({int(c[1:]): f"column_{int(c[1:]) + 1}" for c in spare})

    trimmed = {name: f"NULLIF(trim(c{header.columns[name]}), '')" for name in mapped}
    first_cell = "coalesce(" + ", ".join(f"NULLIF(trim({c}), '')" for c in cells) + ")"
    params["totals"] = [_letters(t) for t in TOTAL_LABELS]
    # A total row never names a request type; a case whose id happens to read "Total" does.
    total_guard = f"AND {trimmed['request_type']} IS NULL" if "request_type" in trimmed else ""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {raw}_cells AS SELECT _r, source_row, "
        + "".join(f"{expr} AS {ident('f_' + name)}, " for name, expr in trimmed.items())
        + "_first IS NULL AS _blank, "
        "coalesce(regexp_replace(lower(strip_accents(_first)), '[^a-z]', '', 'g') IN "
        f"(SELECT unnest($totals)) {total_guard}, false) AS _total, "
        f"{', '.join(cells)} FROM (SELECT *, {first_cell} AS _first FROM {raw})",
        params,
    )
    # Rows after the last non-blank row are not rows of the report (Excel's formatted empty tail).
    con.execute(f"DELETE FROM {raw}_cells WHERE _r > (SELECT coalesce(max(_r), -1) FROM {raw}_cells WHERE NOT _blank)")
    # Empty lines inside the data (DuckDB's reader drops them) are blank rows of the report: count them.
    con.execute(f"INSERT INTO {raw}_cells (_r, source_row, _blank, _total) SELECT -line, line, true, false "
                f"FROM {raw}_empty WHERE line < (SELECT max(source_row) FROM {raw}_cells WHERE NOT _blank)")

    vmap = _value_map(con, raw, mapped)
    params = {"submitted": rules.submitted_on, "period_end": rules.period_end, "ipad": rules.ipad,
              "opad": rules.opad}
    parsed, joins, checks = [], [], []
    for name, f in mapped.items():
        col = ident("f_" + name)
        label_param = f"label_{name}"
        params[label_param] = f"{header.headers[header.columns[name]].strip()} ({name})"
        if f.kind is Kind.DATE:
            parsed.append(f"{sql_date(col, rules.date_order)} AS {ident('p_' + name)}")
            checks.append((f"{col} IS NOT NULL AND {ident('p_' + name)} IS NULL", Reason.BAD_DATE,
                           f"format('{{}} ''{{}}'' is not a date', ${label_param}, {col})"))
            checks.append((f"{ident('p_' + name)} > $submitted", Reason.FUTURE_DATE,
                           f"format('{{}} {{}} is after the report was submitted ({{}})', ${label_param}, "
                           f"{ident('p_' + name)}, $submitted)"))
        elif f.kind in (Kind.ENUM, Kind.BOOL):
            alias = ident("m_" + name)
            joins.append(f"LEFT JOIN {vmap} {alias} ON {alias}.field = '{name}' AND {alias}.raw = {col}")
            cast = "CAST({} AS BOOLEAN)" if f.kind is Kind.BOOL else "{}"
            parsed.append(f"{cast.format(alias + '.value')} AS {ident('p_' + name)}")
            known = ", ".join(VOCABULARIES[ENUM_VOCABULARY.get(name, "boolean")])
            params[f"known_{name}"] = known if f.kind is Kind.ENUM else "yes/no, ja/nee, oui/non"
            checks.append((f"{col} IS NOT NULL AND {ident('p_' + name)} IS NULL", Reason.UNKNOWN_VALUE,
                           f"format('{{}} ''{{}}'' is not a known value ({{}})', ${label_param}, {col}, "
                           f"$known_{name})"))
        elif name == "data_subject_ref":
            # Pseudonymised here, before anything is written: HMAC-SHA256 (RFC 2104) with the key file.
            parsed.append(f"CASE WHEN {col} IS NOT NULL THEN sha256($opad || unhex(sha256($ipad || encode({col})))) "
                          f"END AS {ident('p_' + name)}")
        else:
            parsed.append(f"{col} AS {ident('p_' + name)}")
        if f.required:
            checks.append((f"{col} IS NULL", Reason.MISSING_REQUIRED, f"format('{{}} is empty', ${label_param})"))
    for f in fields:  # required fields absent from the header were refused by map_header
        if f.name not in mapped:
            parsed.append(f"NULL AS {ident('p_' + f.name)}")

    if header.part is Part.CASES:
        checks += _case_checks(mapped, rules)
    reason_sql = ", ".join(f"CASE WHEN {cond} THEN '{reason.value}' END" for cond, reason, _ in checks)
    message_sql = ", ".join(f"CASE WHEN {cond} THEN {msg} END" for cond, _, msg in checks)
    extras_sql = (
        "json_object(" + ", ".join(f"$x{i}, NULLIF(trim({col}), '')" for i, col in enumerate(extras.values())) + ")"
        if extras else "NULL"
    )
    params.update({f"x{i}": name for i, name in enumerate(extras)})
    key = "f_case_id" if header.part is Part.CASES else None
    # Identical rows share their key, so only rows whose key repeats (or is empty) are compared cell by cell:
    # exact, and far cheaper than partitioning a million rows by every cell.
    first = next(iter(trimmed), None)
    group = ident("f_" + (key[2:] if key else first)) if (key or first) else "NULL"
    conflict = (
        f"skip IS NULL AND {key} IS NOT NULL AND {key} IN (SELECT {key} FROM base WHERE skip IS NULL "
        f"AND {key} IN (SELECT k FROM repeated) GROUP BY {key} HAVING count(*) > 1)" if key else "false"
    )
    sql = f"""CREATE OR REPLACE TEMP TABLE {raw}_stage AS
        WITH repeated AS (
            SELECT {group} AS k FROM {raw}_cells WHERE NOT _blank GROUP BY {group} HAVING count(*) > 1
        ), dups AS (
            SELECT _r, row_number() OVER (PARTITION BY {', '.join(cells)} ORDER BY _r) > 1 AS is_dup
            FROM {raw}_cells
            WHERE NOT _blank AND NOT _total AND ({group} IS NULL OR {group} IN (SELECT k FROM repeated))
        ), base AS (
            SELECT c.*, CASE WHEN _blank THEN 'blank' WHEN _total THEN 'total'
                             WHEN d.is_dup THEN 'duplicate_row' END AS skip
            FROM {raw}_cells c LEFT JOIN dups d USING (_r)
        ), parsed AS (
            SELECT base.*, {', '.join(parsed)} FROM base {' '.join(joins)}
        ), checked AS (
            SELECT *, list_filter([{reason_sql}], lambda x: x IS NOT NULL) AS _reasons,
                      list_filter([{message_sql}], lambda x: x IS NOT NULL) AS _messages,
                      {conflict} AS _conflict,
                      {extras_sql} AS _extras
            FROM parsed
        )
        SELECT *,
            list_sort(list_distinct(CASE WHEN _conflict THEN list_append(_reasons, 'duplicate_conflict')
                                         ELSE _reasons END)) AS reasons,
            CASE WHEN _conflict THEN list_append(_messages, format('case id {{}} appears on several rows with '
                 'different values', {key or 'NULL'})) ELSE _messages END AS messages,
            CASE WHEN skip IS NOT NULL THEN 'skipped'
                 WHEN _conflict OR len(_reasons) > 0 THEN 'quarantined' ELSE 'loaded' END AS status
        FROM checked"""
    con.execute(sql, bind(sql, params))
    notes += _ambiguity_notes(con, raw, header, mapped, rules.date_order)
    return Staged(f"{raw}_stage", fields, extras, labels, cells, notes)


def _case_checks(mapped: dict[str, Field], rules: Rules) -> list[tuple[str, Reason, str]]:
    checks: list[tuple[str, Reason, str]] = []
    for later, earlier in DATE_ORDER_RULES:
        if later in mapped and earlier in mapped:
            a, b = ident("p_" + later), ident("p_" + earlier)
            checks.append((f"{a} < {b}", Reason.DATE_ORDER,
                           f"format('{{}} {{}} is before {{}} {{}}', ${'label_' + later}, {a}, "
                           f"${'label_' + earlier}, {b})"))
    if "responded_on" in mapped:
        outcome = ident("f_outcome") if "outcome" in mapped else "NULL"
        checks.append((f"{ident('p_responded_on')} IS NOT NULL AND {outcome} IS NULL", Reason.MISSING_REQUIRED,
                       "'outcome is empty although the request was answered (responded_on is filled)'"))
    if rules.period_end is not None:
        checks.append((f"{ident('p_received_on')} > $period_end", Reason.OUT_OF_PERIOD,
                       f"format('{{}} {{}} is after the end of the report''s period ({{}})', $label_received_on, "
                       f"{ident('p_received_on')}, $period_end)"))
    return checks


def _columns_with_data(con: duckdb.DuckDBPyConnection, raw: str, columns: list[str]) -> list[str]:
    if not columns:
        return []
    counts = con.execute(f"SELECT {', '.join(f'count(NULLIF(trim({c}), {chr(39)}{chr(39)}))' for c in columns)} "
                         f"FROM {raw}").fetchall()[0]
    return [c for c, n in zip(columns, counts, strict=True) if n]


def _value_map(con: duckdb.DuckDBPyConnection, raw: str, mapped: dict[str, Field]) -> str:
    """Map the distinct raw values of enum and boolean fields through the vocabularies (in Python, once)."""
    table = f"{raw}_vmap"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (field VARCHAR, raw VARCHAR, value VARCHAR)")
    coded = [n for n, f in mapped.items() if f.kind in (Kind.ENUM, Kind.BOOL)]
    if not coded:
        return table
    union = " UNION ALL ".join(f"SELECT DISTINCT '{n}' AS field, {ident('f_' + n)} AS raw FROM {raw}_cells "
                               f"WHERE {ident('f_' + n)} IS NOT NULL" for n in coded)
    fields, raws, values = [], [], []
    for field_name, value in con.execute(union).fetchall():
        index = value_index(ENUM_VOCABULARY.get(field_name, "boolean"))
        fields.append(field_name)
        raws.append(value)
        values.append(index.get(label_key(value)))
    if fields:
        con.execute(f"INSERT INTO {table} SELECT unnest($f), unnest($r), unnest($v)",
                    {"f": fields, "r": raws, "v": values})
    return table


def _ambiguity_notes(con: duckdb.DuckDBPyConnection, raw: str, header: HeaderMap, mapped: dict[str, Field],
                     date_order: str) -> list[str]:
    """Say which date columns hold values like 05/10/2026 that nothing in the column disambiguates."""
    dates = [n for n, f in mapped.items() if f.kind is Kind.DATE]
    if not dates:
        return []
    pattern = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{4}"
    parts = []
    for n in dates:
        col = ident("f_" + n)
        pair = f"regexp_extract({col}, '{pattern}', ['a', 'b'])"
        parts.append(
            f"SELECT '{n}' AS field, count(*) FILTER (WHERE TRY_CAST(p.a AS INT) <= 12 AND TRY_CAST(p.b AS INT) <= 12 "
            f"AND p.a <> p.b) AS ambiguous, count(*) FILTER (WHERE TRY_CAST(p.a AS INT) > 12) AS day_first, "
            f"count(*) FILTER (WHERE TRY_CAST(p.b AS INT) > 12) AS month_first, min(CASE WHEN TRY_CAST(p.a AS INT) "
            f"<= 12 AND TRY_CAST(p.b AS INT) <= 12 AND p.a <> p.b THEN {col} END) AS example "
            f"FROM (SELECT {pair} AS p, {col} FROM {raw}_cells WHERE NOT _blank) t(p, {col})"
        )
    stats = con.execute(" UNION ALL ".join(parts)).fetchall()
    # One export uses one convention: a single unambiguous date anywhere in the file decides for all columns.
    decided = sum(day_first if date_order == "dmy" else month_first for _, _, day_first, month_first, _ in stats)
    ambiguous = [(name, n, example) for name, n, _, _, example in stats if n]
    if decided or not ambiguous:
        return []
    reading, other = ("day first", "mdy") if date_order == "dmy" else ("month first", "dmy")
    columns = ", ".join(f"{header.headers[header.columns[name]].strip()} ({n}, e.g. '{example}')"
                        for name, n, example in ambiguous)
    return [f"Dates that could be read either way and that nothing in the file decides were read {reading}: "
            f"{columns}. If this processor writes dates the other way, save date_order = \"{other}\" in its mapping."]

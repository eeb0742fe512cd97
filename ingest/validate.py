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

from ingest import lookups
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
    source: str  # the raw rows (_r, source_row, c0..cN); staged rows point back to them by _r
    fields: tuple[Field, ...]
    extras: dict[str, str]  # output name → raw column
    labels: dict[int, str]  # column index → header as written (for raw values in quarantine)
    cells: list[str]  # the raw text columns c0..cN
    notes: list[str]


# The temp tables `stage(con, raw, ...)` creates, as suffixes of `raw`.
STAGE_TABLES = (*lookups.TABLES, "_stage")
CODED = (Kind.DATE, Kind.ENUM, Kind.BOOL)  # kinds read through a lookup of distinct values


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
    """Classify every row of `raw` (_r, source_row, c0..cN) into temp table `{raw}_stage`; return what was staged.

    One statement reads the raw cells once and writes one narrow row per report row: its status, reasons
    and typed values. What repeats down a column (dates, vocabulary values, customer references) is read
    once per distinct raw value, in small lookup tables built first; rows that may be duplicates are found
    first too, so only they are compared cell by cell.
    """
    fields = fields_for(header.part)
    mapped = {f.name: f for f in fields if f.name in header.columns}
    cells = [f"c{i}" for i in range(width)]
    column = {name: f"c{header.columns[name]}" for name in mapped}

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

    lookups.count_values(con, raw, {n: column[n] for n, f in mapped.items() if f.kind in CODED})
    vmap = lookups.value_map(con, raw, [n for n, f in mapped.items() if f.kind in (Kind.ENUM, Kind.BOOL)])
    dates = [n for n, f in mapped.items() if f.kind is Kind.DATE]
    dmap = lookups.date_map(con, raw, dates, rules.date_order)
    refs = (lookups.pseudonyms(con, raw, column["data_subject_ref"], rules.ipad, rules.opad)
            if "data_subject_ref" in mapped else None)
    notes += lookups.ambiguity_notes(con, raw, {n: header.headers[header.columns[n]].strip() for n in dates},
                                     rules.date_order)

    blank = _blank(cells)
    # Rows after the last non-blank row are not rows of the report (Excel's formatted empty tail).
    last_r, last_line = con.execute(
        f"SELECT coalesce(max(_r), -1), max(source_row) FROM {raw} WHERE NOT {blank}").fetchall()[0]
    first_cell = "coalesce(" + ", ".join(f"NULLIF(trim({c}), '')" for c in cells) + ")"
    letters = f"regexp_replace(lower(strip_accents({first_cell})), '[^a-z]', '', 'g')"
    total = f"coalesce(list_contains($totals, {letters}), false)"
    if "request_type" in mapped:
        # A total row never names a request type; a case whose id happens to read "Total" does.
        total = f"CASE WHEN coalesce(ltrim({column['request_type']}), '') = '' THEN {total} ELSE false END"
    params: dict[str, object] = {
        "totals": [_letters(t) for t in TOTAL_LABELS], "last_r": last_r, "last_line": last_line,
        "submitted": rules.submitted_on, "period_end": rules.period_end,
    }
    key = "case_id" if header.part is Part.CASES else next(iter(mapped))
    dups = lookups.duplicate_candidates(con, raw, _trim(column[key]), cells, blank, total, params)

    parsed, joins, checks = [], [], []
    for name, f in mapped.items():
        col, value = ident("f_" + name), ident("p_" + name)
        label_param = f"label_{name}"
        params[label_param] = f"{header.headers[header.columns[name]].strip()} ({name})"
        if f.kind is Kind.DATE:
            alias = ident("d_" + name)
            joins.append(f"LEFT JOIN {dmap} {alias} ON {alias}.raw = c.{column[name]}")
            parsed.append(f"{alias}.trimmed AS {col}, {alias}.value AS {value}")
            checks.append((f"{col} IS NOT NULL AND {value} IS NULL", Reason.BAD_DATE,
                           f"format('{{}} ''{{}}'' is not a date', ${label_param}, {col})"))
            checks.append((f"{value} > $submitted", Reason.FUTURE_DATE,
                           f"format('{{}} {{}} is after the report was submitted ({{}})', ${label_param}, "
                           f"{value}, $submitted)"))
        elif f.kind in (Kind.ENUM, Kind.BOOL):
            alias = ident("m_" + name)
            joins.append(f"LEFT JOIN {vmap} {alias} ON {alias}.field = '{name}' AND {alias}.raw = c.{column[name]}")
            cast = "CAST({} AS BOOLEAN)" if f.kind is Kind.BOOL else "{}"
            parsed.append(f"{alias}.trimmed AS {col}, {cast.format(alias + '.value')} AS {value}")
            known = ", ".join(VOCABULARIES[ENUM_VOCABULARY.get(name, "boolean")])
            params[f"known_{name}"] = known if f.kind is Kind.ENUM else "yes/no, ja/nee, oui/non"
            checks.append((f"{col} IS NOT NULL AND {value} IS NULL", Reason.UNKNOWN_VALUE,
                           f"format('{{}} ''{{}}'' is not a known value ({{}})', ${label_param}, {col}, "
                           f"$known_{name})"))
        elif name == "data_subject_ref":
            # Pseudonymised here, before anything is written (lookups.pseudonyms).
            joins.append(f"LEFT JOIN {refs} ref ON ref.raw = c.{column[name]}")
            parsed.append(f"ref.trimmed AS {col}, ref.value AS {value}")
        else:
            parsed.append(f"{_trim('c.' + column[name])} AS {col}, {_trim('c.' + column[name])} AS {value}")
        if f.required:
            checks.append((f"{col} IS NULL", Reason.MISSING_REQUIRED, f"format('{{}} is empty', ${label_param})"))
    for f in fields:  # required fields absent from the header were refused by map_header
        if f.name not in mapped:
            parsed.append(f"NULL AS {ident('p_' + f.name)}")

    if header.part is Part.CASES:
        checks += _case_checks(mapped, rules)
    bad_sql = "coalesce(" + " OR ".join(f"({cond})" for cond, _, _ in checks) + ", false)" if checks else "false"
    reason_sql = ", ".join(f"CASE WHEN {cond} THEN '{reason.value}' END" for cond, reason, _ in checks)
    message_sql = ", ".join(f"CASE WHEN {cond} THEN {msg} END" for cond, _, msg in checks)
    extras_sql = (
        "json_object(" + ", ".join(f"$x{i}, {_trim(col)}" for i, col in enumerate(extras.values())) + ")"
        if extras else "NULL"
    )
    params.update({f"x{i}": name for i, name in enumerate(extras)})
    # A conflict: one case id on several rows that are not identical (identical ones are skipped as duplicates).
    conflict = ("coalesce(skip IS NULL AND f_case_id IS NOT NULL AND f_case_id IN (SELECT k FROM conflicts), false)"
                if header.part is Part.CASES else "false")
    sql = f"""CREATE OR REPLACE TEMP TABLE {raw}_stage AS
        WITH cells AS (
            SELECT _r, source_row, {blank} AS _blank, {total} AS _total, {', '.join(cells)}
            FROM {raw} WHERE _r <= $last_r
            UNION ALL  -- empty lines inside the data (DuckDB's reader drops them) are blank rows of the report
            SELECT -line, line, true, false, {', '.join('NULL' for _ in cells)}
            FROM {raw}_empty WHERE line < $last_line
        ), conflicts AS (
            SELECT k FROM {dups} WHERE NOT is_dup AND k IS NOT NULL GROUP BY k HAVING count(*) > 1
        ), parsed AS (
            SELECT c._r, c.source_row, {', '.join(parsed)}, {extras_sql} AS _extras,
                   CASE WHEN c._blank THEN 'blank' WHEN c._total THEN 'total'
                        WHEN dup.is_dup THEN 'duplicate_row' END AS skip
            FROM cells c LEFT JOIN {dups} dup ON dup._r = c._r {' '.join(joins)}
        ), checked AS (
            SELECT *, {conflict} AS _conflict, {bad_sql} AS _bad FROM parsed
        ), flagged AS (
            SELECT *, skip IS NULL AND (_bad OR _conflict) AS _quarantined FROM checked
        ), listed AS (
            SELECT *, CASE WHEN _quarantined THEN list_filter([{reason_sql}], lambda x: x IS NOT NULL) END AS _reasons,
                      CASE WHEN _quarantined THEN list_filter([{message_sql}], lambda x: x IS NOT NULL) END AS _messages
            FROM flagged
        )
        SELECT _r, source_row, skip, {'f_case_id' if 'case_id' in mapped else 'NULL'} AS f_case_id,
            {', '.join(ident('p_' + f.name) for f in fields)}, _extras,
            CASE WHEN NOT _quarantined THEN []::VARCHAR[]
                 WHEN _conflict THEN list_sort(list_distinct(list_append(_reasons, 'duplicate_conflict')))
                 ELSE list_sort(list_distinct(_reasons)) END AS reasons,
            CASE WHEN NOT _quarantined THEN []::VARCHAR[]
                 WHEN _conflict THEN list_append(_messages, format('case id {{}} appears on several rows with '
                      'different values', f_case_id))
                 ELSE _messages END AS messages,
            CASE WHEN skip IS NOT NULL THEN 'skipped' WHEN _quarantined THEN 'quarantined' ELSE 'loaded' END AS status
        FROM listed"""
    con.execute(sql, bind(sql, params))
    return Staged(f"{raw}_stage", raw, fields, extras, labels, cells, notes)


def _trim(column: str) -> str:
    return f"NULLIF(trim({column}), '')"


def _blank(cells: list[str]) -> str:
    """SQL true when every cell is empty or spaces; CASE stops at the first filled cell (AND would not)."""
    return "(CASE " + " ".join(f"WHEN coalesce(ltrim({c}), '') <> '' THEN false" for c in cells) + " ELSE true END)"


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

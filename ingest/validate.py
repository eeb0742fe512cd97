"""Row rules, in SQL over the raw text table: parse, classify (skipped / quarantined / loaded), give reasons.

Every data row ends in exactly one status, so rows read = loaded + quarantined + skipped. Reason codes
(docs/report-format.md): missing_required, bad_date, unknown_value, date_order, future_date, implausible_date,
out_of_period, duplicate_conflict. Skip reasons: blank, total, duplicate_row (identical to an earlier row).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum

import duckdb

from ingest import lookups
from ingest.dates import sql_date
from ingest.mapping import HeaderMap, Part
from ingest.pseudonym import sql_pseudonym
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
    IMPLAUSIBLE_DATE = "implausible_date"
    OUT_OF_PERIOD = "out_of_period"
    DUPLICATE_CONFLICT = "duplicate_conflict"


class Skip(Enum):
    """Why a row was skipped (not data)."""

    BLANK = "blank"
    TOTAL = "total"
    DUPLICATE_ROW = "duplicate_row"


PLAUSIBLE_FROM = date(2000, 1, 1)

# Dates that cannot come before the date of receipt, and the pause that cannot end before it starts.
DATE_ORDER_RULES: tuple[tuple[str, str], ...] = (
    ("responded_on", "received_on"),
    ("forwarded_on", "received_on"),
    ("escalated_on", "received_on"),
    ("id_requested_on", "received_on"),
    ("extension_notified_on", "received_on"),
    ("suppressed_on", "received_on"),
    ("closed_on", "received_on"),
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
    serial_dates: bool = True  # an Excel serial number is a date only in a workbook (ingest.dates.sql_date)
    # A regular expression for the processor's customer references (a profile's data_subject_ref_pattern): a cell
    # kept as an extra or as a quarantined row's raw value that matches it is stored as its pseudonym.
    ref_pattern: str | None = None
    # GDPR Art. 5(1)(c), 25: free-text case notes are stored only when the configuration opts in ([ingest]
    # keep_notes); agent names (a profile's agent_ids = "names") are stored as their pseudonyms, like references.
    keep_notes: bool = False
    pseudonymise_agents: bool = False
    # During a key rotation's overlap window: the previous key's pads, to link each reference's old pseudonym to its
    # new one (store/keyring.py), so repeat requests match across the rotation.
    previous: tuple[bytes, bytes] | None = None


@dataclass(frozen=True)
class Staged:
    """Where the classified rows are and what validation noticed about the part."""

    table: str
    source: str  # the raw rows (_r, source_row, c0..cN); staged rows point back to them by _r
    fields: tuple[Field, ...]
    extras: dict[str, str]  # output name → raw column
    cells: list[str]  # the raw text columns c0..cN
    notes: list[str]
    given: tuple[str, ...] = ()  # the fields the header gave a column for (the others are NULL in every row)
    notes_dropped: int = 0  # free-text case notes not stored ([ingest] keep_notes = false)


# The temp tables and types `stage(con, raw, ...)` creates, as suffixes of `raw`.
STAGE_TABLES = (*lookups.TABLES, "_stage", "_dups")
STAGE_TYPES = lookups.TYPES
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

    One statement applies the row rules: it reads the raw cells once and writes one narrow row per report
    row, in file order (no join: see lookups), with its status, reasons and typed values. Duplicates are a
    property of the whole file, found first among the few rows whose key repeats and applied after.
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

    lookup = lookups.build(con, raw, {n: (column[n], f.kind) for n, f in mapped.items() if f.kind in CODED},
                           rules.date_order, rules.serial_dates)
    dates = [n for n, f in mapped.items() if f.kind is Kind.DATE]
    notes += lookups.ambiguity_notes(con, raw, {n: header.headers[header.columns[n]].strip() for n in dates},
                                     rules.date_order)

    blank = _blank(cells)
    last_r, last_line = _last_row(con, raw, blank)
    first_cell = "coalesce(" + ", ".join(f"NULLIF(trim({c}), '')" for c in cells) + ")"
    letters = f"regexp_replace(lower(strip_accents({first_cell})), '[^a-z]', '', 'g')"
    total = f"coalesce(list_contains($totals, {letters}), false)"
    if "request_type" in mapped:
        # A total row never names a request type; a case whose id happens to read "Total" does.
        no_type = (f"{lookup.trimmed(ident('i_request_type'))} IS NULL" if "request_type" in lookup.fields
                   else f"coalesce(ltrim({column['request_type']}), '') = ''")
        total = f"CASE WHEN {no_type} THEN {total} ELSE false END"
    params: dict[str, object] = {
        "totals": [_letters(t) for t in TOTAL_LABELS], "last_r": last_r, "last_line": last_line,
        "submitted": rules.submitted_on, "period_end": rules.period_end, "ipad": rules.ipad, "opad": rules.opad,
        **lookup.params,
    }
    if rules.previous is not None:
        params["ipad_prev"], params["opad_prev"] = rules.previous
    key = "case_id" if header.part is Part.CASES else next(iter(mapped))

    positions, parsed, checks = _field_rules(header, mapped, column, key, lookup, rules, params)
    if header.part is Part.CASES:
        checks += _case_checks(mapped, rules)
    bad_sql = "coalesce(" + " OR ".join(f"({cond})" for cond, _, _ in checks) + ", false)" if checks else "false"
    reason_sql = ", ".join(f"CASE WHEN {cond} THEN '{reason.value}' END" for cond, reason, _ in checks)
    message_sql = ", ".join(f"CASE WHEN {cond} THEN {msg} END" for cond, _, msg in checks)
    if rules.ref_pattern:
        params["ref_pattern"] = rules.ref_pattern
    personal = {f"c{i}" for i in header.personal}
    if rules.pseudonymise_agents and "agent_id" in column:
        personal.add(column["agent_id"])
    dropped_note = column.get("summary") if not rules.keep_notes else None
    extras_sql = (
        "json_object(" + ", ".join(f"$x{i}, {_kept(_trim(col), rules, col in personal)}"
                                   for i, col in enumerate(extras.values())) + ")" if extras else "NULL"
    )
    params.update({f"x{i}": name for i, name in enumerate(extras)})
    # A quarantined row keeps its raw values, labelled by header; the customer reference only as its pseudonym, in
    # its own column or, shifted by a stray delimiter, in any other (ref_pattern).
    raw_pairs = []
    for i, (index, label) in enumerate(sorted(labels.items())):
        params[f"h{i}"] = label
        cell = ("p_data_subject_ref" if column.get("data_subject_ref") == f"c{index}"
                else "NULL" if dropped_note == f"c{index}"  # a note not kept is not kept as a raw value either
                else _kept(_trim(f"c{index}"), rules, f"c{index}" in personal))
        raw_pairs.append(f"$h{i}, {cell}")
    raw_json = f"json_object({', '.join(raw_pairs)})"
    values = ", ".join(ident("p_" + f.name) if f.name in mapped else f"NULL AS {ident('p_' + f.name)}"
                       for f in fields)
    previous = ("NULL::VARCHAR" if rules.previous is None or "data_subject_ref" not in mapped else
                f"CASE WHEN {ident('f_data_subject_ref')} IS NOT NULL THEN "
                f"{sql_pseudonym(ident('f_data_subject_ref'), '_prev')} END")
    table = f"{raw}_stage"
    sql = f"""CREATE OR REPLACE TEMP TABLE {table} AS
        WITH cells AS (
            SELECT _r, source_row, {_trim(column[key])} AS _key, {''.join(p + ', ' for p in positions)}
                   {', '.join(cells)}
            FROM {raw} WHERE _r <= $last_r
            UNION ALL  -- empty lines inside the data (DuckDB's reader drops them) are blank rows of the report
            SELECT -line, line, NULL, {''.join('NULL, ' for _ in positions)}{', '.join('NULL' for _ in cells)}
            FROM {raw}_empty WHERE line < $last_line
        ), parsed AS (
            SELECT *, {', '.join(parsed)}, {extras_sql} AS _extras,
                   {_blank(cells, first="_key")} AS _blank, {total} AS _total
            FROM cells
        ), checked AS (
            SELECT *, CASE WHEN _blank THEN 'blank' WHEN _total THEN 'total' END AS skip,
                   NOT _blank AND NOT _total AND {bad_sql} AS _quarantined
            FROM parsed
        )  -- reasons, messages and raw values only for quarantined rows (NULL for the others)
        SELECT _r, source_row, skip, {values}, _extras,
            CASE WHEN _quarantined THEN list_sort(list_distinct([{reason_sql}])) END AS reasons,  -- drops the NULLs
            CASE WHEN _quarantined THEN list_filter([{message_sql}], lambda x: x IS NOT NULL) END AS messages,
            CASE WHEN _quarantined THEN {raw_json} END AS _raw,
            CASE WHEN skip IS NOT NULL THEN 'skipped' WHEN _quarantined THEN 'quarantined' ELSE 'loaded' END AS status,
            {previous} AS _ref_prev
        FROM checked"""
    con.execute(sql, bind(sql, params))
    _apply_duplicates(con, table, raw, (ident('p_' + key), _trim(column[key])), cells, raw_json, params,
                      conflicts=header.part is Part.CASES)
    dropped = 0
    if dropped_note:
        dropped = con.execute(f"SELECT count(NULLIF(trim({dropped_note}), '')) FROM {table} t JOIN {raw} r "
                              "USING (_r) WHERE t.status <> 'skipped'").fetchall()[0][0]
    return Staged(table, raw, fields, extras, cells, notes, tuple(mapped), dropped)


def _apply_duplicates(con: duckdb.DuckDBPyConnection, table: str, raw: str, key: tuple[str, str], cells: list[str],
                      raw_json: str, params: dict[str, object], *, conflicts: bool) -> None:
    """Skip the rows identical to an earlier row; quarantine a case id on several rows that differ.

    Identical rows share their key, so only rows whose key repeats (or is empty) are compared cell by cell,
    in `{raw}_dups` (_r, k, is_dup: all but the first of a set of identical rows). These few rows are then
    updated in place, which keeps the staged table in file order. key: (its staged column, SQL on raw).
    """
    dups = f"{raw}_dups"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE {dups} AS
        WITH keys AS (
            SELECT _r, {key[0]} AS k, skip FROM {table} WHERE skip IS DISTINCT FROM 'blank'
        ), candidates AS (
            SELECT _r FROM keys
            WHERE skip IS NULL AND (k IS NULL OR k IN (SELECT k FROM keys GROUP BY k HAVING count(*) > 1))
        )  -- only the candidates are read whole (a rowid lookup)
        SELECT _r, {key[1]} AS k, row_number() OVER (PARTITION BY {', '.join(cells)} ORDER BY _r) > 1 AS is_dup
        FROM {raw} WHERE _r IN (SELECT _r FROM candidates)""")
    con.execute(f"UPDATE {table} SET skip = 'duplicate_row', status = 'skipped', reasons = NULL, messages = NULL, "
                f"_raw = NULL WHERE _r IN (SELECT _r FROM {dups} WHERE is_dup)")
    if not conflicts:
        return
    sql = f"""UPDATE {table} SET status = 'quarantined',
            reasons = list_sort(list_distinct(list_append(coalesce(reasons, []), 'duplicate_conflict'))),
            messages = list_append(coalesce(messages, []), format(
                'case id {{}} appears on several rows with different values', {table}.p_case_id)),
            _raw = coalesce(_raw, {raw_json})
        FROM {raw} WHERE {raw}._r = {table}._r AND {table}._r IN (
            SELECT _r FROM {dups} WHERE NOT is_dup AND k IN (
                SELECT k FROM {dups} WHERE NOT is_dup AND k IS NOT NULL GROUP BY k HAVING count(*) > 1))"""
    con.execute(sql, bind(sql, params))


def _kept(cell: str, rules: Rules, personal: bool = False) -> str:
    """A cell as it is kept outside the typed fields: its pseudonym when its column was mapped as personal data or
    when it looks like a customer reference."""
    if personal:
        return f"CASE WHEN {cell} IS NOT NULL THEN {sql_pseudonym(cell)} END"
    if not rules.ref_pattern:
        return cell
    return f"CASE WHEN regexp_full_match({cell}, $ref_pattern) THEN {sql_pseudonym(cell)} ELSE {cell} END"


def _trim(column: str) -> str:
    return f"NULLIF(trim({column}), '')"


def _blank(cells: list[str], first: str | None = None) -> str:
    """SQL true when every cell is empty or spaces; CASE stops at the first filled cell (AND would not).

    `first`: an expression already computed that is NULL exactly when one of the cells is empty.
    """
    tests = ([f"{first} IS NOT NULL"] if first else []) + [f"coalesce(ltrim({c}), '') <> ''" for c in cells]
    return "(CASE " + " ".join(f"WHEN {t} THEN false" for t in tests) + " ELSE true END)"


def _last_row(con: duckdb.DuckDBPyConnection, raw: str, blank: str) -> tuple[int, int | None]:
    """The last non-blank row (_r, source_row); rows after it are Excel's formatted empty tail, not rows.

    Usually the last row itself: only when it is blank are all rows tested.
    """
    last = con.execute(f"SELECT _r, source_row, {blank} FROM {raw} WHERE _r = (SELECT max(_r) FROM {raw})").fetchall()
    if last and not last[0][2]:
        return last[0][0], last[0][1]
    found = con.execute(f"SELECT coalesce(max(_r), -1), max(source_row) FROM {raw} WHERE NOT {blank}").fetchall()[0]
    return found[0], found[1]


def _field_rules(header: HeaderMap, mapped: dict[str, Field], column: dict[str, str], key: str,
                 lookup: lookups.Lookup, rules: Rules, params: dict[str, object]
                 ) -> tuple[list[str], list[str], list[tuple[str, Reason, str]]]:
    """SQL for each mapped field: lookup positions (on the raw cells), its trimmed text f_* and typed value p_*
    (on the cells), and the checks (condition, reason, message) on those. Adds the parameters they bind."""
    positions, parsed, checks = [], [], []
    for name, f in mapped.items():
        col, value = ident("f_" + name), ident("p_" + name)
        label_param = f"label_{name}"
        params[label_param] = f"{header.headers[header.columns[name]].strip()} ({name})"
        if name in lookup.fields:
            position = ident("i_" + name)
            positions.append(f"{lookup.position(column[name])} AS {position}")
            parsed.append(f"{lookup.trimmed(position)} AS {col}, {lookup.value(name, f.kind, position)} AS {value}")
        elif f.kind is Kind.DATE:  # too many distinct texts for a lookup: read row by row
            parsed.append(f"{_trim(column[name])} AS {col}, "
                          f"{sql_date(_trim(column[name]), rules.date_order, rules.serial_dates)} AS {value}")
        elif f.kind in (Kind.ENUM, Kind.BOOL):  # likewise, by the spellings that mean something
            parsed.append(f"{_trim(column[name])} AS {col}, {lookup.spelled(name, f.kind, col)} AS {value}")
        elif name == "data_subject_ref":
            # Pseudonymised here, before anything is written.
            parsed.append(f"{_trim(column[name])} AS {col}, CASE WHEN {col} IS NOT NULL THEN "
                          f"{sql_pseudonym(col)} END AS {value}")
        elif name == "agent_id" and rules.pseudonymise_agents:
            # agent_ids = "names": a name is personal data of the processor's staff (GDPR Art. 5(1)(c), 25); the same
            # keyed hash as references keeps the roster matching the cases.
            parsed.append(f"{'_key' if name == key else _trim(column[name])} AS {col}, CASE WHEN {col} IS NOT NULL "
                          f"THEN {sql_pseudonym(col)} END AS {value}")
        elif name == "summary" and not rules.keep_notes:
            # [ingest] keep_notes = false (the default): the note is read to be counted, never stored.
            parsed.append(f"{_trim(column[name])} AS {col}, NULL::VARCHAR AS {value}")
        else:
            parsed.append(f"{'_key' if name == key else _trim(column[name])} AS {col}, {col} AS {value}")
        if f.kind is Kind.DATE:
            # A message quotes the cell as it is kept: a reference shifted here by a stray delimiter as its pseudonym.
            checks.append((f"{col} IS NOT NULL AND {value} IS NULL", Reason.BAD_DATE,
                           f"format('{{}} ''{{}}'' is not a date', ${label_param}, {_kept(col, rules)})"))
            checks.append((f"{value} > $submitted", Reason.FUTURE_DATE,
                           f"format('{{}} {{}} is after the report was submitted ({{}})', ${label_param}, "
                           f"{value}, $submitted)"))
            # A request handled under the GDPR (applicable since 2018) cannot date from before 2000: 0001-01-01
            # or 1900-01-01 is a placeholder or a typo, and such a date stopped every check in the probe.
            checks.append((f"{value} < DATE '{PLAUSIBLE_FROM.isoformat()}'", Reason.IMPLAUSIBLE_DATE,
                           f"format('{{}} {{}} is before {PLAUSIBLE_FROM.year}: not a plausible date', "
                           f"${label_param}, {value})"))
        elif f.kind in (Kind.ENUM, Kind.BOOL):
            known = ", ".join(VOCABULARIES[ENUM_VOCABULARY.get(name, "boolean")])
            params[f"known_{name}"] = known if f.kind is Kind.ENUM else "yes/no, ja/nee, oui/non"
            checks.append((f"{col} IS NOT NULL AND {value} IS NULL", Reason.UNKNOWN_VALUE,
                           f"format('{{}} ''{{}}'' is not a known value ({{}})', ${label_param}, {_kept(col, rules)}, "
                           f"$known_{name})"))
        if f.required:
            checks.append((f"{col} IS NULL", Reason.MISSING_REQUIRED, f"format('{{}} is empty', ${label_param})"))
    return positions, parsed, checks


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

"""Header and value mapping: aliases, per-processor saved mappings, mapping files, sheet classification."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

import duckdb

from ingest.errors import AmbiguousHeaders, InvalidMapping, MissingRequiredColumns
from ingest.readers import Cell, Grid
from ingest.vocabulary import (
    CASE_ALIASES,
    CASE_FIELDS,
    SUMMARY_INDEX,
    TRAINING_ALIASES,
    TRAINING_FIELDS,
    Field,
    label_key,
)

EXTRA = "extra"  # a mapping target that keeps the column as an extra (never a canonical field)
# An extra that holds personal data (a second customer number, a phone number): kept only as its pseudonym.
PERSONAL = "personal"
DATE_ORDERS = ("dmy", "mdy")

MAPPING_SYNTAX = (
    "Map them in the dashboard's mapping form, or give a mapping file with --mapping FILE holding one line "
    "per header:\n"
    '    "Dossier nr." = "case_id"\n'
    '    "Binnengekomen" = "received_on"\n'
    '(use "extra" to keep a column as an extra, "personal" to keep it only as its pseudonym; add [options] '
    'date_order = "mdy" if dates are month-first).'
)


class Part(Enum):
    """What a grid holds."""

    CASES = "cases"
    TRAINING = "training"
    SUMMARY = "summary"
    OTHER = "other"


@dataclass(frozen=True)
class Mapping:
    """Explicit header → field choices (a mapping file, a form, or what was saved for the processor)."""

    headers: dict[str, str] = field(default_factory=dict)  # header key → field or EXTRA
    labels: dict[str, str] = field(default_factory=dict)  # header key → header text as written
    date_order: str | None = None

    def merged_over(self, base: Mapping) -> Mapping:
        """Return this mapping with `base` filling what it does not say."""
        return Mapping({**base.headers, **self.headers}, {**base.labels, **self.labels},
                       self.date_order or base.date_order)


@dataclass(frozen=True)
class HeaderMap:
    """How one header row maps: column index → field, the extras, and what is missing."""

    part: Part
    header_index: int
    header_row: int
    headers: list[str]
    columns: dict[str, int]  # field → column index
    extras: dict[int, str]  # column index → header text
    unmapped: list[str]
    missing: list[str]
    personal: frozenset[int] = frozenset()  # extras mapped to PERSONAL: kept only as their pseudonyms


KNOWN_FIELDS = {f.name for f in CASE_FIELDS} | {f.name for f in TRAINING_FIELDS}


def parse_mapping_file(path: Path) -> Mapping:
    """Read a mapping file (`"Header" = "field"` lines, optional [options] date_order)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidMapping(f"The mapping file {path} does not exist.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidMapping(f"The mapping file {path} could not be read: {exc}.\n\n{MAPPING_SYNTAX}") from None
    options = data.pop("options", {})
    headers = {}
    for header, target in data.items():
        if not isinstance(target, str):
            raise InvalidMapping(f'{path}: "{header}" must map to a field name in quotes.\n\n{MAPPING_SYNTAX}')
        headers[header] = target
    return build_mapping(headers, options.get("date_order"), source=str(path))


def build_mapping(headers: dict[str, str], date_order: str | None = None, *, source: str = "mapping") -> Mapping:
    """Validate header → field choices and return them as a Mapping."""
    for header, target in headers.items():
        if target not in KNOWN_FIELDS and target not in (EXTRA, PERSONAL):
            raise InvalidMapping(
                f'{source}: "{header}" maps to "{target}", which is not a field. The fields are: '
                f"{', '.join(sorted(KNOWN_FIELDS))}, \"{EXTRA}\" or \"{PERSONAL}\".\n\n{MAPPING_SYNTAX}"
            )
    if date_order is not None and date_order not in DATE_ORDERS:
        raise InvalidMapping(f'{source}: date_order must be "dmy" (day first) or "mdy" (month first).')
    return Mapping({label_key(h): t for h, t in headers.items()}, {label_key(h): h for h in headers}, date_order)


def _field_for(cell: Cell, aliases: dict[str, str], mapping: Mapping, allowed: set[str]) -> str | None:
    if cell is None:
        return None
    key = label_key(cell)
    target = mapping.headers.get(key)
    if target is not None:
        return target if target in allowed or target == PERSONAL else None
    return aliases.get(key)


def row_score(cells: list[Cell], aliases: dict[str, str], mapping: Mapping, allowed: set[str]) -> int:
    """Count the distinct fields a row's cells map to."""
    return len({f for c in cells if (f := _field_for(c, aliases, mapping, allowed)) and f != PERSONAL})


_PARTS: dict[Part, tuple[tuple[Field, ...], dict[str, str]]] = {
    Part.CASES: (CASE_FIELDS, CASE_ALIASES),
    Part.TRAINING: (TRAINING_FIELDS, TRAINING_ALIASES),
}


def header_score(cells: list[Cell]) -> int:
    """Count the known case or training headers in a row (guides CSV delimiter detection)."""
    empty = Mapping()
    return max(row_score(cells, aliases, empty, {f.name for f in fields}) for fields, aliases in _PARTS.values())


def classify(grid: Grid, mapping: Mapping) -> tuple[Part, int]:
    """Return what the grid holds and the index of its header row in grid.head."""
    best: dict[Part, tuple[int, int]] = {}
    for part, (fields, aliases) in _PARTS.items():
        names = {f.name for f in fields}
        scores = [row_score(row, aliases, mapping, names) for row in grid.head]
        if scores:
            top = max(scores)
            best[part] = (top, scores.index(top))
    cases, training = best.get(Part.CASES, (0, 0)), best.get(Part.TRAINING, (0, 0))
    trained_on = any(
        _field_for(c, TRAINING_ALIASES, mapping, {"trained_on"}) == "trained_on"
        for c in (grid.head[training[1]] if grid.head else [])
    )
    if trained_on and training[0] >= 2 and training[0] >= cases[0]:
        return Part.TRAINING, training[1]
    if cases[0] >= 2:
        return Part.CASES, cases[1]
    if sum(1 for row in grid.head if row and row[0] and label_key(row[0]) in SUMMARY_INDEX) >= 1 and all(
        len([c for c in row if c is not None]) <= 3 for row in grid.head
    ):
        return Part.SUMMARY, 0
    return Part.OTHER, _guess_header(grid)


def _guess_header(grid: Grid) -> int:
    """The first row of two or more text cells followed by a row as wide: where a header would be."""
    for i, row in enumerate(grid.head[:-1]):
        cells = [c for c in row if c is not None]
        textual = all(not c.replace(".", "").replace("/", "").replace("-", "").isdigit() for c in cells)
        if len(cells) >= 2 and textual and len([c for c in grid.head[i + 1] if c is not None]) >= 2:
            return i
    return -1


def map_header(grid: Grid, part: Part, header_index: int, mapping: Mapping, source: str) -> HeaderMap:
    """Map a grid's header row to fields; refuse when required fields are missing or doubly mapped."""
    fields, aliases = _PARTS[part]
    allowed = {f.name for f in fields}
    cells = grid.head[header_index]
    columns: dict[str, int] = {}
    extras: dict[int, str] = {}
    personal: set[int] = set()
    unmapped: list[str] = []
    for i, cell in enumerate(cells):
        if cell is None:
            continue
        target = _field_for(cell, aliases, mapping, allowed)
        if target is None or target in (EXTRA, PERSONAL):
            extras[i] = cell.strip()
            if target is None:
                unmapped.append(cell.strip())
            if target == PERSONAL:
                personal.add(i)
            continue
        if target in columns:
            first = cells[columns[target]]
            raise AmbiguousHeaders(
                f'{source}: the columns "{first}" and "{cell}" both read as {target}. Say which one it is '
                f'with a mapping (e.g. "{cell}" = "extra" keeps the second as an extra column).\n\n{MAPPING_SYNTAX}'
            )
        columns[target] = i
    missing = [f.name for f in fields if f.required and f.name not in columns]
    header_map = HeaderMap(part, header_index, grid.head_rows[header_index], [c or "" for c in cells], columns,
                           extras, unmapped, missing, frozenset(personal))
    if missing:
        raise MissingRequiredColumns(missing_message(source, header_map), missing=missing, unmapped=unmapped)
    return header_map


def missing_message(source: str, header_map: HeaderMap) -> str:
    """The refusal text for required fields that no header maps to."""
    unmapped = ", ".join(f'"{h}"' for h in header_map.unmapped) or "none"
    return (
        f"{source}: the required field(s) {', '.join(header_map.missing)} could not be found in the header "
        f"(row {header_map.header_row}). Headers not recognised: {unmapped}.\n\n{MAPPING_SYNTAX}"
    )


def load_saved(con: duckdb.DuckDBPyConnection, processor: str) -> Mapping:
    """Return the mapping saved for a processor (empty when there is none)."""
    rows = con.execute(
        "SELECT m.header_key, m.field, m.header, p.date_order FROM processors p "
        "LEFT JOIN mappings m USING (processor_id) WHERE p.name = ?",
        [processor],
    ).fetchall()
    if not rows:
        return Mapping()
    headers = {key: target for key, target, _, _ in rows if key is not None}
    labels = {key: header for key, _, header, _ in rows if key is not None}
    return Mapping(headers, labels, rows[0][3])


def save_mapping(con: duckdb.DuckDBPyConnection, processor_id: int, mapping: Mapping, user: str) -> None:
    """Store a processor's explicit header choices (inside the caller's transaction)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    for key, target in mapping.headers.items():
        con.execute(
            "INSERT INTO mappings VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (processor_id, header_key) "
            "DO UPDATE SET field = excluded.field, header = excluded.header, saved_at = excluded.saved_at, "
            "saved_by = excluded.saved_by",
            [processor_id, key, mapping.labels.get(key, key), target, now, user],
        )
    if mapping.date_order:
        con.execute("UPDATE processors SET date_order = ? WHERE processor_id = ?", [mapping.date_order, processor_id])


def mapping_as_toml(mapping: Mapping) -> str:
    """Render a mapping in the mapping-file syntax."""
    lines = [f'"{mapping.labels.get(k, k)}" = "{v}"' for k, v in sorted(mapping.headers.items())]
    if mapping.date_order:
        lines += ["", "[options]", f'date_order = "{mapping.date_order}"']
    return "\n".join(lines) + "\n"

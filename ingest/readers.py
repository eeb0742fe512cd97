"""CSV/XLSX → grids of raw text cells, plus what was detected (format, encoding, delimiter, sheets).

A grid offers its first rows to Python (to find the header and classify the sheet) and loads all its
data rows into a DuckDB temporary table of text columns, so a million rows never pass through Python.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import fastexcel
import pyarrow as pa

from ingest.errors import EmptyFile, UnreadableFile

HEAD_ROWS = 30
SAMPLE_BYTES = 64 * 1024
DELIMITERS = (";", ",", "\t", "|")
SPARE_COLUMNS = 8  # rows longer than the header land here and are kept as extras, never cut off

Cell = str | None
HeaderScore = Callable[[list[Cell]], int]  # how many cells of a row read as known headers


@dataclass(frozen=True)
class Detected:
    """What the reader decided about the file."""

    file_name: str
    format: str
    sha256: str
    size: int
    encoding: str | None = None
    delimiter: str | None = None


@dataclass
class Grid:
    """One table of raw cells: a CSV file or one worksheet."""

    name: str | None
    head: list[list[Cell]]
    head_rows: list[int]  # 1-based line (CSV) or row (Excel) number of each head row
    _csv_path: Path | None = None
    _delimiter: str | None = None
    _empty_lines: list[int] = field(default_factory=list)
    _arrow: pa.Table | None = None

    def load(self, con: duckdb.DuckDBPyConnection, table: str, header_index: int, ncols: int) -> None:
        """Create temp table `table` (_r, source_row, c0..cN) with every row after head[header_index]."""
        header_row = self.head_rows[header_index]
        width = ncols + SPARE_COLUMNS
        names = [f"c{i}" for i in range(width)]
        if self._arrow is not None:
            self._load_arrow(con, table, header_row, names)
        else:
            self._load_csv(con, table, header_row, names)

    def _load_csv(self, con: duckdb.DuckDBPyConnection, table: str, header_row: int, names: list[str]) -> None:
        columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
        # parallel=false: DuckDB's parallel scanner refuses null padding with quoted line breaks, and
        # measured no faster on two cores. strict_mode stays on so an over-long row is an error, not cut.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table}_src AS SELECT * FROM read_csv($path, delim = $delim, "
            f"header = false, skip = $skip, all_varchar = true, auto_detect = false, columns = {columns}, "
            "null_padding = true, parallel = false, quote = '\"', escape = '\"')",
            {"path": str(self._csv_path), "delim": self._delimiter, "skip": header_row},
        )
        # DuckDB drops empty lines; put them back into the line numbers (Excel shows them as rows).
        empty = [line for line in self._empty_lines if line > header_row]
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_empty (thr BIGINT, line BIGINT)")
        if empty:
            thresholds = [line - i for i, line in enumerate(sorted(empty))]
            con.execute(f"INSERT INTO {table}_empty SELECT unnest($t), unnest($l)",
                        {"t": thresholds, "l": sorted(empty)})
            line_expr = (f"$base + rowid + (SELECT count(*) FROM {table}_empty e "
                         f"WHERE e.thr <= $base + s.rowid)")
        else:
            line_expr = "$base + rowid"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT rowid AS _r, {line_expr} AS source_row, "
            f"{', '.join(names)} FROM {table}_src s",
            {"base": header_row + 1},
        )
        con.execute(f"DROP TABLE {table}_src")

    def _load_arrow(self, con: duckdb.DuckDBPyConnection, table: str, header_row: int, names: list[str]) -> None:
        data = self._arrow.slice(header_row)  # rows after the header (row numbers are 1-based)
        arrays = list(data.columns)[: len(names)]
        while len(arrays) < len(names):
            arrays.append(pa.nulls(data.num_rows, pa.string()))
        arrays = [a.cast(pa.string()) for a in arrays]
        frame = pa.table(arrays, names=names)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_empty (thr BIGINT, line BIGINT)")
        con.register(f"{table}_arrow", frame)
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT (row_number() OVER () - 1) AS _r, "
                f"CAST(row_number() OVER () + $base AS BIGINT) AS source_row, * FROM {table}_arrow",
                {"base": header_row},
            )
        finally:
            con.unregister(f"{table}_arrow")


@dataclass
class Report:
    """A file opened for ingest: what was detected and its grids (one for CSV, one per sheet)."""

    path: Path
    detected: Detected
    grids: list[Grid]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decode(raw: bytes) -> tuple[str, bytes | None]:
    """Return (encoding name, UTF-8 bytes when the file must be transcoded for DuckDB, else None)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-bom", None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", raw.decode("utf-16").encode("utf-8")
    sample = raw[:4096]
    if sample.count(b"\x00") > len(sample) // 4:
        # UTF-16 without a byte-order mark: ASCII text has its zero bytes on one side.
        codec = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        return "utf-16", raw.decode(codec).encode("utf-8")
    try:
        raw.decode("utf-8")
        return "utf-8", None
    except UnicodeDecodeError:
        pass
    try:
        return "cp1252", raw.decode("cp1252").encode("utf-8")
    except UnicodeDecodeError:
        return "latin-1", raw.decode("latin-1").encode("utf-8")


def _empty_lines(data: bytes) -> list[int]:
    """Return the 1-based numbers of empty lines that are followed by a non-empty line."""
    found: list[int] = []
    for pattern in (b"\n\n", b"\n\r\n"):
        start = 0
        while (pos := data.find(pattern, start)) != -1:
            found.append(pos)
            start = pos + 1
    lines: list[int] = []
    counted, count = 0, 0
    for pos in sorted(found):
        count += data.count(b"\n", counted, pos + 1)
        counted = pos + 1
        lines.append(count + 1)
    last_content = len(data.rstrip(b"\r\n"))
    last_line = data.count(b"\n", 0, last_content) + 1
    return [n for n in lines if n < last_line]


def _parse_head(text: str, delimiter: str) -> tuple[list[list[Cell]], list[int]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[list[Cell]] = []
    numbers: list[int] = []
    line = 1
    for record in reader:
        if len(rows) >= HEAD_ROWS:
            break
        if record and any(cell.strip() for cell in record):
            rows.append([cell if cell.strip() else None for cell in record])
            numbers.append(line)
        line = reader.line_num + 1
    return rows, numbers


def _head_text(utf8: bytes) -> str:
    sample = utf8[:SAMPLE_BYTES]
    if len(utf8) > SAMPLE_BYTES:
        sample = sample[: sample.rfind(b"\n") + 1]  # never look at a half line
    text = sample.decode("utf-8", errors="replace")
    return text.removeprefix("\ufeff")


def _choose_delimiter(text: str, score: HeaderScore) -> str:
    """Pick the delimiter under which some row reads best as a header, then the most regular one."""
    best: tuple[tuple[int, int], str] | None = None
    for delim in DELIMITERS:
        rows, _ = _parse_head(text, delim)
        widths = [len(r) for r in rows if len(r) > 1]
        regular = max((widths.count(w) for w in set(widths)), default=0)
        key = (max((score(r) for r in rows), default=0), regular)
        if best is None or key > best[0]:
            best = (key, delim)
    return best[1] if best else ";"


@contextmanager
def open_report(path: Path, header_score: HeaderScore) -> Iterator[Report]:
    """Open a CSV or Excel report; temporary files (transcoded CSV) are removed afterwards.

    `header_score(cells) -> int` counts how many cells of a row read as known headers; it guides the
    choice of delimiter.
    """
    path = Path(path)
    raw = path.read_bytes()
    if not raw.strip():
        raise EmptyFile(f"{path.name} is empty. Export the report again and check that it holds the case list.")
    digest = _sha256(raw)
    if raw.startswith(b"PK\x03\x04") or raw.startswith(b"\xd0\xcf\x11\xe0") or path.suffix.lower() in (
        ".xlsx", ".xlsm", ".xls"
    ):
        yield _open_excel(path, raw, digest)
        return
    workdir = Path(tempfile.mkdtemp(prefix="oversight-"))
    try:
        yield _open_csv(path, raw, digest, workdir, header_score)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _open_csv(path: Path, raw: bytes, digest: str, workdir: Path, header_score: HeaderScore) -> Report:
    encoding, transcoded = _decode(raw)
    utf8 = transcoded if transcoded is not None else raw
    if b"\x00" in utf8[:SAMPLE_BYTES]:
        raise UnreadableFile(f"{path.name} is not a text file (it contains binary data). "
                             "Send the report as CSV or Excel (.xlsx).")
    csv_path = path
    if transcoded is not None:
        csv_path = workdir / "utf8.csv"
        csv_path.write_bytes(transcoded)
    text = _head_text(utf8)
    delimiter = _choose_delimiter(text, header_score)
    head, numbers = _parse_head(text, delimiter)
    detected = Detected(path.name, "csv", digest, len(raw), encoding, delimiter)
    grid = Grid(None, head, numbers, _csv_path=csv_path, _delimiter=delimiter, _empty_lines=_empty_lines(utf8))
    return Report(path, detected, [grid])


def _open_excel(path: Path, raw: bytes, digest: str) -> Report:
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile(
            f"{path.name} is password-protected or in the old .xls format, which cannot be read. "
            "Save it in Excel as .xlsx without a password, or export it as CSV."
        )
    try:
        reader = fastexcel.read_excel(raw)
        grids = []
        for name in reader.sheet_names:
            table = reader.load_sheet(name, header_row=None, dtypes="string").to_arrow()
            head_rows = table.slice(0, HEAD_ROWS).to_pylist()
            head = [[_cell(v) for v in row.values()] for row in head_rows]
            keep = [(i + 1, row) for i, row in enumerate(head) if any(c is not None for c in row)]
            grids.append(Grid(name, [r for _, r in keep], [n for n, _ in keep], _arrow=table))
    except Exception as exc:  # fastexcel raises several error types for corrupt workbooks
        raise UnreadableFile(
            f"{path.name} could not be read as an Excel workbook ({str(exc).splitlines()[0]}). "
            "Open it in Excel and save it again as .xlsx, or export the report as CSV."
        ) from None
    return Report(path, Detected(path.name, "xlsx", digest, len(raw)), grids)


def _cell(value: object) -> Cell:
    if value is None:
        return None
    text = str(value)
    return text if text.strip() else None

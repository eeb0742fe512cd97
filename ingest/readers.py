"""CSV/XLSX → grids of raw text cells, plus what was detected (format, encoding, delimiter, sheets).

A grid offers its first rows to Python (to find the header and classify the sheet) and loads all its
data rows into a DuckDB temporary table of text columns, so a million rows never pass through Python.
A CSV file is handed to DuckDB as it is whenever DuckDB can read its encoding, else transcoded to a
temporary UTF-8 file first (ingest/encoding.py).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import fastexcel
import pyarrow as pa

from ingest.encoding import SAMPLE_BYTES, Scan, binary, empty_lines, encoding_of, scan, transcode
from ingest.errors import EmptyFile, UnreadableFile
from ingest.limits import LimitExceeded, check, check_size, check_workbook
from store.limits import Limits
from store.limits import current as current_limits

HEAD_ROWS = 30
DELIMITERS = (";", ",", "\t", "|")
SPARE_COLUMNS = 8  # rows longer than the header land here and are kept as extras, never cut off
ZIP_MAGIC, OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
LONG_LINE = re.compile(r"Maximum line size of \d+ bytes exceeded\. Actual Size:(\d+) bytes")

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
    _encoding: str = "utf-8"  # what DuckDB's read_csv is told
    _empty_lines: list[int] | None = field(default_factory=list)  # None: to be found in the file while it loads
    _arrow: pa.Table | None = None
    _max_line_bytes: int = Limits().max_line_bytes
    _file_name: str | None = None  # the report's name, for messages (a transcoded copy has another)

    def load(self, con: duckdb.DuckDBPyConnection, table: str, header_index: int, ncols: int) -> None:
        """Create temp view `table` (_r, source_row, c0..cN) over every row after head[header_index].

        The cells are held once, in temp table `{table}_src`; `{table}_empty` lists the empty lines that
        follow the header. `drop_loaded` removes all three.
        """
        header_row = self.head_rows[header_index]
        width = ncols + SPARE_COLUMNS
        names = [f"c{i}" for i in range(width)]
        if self._arrow is not None:
            self._load_arrow(con, table, header_row, names)
        elif self._empty_lines is None:
            # DuckDB reads the file on its threads while this one finds its empty lines (bytes in Python).
            with ThreadPoolExecutor(max_workers=1) as pool:
                finding = pool.submit(empty_lines, self._csv_path)
                self._load_csv(con, table, header_row, names)
                self._empty_lines = finding.result()
        else:
            self._load_csv(con, table, header_row, names)
        empty = sorted(line for line in self._empty_lines or [] if line > header_row)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_empty (line BIGINT, thr BIGINT, n BIGINT)")
        if empty:
            # The i-th empty line (0-based) shifts every row from position line - i onwards by i + 1.
            con.execute(f"INSERT INTO {table}_empty SELECT unnest($l), unnest($t), unnest($n)",
                        {"l": empty, "t": [line - i for i, line in enumerate(empty)],
                         "n": list(range(1, len(empty) + 1))})
        base = header_row + 1
        if empty:
            # DuckDB's reader drops empty lines; put them back into the line numbers (Excel shows them as rows).
            source = (f"SELECT s.rowid AS _r, {base} + s.rowid + coalesce(e.n, 0) AS source_row, "
                      f"{', '.join(names)} FROM {table}_src s ASOF LEFT JOIN "
                      f"(SELECT thr, max(n) AS n FROM {table}_empty GROUP BY thr) e ON {base} + s.rowid >= e.thr")
        else:
            source = f"SELECT rowid AS _r, {base} + rowid AS source_row, {', '.join(names)} FROM {table}_src"
        con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS {source}")

    def _load_csv(self, con: duckdb.DuckDBPyConnection, table: str, header_row: int, names: list[str]) -> None:
        columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
        # strict_mode stays on so an over-long row is an error, not cut. DuckDB's parallel scanner refuses
        # null padding when a quoted value holds a line break: such a file is read again on one thread.
        sql = (f"CREATE OR REPLACE TEMP TABLE {table}_src AS SELECT * FROM read_csv($path, delim = $delim, "
               f"header = false, skip = $skip, all_varchar = true, auto_detect = false, columns = {columns}, "
               "null_padding = true, parallel = $parallel, quote = '\"', escape = '\"', encoding = $encoding, "
               "max_line_size = $max_line)")
        params = {"path": str(self._csv_path), "delim": self._delimiter, "skip": header_row,
                  "encoding": self._encoding, "parallel": True, "max_line": self._max_line_bytes}
        try:
            try:
                con.execute(sql, params)
            except duckdb.Error as exc:
                if "parallel scanner does not support null_padding" not in str(exc):
                    raise
                con.execute(sql, {**params, "parallel": False})
        except duckdb.InvalidInputException as exc:
            name = self._file_name or self._csv_path.name
            if (too_long := LONG_LINE.search(str(exc))) is not None:
                raise LimitExceeded(name, "max_line_bytes", f"{int(too_long[1]):,}", self._max_line_bytes) from None
            # DuckDB's own text names the server's path and its options (issue 18: never shown to the user).
            raise unparsable(name, self._csv_path) from None

    def _load_arrow(self, con: duckdb.DuckDBPyConnection, table: str, header_row: int, names: list[str]) -> None:
        data = self._arrow.slice(header_row)  # rows after the header (row numbers are 1-based)
        arrays = list(data.columns)[: len(names)]
        while len(arrays) < len(names):
            arrays.append(pa.nulls(data.num_rows, pa.string()))
        arrays = [a.cast(pa.string()) for a in arrays]
        frame = pa.table(arrays, names=names)
        con.register(f"{table}_arrow", frame)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_src AS SELECT * FROM {table}_arrow")
        finally:
            con.unregister(f"{table}_arrow")


ENDINGS = {b"\r\n": "CR LF", b"\n": "LF", b"\r": "CR"}
LINE_END = re.compile(rb"\r\n|\r|\n")


def mixed_line_endings(path: Path) -> tuple[int, str, str] | None:
    """The first line that ends otherwise than the first line does, with both endings; None if they all agree. A line
    break inside a quoted cell counts as a line here: enough to point at where to look."""
    first: bytes | None = None
    line, carry = 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            data = carry + chunk
            carry = b"\r" if data.endswith(b"\r") else b""  # a CR LF may be cut between two chunks
            for match in LINE_END.finditer(data, 0, len(data) - len(carry)):
                line += 1
                if first is None:
                    first = match[0]
                elif match[0] != first:
                    return line, ENDINGS[first], ENDINGS[match[0]]
    if carry and first is not None and carry != first:
        return line + 1, ENDINGS[first], ENDINGS[carry]
    return None


def unparsable(name: str, path: Path) -> UnreadableFile:
    """The refusal of a CSV file DuckDB's reader cannot parse: why, in the user's words, without the reader's text."""
    mixed = mixed_line_endings(path)
    if mixed is not None:
        line, first, other = mixed
        why = (f"its lines end in more than one way: line 1 ends with {first}, line {line} with {other} (a file "
               "edited on several systems, or a line break typed inside a cell)")
    else:
        why = "its rows are not consistent CSV (for example a quote that is never closed)"
    return UnreadableFile(f"{name} could not be read as a CSV file: {why}. Nothing was read. Open it in Excel and "
                          "save it again as CSV (UTF-8), or ask the processor for the report as exported.")


def drop_loaded(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop what Grid.load created for `table` (missing objects are fine)."""
    con.execute(f"DROP VIEW IF EXISTS {table}")
    con.execute(f"DROP TABLE IF EXISTS {table}_src")
    con.execute(f"DROP TABLE IF EXISTS {table}_empty")


@dataclass
class Report:
    """A file opened for ingest: what was detected and its grids (one for CSV, one per sheet)."""

    path: Path
    detected: Detected
    grids: list[Grid]


def _parse_head(text: str, delimiter: str) -> tuple[list[list[Cell]], list[int]]:
    # newline="": the csv module sees line endings as they are (\r\n, \n, a bare \r, or one inside quotes) and
    # decides; without it a bare CR is "new-line character seen in unquoted field", a traceback (issue 18).
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
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


def _head_text(head: bytes, size: int, codec: str) -> str:
    """Decode the first bytes of a file of `size` bytes, never looking at a half line."""
    if size > len(head):
        head = head[: head.rfind(b"\n") + 1]
    return head.decode(codec, errors="replace").removeprefix("\ufeff")


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
    limits = current_limits()
    check_size(path, limits)  # before a byte is read
    with path.open("rb") as handle:
        magic = handle.read(len(ZIP_MAGIC))
    excel = magic.startswith((ZIP_MAGIC, OLE_MAGIC)) or path.suffix.lower() in (".xlsx", ".xlsm", ".xls")
    if magic.startswith(ZIP_MAGIC):
        check_workbook(path, limits)  # from the zip's directory, before anything is unzipped
    found = scan(path, text=not excel)
    if not found.has_text:
        raise EmptyFile(f"{path.name} is empty. Export the report again and check that it holds the case list.")
    if excel:
        yield _open_excel(path, found, limits)
        return
    check(path.name, "max_rows", found.newlines, limits)
    workdir = Path(tempfile.mkdtemp(prefix="oversight-"))
    try:
        yield _open_csv(path, found, workdir, header_score, limits)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _open_csv(path: Path, found: Scan, workdir: Path, header_score: HeaderScore, limits: Limits) -> Report:
    encoding, codec, reads_as = encoding_of(path, found)
    csv_path, head, size, lines = path, found.head, found.size, None
    if codec is not None:
        csv_path = workdir / "utf8.csv"
        lines = transcode(path, codec, csv_path)
        with csv_path.open("rb") as handle:
            head = handle.read(SAMPLE_BYTES)
        size = csv_path.stat().st_size
        if b"\x00" in head:
            raise binary(path)
    text = _head_text(head, size, "utf-8" if reads_as == "utf-8" else "latin-1")
    delimiter = _choose_delimiter(text, header_score)  # on the head only (64 KB): cheap whatever the width
    head_rows, numbers = _parse_head(text, delimiter)
    # Before the load: every later step works per column (5,000 columns took 97 s of CPU in the probe).
    check(path.name, "max_columns", max((len(r) for r in head_rows), default=0), limits)
    detected = Detected(path.name, "csv", found.sha256, found.size, encoding, delimiter)
    grid = Grid(None, head_rows, numbers, _csv_path=csv_path, _delimiter=delimiter, _encoding=reads_as,
                _empty_lines=lines, _max_line_bytes=limits.max_line_bytes, _file_name=path.name)
    return Report(path, detected, [grid])


def _open_excel(path: Path, found: Scan, limits: Limits) -> Report:
    if found.head.startswith(OLE_MAGIC):
        raise UnreadableFile(
            f"{path.name} is password-protected or in the old .xls format, which cannot be read. "
            "Save it in Excel as .xlsx without a password, or export it as CSV."
        )
    try:
        reader = fastexcel.read_excel(str(path))
        grids = []
        for name in reader.sheet_names:
            table = pa.Table.from_batches([reader.load_sheet(name, header_row=None, dtypes="string", eager=True)])
            # A sheet without a declared dimension is known only once read; refused before it is used.
            check(path.name, "max_rows", table.num_rows, limits)
            check(path.name, "max_columns", table.num_columns, limits)
            head_rows = table.slice(0, HEAD_ROWS).to_pylist()
            head = [[_cell(v) for v in row.values()] for row in head_rows]
            keep = [(i + 1, row) for i, row in enumerate(head) if any(c is not None for c in row)]
            grids.append(Grid(name, [r for _, r in keep], [n for n, _ in keep], _arrow=table))
    except LimitExceeded:
        raise
    except BaseException as exc:  # fastexcel raises several error types for corrupt workbooks, and Rust panics
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise  # KeyboardInterrupt, SystemExit: not the workbook's doing
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise UnreadableFile(
            f"{path.name} could not be read as an Excel workbook ({first}). "
            "Open it in Excel and save it again as .xlsx, or export the report as CSV."
        ) from None
    return Report(path, Detected(path.name, "xlsx", found.sha256, found.size), grids)


def _cell(value: object) -> Cell:
    if value is None:
        return None
    text = str(value)
    return text if text.strip() else None

"""CSV/XLSX → grids of raw text cells, plus what was detected (format, encoding, delimiter, sheets).

A grid offers its first rows to Python (to find the header and classify the sheet) and loads all its
data rows into a DuckDB temporary table of text columns, so a million rows never pass through Python.
A CSV file is read in chunks (hashed, its encoding and empty lines found on the way) and handed to DuckDB
as it is whenever DuckDB can read its encoding; only UTF-16 and Windows-1252 text that uses the bytes where
Windows-1252 differs from Latin-1 are transcoded, chunk by chunk, to a temporary UTF-8 file.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
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
CHUNK_BYTES = 8 * 1024 * 1024
DELIMITERS = (";", ",", "\t", "|")
SPARE_COLUMNS = 8  # rows longer than the header land here and are kept as extras, never cut off
# Windows-1252 and Latin-1 differ only in 0x80-0x9F; of those, Windows-1252 leaves five bytes undefined.
C1_BYTES = bytes(range(0x80, 0xA0))
CP1252_UNDEFINED = b"\x81\x8d\x8f\x90\x9d"
UTF8_BOM = b"\xef\xbb\xbf"
ZIP_MAGIC, OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"

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
    _empty_lines: list[int] = field(default_factory=list)
    _arrow: pa.Table | None = None

    def load(self, con: duckdb.DuckDBPyConnection, table: str, header_index: int, ncols: int) -> None:
        """Create temp view `table` (_r, source_row, c0..cN) over every row after head[header_index].

        The cells are held once, in temp table `{table}_src`; `{table}_empty` lists the empty lines that
        follow the header. `drop_loaded` removes all three.
        """
        header_row = self.head_rows[header_index]
        width = ncols + SPARE_COLUMNS
        names = [f"c{i}" for i in range(width)]
        empty = sorted(line for line in self._empty_lines if line > header_row)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_empty (line BIGINT, thr BIGINT, n BIGINT)")
        if empty:
            # The i-th empty line (0-based) shifts every row from position line - i onwards by i + 1.
            con.execute(f"INSERT INTO {table}_empty SELECT unnest($l), unnest($t), unnest($n)",
                        {"l": empty, "t": [line - i for i, line in enumerate(empty)],
                         "n": list(range(1, len(empty) + 1))})
        if self._arrow is not None:
            self._load_arrow(con, table, header_row, names)
        else:
            self._load_csv(con, table, header_row, names)
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
               "null_padding = true, parallel = $parallel, quote = '\"', escape = '\"', encoding = $encoding)")
        params = {"path": str(self._csv_path), "delim": self._delimiter, "skip": header_row,
                  "encoding": self._encoding, "parallel": True}
        try:
            con.execute(sql, params)
        except duckdb.Error as exc:
            if "parallel scanner does not support null_padding" not in str(exc):
                raise
            con.execute(sql, {**params, "parallel": False})

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


class EmptyLines:
    """Find the empty lines of text fed in chunks (any encoding where a newline is the byte 0x0A).

    Gives the same answer as scanning the whole text at once while holding one chunk: the numbers
    (1-based) of the empty lines (LF LF or LF CR LF) that some non-empty line follows.
    """

    _LF_THEN_EMPTY_LINE = re.compile(rb"\n(?=\r?\n)")

    def __init__(self) -> None:
        self._tail = b""  # the last bytes fed, not searched yet: a match needs the two bytes after it
        self._newlines_searched = 0
        self._newlines_fed = 0
        self._found: list[int] = []
        self._last_content = 0  # line number of the last line with content so far

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        buf = self._tail + chunk
        limit = max(len(buf) - 2, 0)
        count, counted = self._newlines_searched, 0
        for match in self._LF_THEN_EMPTY_LINE.finditer(buf):
            if match.start() >= limit:
                break
            count += buf.count(b"\n", counted, match.start() + 1)
            counted = match.start() + 1
            self._found.append(count + 1)
        in_buf = buf.count(b"\n")
        self._newlines_searched += in_buf - buf.count(b"\n", limit)
        newlines = in_buf - self._tail.count(b"\n")  # in the chunk
        self._tail = buf[limit:]
        end = len(chunk)
        while end and chunk[end - 1] in b"\r\n":
            end -= 1
        if end:  # the chunk has content: its last line with content is the last so far
            self._last_content = self._newlines_fed + newlines - chunk.count(b"\n", end) + 1
        self._newlines_fed += newlines

    def lines(self) -> list[int]:
        # A match in the last two bytes is an empty line at the very end: no content follows it.
        return [n for n in self._found if n < self._last_content]


@dataclass(frozen=True)
class _Scan:
    """One pass over a file: its hash and size, its first bytes, and for text what the encoding allows."""

    sha256: str
    size: int
    head: bytes
    has_text: bool
    utf8: bool
    empty_lines: list[int]


def _scan(path: Path, text: bool) -> _Scan:
    digest = hashlib.sha256()
    lines = EmptyLines()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    valid, has_text, size, head = text, False, 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            if len(head) < SAMPLE_BYTES:
                head += chunk[: SAMPLE_BYTES - len(head)]
            digest.update(chunk)
            size += len(chunk)
            has_text = has_text or bool(chunk.strip())
            if text:
                lines.feed(chunk)
                valid = valid and _decodes(utf8, chunk, final=False)
    valid = valid and _decodes(utf8, b"", final=True)
    return _Scan(digest.hexdigest(), size, head, has_text, valid, lines.lines())


def _decodes(decoder: codecs.IncrementalDecoder, chunk: bytes, *, final: bool) -> bool:
    try:
        decoder.decode(chunk, final=final)
    except UnicodeDecodeError:
        return False
    return True


def _encoding(path: Path, scan: _Scan) -> tuple[str, str | None, str]:
    """Return (encoding name, codec to transcode with or None, the encoding DuckDB reads the file in)."""
    if scan.head.startswith(UTF8_BOM):
        return "utf-8-bom", None, "utf-8"
    if scan.head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "utf-16", "utf-8"
    sample = scan.head[:4096]
    if sample.count(b"\x00") > len(sample) // 4:
        # UTF-16 without a byte-order mark: ASCII text has its zero bytes on one side.
        codec = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        return "utf-16", codec, "utf-8"
    if b"\x00" in scan.head:
        raise _binary(path)
    if scan.utf8:
        return "utf-8", None, "utf-8"
    uses_c1, undefined = _c1_bytes(path)
    if not uses_c1:
        return "cp1252", None, "latin-1"  # then identical to Latin-1, which DuckDB reads itself
    # DuckDB's Latin-1 reader refuses the bytes 0x80-0x9F, so such text is transcoded.
    codec = "latin-1" if undefined else "cp1252"
    return codec, codec, "utf-8"


def _c1_bytes(path: Path) -> tuple[bool, bool]:
    """Return whether the file uses bytes 0x80-0x9F, and whether any is one Windows-1252 leaves undefined."""
    uses_c1 = False
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            uses_c1 = uses_c1 or len(chunk.translate(None, C1_BYTES)) < len(chunk)
            if uses_c1 and len(chunk.translate(None, CP1252_UNDEFINED)) < len(chunk):
                return True, True
    return uses_c1, False


def _transcode(path: Path, codec: str, target: Path) -> list[int]:
    """Write the file as UTF-8 to target, chunk by chunk; return its empty lines."""
    decoder = codecs.getincrementaldecoder(codec)()
    lines = EmptyLines()
    try:
        with path.open("rb") as source, target.open("wb") as out:
            while True:
                chunk = source.read(CHUNK_BYTES)
                data = decoder.decode(chunk, final=not chunk).encode("utf-8")
                lines.feed(data)
                out.write(data)
                if not chunk:
                    break
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"{path.name} looks like {codec.upper()} text but byte {exc.start} cannot be read as such ({exc.reason}). "
            "Export the report again as CSV (UTF-8) or as Excel (.xlsx)."
        ) from None
    return lines.lines()


def _binary(path: Path) -> UnreadableFile:
    return UnreadableFile(f"{path.name} is not a text file (it contains binary data). "
                          "Send the report as CSV or Excel (.xlsx).")


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
    with path.open("rb") as handle:
        magic = handle.read(len(ZIP_MAGIC))
    excel = magic.startswith((ZIP_MAGIC, OLE_MAGIC)) or path.suffix.lower() in (".xlsx", ".xlsm", ".xls")
    scan = _scan(path, text=not excel)
    if not scan.has_text:
        raise EmptyFile(f"{path.name} is empty. Export the report again and check that it holds the case list.")
    if excel:
        yield _open_excel(path, scan)
        return
    workdir = Path(tempfile.mkdtemp(prefix="oversight-"))
    try:
        yield _open_csv(path, scan, workdir, header_score)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _open_csv(path: Path, scan: _Scan, workdir: Path, header_score: HeaderScore) -> Report:
    encoding, codec, reads_as = _encoding(path, scan)
    csv_path, head, size, empty_lines = path, scan.head, scan.size, scan.empty_lines
    if codec is not None:
        csv_path = workdir / "utf8.csv"
        empty_lines = _transcode(path, codec, csv_path)
        with csv_path.open("rb") as handle:
            head = handle.read(SAMPLE_BYTES)
        size = csv_path.stat().st_size
        if b"\x00" in head:
            raise _binary(path)
    text = _head_text(head, size, "utf-8" if reads_as == "utf-8" else "latin-1")
    delimiter = _choose_delimiter(text, header_score)
    head_rows, numbers = _parse_head(text, delimiter)
    detected = Detected(path.name, "csv", scan.sha256, scan.size, encoding, delimiter)
    grid = Grid(None, head_rows, numbers, _csv_path=csv_path, _delimiter=delimiter, _encoding=reads_as,
                _empty_lines=empty_lines)
    return Report(path, detected, [grid])


def _open_excel(path: Path, scan: _Scan) -> Report:
    if scan.head.startswith(OLE_MAGIC):
        raise UnreadableFile(
            f"{path.name} is password-protected or in the old .xls format, which cannot be read. "
            "Save it in Excel as .xlsx without a password, or export it as CSV."
        )
    try:
        reader = fastexcel.read_excel(str(path))
        grids = []
        for name in reader.sheet_names:
            table = pa.Table.from_batches([reader.load_sheet(name, header_row=None, dtypes="string", eager=True)])
            head_rows = table.slice(0, HEAD_ROWS).to_pylist()
            head = [[_cell(v) for v in row.values()] for row in head_rows]
            keep = [(i + 1, row) for i, row in enumerate(head) if any(c is not None for c in row)]
            grids.append(Grid(name, [r for _, r in keep], [n for n, _ in keep], _arrow=table))
    except Exception as exc:  # fastexcel raises several error types for corrupt workbooks
        raise UnreadableFile(
            f"{path.name} could not be read as an Excel workbook ({str(exc).splitlines()[0]}). "
            "Open it in Excel and save it again as .xlsx, or export the report as CSV."
        ) from None
    return Report(path, Detected(path.name, "xlsx", scan.sha256, scan.size), grids)


def _cell(value: object) -> Cell:
    if value is None:
        return None
    text = str(value)
    return text if text.strip() else None

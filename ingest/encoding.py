"""What a CSV file's bytes are: one streamed pass (hash, size, head, UTF-8 or not), the encoding
decision, and transcoding to UTF-8, chunk by chunk, when DuckDB cannot read the file as it is.

DuckDB reads UTF-8 and Latin-1 itself. Windows-1252 text differs from Latin-1 only where it uses the bytes
0x80-0x9F (€, ‘ ’, …), which DuckDB's Latin-1 reader refuses: only such files, and UTF-16, are transcoded.
Empty lines (which DuckDB's reader drops) are found in another pass, while DuckDB reads the file.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import UnreadableFile

SAMPLE_BYTES = 64 * 1024  # the head offered to Python (delimiter and header detection)
CHUNK_BYTES = 8 * 1024 * 1024
# Windows-1252 and Latin-1 differ only in 0x80-0x9F; of those, Windows-1252 leaves five bytes undefined.
C1_BYTES = bytes(range(0x80, 0xA0))
CP1252_UNDEFINED = b"\x81\x8d\x8f\x90\x9d"
HIGH_BYTES = bytes(range(0x80, 0x100))
MIXED_WINDOW = 4 * 1024 * 1024  # how far past the first non-UTF-8 byte UTF-8 text is looked for
UTF8_BOM = b"\xef\xbb\xbf"


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
class Scan:
    """One pass over a file: its hash and size, its first bytes, and for text what the encoding allows."""

    sha256: str
    size: int
    head: bytes
    has_text: bool
    utf8: bool
    # Once the text is known not to be UTF-8: from which byte on the bytes 0x80-0x9F were looked for, whether
    # any was found and whether any of those is one Windows-1252 leaves undefined.
    c1_from: int = 0
    c1: bool = False
    cp1252_undefined: bool = False
    newlines: int = 0  # how many line feeds: an upper bound of the rows (ingest/limits.py)
    nul_at: int | None = None  # the offset of the first NUL byte (none in text, unless it is UTF-16)


def scan(path: Path, text: bool) -> Scan:
    """Read the file once, in chunks; `text=False` (a workbook) only hashes it and keeps its head."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    valid, has_text, size, head = text, False, 0, b""
    c1_from, c1, undefined, newlines, nul_at = None, False, False, 0, None
    # hashlib lets go of the GIL: the hash is computed on a second thread, in chunk order, alongside the checks.
    with path.open("rb") as handle, ThreadPoolExecutor(max_workers=1) as hasher:
        while chunk := handle.read(CHUNK_BYTES):
            if len(head) < SAMPLE_BYTES:
                head += chunk[: SAMPLE_BYTES - len(head)]
            hasher.submit(digest.update, chunk)
            has_text = has_text or bool(chunk.strip())
            if text:
                newlines += chunk.count(b"\n")
                if nul_at is None and (at := chunk.find(b"\x00")) >= 0:
                    nul_at = size + at
                valid = valid and _decodes(utf8, chunk, final=False)
                if not valid:
                    c1_from = size if c1_from is None else c1_from
                    if _uses(chunk, C1_BYTES):
                        c1, undefined = True, undefined or _uses(chunk, CP1252_UNDEFINED)
            size += len(chunk)
    valid = valid and _decodes(utf8, b"", final=True)
    return Scan(digest.hexdigest(), size, head, has_text, valid, size if c1_from is None else c1_from, c1, undefined,
                newlines, nul_at)


def empty_lines(path: Path) -> list[int]:
    """The empty lines of a text file in an ASCII-compatible encoding (see EmptyLines), read in chunks."""
    lines = EmptyLines()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            lines.feed(chunk)
    return lines.lines()


def _uses(chunk: bytes, byte_set: bytes) -> bool:
    return len(chunk.translate(None, byte_set)) < len(chunk)


def _decodes(decoder: codecs.IncrementalDecoder, chunk: bytes, *, final: bool) -> bool:
    try:
        decoder.decode(chunk, final=final)
    except UnicodeDecodeError:
        return False
    return True


def encoding_of(path: Path, found: Scan) -> tuple[str, str | None, str]:
    """Return (encoding name, codec to transcode with or None, the encoding DuckDB reads the file in)."""
    if found.head.startswith(UTF8_BOM):
        return "utf-8-bom", None, "utf-8"
    if found.head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "utf-16", "utf-8"
    sample = found.head[:4096]
    if sample.count(b"\x00") > len(sample) // 4:
        # UTF-16 without a byte-order mark: ASCII text has its zero bytes on one side.
        codec = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        return "utf-16", codec, "utf-8"
    if found.nul_at is not None:
        raise binary(path, line_of(path, found.nul_at))
    if found.utf8:
        return "utf-8", None, "utf-8"
    if (line := mixed_encoding_line(path)) is not None:
        raise UnreadableFile(
            f"{path.name} mixes encodings: line {line} is not UTF-8, while other lines are. Read as one encoding, "
            "part of it would turn into wrong characters. Export the whole report again in one encoding (CSV "
            "UTF-8, or Excel .xlsx), or correct line {line}.".replace("{line}", str(line)))
    uses_c1, undefined = found.c1, found.cp1252_undefined
    if found.c1_from:  # the UTF-8 that came before the first invalid byte was not looked at yet
        before = _c1_bytes(path, found.c1_from)
        uses_c1, undefined = uses_c1 or before[0], undefined or before[1]
    if not uses_c1:
        return "cp1252", None, "latin-1"  # then identical to Latin-1, which DuckDB reads itself
    # DuckDB's Latin-1 reader refuses the bytes 0x80-0x9F, so such text is transcoded.
    codec = "latin-1" if undefined else "cp1252"
    return codec, codec, "utf-8"


def _c1_bytes(path: Path, limit: int) -> tuple[bool, bool]:
    """Whether the first `limit` bytes use 0x80-0x9F, and whether any is one Windows-1252 leaves undefined."""
    uses_c1 = False
    with path.open("rb") as handle:
        while limit > 0 and (chunk := handle.read(min(CHUNK_BYTES, limit))):
            limit -= len(chunk)
            if _uses(chunk, C1_BYTES):
                uses_c1 = True
                if _uses(chunk, CP1252_UNDEFINED):
                    return True, True
    return uses_c1, False


def transcode(path: Path, codec: str, target: Path) -> list[int]:
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


def binary(path: Path, line: int | None = None) -> UnreadableFile:
    """The refusal of a file that is not text."""
    where = f" on line {line}" if line is not None else ""
    return UnreadableFile(f"{path.name} is not a text file (it contains binary data{where}, a NUL byte). "
                          "Send the report as CSV or Excel (.xlsx).")


def line_of(path: Path, offset: int) -> int:
    """The 1-based line of the byte at `offset`."""
    newlines = 0
    with path.open("rb") as handle:
        while offset > 0 and (chunk := handle.read(min(CHUNK_BYTES, offset))):
            newlines += chunk.count(b"\n")
            offset -= len(chunk)
    return newlines + 1


def mixed_encoding_line(path: Path) -> int | None:
    """The line of the first byte that is not UTF-8, when the file also holds UTF-8 text beyond ASCII (before that
    byte, or in the next MIXED_WINDOW bytes); None for a file in one 8-bit encoding throughout.

    A UTF-8 export with one line pasted from a Windows-1252 source used to be read whole as Windows-1252: every
    accented letter of the UTF-8 lines became two wrong ones, silently (issue 18). Looked for near the first invalid
    byte only, so a long single-encoding file costs one window, not a second pass.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, non_ascii_before = 0, False
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            pending = len(decoder.getstate()[0])  # bytes of a character split across the previous chunk's end
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = offset - pending + exc.start  # the error counts from the held-back bytes
                non_ascii_before = non_ascii_before or _uses(chunk[: max(exc.start - pending, 0)], HIGH_BYTES)
                break
            non_ascii_before = non_ascii_before or _uses(chunk, HIGH_BYTES)
            offset += len(chunk)
        else:
            return None
        handle.seek(bad)
        window = handle.read(MIXED_WINDOW).decode("utf-8", errors="replace").replace("\ufffd", "")
    # What is left beyond ASCII, once the replacement characters are gone, decoded from valid UTF-8 sequences.
    valid_after = len(window.encode("ascii", errors="ignore")) < len(window)
    return line_of(path, bad) if non_ascii_before or valid_after else None


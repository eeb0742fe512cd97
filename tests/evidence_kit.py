"""Real files for the evidence tests: a minimal valid PDF and PNG built byte by byte, and a drawn demo sample."""

from __future__ import annotations

import struct
import zlib

import duckdb

from spotchecks.samples import DrawResult, draw_sample
from tests.spot_demo import APPELIA, BELCALL, user

AUDITOR = user("auditor")


def minimal_pdf(text: str = "Case file") -> bytes:
    """A one-page PDF with a correct cross-reference table (pypdf reads it)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def minimal_png() -> bytes:
    """A 1×1 red PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


def draw(con: duckdb.DuckDBPyConnection, processor: str = BELCALL, size: int = 3,
         seed: str = "evidence-seed-0001") -> DrawResult:
    period = "2026-10" if processor == BELCALL else latest_period(con, processor)
    return draw_sample(con, AUDITOR, processor=processor, period=period, size=size, seed=seed)


def latest_period(con: duckdb.DuckDBPyConnection, processor: str) -> str:
    [(period,)] = con.execute("SELECT max(period) FROM report_cases WHERE processor = ?", [processor]).fetchall()
    return str(period)


__all__ = ["APPELIA", "AUDITOR", "BELCALL", "draw", "minimal_pdf", "minimal_png"]

"""The streamed reader and the join-free staging: same answers as reading whole files, in file order.

Covers what the speed work changed: files scanned in chunks (empty lines, encodings), Latin-1 read by
DuckDB itself, text transcoded only when needed, dates and vocabulary values looked up once per distinct
text, duplicates applied after the row rules, and rows written in file order without a sort.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import date

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import encoding, lookups
from ingest.errors import UnreadableFile
from ingest.pseudonym import Pseudonymiser, sql_pseudonym
from tests.conftest import HEADER_NL, nl_row


def whole_text_empty_lines(data: bytes) -> list[int]:
    """The reference: empty lines (LF LF or LF CR LF) followed by content, found in the whole text at once."""
    positions = [i for i in range(len(data)) if data.startswith((b"\n\n", b"\n\r\n"), i)]
    last_line = data.count(b"\n", 0, len(data.rstrip(b"\r\n"))) + 1
    return [n for n in (data.count(b"\n", 0, p + 1) + 1 for p in positions) if n < last_line]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60).map(lambda b: bytes(b"\n\ra;"[x % 4] for x in b)), st.integers(1, 9))
def test_empty_lines_found_in_chunks_are_those_of_the_whole_text(data, size):
    scanner = encoding.EmptyLines()
    for start in range(0, len(data), size):
        scanner.feed(data[start:start + size])
    assert scanner.lines() == whole_text_empty_lines(data)


def _dump(con: duckdb.DuckDBPyConnection, submission_id: int) -> tuple[list[tuple], list[tuple]]:
    cases = con.execute("SELECT * EXCLUDE (submission_id) FROM cases WHERE submission_id = ? ORDER BY rowid",
                        [submission_id]).fetchall()
    quarantine = con.execute("SELECT * EXCLUDE (submission_id) FROM quarantine WHERE submission_id = ? "
                             "ORDER BY rowid", [submission_id]).fetchall()
    return cases, quarantine


MESSY = [
    "Maandrapport privacyverzoeken;;;", "Periode: oktober 2026", "", HEADER_NL,
    nl_row("BC-1", customer="KL-1 "), "", "", nl_row("BC-2", received="31/02/2026"), "   ;  ;  ", ";;;;;;;;;",
    nl_row("BC-3"), nl_row("BC-3"), nl_row("BC-4", kind=" Inzage "), nl_row("BC-4", kind="Klacht"), "",
    nl_row("BC-5", responded="20-10-2026", outcome="Uitgevoerd") + ";zomaar", "Totaal;7;;", "", "",
]


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_a_file_read_in_small_chunks_loads_exactly_as_in_one_piece(con, ingest, write_csv, monkeypatch, chunk):
    whole = ingest(write_csv("a_2026-10.csv", MESSY, encoding="cp1252", newline="\r\n"))
    monkeypatch.setattr(encoding, "CHUNK_BYTES", chunk)
    chunked = ingest(write_csv("b_2026-10.csv", [*MESSY, ""], encoding="cp1252", newline="\r\n"))
    assert (chunked.rows_read, chunked.rows_loaded, chunked.rows_quarantined, chunked.rows_skipped) == (
        whole.rows_read, whole.rows_loaded, whole.rows_quarantined, whole.rows_skipped)
    assert chunked.parts == whole.parts
    assert _dump(con, chunked.submission_id) == _dump(con, whole.submission_id)


def test_empty_lines_inside_the_data_keep_the_line_numbers_of_the_file(con, ingest, write_csv):
    result = ingest(write_csv("r_2026-10.csv", MESSY, encoding="cp1252", newline="\r\n"))
    rows = dict(con.execute("SELECT case_id, source_row FROM cases WHERE submission_id = ?",
                            [result.submission_id]).fetchall())
    assert rows == {"BC-1": 5, "BC-3": 11, "BC-5": 16}  # lines as Excel numbers them (BC-3's copy skipped)
    assert con.execute("SELECT source_row FROM quarantine WHERE case_id = 'BC-2'").fetchall() == [(8,)]


def test_windows_1252_punctuation_is_read_as_written(con, ingest, write_csv):
    # € and ’ are bytes 0x80 and 0x92: Windows-1252, not Latin-1 (where they are control characters).
    result = ingest(write_csv("r_2026-10.csv", [HEADER_NL + ";Notities", nl_row("BC-1") + ";Kost 5 € ‘gratis’"],
                              encoding="cp1252"), keep_notes=True)  # notes are stored only when opted in
    assert result.detected["encoding"] == "cp1252"
    assert con.execute("SELECT summary FROM cases").fetchall() == [("Kost 5 € ‘gratis’",)]


def test_windows_1252_without_its_own_punctuation_is_read_straight_as_latin_1(con, ingest, write_csv):
    result = ingest(write_csv("r_2026-10.csv", [HEADER_NL + ";Notities", nl_row("BC-1") + ";café geëscaleerd"],
                              encoding="cp1252"), keep_notes=True)
    assert result.detected["encoding"] == "cp1252"
    assert con.execute("SELECT summary FROM cases").fetchall() == [("café geëscaleerd",)]


def test_bytes_windows_1252_leaves_undefined_make_the_file_latin_1(con, ingest, tmp_path):
    path = tmp_path / "r_2026-10.csv"
    path.write_bytes((HEADER_NL + ";Notities\n" + nl_row("BC-1") + ";caf\xe9 ").encode("latin-1") + b"\x81\n")
    result = ingest(path, keep_notes=True)
    assert result.detected["encoding"] == "latin-1"
    assert con.execute("SELECT summary FROM cases").fetchall() == [("café \x81",)]


def test_utf16_without_byte_order_mark_is_transcoded(con, ingest, tmp_path):
    path = tmp_path / "r_2026-10.csv"
    path.write_bytes("\r\n".join([HEADER_NL.replace(";", "\t"), nl_row("BC-1").replace(";", "\t"), "",
                                  nl_row("BC-2").replace(";", "\t")]).encode("utf-16-le"))
    result = ingest(path)
    assert (result.detected["encoding"], result.detected["delimiter"], result.rows_loaded) == ("utf-16", "\t", 2)
    assert con.execute("SELECT source_row FROM cases WHERE case_id = 'BC-2'").fetchall() == [(4,)]


def test_a_line_break_inside_quotes_is_kept(con, ingest, write_csv):
    result = ingest(write_csv("r_2026-10.csv", [HEADER_NL + ";Notities", nl_row("BC-1") + ';"twee\nregels"',
                                                nl_row("BC-2") + ";een"]), keep_notes=True)
    assert (result.rows_read, result.rows_loaded) == (2, 2)
    assert con.execute("SELECT summary FROM cases ORDER BY case_id").fetchall() == [("twee\nregels",), ("een",)]


def test_values_read_row_by_row_above_the_lookup_limit_read_the_same(con, ingest, write_csv, monkeypatch):
    lines = [HEADER_NL] + [nl_row(f"BC-{i}", received=f"{1 + i % 28:02d}-10-2026", responded=r, outcome="Uitgevoerd",
                                  kind=kind, verified=verified)
                           for i, (r, kind, verified) in enumerate([("20-10-2026", "Inzage", "ja"),
                                                                    ("31/02/2026", " inzage ", "JA"),
                                                                    ("2026-10-21", "Klacht", "nee"),
                                                                    ("45950", "Adreswijziging", "misschien"),
                                                                    ("x", "Bel-me-niet", "")])]
    looked_up = ingest(write_csv("a_2026-10.csv", lines))
    monkeypatch.setattr(lookups, "LOOKUP_LIMIT", 1)
    row_by_row = ingest(write_csv("b_2026-10.csv", [*lines, nl_row("BC-9")]))
    first, second = _dump(con, looked_up.submission_id), _dump(con, row_by_row.submission_id)
    assert second[0][:len(first[0])] == first[0] and second[1] == first[1]
    # 31/02/2026 and x are not dates, nor is 45950 in a CSV (an Excel serial only in a workbook); Adreswijziging
    # and misschien are no known values.
    assert looked_up.parts["cases"]["quarantine_reasons"] == {"bad_date": 3, "unknown_value": 1}
    read = con.execute("SELECT request_type, identity_verified FROM cases WHERE case_id IN ('BC-0', 'BC-2') "
                       "ORDER BY case_id, submission_id").fetchall()
    assert read == [("access", True), ("access", True), ("complaint", False), ("complaint", False)]


def test_a_conflict_keeps_the_rows_other_reasons_and_says_so_last(con, ingest, write_csv):
    result = ingest(write_csv("r_2026-10.csv", [
        HEADER_NL, nl_row("BC-1", received="31/02/2026"), nl_row("BC-1", kind="Klacht"), nl_row("BC-1", kind="Klacht"),
    ]))
    rows = con.execute("SELECT source_row, reasons, messages[-1] FROM quarantine ORDER BY source_row").fetchall()
    conflict = "case id BC-1 appears on several rows with different values"
    assert rows == [(2, ["bad_date", "duplicate_conflict"], conflict), (3, ["duplicate_conflict"], conflict)]
    assert result.parts["cases"]["skipped"] == {"duplicate_row": 1}


def test_sql_pseudonym_helper_is_hmac_sha256():
    p = Pseudonymiser(bytes(range(32)))
    got = duckdb.connect().execute(f"SELECT {sql_pseudonym('v')} FROM (SELECT 'KL-100234' AS v)",
                                   {"ipad": p.ipad, "opad": p.opad}).fetchall()
    assert got == [(hmac.new(bytes(range(32)), b"KL-100234", hashlib.sha256).hexdigest(),)]


@pytest.mark.parametrize("empty_every", [0, 40_000])
def test_a_large_report_is_stored_in_file_order_without_losing_a_row(con, ingest, tmp_path, empty_every):
    # Large enough for DuckDB to stage it on several threads (more than two row groups of 122,880); with empty
    # lines the rows reach staging through a join (their line numbers), which need not keep their order.
    rng = random.Random(7)
    lines = [HEADER_NL]
    for i in range(260_000):
        lines.append(nl_row(f"BC-{i}", received=f"{1 + i % 28:02d}-10-2026", customer=f"KL-{rng.randrange(9000)}",
                            kind=rng.choice(["Inzage", "Klacht", "Uitschrijving", "Raar"])))
        if i % 50_000 == 7:
            lines.append(lines[-1])  # an identical copy: skipped
        if empty_every and i % empty_every == 3:
            lines.append("")  # a blank row of the report
    path = tmp_path / "big_2026-10.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ingest(path, submitted_on=date(2026, 11, 5))
    blank = 7 if empty_every else 0
    assert result.rows_read == 260_006 + blank == result.rows_loaded + result.rows_quarantined + result.rows_skipped
    assert result.parts["cases"]["skipped"] == {"duplicate_row": 6, **({"blank": blank} if blank else {})}
    for table in ("cases", "quarantine"):
        assert con.execute(f"SELECT count(*) FROM (SELECT source_row - lag(source_row) OVER () AS step FROM {table}) "
                           "WHERE step <= 0").fetchall() == [(0,)], table
    assert con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0] == result.rows_quarantined > 60_000
    line = {row.split(";")[0]: n for n, row in enumerate(lines, start=1) if row}
    stored = con.execute("SELECT case_id, source_row FROM cases WHERE case_id IN ('BC-4', 'BC-150000', 'BC-259999') "
                         "UNION ALL SELECT case_id, source_row FROM quarantine WHERE case_id IN "
                         "('BC-4', 'BC-150000', 'BC-259999')").fetchall()
    assert dict(stored) == {k: line[k] for k in ("BC-4", "BC-150000", "BC-259999")}


@pytest.mark.parametrize("chunk", [16, 8 * 1024 * 1024])
def test_a_file_that_stops_being_utf8_is_refused_naming_the_line(con, ingest, tmp_path, monkeypatch, chunk):
    # "€" in UTF-8 is E2 82 AC; the é further down is a lone Windows-1252 byte. Read as Windows-1252 throughout,
    # the first line would turn into "5 â‚¬" (issue 18: mixed encodings are refused, never silently transcoded).
    monkeypatch.setattr(encoding, "CHUNK_BYTES", chunk)
    path = tmp_path / "r_2026-10.csv"
    path.write_bytes((HEADER_NL + ";Notities\n" + nl_row("BC-1") + ";5 €\n").encode("utf-8")
                     + (nl_row("BC-2") + ";café\n").encode("cp1252"))
    with pytest.raises(UnreadableFile, match="mixes encodings: line 3 is not UTF-8"):
        ingest(path)
    assert con.execute("SELECT count(*) FROM cases").fetchall() == [(0,)]

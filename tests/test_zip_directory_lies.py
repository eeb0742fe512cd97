"""An .xlsx whose zip directory lies about sizes (issue 18, item 2): the declared sizes pass the limits, so every
member is unzipped once as a stream, its real bytes counted, and the file refused at the first byte past what the
directory declared, before the workbook reader (fastexcel, which trusts the stream) sees it. The bomb is built here:
1.2 GB of shared strings whose central directory and local header both say 4 KB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ingest.limits import MisstatedSize, check_workbook
from store.limits import Limits
from tests.conftest import ROOT
from tests.hostile import lying_bomb, workbook
from tests.test_limits import MEASURED


@pytest.fixture(scope="module")
def liar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lying_bomb(tmp_path_factory.mktemp("liar") / "belcall_2026-10.xlsx")


def test_the_directory_declares_little_and_passes_the_declared_limits(liar: Path) -> None:
    with zipfile.ZipFile(liar) as archive:
        declared = sum(m.file_size for m in archive.infolist())
    assert declared < 10_000 < liar.stat().st_size < 2 * 1024 * 1024


def test_a_lying_directory_is_refused_in_under_a_second_and_200_mb(liar: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", MEASURED, str(liar), str(tmp_path / "o.duckdb")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    measured = json.loads(done.stdout)
    assert "its part xl/sharedStrings.xml unzips to more than the 4,096 bytes its directory declares" \
        in measured["said"]
    assert "Nothing was read" in measured["said"]
    assert measured["seconds"] < 1
    assert (measured["peak_kb"] - measured["before_kb"]) * 1024 < 200 * 1024 * 1024


def test_the_reader_never_sees_a_lying_workbook(liar: Path, con, monkeypatch: pytest.MonkeyPatch) -> None:
    import fastexcel

    from ingest.service import inspect_report

    def never(*_: object, **__: object) -> None:
        raise AssertionError("the workbook reader was handed a workbook whose directory lies")

    monkeypatch.setattr(fastexcel, "read_excel", never)
    with pytest.raises(MisstatedSize):
        inspect_report(con, liar, processor="Belcall Antwerpen BV")




def test_a_directory_declaring_more_than_the_part_holds_is_refused(tmp_path: Path) -> None:
    book = workbook(tmp_path / "short.xlsx", zip64=False)
    data = bytearray(book.read_bytes())
    with zipfile.ZipFile(book) as archive:
        info = archive.getinfo("xl/workbook.xml")
    data[info.header_offset + 22: info.header_offset + 26] = (info.file_size + 10).to_bytes(4, "little")
    directory = data.rfind(b"xl/workbook.xml") - 46
    assert data[directory: directory + 4] == b"PK\x01\x02"
    data[directory + 24: directory + 28] = (info.file_size + 10).to_bytes(4, "little")
    book.write_bytes(bytes(data))
    with pytest.raises(MisstatedSize, match=r"xl/workbook.xml unzips to \d+ bytes, not the"):
        check_workbook(book, Limits())


def test_a_part_that_does_not_match_its_checksum_is_refused(tmp_path: Path) -> None:
    book = workbook(tmp_path / "crc.xlsx", zip64=False)
    data = bytearray(book.read_bytes())
    directory = data.rfind(b"xl/workbook.xml") - 46
    data[directory + 16: directory + 20] = b"\x00\x00\x00\x00"  # the CRC-32 in the directory
    book.write_bytes(bytes(data))
    with pytest.raises(MisstatedSize, match="checksum"):
        check_workbook(book, Limits())


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_an_honest_workbook_passes_whatever_its_compression(tmp_path: Path, compression: int) -> None:
    book = workbook(tmp_path / "honest.xlsx", shared_bytes=5_000_000)
    again = tmp_path / "again.xlsx"
    with zipfile.ZipFile(book) as source, zipfile.ZipFile(again, "w", compression=compression) as target:
        for member in source.infolist():
            target.writestr(member.filename, source.read(member))
    check_workbook(again, Limits())

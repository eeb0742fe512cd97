"""Bounded resources for every file (issue 18, item 2): each limit checked before the expensive read and refused
with its name and how to raise it; reader errors, Rust panics included, become refusals. The hostile files are built
here (tests/hostile.py); the zip bomb's refusal is timed and measured in a fresh process, as the CLI meets it.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.errors import UnreadableFile
from ingest.limits import LimitExceeded
from ingest.service import inspect_report
from store import limits
from store.errors import ConfigError
from store.users_file import load_config
from tests.conftest import ROOT, config_file
from tests.hostile import long_line_csv, wide_csv, workbook, zip_bomb


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return zip_bomb(tmp_path_factory.mktemp("bomb") / "belcall_2026-10.xlsx")


@pytest.fixture(autouse=True)
def default_limits() -> None:
    limits.configure(limits.Limits())


def oversight(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**base, "PYTHONPATH": str(ROOT), "OVERSIGHT_DEMO": "0", **(env or {})}, timeout=300)


MEASURED = """
import json, re, sys, time
from pathlib import Path
from ingest.errors import IngestError
from ingest.service import inspect_report
from store.db import connect
def peak_kb():  # this program's own high-water mark (ru_maxrss also counts the parent's, inherited at fork)
    return int(re.search(r"VmHWM:\\s*(\\d+)", open("/proc/self/status").read())[1])
con = connect(sys.argv[2])
before = peak_kb()
start = time.perf_counter()
try:
    inspect_report(con, Path(sys.argv[1]), processor="Belcall Antwerpen BV")
    said = None
except IngestError as exc:
    said = str(exc)
print(json.dumps({"seconds": time.perf_counter() - start, "said": said, "before_kb": before,
                  "peak_kb": peak_kb()}))
"""


def test_a_zip_bomb_is_refused_in_under_a_second_and_200_mb(bomb: Path, tmp_path: Path) -> None:
    assert bomb.stat().st_size < 2 * 1024 * 1024  # a small file: the bomb is in its ratio
    done = subprocess.run([sys.executable, "-c", MEASURED, str(bomb), str(tmp_path / "o.duckdb")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    measured = json.loads(done.stdout)
    assert "bytes once unzipped, more than the limit of 1,073,741,824 ([limits] max_uncompressed_bytes" \
        in measured["said"]
    assert "raise the limit there" in measured["said"]
    assert measured["seconds"] < 1
    assert (measured["peak_kb"] - measured["before_kb"]) * 1024 < 200 * 1024 * 1024  # growth while refusing
    assert measured["peak_kb"] * 1024 < 400 * 1024 * 1024  # the whole process, imports included


def test_the_cli_refuses_the_bomb_with_a_message_and_no_traceback(bomb: Path, tmp_path: Path) -> None:
    done = oversight("--db", str(tmp_path / "o.duckdb"), "ingest", str(bomb), "--processor", "Belcall Antwerpen BV",
                     cwd=tmp_path)
    assert done.returncode == 2
    assert "[limits] max_uncompressed_bytes" in done.stderr and "Traceback" not in done.stderr
    assert "Nothing was read" in done.stderr


def test_a_5000_column_csv_is_refused_in_under_two_seconds(con, tmp_path: Path) -> None:
    wide = wide_csv(tmp_path / "belcall_2026-10.csv")
    start = time.perf_counter()
    with pytest.raises(LimitExceeded, match=r"has 5,000 columns, more than the limit of 200 \(\[limits\] "
                                            r"max_columns"):
        inspect_report(con, wide, processor="Belcall Antwerpen BV")
    assert time.perf_counter() - start < 2


def test_a_3_mb_line_is_refused_naming_the_limit_not_duckdb(ingest, tmp_path: Path) -> None:
    with pytest.raises(LimitExceeded) as refused:
        ingest(long_line_csv(tmp_path / "belcall_2026-10.csv"))
    said = str(refused.value)
    assert "has 3,145,7" in said and "bytes in one line" in said and "[limits] max_line_bytes" in said
    assert "read_csv" not in said and "Possible Solution" not in said and str(tmp_path) not in said


@pytest.mark.parametrize(("build", "key"), [
    (lambda p: workbook(p, sheets=25), "max_sheets"),
    (lambda p: workbook(p, dimension="A1:B3000000"), "max_rows"),
    (lambda p: workbook(p, dimension="A1:XFD1048576"), "max_columns"),
    (lambda p: workbook(p, dimension="A1:KZ10"), "max_columns"),
])
def test_a_workbook_is_measured_before_it_is_read(build, key: str, con, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import fastexcel

    def never(*_: object, **__: object) -> None:
        raise AssertionError("the workbook was read before its limits were checked")

    monkeypatch.setattr(fastexcel, "read_excel", never)
    with pytest.raises(LimitExceeded, match=rf"\[limits\] {key}"):
        inspect_report(con, build(tmp_path / "belcall_2026-10.xlsx"), processor="Belcall Antwerpen BV")


def test_rows_and_bytes_limits_come_from_the_configuration(con, tmp_path: Path, write_csv) -> None:
    config = load_config(config_file(tmp_path, "[limits]\nmax_rows = 3\nmax_file_bytes = 100000\n"))
    assert config.limits.max_rows == 3 and config.limits.max_columns == 200
    limits.configure(config.limits)
    rows = ["Dossiernummer;Datum ontvangst;Soort verzoek", *(f"BC-{i};05-10-2026;Inzage" for i in range(5))]
    with pytest.raises(LimitExceeded, match=r"has 6 rows, more than the limit of 3 \(\[limits\] max_rows"):
        inspect_report(con, write_csv("belcall_2026-10.csv", rows), processor="Belcall Antwerpen BV")
    big = tmp_path / "big_2026-10.csv"
    big.write_bytes(b"x" * 100_001)
    with pytest.raises(LimitExceeded, match=r"max_file_bytes"):
        inspect_report(con, big, processor="Belcall Antwerpen BV")


@pytest.mark.parametrize(("text", "said"), [
    ("[limits]\nmax_rowz = 10\n", r"unknown key\(s\) max_rowz"),
    ("[limits]\nmax_rows = 0\n", "must be a whole number above 0"),
    ('[limits]\nmax_rows = "many"\n', "must be a whole number above 0"),
])
def test_limits_that_make_no_sense_are_refused(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(ConfigError, match=said):
        load_config(config_file(tmp_path, text))


def test_a_rust_panic_in_the_workbook_reader_is_a_refusal(con, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import fastexcel

    class PanicException(BaseException):  # pyo3's, raised for a panic inside fastexcel (a BaseException)
        pass

    def panics(*_: object, **__: object) -> None:
        raise PanicException("called `Option::unwrap()` on a `None` value")

    monkeypatch.setattr(fastexcel, "read_excel", panics)
    with pytest.raises(UnreadableFile, match="could not be read as an Excel workbook"):
        inspect_report(con, workbook(tmp_path / "belcall_2026-10.xlsx"), processor="Belcall Antwerpen BV")


def test_the_reports_page_shows_no_preview_of_a_refused_inbox_file(bomb: Path, app_report) -> None:
    from tests.conftest import open_dashboard_page

    inbox = app_report.db.parent / "inbox" / "Belcall Antwerpen BV"
    inbox.mkdir(parents=True)
    (inbox / bomb.name).write_bytes(bomb.read_bytes())
    start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    at = open_dashboard_page("app/reports.py")
    errors = " ".join(e.value for e in at.error)
    assert "[limits] max_uncompressed_bytes" in errors
    assert not any("Ingest" in b.label for b in at.button)  # nothing to ingest from a refused file
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start) * 1024 < 200 * 1024 * 1024

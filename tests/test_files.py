"""store.files.replace_atomically: the target is replaced whole or left as it was; no temporary file stays."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from store import audit
from store.db import transaction
from store.files import replace_atomically

ROOT = Path(__file__).resolve().parent.parent
OLD = b"old contents\n"
NEW = b"new contents\n" * 1000  # 13,000 bytes: larger than the write limit in the failing-write test


class Refused(Exception):
    """What the block raises in these tests, standing in for an audit event that could not be appended."""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "out"
    path.mkdir()
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_the_target_gets_the_new_bytes_and_no_temporary_file_stays(folder: Path) -> None:
    target = folder / "pack.xlsx"
    target.write_bytes(OLD)
    with replace_atomically(target, NEW, new_file_mode=0o600):
        assert target.read_bytes() == OLD  # inside the block the old file is still the one readers see
        assert len(names(folder)) == 2  # and the new bytes wait beside it
    assert target.read_bytes() == NEW
    assert names(folder) == ["pack.xlsx"]


@pytest.mark.parametrize("new_file_mode", [0o600, 0o644])
def test_a_new_file_gets_the_mode_asked_for_whatever_the_umask(folder: Path, new_file_mode: int) -> None:
    target = folder / "oversight.toml"
    previous = os.umask(0o077)
    try:
        with replace_atomically(target, NEW, new_file_mode=new_file_mode):
            pass
    finally:
        os.umask(previous)
    assert (target.read_bytes(), mode(target)) == (NEW, new_file_mode)


@pytest.mark.parametrize("existing_mode", [0o640, 0o400])
def test_an_existing_target_keeps_its_permissions(folder: Path, existing_mode: int) -> None:
    target = folder / "default.toml"
    target.write_bytes(OLD)
    target.chmod(existing_mode)
    with replace_atomically(target, NEW, new_file_mode=0o600):
        pass
    assert (target.read_bytes(), mode(target)) == (NEW, existing_mode)


def test_a_failing_block_leaves_the_target_untouched_and_no_temporary_file(folder: Path) -> None:
    target = folder / "oversight.toml"
    target.write_bytes(OLD)
    with pytest.raises(Refused), replace_atomically(target, NEW, new_file_mode=0o600):
        raise Refused
    assert target.read_bytes() == OLD
    assert names(folder) == ["oversight.toml"]


def test_a_failing_write_leaves_the_target_untouched_and_no_temporary_file(folder: Path) -> None:
    # A real write failure: a child process whose file-size limit (RLIMIT_FSIZE) is below the new contents, as a
    # full disk would stop it. The block never runs.
    target = folder / "pack.xlsx"
    target.write_bytes(OLD)
    child = ("import resource, signal, sys\n"
             "from pathlib import Path\n"
             "from store.files import replace_atomically\n"
             "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
             "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))\n"
             "try:\n"
             "    with replace_atomically(Path(sys.argv[1]), b'new contents\\n' * 1000, new_file_mode=0o600):\n"
             "        print('block ran')\n"
             "except OSError as exc:\n"
             "    print(exc.errno)\n")
    result = subprocess.run([sys.executable, "-c", child, str(target)], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == str(errno.EFBIG)
    assert target.read_bytes() == OLD
    assert names(folder) == ["pack.xlsx"]


def test_a_failing_swap_removes_the_temporary_file(folder: Path) -> None:
    target = folder / "pack.xlsx"
    target.mkdir()  # os.replace cannot put a file over a directory
    (target / "keep").write_bytes(OLD)
    with pytest.raises(IsADirectoryError), replace_atomically(target, NEW, new_file_mode=0o600):
        pass
    assert names(folder) == ["pack.xlsx"]
    assert (target / "keep").read_bytes() == OLD


def test_a_missing_folder_is_refused_and_not_created(folder: Path) -> None:
    target = folder / "no such folder" / "pack.xlsx"
    with pytest.raises(FileNotFoundError), replace_atomically(target, NEW, new_file_mode=0o600):
        pass
    assert names(folder) == []


# --- inside a transaction, as the callers use it ---------------------------------------------------------------------

def test_inside_a_transaction_a_failing_swap_rolls_the_event_back(folder: Path,
                                                                  con: duckdb.DuckDBPyConnection) -> None:
    target = folder / "oversight.toml"
    target.mkdir()
    with pytest.raises(IsADirectoryError), transaction(con), replace_atomically(target, NEW, new_file_mode=0o600):
        audit.append_event(con, user="olivia", role="compliance_officer", action="user.added", obj="user:bob",
                           details={})
    assert audit.count_events(con) == 0
    assert names(folder) == ["oversight.toml"]


def test_inside_a_transaction_a_failing_event_leaves_the_file_untouched(folder: Path,
                                                                        con: duckdb.DuckDBPyConnection) -> None:
    target = folder / "oversight.toml"
    target.write_bytes(OLD)
    with pytest.raises(Refused), transaction(con), replace_atomically(target, NEW, new_file_mode=0o600):
        audit.append_event(con, user="olivia", role="compliance_officer", action="user.added", obj="user:bob",
                           details={})
        raise Refused
    assert audit.count_events(con) == 0
    assert target.read_bytes() == OLD
    assert names(folder) == ["oversight.toml"]


def test_inside_a_transaction_event_and_file_are_both_kept(folder: Path, con: duckdb.DuckDBPyConnection) -> None:
    target = folder / "oversight.toml"
    target.write_bytes(OLD)
    with transaction(con), replace_atomically(target, NEW, new_file_mode=0o600):
        audit.append_event(con, user="olivia", role="compliance_officer", action="user.added", obj="user:bob",
                           details={})
    assert audit.count_events(con) == 1
    assert target.read_bytes() == NEW

"""Keys and files (issue 18, item 7): weak or exposed keys refused with what to do, the database and key created
owner-only, and an inbox that never follows a symbolic link or leaves its folder.

The refusals are shown by the real `oversight ingest` in a fresh process on real key files.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.inbox import InboxFile, OutsideInbox, check_inside, list_inbox, mark_processed
from store.keys import KeyFileRefused, read_key
from tests.conftest import HEADER_NL, ROOT, nl_row

GOOD_KEY = "8f" * 4 + "0123456789abcdef" * 3 + "fedcba98" * 1 + "\n"  # 32 bytes, 30 distinct values


def oversight(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `oversight ARGS` in a fresh interpreter (no OVERSIGHT_* from this process but `env`)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    # Under the usual umask, with which a file is created readable by every local user unless made otherwise.
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**base, "PYTHONPATH": str(ROOT), "OVERSIGHT_DEMO": "0", **env}, timeout=120,
                          umask=0o022)


def report(folder: Path) -> Path:
    path = folder / "belcall_2026-10.csv"
    path.write_text("\n".join([HEADER_NL, nl_row("BC-1")]) + "\n", encoding="utf-8")
    return path


def key_file(folder: Path, text: str, mode: int = 0o600) -> Path:
    path = folder / "oversight.key"
    path.write_text(text, encoding="ascii")
    path.chmod(mode)
    return path


@pytest.mark.parametrize(("text", "mode", "said"), [
    ("", 0o600, "holds 0 byte(s)"),
    ("ab\n", 0o600, "holds 1 byte(s)"),
    ("00" * 32 + "\n", 0o600, "1 distinct value(s)"),
    ("not a key at all\n", 0o600, "does not hold a key written as hex digits"),
    (GOOD_KEY, 0o644, "can be read by other users (mode -rw-r--r--): anyone who reads it"),
])
def test_a_weak_or_exposed_pseudonymisation_key_is_refused_and_nothing_is_written(tmp_path: Path, text: str,
                                                                                  mode: int, said: str) -> None:
    key = key_file(tmp_path, text, mode)
    db = tmp_path / "data" / "oversight.duckdb"
    done = oversight("ingest", "--profile", "default",
                     str(report(tmp_path)), "--processor", "Belcall Antwerpen BV", cwd=tmp_path,
                     env={"OVERSIGHT_DB": str(db), "OVERSIGHT_KEY_FILE": str(key)})
    assert done.returncode == 2, done.stdout + done.stderr
    assert said in done.stderr and "Traceback" not in done.stderr
    assert "chmod 600" in done.stderr if mode == 0o644 else "random bytes" in done.stderr or "Restore" in done.stderr
    listed = oversight("reports", "--format", "json", cwd=tmp_path, env={"OVERSIGHT_DB": str(db)})
    assert listed.stdout.strip() == "[]"


def test_a_key_that_is_a_folder_or_a_link_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "key-folder"
    folder.mkdir()
    with pytest.raises(KeyFileRefused, match="must be a file of its own"):
        read_key(folder / "missing.key", "pseudonymisation key")
    with pytest.raises(KeyFileRefused, match=r"not a regular file|could not be opened"):
        read_key(folder, "pseudonymisation key")
    real = key_file(tmp_path, GOOD_KEY)
    link = tmp_path / "link.key"
    link.symlink_to(real)
    with pytest.raises(KeyFileRefused, match="symbolic link"):
        read_key(link, "pseudonymisation key")
    assert len(read_key(real, "pseudonymisation key")) == 32


def test_the_database_its_folder_and_the_key_are_created_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "data" / "oversight.duckdb"
    key = tmp_path / "data" / "oversight.key"
    done = oversight("ingest", "--profile", "default",
                     str(report(tmp_path)), "--processor", "Belcall Antwerpen BV", cwd=tmp_path,
                     env={"OVERSIGHT_DB": str(db), "OVERSIGHT_KEY_FILE": str(key)})
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(bytes.fromhex(key.read_text().strip())) == 32


# --- the inbox -----------------------------------------------------------------------------------------------------

@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """An inbox with one real report, a link to /etc/passwd named like a report, and a linked folder outside."""
    folder = tmp_path / "inbox"
    (folder / "Belcall Antwerpen BV").mkdir(parents=True)
    report(folder / "Belcall Antwerpen BV")
    (folder / "passwd.csv").symlink_to("/etc/passwd")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret_2026-10.csv").write_text("case_id\nX-1\n", encoding="utf-8")
    (folder / "Linked BV").symlink_to(outside, target_is_directory=True)
    return folder


def test_the_inbox_lists_no_symbolic_link_and_nothing_outside_its_folder(inbox: Path) -> None:
    listed = list_inbox(inbox)
    assert [(f.path.relative_to(inbox).as_posix(), f.processor) for f in listed] == [
        ("Belcall Antwerpen BV/belcall_2026-10.csv", "Belcall Antwerpen BV")]


def test_nothing_is_taken_from_or_moved_through_a_link(inbox: Path, tmp_path: Path) -> None:
    with pytest.raises(OutsideInbox, match="symbolic link"):
        check_inside(inbox, inbox / "passwd.csv")
    with pytest.raises(OutsideInbox, match="not inside the inbox"):
        check_inside(inbox, inbox / ".." / "elsewhere" / "secret_2026-10.csv")
    # A link planted as processed/ would carry ingested reports out of the inbox.
    (inbox / "processed").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    item = list_inbox(inbox)[0]
    with pytest.raises(OutsideInbox, match="symbolic link"):
        mark_processed(inbox, item)
    assert item.path.exists() and not (tmp_path / "elsewhere" / "Belcall Antwerpen BV").exists()
    (inbox / "processed").unlink()
    moved = mark_processed(inbox, item)
    assert moved == inbox / "processed" / "Belcall Antwerpen BV" / "belcall_2026-10.csv" and moved.exists()
    assert list_inbox(inbox) == []
    with pytest.raises(OutsideInbox):
        mark_processed(inbox, InboxFile(inbox / "passwd.csv", None))


def test_the_reports_page_never_shows_a_linked_file(inbox: Path, app_report, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import open_dashboard_page

    app_report.config.write_text(f'[access]\nmode = "local"\n[paths]\ninbox = "{inbox}"\n', encoding="utf-8")
    at = open_dashboard_page("app/reports.py")
    shown = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "belcall_2026-10.csv" in shown
    assert "passwd" not in shown and "secret_2026-10" not in shown and "root:" not in shown

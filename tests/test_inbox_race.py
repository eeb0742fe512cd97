"""The inbox's time-of-check to time-of-use race (issue 18, item 7: the inbox never follows symlinks or leaves its
folder): a file listed as a regular report and swapped for a symbolic link to a file outside the inbox (or for
another file, or a pipe) before it is read is refused, nothing of the other file read. The two steps are called
directly here, and on the Reports page through a hook between listing and reading."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest import inbox as inbox_module
from ingest.inbox import ChangedSinceListed, OutsideInbox, list_inbox, opened
from ingest.service import inspect_report
from tests.conftest import HEADER_NL, nl_row

SECRET = "case_id;secret\nX-1;do not read me\n"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox" / "Belcall Antwerpen BV"
    folder.mkdir(parents=True)
    (folder / "belcall_2026-10.csv").write_text("\n".join([HEADER_NL, nl_row("BC-1")]) + "\n", encoding="utf-8")
    (tmp_path / "secret_2026-10.csv").write_text(SECRET, encoding="utf-8")
    return tmp_path / "inbox"


def swap_for_link(path: Path) -> None:
    """What someone with write access to the inbox does between the listing and the read."""
    target = path.parent.parent.parent / "secret_2026-10.csv"
    path.unlink()
    path.symlink_to(target)


def test_the_listed_file_is_read_through_one_descriptor_as_a_private_copy(inbox: Path, con) -> None:
    [item] = list_inbox(inbox)
    assert item.identity == (item.path.lstat().st_dev, item.path.lstat().st_ino)
    with opened(item) as copy:
        assert copy.name == item.path.name and copy.read_bytes() == item.path.read_bytes()
        assert copy.parent.stat().st_mode & 0o077 == 0  # a folder only this user can read
        assert inspect_report(con, copy, processor="Belcall Antwerpen BV").parts
    assert not copy.exists() and item.path.exists()


def test_a_file_swapped_for_a_link_after_listing_is_refused(inbox: Path) -> None:
    [item] = list_inbox(inbox)
    swap_for_link(item.path)
    with pytest.raises(OutsideInbox, match="symbolic link") as refused, opened(item) as copy:
        pytest.fail(f"read {copy.read_text()!r} through a link")
    assert "do not read me" not in str(refused.value)


def test_a_link_swapped_in_after_the_path_was_checked_is_not_followed(inbox: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The narrowest window: after check_inside looked at the path, before the file is opened (O_NOFOLLOW)."""
    [item] = list_inbox(inbox)
    checked = inbox_module.check_inside

    def check_then_swap(folder: Path, path: Path) -> Path:
        found = checked(folder, path)
        swap_for_link(path)
        return found

    monkeypatch.setattr(inbox_module, "check_inside", check_then_swap)
    with pytest.raises(ChangedSinceListed, match=r"could not be opened in the inbox .*symbolic link"), opened(item):
        pytest.fail("followed a link")


def test_a_file_swapped_for_another_file_after_listing_is_refused(inbox: Path) -> None:
    [item] = list_inbox(inbox)
    replacement = item.path.with_name("other.tmp")
    replacement.write_text(SECRET, encoding="utf-8")
    os.replace(replacement, item.path)  # the same name, another inode
    with pytest.raises(ChangedSinceListed, match="replaced in the inbox since it was listed"), opened(item):
        pytest.fail("read a file the listing never saw")


def test_a_file_swapped_for_a_pipe_is_refused_without_waiting(inbox: Path) -> None:
    [item] = list_inbox(inbox)
    item.path.unlink()
    os.mkfifo(item.path)  # opening a pipe for reading blocks until a writer comes; O_NONBLOCK does not
    with pytest.raises(ChangedSinceListed), opened(item):
        pytest.fail("read a pipe")


def test_a_folder_swapped_for_a_link_after_listing_is_refused(inbox: Path, tmp_path: Path) -> None:
    [item] = list_inbox(inbox)
    elsewhere = tmp_path / "elsewhere"
    (inbox / "Belcall Antwerpen BV").rename(elsewhere)
    (inbox / "Belcall Antwerpen BV").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(OutsideInbox, match="symbolic link"), opened(item):
        pytest.fail("read through a linked folder")


def test_the_reports_page_reads_the_listed_file_not_a_link_swapped_in(
        inbox: Path, app_report, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.widgets
    from tests.conftest import open_dashboard_page

    app_report.config.write_text(f'[access]\nmode = "local"\n[paths]\ninbox = "{inbox}"\n', encoding="utf-8")
    swapped: list[Path] = []

    def swap_then_open(item: inbox_module.InboxFile) -> object:
        if not swapped:
            swap_for_link(item.path)
            swapped.append(item.path)
        return opened(item)

    monkeypatch.setattr(app.widgets, "opened", swap_then_open)
    at = open_dashboard_page("app/reports.py")
    assert swapped, "the page never read the inbox file"
    errors = " ".join(e.value for e in at.error)
    assert "symbolic link" in errors and "which the inbox never follows" in errors
    shown = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption) + errors
    assert "do not read me" not in shown and "secret" not in shown

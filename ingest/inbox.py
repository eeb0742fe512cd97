"""The inbox folder: reports dropped there (by a transfer job) are offered for ingest in the dashboard.

`data/inbox/` by default; a sub-folder names the processor (`data/inbox/Belcall Antwerpen BV/2026-10.csv`).
Ingested files move to `processed/` so they are not offered twice.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from store import postgres
from store.errors import StoreError
from store.identity import Config
from store.limits import current as current_limits

SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")


@dataclass(frozen=True)
class InboxFile:
    """A file waiting in the inbox."""

    path: Path
    processor: str | None  # from the sub-folder name, if any
    # (st_dev, st_ino) of the file when it was listed (lstat): the file read later must be that same file
    identity: tuple[int, int] | None = field(default=None, compare=False)
    folder: Path | None = field(default=None, compare=False)  # the inbox it was listed in


def inbox_dir(config: Config, db_path: Path | str) -> Path:
    """Return the inbox folder: from the configuration, else `inbox/` beside the database (a PostgreSQL store has
    nothing beside it: its inbox must be configured)."""
    if config.inbox is not None:
        return config.inbox
    if postgres.is_url(db_path):
        raise postgres.NothingBesideUrl("inbox folder", "set [paths] inbox in the configuration file")
    return Path(db_path).parent / "inbox"


class OutsideInbox(StoreError):
    """A path offered from the inbox is a symbolic link or leads out of the inbox folder."""


def list_inbox(folder: Path) -> list[InboxFile]:
    """Return the report files waiting in the inbox, oldest first: regular files only, never through a symbolic link
    (a link dropped in the inbox could point anywhere the dashboard can read: /etc/passwd, other data)."""
    if not folder.is_dir():
        return []
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not (here / d).is_symlink() and not (here == folder and d == "processed"))
        for name in files:
            path = here / name
            if path.suffix.lower() not in SUFFIXES or path.is_symlink() or not path.is_file():
                continue
            relative = path.relative_to(folder)
            listed = path.lstat()
            found.append(InboxFile(path, relative.parts[0] if len(relative.parts) > 1 else None,
                                   (listed.st_dev, listed.st_ino), folder))
    return sorted(found, key=lambda f: (f.path.lstat().st_mtime, str(f.path)))


def check_inside(folder: Path, path: Path) -> Path:
    """Return `path` (absolute) if it lies in the inbox folder with no symbolic link on the way; refuse it otherwise."""
    base, absolute = Path(os.path.abspath(folder)), Path(os.path.abspath(path))  # `..` resolved, links not
    if not absolute.is_relative_to(base):
        raise OutsideInbox(f"{path} is not inside the inbox {folder}; only files in that folder are offered.")
    step = base
    for part in absolute.relative_to(base).parts:
        step = step / part
        if step.is_symlink():
            raise OutsideInbox(f"{path} goes through the symbolic link {step}, which the inbox never follows. Put "
                               "the report file itself in the inbox.")
    return absolute


class ChangedSinceListed(OutsideInbox):
    """The inbox file was replaced between listing and reading (by another file, a link, a pipe or a device)."""


READ_CHUNK = 1024 * 1024


@contextmanager
def opened(item: InboxFile) -> Iterator[Path]:
    """Yield a private copy of an inbox file, read from one descriptor that is the very file the listing saw.

    Between listing and reading, whoever can write to the inbox can swap the file for a link to /etc/passwd or other
    data (a time-of-check to time-of-use race): checking the path and then opening it again by name would follow the
    link. So the file is opened once without following a final link (O_NOFOLLOW; a link on the way is refused by
    check_inside) and without blocking on a pipe (O_NONBLOCK), its descriptor checked (fstat: a regular file, the
    same device and inode as the listing's lstat), and copied from that descriptor into a folder only this user can
    read; the readers then read the copy, under the report's own name. At most one byte past [limits]
    max_file_bytes is copied, so an over-large file is refused by the readers' size limit without filling the disk.
    """
    folder = item.folder if item.folder is not None else item.path.parent
    path = check_inside(folder, item.path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ChangedSinceListed(f"{item.path.name} could not be opened in the inbox ({exc.strerror}): it is a "
                                 "symbolic link or was moved since the inbox was listed. Nothing was read; put the "
                                 "report file itself in the inbox.") from None
    workdir = Path(tempfile.mkdtemp(prefix="oversight-inbox-"))  # mode 0700 (tempfile)
    try:
        with os.fdopen(fd, "rb") as source:
            found = os.fstat(source.fileno())
            if not stat.S_ISREG(found.st_mode) or (
                    item.identity is not None and (found.st_dev, found.st_ino) != item.identity):
                raise ChangedSinceListed(f"{item.path.name} was replaced in the inbox since it was listed (it is no "
                                         "longer the same regular file). Nothing was read; reload the page to see "
                                         "the inbox as it is now.")
            copy = workdir / item.path.name
            budget = current_limits().max_file_bytes + 1
            with copy.open("xb") as target:
                while budget > 0 and (chunk := source.read(min(READ_CHUNK, budget))):
                    target.write(chunk)
                    budget -= len(chunk)
        yield copy
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def mark_processed(folder: Path, item: InboxFile) -> Path:
    """Move an ingested file to processed/ (keeping its sub-folder) and return the new path; nothing is moved through
    a symbolic link, in or out."""
    source = check_inside(folder, item.path)
    target = check_inside(folder, folder / "processed" / item.path.relative_to(folder))
    target.parent.mkdir(parents=True, exist_ok=True)
    check_inside(folder, target)  # a link planted under processed/ while the folders were made
    os.replace(source, target)  # one file system (both in the inbox): a rename, never a copy through a link
    return target


"""The inbox folder: reports dropped there (by a transfer job) are offered for ingest in the dashboard.

`data/inbox/` by default; a sub-folder names the processor (`data/inbox/Belcall Antwerpen BV/2026-10.csv`).
Ingested files move to `processed/` so they are not offered twice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from store.errors import StoreError
from store.identity import Config

SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")


@dataclass(frozen=True)
class InboxFile:
    """A file waiting in the inbox."""

    path: Path
    processor: str | None  # from the sub-folder name, if any


def inbox_dir(config: Config, db_path: Path) -> Path:
    """Return the inbox folder: from the configuration, else `inbox/` beside the database."""
    return config.inbox or Path(db_path).parent / "inbox"


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
            found.append(InboxFile(path, relative.parts[0] if len(relative.parts) > 1 else None))
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


def mark_processed(folder: Path, item: InboxFile) -> Path:
    """Move an ingested file to processed/ (keeping its sub-folder) and return the new path; nothing is moved through
    a symbolic link, in or out."""
    source = check_inside(folder, item.path)
    target = check_inside(folder, folder / "processed" / item.path.relative_to(folder))
    target.parent.mkdir(parents=True, exist_ok=True)
    check_inside(folder, target)  # a link planted under processed/ while the folders were made
    os.replace(source, target)  # one file system (both in the inbox): a rename, never a copy through a link
    return target


"""The inbox folder: reports dropped there (by a transfer job) are offered for ingest in the dashboard.

`data/inbox/` by default; a sub-folder names the processor (`data/inbox/Belcall Antwerpen BV/2026-10.csv`).
Ingested files move to `processed/` so they are not offered twice.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

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


def list_inbox(folder: Path) -> list[InboxFile]:
    """Return the report files waiting in the inbox, oldest first."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if not path.is_file() or path.suffix.lower() not in SUFFIXES or relative.parts[0] == "processed":
            continue
        found.append(InboxFile(path, relative.parts[0] if len(relative.parts) > 1 else None))
    return sorted(found, key=lambda f: (f.path.stat().st_mtime, str(f.path)))


def mark_processed(folder: Path, item: InboxFile) -> Path:
    """Move an ingested file to processed/ (keeping its sub-folder) and return the new path."""
    target = folder / "processed" / item.path.relative_to(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(item.path), target)
    return target

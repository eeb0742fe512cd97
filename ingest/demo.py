"""The demo: load sample_reports/ (in manifest order) so a first run shows something true."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import duckdb

from ingest.service import IngestResult, ingest_report
from store.identity import User, require

# Package data (the sample_reports package), found the same way in a checkout and in an installed wheel.
SAMPLE_DIR = Path(str(resources.files("sample_reports")))


@dataclass(frozen=True)
class DemoReport:
    """One manifest entry."""

    path: Path
    processor: str
    period: str | None
    submitted_on: date | None
    note: str | None


def manifest(sample_dir: Path = SAMPLE_DIR) -> list[DemoReport]:
    """Read sample_reports/manifest.toml: the reports in the order they are loaded."""
    data = tomllib.loads((sample_dir / "manifest.toml").read_text(encoding="utf-8"))
    return [
        DemoReport(sample_dir / entry["file"], entry["processor"], entry.get("period"),
                   _as_date(entry.get("submitted_on")), entry.get("note"))
        for entry in data["report"]
    ]


def _as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def load_demo(con: duckdb.DuckDBPyConnection, *, user: User, key_path: Path,
              sample_dir: Path = SAMPLE_DIR) -> list[IngestResult]:
    """Ingest every demo report; files already loaded come back as duplicates."""
    require(user, "load the demo reports")
    return [
        ingest_report(con, r.path, user=user, key_path=key_path, processor=r.processor, period=r.period,
                      submitted_on=r.submitted_on)
        for r in manifest(sample_dir)
    ]

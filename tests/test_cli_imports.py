"""The command line starts at once: a command imports only what it needs (cli.py's lazy commands).

Each command runs in a fresh interpreter, as a user's shell runs it, and reports which heavy libraries it imported;
the first visit to the dashboard must not wait for SciPy either.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

HEAVY = ("pandas", "scipy", "openpyxl", "streamlit", "altair")
ROOT = Path(__file__).resolve().parent.parent

# Runs `oversight ARGS` in this interpreter and prints, at exit, the heavy modules it imported (as JSON, on stderr's
# last line: the command's own output stays on stdout).
PROBE = """
import atexit, json, sys
heavy = json.loads(sys.argv[1])
atexit.register(lambda: print(json.dumps(sorted(m for m in heavy if m in sys.modules)), file=sys.stderr))
sys.argv = ["oversight", *sys.argv[2:]]
from cli import main
main()
"""


def imported_by(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, list[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(HEAVY), *args], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=120)
    return done.returncode, done.stdout, json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["deadline", "2026-01-31"],
                                  ["deadline", "2026-01-31", "--profile", "fr", "--format", "json"],
                                  ["profile", "show", "nl"], ["sample", "--help"], ["findings", "--help"]],
                         ids=" ".join)
def test_light_commands_import_no_heavy_library(args, tmp_path):
    code, out, heavy = imported_by(*args, cwd=tmp_path)
    assert code == 0, out
    assert heavy == []


def test_profile_list_reads_the_database_without_heavy_libraries(tmp_path):
    code, out, heavy = imported_by("--db", str(tmp_path / "o.duckdb"), "profile", "list", "--format", "json",
                                   cwd=tmp_path)
    assert code == 0
    assert [p["name"] for p in json.loads(out)] == ["default", "fr", "nl"]
    # DuckDB 1.5.5 (the postgres extra's pin) imports pandas itself at the first query with parameters (measured:
    # `con.execute('select ?', [1])` puts pandas in sys.modules); 2.0, the default install, does not.
    assert heavy == (["pandas"] if duckdb.__version__.startswith("1.") else [])


def test_the_probe_sees_a_heavy_import_when_there_is_one(tmp_path):
    # The check run needs pandas: if the probe did not see it, the tests above would prove nothing.
    db = str(tmp_path / "o.duckdb")
    assert imported_by("--db", db, "demo", cwd=tmp_path)[0] == 0
    code, _, heavy = imported_by("--db", db, "check", cwd=tmp_path)
    assert code == 0 and "pandas" in heavy


def test_first_visit_to_the_dashboard_does_not_import_scipy(tmp_path):
    # The Overview on a first start (demo reports loaded): SciPy is for sample sizes and limits, on Spot checks only.
    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(ROOT / 'dashboard.py')!r}, default_timeout=120).run()\n"
        "assert not at.exception, [e.value for e in at.exception]\n"
        "print('scipy' in sys.modules, 'pandas' in sys.modules)\n"
    )
    (tmp_path / "oversight.toml").write_text("", encoding="utf-8")
    env = {**os.environ, "OVERSIGHT_DB": str(tmp_path / "o.duckdb"), "OVERSIGHT_KEY_FILE": str(tmp_path / "o.key"),
           "OVERSIGHT_CONFIG": str(tmp_path / "oversight.toml")}
    env.pop("OVERSIGHT_DEMO", None)
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False", "True"]  # pandas: the page did render its tables

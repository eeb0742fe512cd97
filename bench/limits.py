"""Hostile-file benchmark (issue 18, item 2; run by `make bench`, never by `make test`).

Builds the hostile files of tests/hostile.py in bench/out/ — a shared-strings zip bomb (1.2 GB once unzipped, about
1.2 MB on disk), a 5,000-column CSV, a CSV with a 3 MB line — and ingests each in a fresh process as `oversight ingest`
does, with the default limits. Prints, per file, the seconds the refusal took (from the call, the
process's imports excluded), the growth of the peak memory (RSS) during it, the whole process's peak, and the message.
Targets: the bomb refused in under 1 s and 200 MB, the 5,000 columns refused or read in under 2 s. A bomb whose zip
directory lies about its sizes (declared 4 KB) is refused under the same targets.

Then "ingest cost stays linear in columns": the same report of WIDTH_ROWS rows at 50, 100 and 200 columns (the
default [limits] max_columns) ingested side by side, each in a fresh process, best of WIDTH_RUNS; printed with the
cost per column and each width's cost per column relative to the narrowest. Target: at 200 columns no more than
LINEAR_SLACK times the cost per column at 50 (a fixed cost per file makes the wider ones cheaper per column; a
super-linear step would make them dearer).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

from tests.hostile import long_line_csv, lying_bomb, wide_csv, zip_bomb  # noqa: E402  (the repository is on the path)

MEASURED = """
import json, re, sys, time
from datetime import date
from pathlib import Path
from ingest.errors import IngestError
from ingest.service import ingest_report
from store.db import connect
from store.identity import ROLES, User
def peak_kb():  # this program's own high-water mark (ru_maxrss also counts the parent's, inherited at fork)
    return int(re.search(r"VmHWM:\\s*(\\d+)", open("/proc/self/status").read())[1])
con = connect(sys.argv[2])
before = peak_kb()
start = time.perf_counter()
try:
    ingest_report(con, Path(sys.argv[1]), user=User("bench", ROLES), key_path=Path(sys.argv[2]).with_suffix(".key"),
                  processor="Bench BV", submitted_on=date(2026, 11, 5))
    said = "read"
except IngestError as exc:
    said = str(exc)
print(json.dumps({"seconds": time.perf_counter() - start, "said": said,
                  "growth_mb": (peak_kb() - before) / 1024, "peak_mb": peak_kb() / 1024}))
"""
TARGETS = {"zip bomb": (1.0, 200.0), "lying zip bomb": (1.0, 200.0), "5,000 columns": (2.0, None),
           "3 MB line": (2.0, None)}
WIDTHS = (50, 100, 200)  # 200: the default [limits] max_columns
WIDTH_ROWS = 20_000
WIDTH_RUNS = 3
LINEAR_SLACK = 1.5


def measure(path: Path) -> dict[str, object]:
    db = OUT / "limits.duckdb"
    db.unlink(missing_ok=True)
    done = subprocess.run([sys.executable, "-c", MEASURED, str(path), str(db)], cwd=ROOT, capture_output=True,
                          text=True, check=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    return json.loads(done.stdout)


def columns_cost() -> bool:
    """Ingest the same report at each of WIDTHS columns (fresh process, best of WIDTH_RUNS); print the seconds, the
    milliseconds per column and the ratio per column to the narrowest; return whether the cost stays linear."""
    seconds = {}
    for width in WIDTHS:
        path = wide_csv(OUT / f"width{width}_2026-10.csv", columns=width, rows=WIDTH_ROWS)
        runs = [measure(path) for _ in range(WIDTH_RUNS)]
        assert all(r["said"] == "read" for r in runs), runs[0]["said"]
        seconds[width] = min(float(r["seconds"]) for r in runs)
    base = seconds[WIDTHS[0]] / WIDTHS[0]
    for width, taken in seconds.items():
        print(f"{width:4} columns x {WIDTH_ROWS:,} rows  ingested in {taken:.3f} s  {taken / width * 1000:6.2f} ms per "
              f"column  ratio per column {taken / width / base:.2f}")
    linear = seconds[WIDTHS[-1]] / WIDTHS[-1] <= LINEAR_SLACK * base
    print(f"cost per column at {WIDTHS[-1]} vs {WIDTHS[0]} columns: {seconds[WIDTHS[-1]] / WIDTHS[-1] / base:.2f} "
          f"(target <= {LINEAR_SLACK}): {'linear' if linear else 'NOT linear'}")
    return linear


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    files = {"zip bomb": zip_bomb(OUT / "bomb_2026-10.xlsx"), "lying zip bomb": lying_bomb(OUT / "liar_2026-10.xlsx"),
             "5,000 columns": wide_csv(OUT / "wide_2026-10.csv"), "3 MB line": long_line_csv(OUT / "long_2026-10.csv")}
    met = True
    for name, path in files.items():
        result = measure(path)
        seconds_target, memory_target = TARGETS[name]
        ok = result["seconds"] < seconds_target and (memory_target is None or result["growth_mb"] < memory_target)
        met = met and ok
        print(f"{name:15} {path.stat().st_size / 1e6:8.2f} MB on disk  refused in {result['seconds']:.3f} s  "
              f"memory +{result['growth_mb']:.0f} MB (process peak {result['peak_mb']:.0f} MB)  "
              f"{'met' if ok else 'NOT met'}\n    {str(result['said'])[:160]}")
    met = columns_cost() and met
    print("targets:", "met" if met else "NOT met")


if __name__ == "__main__":
    main()

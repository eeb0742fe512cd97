"""Check-catalog benchmark (run by `make bench`, never by `make test`).

Builds databases of 100,000 and 1,000,000 requests over 12 months for 3 processors with bench/data.py (cached in
bench/out/ and rebuilt only when the generator or its arguments change), then runs the full catalog over every report
(`run_checks` with no filter: 36 reports, each as of the end of its month) several times, each on a fresh copy of the
cached file in a fresh process. Prints, per size, the seconds of each stage (the sources the checks read, each check,
storing the run) as the minimum over the repeats, the total wall and CPU seconds, and the growth from the small size
to the large one. Target on a 2-core machine (issue 3, docs/architecture.md "Scale"): the full catalog over 1,000,000
cases in under 10 s, growing roughly linearly. The machine is shared: read the minimum, and compare wall with CPU.

    .venv/bin/python bench/checks.py [--sizes 100000 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path, and bench/checks.py would shadow the `checks` package.
sys.path[0] = str(ROOT)

from bench.data import build, matches  # noqa: E402

OUT = ROOT / "bench" / "out"
MONTHS, PROCESSORS, START = 12, 3, "2025-01"
TARGET_SECONDS = 10.0

RUN = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from checks.runner import run_checks
from store.db import connect
from store.identity import User
con = connect({db!r})
wall, cpu = time.perf_counter(), time.process_time()
result = run_checks(con, User("bench", ("compliance_officer",), False))
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
rows = con.execute("SELECT count(*) FROM report_cases").fetchall()[0][0]
print(json.dumps({{"wall": wall, "cpu": cpu, "stages": result.seconds, "exceptions": result.exceptions,
                  "errors": result.errors, "reports": len(result.reports), "rows": rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def cached(cases: int) -> Path:
    """The benchmark database for this size, built once per generator version."""
    path = OUT / f"checks_{cases}.duckdb"
    if not matches(path, cases=cases, months=MONTHS, processors=PROCESSORS, start=START):
        print(f"building {path.name}: {cases:,} requests, {MONTHS} months, {PROCESSORS} processors ...", flush=True)
        built = build(path, cases=cases, months=MONTHS, processors=PROCESSORS, start=START)
        print(f"  {built.rows:,} case rows in {built.reports} reports, {built.seconds:.1f} s", flush=True)
    return path


def run_once(source: Path) -> dict[str, object]:
    """Run the whole catalog on a fresh copy of `source` in a fresh interpreter; return its measurements."""
    work = OUT / "checks_run.duckdb"
    work.with_name(work.name + ".wal").unlink(missing_ok=True)
    shutil.copyfile(source, work)
    code = textwrap.dedent(RUN).format(root=str(ROOT), db=str(work))
    load = os.getloadavg()[0]  # other work on the machine shows up in wall time, not in CPU time
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"the check run failed:\n{done.stderr}")
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "load": load}


def measure(cases: int, repeats: int) -> dict[str, object]:
    """Minimum wall seconds per stage and in total over `repeats` runs (stages: sources, each check, store)."""
    source = cached(cases)
    runs = [run_once(source) for _ in range(repeats)]
    for r in runs:
        stages = r["stages"]
        stages["store and scope"] = r["wall"] - sum(stages.values())
        if r["errors"]:
            raise SystemExit(f"{r['errors']} check(s) failed on the {cases:,}-case database; run `oversight check`.")
    best = min(runs, key=lambda r: r["wall"])
    return {"cases": cases, "rows": best["rows"], "reports": best["reports"], "exceptions": best["exceptions"],
            "wall": best["wall"], "cpu": min(r["cpu"] for r in runs),
            "walls": [(r["wall"], r["load"]) for r in runs],
            "peak_mb": max(r["peak_mb"] for r in runs),
            "stages": {k: min(r["stages"][k] for r in runs) for k in best["stages"]}}


def report(results: list[dict[str, object]]) -> None:
    stages = list(results[0]["stages"])
    width = max(len(s) for s in stages)
    print("\n" + f"{'stage':<{width}}" + "".join(f"{r['cases']:>12,}" for r in results)
          + ("       ratio" if len(results) > 1 else ""))
    ordered = sorted(stages, key=lambda s: -results[-1]["stages"][s])
    for stage in ordered:
        line = f"{stage:<{width}}" + "".join(f"{r['stages'][stage]:>11.3f}s" for r in results)
        if len(results) > 1 and results[0]["stages"][stage] > 0.001:
            line += f"{results[-1]['stages'][stage] / results[0]['stages'][stage]:>11.1f}x"
        print(line)
    for r in results:
        print(f"\n{r['cases']:,} requests = {r['rows']:,} case rows in {r['reports']} reports, "
              f"{r['exceptions']:,} exceptions: full catalog {r['wall']:.2f} s wall, {r['cpu']:.2f} s CPU, "
              f"peak {r['peak_mb']:.0f} MB; runs (wall s @ load average): "
              + ", ".join(f"{w:.2f} @ {load:.1f}" for w, load in r["walls"]))
    big = results[-1]
    if big["cases"] >= 1_000_000:
        verdict = "met" if big["wall"] < TARGET_SECONDS else "NOT met"
        print(f"target: full catalog over {big['cases']:,} cases under {TARGET_SECONDS:.0f} s: {verdict}")
    if len(results) > 1:
        small = results[0]
        print(f"growth: {big['rows'] / small['rows']:.1f}x the case rows took {big['wall'] / small['wall']:.1f}x "
              f"the wall time and {big['cpu'] / small['cpu']:.1f}x the CPU time (linear = "
              f"{big['rows'] / small['rows']:.1f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="requests per database")
    parser.add_argument("--repeats", type=int, default=3, help="runs per size; the minimum is reported")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results = [measure(cases, args.repeats) for cases in sorted(args.sizes)]
    report(results)


if __name__ == "__main__":
    main()

"""Spot-check draw benchmark (run by `make bench`, never by `make test`).

Builds a DuckDB file whose one current report holds 1,000,000 cases (generated in SQL with range(); cached in
bench/out/), then times in a fresh process each: plan + simple random draw of the planned n (the target: under 5 s
on the 2-core machine), a stratified draw (by request type, key items = refusals), and `verify` (the Python
reference recomputing the random draw). About 4 % of the cases are refusals (fully or partly), so the
stratified draw also takes some 40,000 key items. Prints seconds and peak memory (RSS).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CASES = 1_000_000
DB = OUT / f"spot_{CASES}.duckdb"
PROCESSOR, PERIOD = "Bench BV", "2026-10"

BUILD = """
from pathlib import Path
from store.db import connect
path = Path({db!r}).with_suffix(".building")  # renamed when complete, so a failed build is not reused
path.unlink(missing_ok=True)
con = connect(path)
con.execute("INSERT INTO processors (name, created_at) VALUES (?, now())", [{processor!r}])
con.execute('''INSERT INTO submissions (processor_id, period, kind, file_name, sha256, format, submitted_on,
                   submitted_on_source, ingested_at, ingested_by, rows_read, rows_loaded, rows_quarantined,
                   rows_skipped, counts, extras, notes, status)
               VALUES (1, ?, 'cases', 'bench.csv', 'x', 'csv', DATE '2026-11-05', 'bench', now(), 'bench', ?, ?,
                       0, 0, '{{}}', [], [], 'current')''', [{period!r}, {cases}, {cases}])
types = ['access', 'erasure', 'marketing_opt_out', 'rectification', 'objection', 'complaint', 'consent_withdrawal']
con.execute('''INSERT INTO cases (submission_id, source_row, case_id, received_on, request_type, channel,
                                  agent_id, outcome, responded_on)
               SELECT 1, i + 2, 'BC-' || lpad(CAST(i AS VARCHAR), 7, '0'), DATE '2026-10-01' + CAST(i % 31 AS INTEGER),
                      $types[CAST(1 + hash(i, 1) % 7 AS INTEGER)], 'phone',
                      'AG-' || lpad(CAST(hash(i, 2) % 80 AS VARCHAR), 3, '0'),
                      CASE WHEN hash(i, 3) % 100 < 2 THEN 'refused'
                           WHEN hash(i, 3) % 100 < 4 THEN 'partially_fulfilled'
                           WHEN hash(i, 3) % 100 < 90 THEN 'fulfilled' END, DATE '2026-10-20'
               FROM range({cases}) t(i)''', {{"types": types}})
con.close()
path.rename(Path({db!r}))
seconds = 0.0
"""

DRAW = """
from pathlib import Path
from spotchecks.plan import plan_sample
from spotchecks.samples import draw_sample
from store.db import connect
from store.identity import ROLES, User
con = connect(Path({db!r}))
t = time.perf_counter()
plan = plan_sample("0.95", "0.05", "0.01")
result = draw_sample(con, User("bench", ROLES), processor={processor!r}, period={period!r}, size=plan.n,
                     confidence="0.95", tolerable="0.05", expected="0.01", seed="bench-seed"{extra})
seconds = time.perf_counter() - t
assert result.population.size == {cases} and len(result.random_part) == plan.n
Path({db!r}).with_suffix(".last").write_text(result.sample_id)
"""

VERIFY = """
from pathlib import Path
from spotchecks.verify import verify_sample
from store.db import connect
con = connect(Path({db!r}))
sample_id = Path({db!r}).with_suffix(".last").read_text()
t = time.perf_counter()
check = verify_sample(con, sample_id)
seconds = time.perf_counter() - t
assert check.matches, check.problems
"""


def measure(code: str) -> dict[str, float]:
    """Run code in a fresh interpreter; it sets `seconds`. Return seconds and peak RSS (MB)."""
    wrapper = textwrap.dedent("""
        import json, resource, sys, time
        sys.path.insert(0, {root!r})
        {code}
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({{"seconds": seconds, "peak_mb": peak}}))
    """).format(root=str(ROOT), code=textwrap.indent(textwrap.dedent(code), ""))
    done = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    out = done.stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    fmt = {"db": str(DB), "processor": PROCESSOR, "period": PERIOD, "cases": CASES}
    if not DB.exists():
        print(f"generating {DB.name} ({CASES:,} cases in one report) ...", flush=True)
        measure(BUILD.format(**fmt))
    random = measure(DRAW.format(extra="", **fmt))
    verify = measure(VERIFY.format(**fmt))
    stratified = measure(DRAW.format(extra=', method="stratified", by="request_type", key_items="refusals"', **fmt))
    print(f"Spot check, {CASES:,} cases: plan + random draw of 93 {random['seconds']:.2f} s (target < 5 s), "
          f"peak {random['peak_mb']:.0f} MB; stratified draw with key items {stratified['seconds']:.2f} s; "
          f"verify (Python reference) {verify['seconds']:.2f} s, peak {verify['peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()

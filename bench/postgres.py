"""PostgreSQL-store benchmark (run by `make bench-postgres`, never by `make test`; issue 16).

Measures, side by side in one run, the embedded DuckDB file and the PostgreSQL store (DuckDB attached to a
PostgreSQL server through its postgres extension) on the two heavy jobs:

- ingest of the 1,000,000-row CSV of bench/ingest.py (its `INGEST` code, cached CSV in bench/out/): the embedded side
  into a new DuckDB file, the PostgreSQL side into a new database copied from an already-migrated template (so
  neither side pays for creating its schema);
- the full check run at 1,000,000 requests (bench/checks.py's `RUN` code on its cached database, 36 reports): the
  embedded side on a fresh copy of the file, the PostgreSQL side on a fresh copy (CREATE DATABASE ... TEMPLATE) of a
  database the file's tables were copied into once at the start, then vacuumed and analysed as autovacuum would
  have done on a server in use (neither timed; the time they took is printed; `--no-vacuum` skips the VACUUM).

Each side runs in a fresh process: the embedded side with the default install's interpreter (`--embedded-python`,
DuckDB 2.0), the PostgreSQL side with this one (the `postgres` extra: DuckDB 1.5.5 and its extension). Each round
runs both one after the other, so a round's ratio (PostgreSQL / embedded) compares runs made under the same load;
rounds are repeated (`--rounds`, default 3) and the minimum and median are printed, with CPU seconds and peak memory
(the client process's peak RSS; the server's, sampled, is printed beside it when the cluster is our own). Both sides
must agree: the rows loaded by the ingest and the exceptions found by the check run. The server is a throw-away
cluster (tests/pgcluster.py; OVERSIGHT_TEST_POSTGRES=postgresql://USER@HOST:PORT/ uses a running one instead). Results
go to bench/out/postgres.json as well. Targets on a 2-core machine: PostgreSQL within 3x of the embedded store on
the default install for both jobs (judged on the median of the rounds' ratios), peak memory under 4 GB.

    .venv-postgres/bin/python bench/postgres.py --embedded-python .venv/bin/python [--rounds N] [--only ingest|checks]
                                            [--no-vacuum]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path, and bench/checks.py would shadow the `checks` package.
sys.path[0] = str(ROOT)

from bench.checks import RUN  # noqa: E402
from bench.ingest import CSV_ROWS, INGEST, make_csv  # noqa: E402
from tests import pgcluster  # noqa: E402

OUT = ROOT / "bench" / "out"
WORK = OUT / "postgres"  # this benchmark's own files, apart from bench/ingest.py's and bench/checks.py's
CHECK_CASES = 1_000_000
TARGET_RATIO = 3.0
TARGET_PEAK_MB = 4096.0
# bench/data.py writes the file with DuckDB 2.0, whose storage this DuckDB 1.5.5 cannot read: the embedded python
# copies its tables into a file in the 1.5 storage format, which this side then ATTACHes.
COMPAT_STORAGE = "v1.5.0"

ENSURE_CHECKS_DB = """
import json, sys
sys.path.insert(0, {root!r})
from bench.checks import cached
print(json.dumps(str(cached({cases}))))
"""

COMPAT_COPY = """
import json, duckdb
con = duckdb.connect()
con.execute("ATTACH '{source}' AS src (READ_ONLY)")
con.execute("ATTACH '{target}' AS dst (STORAGE_VERSION '{storage}')")
tables = [t for (t,) in con.execute(
    "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'src' AND table_schema = 'main' "
    "AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' ORDER BY 1").fetchall()]
for t in tables:
    con.execute(f'CREATE TABLE dst.main."{{t}}" AS SELECT * FROM src.main."{{t}}"')
sequences = con.execute(
    "SELECT regexp_extract(column_default, 'nextval\\\\(''([A-Za-z0-9_]+)''', 1), table_name, column_name "
    "FROM duckdb_columns() WHERE database_name = 'src' AND schema_name = 'main' "
    "AND column_default LIKE 'nextval(%' ORDER BY 1").fetchall()
con.close()
print(json.dumps({{"tables": tables, "sequences": sequences}}))
"""

WRAPPER = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
extra = {{}}
{code}
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": seconds, "cpu": cpu, "peak_mb": peak, **extra}}))
"""

# bench/ingest.py's INGEST opens its DuckDB file with `connect(db)`; the PostgreSQL side opens the URL instead.
EMBEDDED_OPEN, POSTGRES_OPEN = "con = connect(db)", "con = connect({url!r})"
INGEST_EXTRA = "extra = {'rows_loaded': r.rows_loaded, 'rows_quarantined': r.rows_quarantined}\n"


def run_python(python: str, code: str, env: dict[str, str]) -> Any:
    """Run code in a fresh interpreter `python`; return the JSON value on the last line of its output."""
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env})
    if done.returncode:
        raise SystemExit(f"{python} failed (exit {done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class ServerMemory:
    """Sample the summed proportional set size (PSS) of our own cluster's server processes while a job runs.

    Only for a cluster this benchmark started (its postmaster is known); otherwise `peak_mb` stays None.
    """

    def __init__(self, cluster: pgcluster.Cluster) -> None:
        self.postmaster: int | None = None
        if cluster.folder is not None:
            pid_file = cluster.folder / "data" / "postmaster.pid"
            try:
                self.postmaster = int(pid_file.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                self.postmaster = None
        self.peak_mb: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _pids(self) -> list[int]:
        pids = [self.postmaster] if self.postmaster else []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.postmaster:
                pids.append(int(entry))
        return pids

    def _sample(self) -> float:
        total_kb = 0
        for pid in self._pids():
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total_kb += int(line.split()[1])
            except OSError:
                continue
        return total_kb / 1024

    def _loop(self) -> None:
        while not self._stop.is_set():
            mb = self._sample()
            self.peak_mb = mb if self.peak_mb is None else max(self.peak_mb, mb)
            self._stop.wait(0.25)

    def __enter__(self) -> ServerMemory:
        if self.postmaster:
            self._thread = threading.Thread(target=self._loop, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def timed_on_server(cluster: pgcluster.Cluster, python: str, code: str, env: dict[str, str]) -> dict[str, Any]:
    """run_python, with the server's sampled peak memory as `server_peak_mb` (None when not sampled)."""
    with ServerMemory(cluster) as server:
        result = run_python(python, code, env)
    return {**result, "server_peak_mb": server.peak_mb}


def migrated_template(cluster: pgcluster.Cluster) -> str:
    """A new database with the schema migrated and nobody connected to it, to copy databases from."""
    from store import postgres
    from store.db import connect

    name = cluster.create()
    url = cluster.url(name)
    connect(url).close()
    postgres.release(url)
    return name


def bench_ingest(cluster: pgcluster.Cluster, python: str, rounds: int, env: dict[str, str]) -> dict[str, Any]:
    """Ingest the 1M-row CSV `rounds` times on each side; return the runs."""
    csv_path = OUT / f"bench_{CSV_ROWS}.csv"
    if not csv_path.exists():
        print(f"generating {csv_path.name} ...", flush=True)
        make_csv(csv_path)
    snippet = INGEST.format(out=str(WORK), file=str(csv_path)) + INGEST_EXTRA
    if EMBEDDED_OPEN not in snippet:
        raise SystemExit(f"bench/ingest.py's INGEST no longer opens its database with `{EMBEDDED_OPEN}`")
    template = migrated_template(cluster)
    runs: dict[str, list[dict[str, Any]]] = {"embedded": [], "postgres": []}
    try:
        for i in range(rounds):
            load = os.getloadavg()[0]
            embedded = run_python(python, WRAPPER.format(root=str(ROOT), code=snippet), env)
            runs["embedded"].append({**embedded, "load": load})
            name = cluster.create(template=template)
            try:
                load = os.getloadavg()[0]
                code = snippet.replace(EMBEDDED_OPEN, POSTGRES_OPEN.format(url=cluster.url(name)))
                pg = timed_on_server(cluster, sys.executable, WRAPPER.format(root=str(ROOT), code=code), env)
                runs["postgres"].append({**pg, "load": load})
            finally:
                cluster.drop(name)
            print(f"ingest round {i + 1}: embedded {embedded['seconds']:.1f} s, PostgreSQL {pg['seconds']:.1f} s "
                  f"({pg['seconds'] / embedded['seconds']:.2f}x); rows loaded {embedded['rows_loaded']:,} / "
                  f"{pg['rows_loaded']:,}", flush=True)
            if embedded["rows_loaded"] != pg["rows_loaded"]:
                raise SystemExit(f"rows loaded differ: embedded {embedded['rows_loaded']:,}, "
                                 f"PostgreSQL {pg['rows_loaded']:,}")
    finally:
        cluster.drop(template)
    return runs


def load_checks_database(cluster: pgcluster.Cluster, python: str, source: Path,
                         vacuum: bool) -> tuple[str, dict[str, Any]]:
    """Copy the benchmark file's tables into a new, migrated PostgreSQL database (once); return its name and what
    was copied. Nobody stays connected to it, so it can be the template of each round's database."""
    from store import postgres
    from store.db import connect

    started = time.perf_counter()
    compat = WORK / f"checks_{CHECK_CASES}_{COMPAT_STORAGE}.duckdb"
    compat.unlink(missing_ok=True)
    compat.with_name(compat.name + ".wal").unlink(missing_ok=True)
    copied = run_python(python, COMPAT_COPY.format(source=str(source), target=str(compat), storage=COMPAT_STORAGE), {})
    name = cluster.create()
    url = cluster.url(name)
    rows: dict[str, int] = {}
    con = connect(url)  # migrates the schema
    try:
        con.execute(f"ATTACH '{compat}' AS src (READ_ONLY)")
        for table in copied["tables"]:
            [(count,)] = con.execute(f'SELECT count(*) FROM src.main."{table}"').fetchall()
            if count:
                con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM src.main."{table}"')
            rows[table] = count
        con.execute("DETACH src")
    finally:
        con.close()
        postgres.release(url)
    compat.unlink(missing_ok=True)
    mapped = {seq for seq, _, _ in copied["sequences"]}
    on_server = set(cluster.psql("SELECT sequencename FROM pg_sequences", database=name).split())
    if on_server - mapped:
        raise SystemExit(f"sequences on the server with no id column in the file: {sorted(on_server - mapped)}")
    for sequence, table, column in copied["sequences"]:
        if rows.get(table):  # the next id follows the largest copied (nextval gives max + 1)
            cluster.psql(f"SELECT setval('{sequence}', (SELECT max({column}) FROM {table}))", database=name)
    seconds = time.perf_counter() - started
    print(f"copied the {source.name} tables into PostgreSQL in {seconds:.1f} s (not timed in the rounds): "
          + ", ".join(f"{t} {n:,}" for t, n in rows.items() if n), flush=True)
    # A server in use has had autovacuum visit its tables (statistics, visibility map, hint bits); a bulk copy made
    # a moment ago has not. Do it once here, so every round's copy starts from that steady state.
    started = time.perf_counter()
    if vacuum:
        cluster.psql("VACUUM (ANALYZE)", database=name)
        print(f"VACUUM (ANALYZE) of that database: {time.perf_counter() - started:.1f} s (not timed)", flush=True)
    return name, {"seconds": seconds, "vacuum_seconds": time.perf_counter() - started if vacuum else None,
                  "rows": rows, "sequences": copied["sequences"]}


def bench_checks(cluster: pgcluster.Cluster, python: str, rounds: int, env: dict[str, str],
                 vacuum: bool) -> dict[str, Any]:
    """The full check run at 1M requests, `rounds` times on each side; return the runs and the load step."""
    print(f"building or reusing the {CHECK_CASES:,}-request database (bench/checks.py) ...", flush=True)
    source = Path(run_python(python, ENSURE_CHECKS_DB.format(root=str(ROOT), cases=CHECK_CASES), {}))
    template, loaded = load_checks_database(cluster, python, source, vacuum)
    work = WORK / "checks_run.duckdb"
    runs: dict[str, Any] = {"embedded": [], "postgres": [], "load": loaded}
    try:
        for i in range(rounds):
            work.with_name(work.name + ".wal").unlink(missing_ok=True)
            shutil.copyfile(source, work)
            load = os.getloadavg()[0]
            embedded = run_python(python, textwrap.dedent(RUN).format(root=str(ROOT), db=str(work)), env)
            runs["embedded"].append({**embedded, "seconds": embedded["wall"], "load": load})
            name = cluster.create(template=template)
            try:
                load = os.getloadavg()[0]
                code = textwrap.dedent(RUN).format(root=str(ROOT), db=cluster.url(name))
                pg = timed_on_server(cluster, sys.executable, code, env)
                runs["postgres"].append({**pg, "seconds": pg["wall"], "load": load})
            finally:
                cluster.drop(name)
            print(f"check round {i + 1}: embedded {embedded['wall']:.1f} s, PostgreSQL {pg['wall']:.1f} s "
                  f"({pg['wall'] / embedded['wall']:.2f}x); exceptions {embedded['exceptions']:,} / "
                  f"{pg['exceptions']:,}; case rows {embedded['rows']:,} / {pg['rows']:,}; failed checks "
                  f"{embedded['errors']} / {pg['errors']}", flush=True)
            if embedded["exceptions"] != pg["exceptions"] or embedded["rows"] != pg["rows"]:
                raise SystemExit(f"the stores disagree: exceptions embedded {embedded['exceptions']:,}, PostgreSQL "
                                 f"{pg['exceptions']:,}; case rows {embedded['rows']:,} / {pg['rows']:,}")
            if embedded["errors"] or pg["errors"]:
                raise SystemExit(f"checks failed: embedded {embedded['errors']}, PostgreSQL {pg['errors']}; run "
                                 "`oversight check` on the database to see which")
    finally:
        cluster.drop(template)
        work.unlink(missing_ok=True)
        work.with_name(work.name + ".wal").unlink(missing_ok=True)
    return runs


def summarise(job: str, runs: dict[str, Any]) -> dict[str, Any]:
    """Min and median per side, the per-round ratios, and the verdicts."""
    emb, pg = runs["embedded"], runs["postgres"]
    ratios = [p["seconds"] / e["seconds"] for e, p in zip(emb, pg, strict=True)]

    def mm(values: list[float]) -> dict[str, float]:
        return {"min": min(values), "median": statistics.median(values)}

    server = [p["server_peak_mb"] for p in pg if p.get("server_peak_mb") is not None]
    peak = max(r["peak_mb"] for r in emb + pg)
    return {"job": job, "rounds": len(emb),
            "embedded": {"seconds": mm([r["seconds"] for r in emb]), "cpu": mm([r["cpu"] for r in emb]),
                         "peak_mb": max(r["peak_mb"] for r in emb)},
            "postgres": {"seconds": mm([r["seconds"] for r in pg]), "cpu": mm([r["cpu"] for r in pg]),
                         "peak_mb": max(r["peak_mb"] for r in pg),
                         "server_peak_mb": max(server) if server else None},
            "ratios": ratios, "ratio": mm(ratios),
            "ratio_met": statistics.median(ratios) <= TARGET_RATIO, "peak_met": peak < TARGET_PEAK_MB}


def table(summaries: list[dict[str, Any]], versions: dict[str, str]) -> str:
    """The summary as a markdown table: both stores side by side (min / median over the rounds)."""
    def mm(d: dict[str, float], unit: str = "") -> str:
        return f"{d['min']:.2f}{unit} / {d['median']:.2f}{unit}"

    def yes(ok: bool) -> str:
        return "met" if ok else "NOT met"

    lines = [f"| job | measure | embedded (DuckDB {versions['embedded']}) | PostgreSQL (DuckDB {versions['postgres']}) "
             "| PostgreSQL / embedded | target |",
             "|---|---|---|---|---|---|"]
    for s in summaries:
        e, p = s["embedded"], s["postgres"]
        server = f" (server {p['server_peak_mb']:,.0f} MB)" if p["server_peak_mb"] is not None else ""
        lines += [
            f"| {s['job']} | wall s, min / median | {mm(e['seconds'])} | {mm(p['seconds'])} | {mm(s['ratio'], 'x')} "
            f"| <= {TARGET_RATIO:g}x: {yes(s['ratio_met'])} |",
            f"| | CPU s, min / median | {mm(e['cpu'])} | {mm(p['cpu'])} | | |",
            f"| | peak RSS MB | {e['peak_mb']:,.0f} | {p['peak_mb']:,.0f}{server} | "
            f"| < {TARGET_PEAK_MB:,.0f} MB: {yes(s['peak_met'])} |",
            f"| | rounds | {s['rounds']} | {s['rounds']} | per round: "
            + ", ".join(f"{r:.2f}x" for r in s["ratios"]) + " | |"]
    return "\n".join(lines)


def stages(runs: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The check run's seconds per stage (bench/checks.py's: the sources, each check, storing the run), the minimum
    over the rounds, per side."""
    out: dict[str, dict[str, float]] = {}
    for side in ("embedded", "postgres"):
        per_round = [{**r["stages"], "store and scope": r["wall"] - sum(r["stages"].values())} for r in runs[side]]
        out[side] = {k: min(r[k] for r in per_round) for k in per_round[0]}
    return out


def stage_table(by_side: dict[str, dict[str, float]], top: int = 10) -> str:
    """The stages that took PostgreSQL longest, both sides side by side (markdown)."""
    emb, pg = by_side["embedded"], by_side["postgres"]
    lines = ["| check run stage (min s) | embedded | PostgreSQL | PostgreSQL / embedded |", "|---|---|---|---|"]
    for stage in sorted(pg, key=lambda k: -pg[k])[:top]:
        ratio = f"{pg[stage] / emb[stage]:.1f}x" if emb.get(stage, 0) > 0.001 else ""
        lines.append(f"| {stage} | {emb.get(stage, 0):.2f} | {pg[stage]:.2f} | {ratio} |")
    lines.append(f"| (all {len(pg)} stages) | {sum(emb.values()):.2f} | {sum(pg.values()):.2f} | "
                 f"{sum(pg.values()) / sum(emb.values()):.1f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedded-python", required=True, help="the default install's python (DuckDB 2.0)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=("ingest", "checks"))
    parser.add_argument("--no-vacuum", action="store_true",
                        help="run the checks on the copied database as copied, without VACUUM (ANALYZE) first")
    args = parser.parse_args()
    python = str(Path(args.embedded_python).absolute())
    WORK.mkdir(parents=True, exist_ok=True)
    key = WORK / "bench.key"  # the key bench/ingest.py's INGEST names (key_path); a PostgreSQL store needs it named
    env = {"OVERSIGHT_KEY_FILE": str(key)}
    import duckdb

    versions = {"postgres": duckdb.__version__,
                "embedded": subprocess.run([python, "-c", "import duckdb; print(duckdb.__version__)"],
                                           capture_output=True, text=True, check=True).stdout.strip()}
    cluster = pgcluster.start()
    results: dict[str, Any] = {"versions": versions, "rounds": args.rounds, "runs": {}, "summary": []}
    try:
        print(f"PostgreSQL at {cluster.host}:{cluster.port}: "
              f"{cluster.psql('SHOW server_version').strip()}; embedded {python} (DuckDB {versions['embedded']}), "
              f"PostgreSQL side {sys.executable} (DuckDB {versions['postgres']})", flush=True)
        if args.only != "checks":
            runs = bench_ingest(cluster, python, args.rounds, env)
            results["runs"]["ingest"] = runs
            results["summary"].append(summarise(f"ingest {CSV_ROWS:,}-row CSV", runs))
        if args.only != "ingest":
            runs = bench_checks(cluster, python, args.rounds, env, not args.no_vacuum)
            results["runs"]["checks"] = runs
            results["summary"].append(summarise(f"check run {CHECK_CASES:,} requests", runs))
            results["stages"] = stages(runs)
    finally:
        cluster.stop()
    (OUT / "postgres.json").write_text(json.dumps(results, indent=2))
    print("\n" + table(results["summary"], versions))
    if "stages" in results:
        print("\n" + stage_table(results["stages"]))
    print(f"\nresults: {OUT / 'postgres.json'}")


if __name__ == "__main__":
    main()

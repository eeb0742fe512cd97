"""Ingest benchmark (run by `make bench`, never by `make test`).

Generates a 1,000,000-row CSV report and a 200,000-row xlsx report (cached in bench/out/), then times in
fresh processes: our ingest of each file into a new DuckDB file, DuckDB's bare `read_csv` of the same CSV
into a table, and fastexcel's raw read of the same xlsx. Each round runs the four one after the other, so a
ratio compares runs made under the same load; rounds are repeated (`--rounds`, default 3) and the minimum
and median are printed, with peak memory (RSS) and CPU seconds. Targets on a 2-core machine: CSV ingest
within 3x of the bare read, xlsx within 2x, peak under 2 GB.

    python bench/ingest.py [--rounds N] [--only csv|xlsx]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import textwrap
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CSV_ROWS = 1_000_000
XLSX_ROWS = 200_000
XLSX_VERSION = "v2"  # v1 wrote received dates unrelated to the row's other dates (82 % quarantined)
HEADER = ["Dossiernummer", "Datum ontvangst", "Soort verzoek", "Kanaal", "Klantnummer", "Identiteit geverifieerd",
          "Doorgestuurd op", "Geëscaleerd op", "Datum antwoord", "Resultaat", "Klachtrecht gemeld",
          "Uitgeschreven op", "Medewerker", "Taal", "Notities"]
TYPES = ["Inzage", "Uitschrijving", "Verwijdering", "Klacht", "Correctie", "Bezwaar", "Bel-me-niet"]
OUTCOMES = ["Uitgevoerd", "Gedeeltelijk", "Geweigerd", ""]


def _row(i: int, rng: random.Random) -> list[str]:
    received = date(2026, 10, 1) + timedelta(days=rng.randrange(10))
    answered = received + timedelta(days=rng.randrange(28))
    outcome = rng.choice(OUTCOMES)
    return [f"BC-{i:07d}", received.strftime("%d-%m-%Y"), rng.choice(TYPES), "Telefoon", f"KL-{rng.randrange(400000)}",
            rng.choice(["ja", "nee"]), received.strftime("%d-%m-%Y"), "",
            answered.strftime("%d-%m-%Y") if outcome else "", outcome, rng.choice(["ja", "nee", ""]), "",
            f"AG-{rng.randrange(80):03d}", "nl", "Klant belde over zijn gegevens"]


def make_csv(path: Path) -> None:
    rng = random.Random(1)
    with path.open("w", encoding="cp1252", newline="") as f:
        f.write("Maandrapport privacyverzoeken;;;\r\nPeriode: oktober 2026;;;\r\n\r\n")
        f.write(";".join(HEADER) + "\r\n")
        for i in range(CSV_ROWS):
            f.write(";".join(_row(i, rng)) + "\r\n")
        f.write(f"Totaal;{CSV_ROWS}" + ";" * (len(HEADER) - 2) + "\r\n")


def make_xlsx(path: Path) -> None:
    import openpyxl

    rng = random.Random(2)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Dossiers")
    ws.append(["Maandrapport privacyverzoeken"])
    ws.append(HEADER)
    for i in range(XLSX_ROWS):
        row: list[object] = _row(i, rng)
        # The date received as a real Excel date, the same day the text dates of the row count from.
        row[1] = datetime.strptime(str(row[1]), "%d-%m-%Y").date()
        ws.append(row)
    wb.save(path)


def measure(code: str) -> dict[str, float]:
    """Run code in a fresh interpreter; it sets `seconds` and `cpu`. Return those and peak RSS (MB)."""
    wrapper = textwrap.dedent("""
        import json, resource, sys, time
        sys.path.insert(0, {root!r})
        {code}
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({{"seconds": seconds, "cpu": cpu, "peak_mb": peak}}))
    """).format(root=str(ROOT), code=textwrap.indent(textwrap.dedent(code), ""))
    out = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


INGEST = """
from datetime import date
from pathlib import Path
from ingest.service import ingest_report
from store.db import connect
from store.identity import ROLES, User
db = Path({out!r}) / "bench.duckdb"
db.unlink(missing_ok=True)
con = connect(db)
t, c = time.perf_counter(), time.process_time()
r = ingest_report(con, Path({file!r}), user=User("bench", ROLES), key_path=Path({out!r}) / "bench.key",
                  processor="Bench BV", period="2026-10", submitted_on=date(2026, 11, 5))
seconds, cpu = time.perf_counter() - t, time.process_time() - c
assert r.rows_read == r.rows_loaded + r.rows_quarantined + r.rows_skipped
"""

BARE_CSV = """
from pathlib import Path
import duckdb
db = Path({out!r}) / "bare.duckdb"
db.unlink(missing_ok=True)
con = duckdb.connect(str(db))
t, c = time.perf_counter(), time.process_time()
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, skip=3, delim=';', header=true, encoding='latin-1', "
            "ignore_errors=true)",
            [{file!r}])
seconds, cpu = time.perf_counter() - t, time.process_time() - c
"""

RAW_XLSX = """
import fastexcel
t, c = time.perf_counter(), time.process_time()
table = fastexcel.read_excel({file!r}).load_sheet(0, header_row=1).to_arrow()
seconds, cpu = time.perf_counter() - t, time.process_time() - c
"""


def summary(label: str, ours: list[dict[str, float]], base: list[dict[str, float]], base_name: str,
            target: float) -> str:
    """One line: min and median seconds of each side, of the per-round ratio, peak memory and CPU seconds."""
    def mm(values: list[float], unit: str = " s", digits: int = 2) -> str:
        return f"{min(values):.{digits}f}/{statistics.median(values):.{digits}f}{unit}"

    ratios = [o["seconds"] / b["seconds"] for o, b in zip(ours, base, strict=True)]
    return (f"{label}: ingest {mm([o['seconds'] for o in ours])}, {base_name} {mm([b['seconds'] for b in base])}, "
            f"ratio {mm(ratios, 'x')} (target <= {target:g}x); peak {max(o['peak_mb'] for o in ours):,.0f} MB "
            f"({base_name.split()[0]} {max(b['peak_mb'] for b in base):,.0f} MB); CPU "
            f"{mm([o['cpu'] for o in ours])} vs {mm([b['cpu'] for b in base])}   [min/median of {len(ours)}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=("csv", "xlsx"))
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = OUT / f"bench_{CSV_ROWS}.csv", OUT / f"bench_{XLSX_ROWS}_{XLSX_VERSION}.xlsx"
    if args.only != "xlsx" and not csv_path.exists():
        print(f"generating {csv_path.name} ...", flush=True)
        make_csv(csv_path)
    if args.only != "csv" and not xlsx_path.exists():
        print(f"generating {xlsx_path.name} (openpyxl write-only, about a minute) ...", flush=True)
        make_xlsx(xlsx_path)
    fmt = {"out": str(OUT)}
    runs: dict[str, list[dict[str, float]]] = {"ours_csv": [], "bare_csv": [], "ours_xlsx": [], "raw_xlsx": []}
    for _ in range(args.rounds):
        if args.only != "xlsx":
            runs["ours_csv"].append(measure(INGEST.format(file=str(csv_path), **fmt)))
            runs["bare_csv"].append(measure(BARE_CSV.format(file=str(csv_path), **fmt)))
        if args.only != "csv":
            runs["ours_xlsx"].append(measure(INGEST.format(file=str(xlsx_path), **fmt)))
            runs["raw_xlsx"].append(measure(RAW_XLSX.format(file=str(xlsx_path), **fmt)))
    if runs["ours_csv"]:
        print(summary(f"CSV  {CSV_ROWS:>9,} rows", runs["ours_csv"], runs["bare_csv"], "bare read_csv", 3))
    if runs["ours_xlsx"]:
        print(summary(f"XLSX {XLSX_ROWS:>9,} rows", runs["ours_xlsx"], runs["raw_xlsx"], "fastexcel raw read", 2))


if __name__ == "__main__":
    main()

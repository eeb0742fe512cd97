"""Ingest benchmark (run by `make bench`, never by `make test`).

Generates a 1,000,000-row CSV report and a 200,000-row xlsx report (cached in bench/out/), then times in
fresh processes: our ingest of each file into a new DuckDB file, DuckDB's bare `read_csv` of the same CSV
into a table, and fastexcel's raw read of the same xlsx. Prints seconds, ratios and peak memory (RSS).
Targets on a 2-core machine: CSV ingest within 3x of the bare read, xlsx within 2x, peak under 2 GB.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
CSV_ROWS = 1_000_000
XLSX_ROWS = 200_000
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
        row[1] = date(2026, 10, 1) + timedelta(days=i % 31)  # real Excel dates in the date column
        ws.append(row)
    wb.save(path)


def measure(code: str) -> dict[str, float]:
    """Run code in a fresh interpreter; it sets `seconds`. Return seconds and peak RSS (MB)."""
    wrapper = textwrap.dedent("""
        import json, resource, sys, time
        sys.path.insert(0, {root!r})
        {code}
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({{"seconds": seconds, "peak_mb": peak}}))
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
t = time.perf_counter()
r = ingest_report(con, Path({file!r}), user=User("bench", ROLES), key_path=Path({out!r}) / "bench.key",
                  processor="Bench BV", period="2026-10", submitted_on=date(2026, 11, 5))
seconds = time.perf_counter() - t
assert r.rows_read == r.rows_loaded + r.rows_quarantined + r.rows_skipped
"""

BARE_CSV = """
from pathlib import Path
import duckdb
db = Path({out!r}) / "bare.duckdb"
db.unlink(missing_ok=True)
con = duckdb.connect(str(db))
t = time.perf_counter()
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, skip=3, delim=';', header=true, encoding='latin-1', "
            "ignore_errors=true)",
            [{file!r}])
seconds = time.perf_counter() - t
"""

RAW_XLSX = """
import fastexcel
t = time.perf_counter()
table = fastexcel.read_excel({file!r}).load_sheet(0, header_row=1).to_arrow()
seconds = time.perf_counter() - t
"""


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = OUT / f"bench_{CSV_ROWS}.csv", OUT / f"bench_{XLSX_ROWS}.xlsx"
    if not csv_path.exists():
        print(f"generating {csv_path.name} ...", flush=True)
        make_csv(csv_path)
    if not xlsx_path.exists():
        print(f"generating {xlsx_path.name} (openpyxl write-only, about a minute) ...", flush=True)
        make_xlsx(xlsx_path)
    fmt = {"out": str(OUT)}
    ours_csv = measure(INGEST.format(file=str(csv_path), **fmt))
    bare_csv = measure(BARE_CSV.format(file=str(csv_path), **fmt))
    ours_xlsx = measure(INGEST.format(file=str(xlsx_path), **fmt))
    raw_xlsx = measure(RAW_XLSX.format(file=str(xlsx_path), **fmt))
    print(f"CSV  {CSV_ROWS:>9,} rows: ingest {ours_csv['seconds']:.2f} s, DuckDB bare read_csv "
          f"{bare_csv['seconds']:.2f} s, ratio {ours_csv['seconds'] / bare_csv['seconds']:.2f}x (target <= 3x); "
          f"peak {ours_csv['peak_mb']:.0f} MB (bare {bare_csv['peak_mb']:.0f} MB)")
    print(f"XLSX {XLSX_ROWS:>9,} rows: ingest {ours_xlsx['seconds']:.2f} s, fastexcel raw read "
          f"{raw_xlsx['seconds']:.2f} s, ratio {ours_xlsx['seconds'] / raw_xlsx['seconds']:.2f}x (target <= 2x); "
          f"peak {ours_xlsx['peak_mb']:.0f} MB (raw {raw_xlsx['peak_mb']:.0f} MB)")


if __name__ == "__main__":
    main()

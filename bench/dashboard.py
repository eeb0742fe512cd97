"""Dashboard benchmark (run by `make bench`, never by `make test`): every page's first render in a real browser with
1,000,000 cases loaded, and what each page ships to the browser.

Builds (once, cached in bench/out/) a database of 1,000,000 requests over 24 months for 3 processors with
bench/data.py, then uses it as a team would after a while: the full check catalog run once, findings raised from
that run for every report, and for each of the two months the benchmark opens a spot-check sample with ten cases
reviewed; the seconds of each step are printed (raising the findings takes about 20 s). Then,
for each page of the navigation, a fresh `streamlit run dashboard.py` serves a copy of that database and Debian's
chromium (Playwright, never `playwright install`) opens the page in new tabs (each a new Streamlit session):

- cold: the page with another processor and period in the URL, in a new browser profile: the server's first
  visitor pays for Python imports, the database connection and the browser's download of Streamlit's scripts;
- first: the page's URL without filters (the page's data caches are cold for it);
- filtered: the page with a processor and a period in the URL (cold for these filters too);
- again: the first URL once more (what the next visitor waits for);
- linked (Findings only): a shared link to the finding with the most cases (2,259), its cases and history listed.

Each visit is timed from navigation to a finished render (the `script_finished` message, then script state
notRunning and no skeleton in the DOM), split into connect (navigation to the session's start: page load and
websocket), script (the server running the page, as the browser sees it) and render (the browser drawing what it
received). Every websocket frame the browser receives is decoded as Streamlit's ForwardMsg: the bytes, and the rows
of each dataframe and chart (the Arrow tables inside them). Targets (issue 6, docs/architecture.md "Scale"): the
first and filtered renders under 2 s, and no table or chart shipping more than a few thousand rows. Streamlit's
own cost is measured the same way first (a page with only a title, and one with a 10-row table and chart). The
machine is shared with other work: `--repeats` keeps the fastest of several runs and prints the slowest too, every visit
records the load average, and `--quiet LOAD` waits before each page until the load is below LOAD.

    .venv/bin/python bench/dashboard.py [--cases 1000000] [--months 24] [--repeats 3] [--pages checks findings]
                                        [--quiet 3.0]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path, and bench/checks.py would shadow the `checks` package.
sys.path[0] = str(ROOT)

from bench.data import PROCESSORS, build, matches  # noqa: E402

OUT = ROOT / "bench" / "out"
START = "2025-01"
SETUP_KEY = "bench.dashboard"  # meta row: what the setup did to the cached database, and how long it took
SETUP_VERSION = 2  # bump when SETUP changes: the cached database is rebuilt and set up again
TARGET_SECONDS = 2.0
ROW_LIMIT = 5_000  # "a few thousand rows" (Altair's own MaxRowsError default)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
RENDER_TIMEOUT_S = 120.0
# The Audit trail filters events, not reports: (filtered visit, cold visit).
AUDIT_FILTERS = ({"action": "finding.raised"}, {"action": "sample.reviewed"})

# (title, URL path) in the order of dashboard.py's navigation; the Overview is the default page at "/".
PAGES = [("Overview", ""), ("Reports", "reports"), ("Spot checks", "spotchecks"), ("Checks", "checks"),
         ("Findings", "findings"), ("Contract", "contract"), ("Audit trail", "audit")]

# What Streamlit itself costs on this machine, measured in the same way: a page with only a title, and one with a
# 10-row dataframe and a 10-row Altair chart (the browser loads the grid and Vega for them).
FLOOR_APP = """
import altair as alt
import pandas as pd
import streamlit as st

st.set_page_config(page_title="Floor", layout="wide")


def title_only():
    st.title("Title only")


def small_elements():
    st.title("Small elements")
    frame = pd.DataFrame({"a": range(10), "b": range(10)})
    st.dataframe(frame)
    st.altair_chart(alt.Chart(frame).mark_bar().encode(x="a:O", y="b:Q"))


st.navigation([st.Page(title_only, title="Title only", default=True),
               st.Page(small_elements, title="Small elements", url_path="elements")]).run()
"""

SETUP = """
import json, time
from datetime import date
from checks.runner import run_checks
from findings.raising import raise_from_checks
from spotchecks.queries import sample_items
from spotchecks.applicability import for_sample
from spotchecks.review import record_reviews
from spotchecks.samples import draw_sample
from store.db import connect
from store.identity import ROLES, User
user = User("bench", ROLES, False)
con = connect({db!r})
took = {{}}
t = time.perf_counter()
run = run_checks(con, user)
took["checks"] = time.perf_counter() - t
t = time.perf_counter()
raised = raise_from_checks(con, user, today=date.fromisoformat({last_day!r}))
took["findings"] = time.perf_counter() - t
for processor, period in {samples!r}:  # a sample for each month the benchmark opens, its review under way
    t = time.perf_counter()
    sample = draw_sample(con, user, processor=processor, period=period, confidence="0.95", tolerable="0.05",
                         expected="0.01", seed=f"bench-dashboard-{{processor}}-{{period}}")
    took["sample"] = time.perf_counter() - t
    items = sample_items(con, sample.sample_id)
    applies = for_sample(con, sample.sample_id)  # only the items that apply to a case are asked (issue 14)
    for number, item in enumerate(items[:10]):  # ten cases answered, one "no" each third case
        asked = applies[str(item["case_id"])]
        answers = {{i: ("yes", None) for i in asked}}
        if number % 3 == 0 and asked:
            answers[asked[0]] = ("no", "bench: not on file")
        record_reviews(con, user, sample.sample_id, str(item["case_id"]), answers)
(cases,), = con.execute("SELECT count(*) FROM cases").fetchall()
(finding_cases,), = con.execute("SELECT count(*) FROM finding_cases").fetchall()
setup = {{"version": {version}, "seconds": took, "exceptions": run.exceptions, "check_errors": run.errors,
          "reports": len(run.reports), "findings": len(raised), "finding_cases": finding_cases,
          "samples": len({samples!r}), "sample_size": len(items), "case_rows": cases}}
con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [{key!r}, json.dumps(setup)])
con.execute("CHECKPOINT")
con.close()
print(json.dumps(setup))
"""


@dataclass
class Shipped:
    """What the browser received over the websocket during one visit, decoded as Streamlit ForwardMsgs."""

    started: float
    frames: int = 0
    bytes: int = 0
    elements: list[tuple[str, int]] = field(default_factory=list)  # (kind, rows) of each dataframe and chart
    exceptions: int = 0
    kinds: dict[str, int] = field(default_factory=dict)  # every element the page drew, by kind
    script_started: float | None = None
    script_finished: float | None = None

    def add(self, payload: bytes | str) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        now = time.perf_counter()
        data = payload.encode() if isinstance(payload, str) else payload
        self.frames += 1
        self.bytes += len(data)
        msg = ForwardMsg.FromString(data)
        kind = msg.WhichOneof("type")
        if kind == "new_session" and self.script_started is None:
            self.script_started = now
        elif kind == "script_finished" and msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
            self.script_finished = now
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg.delta.new_element)

    def _element(self, element: object) -> None:
        kind = element.WhichOneof("type")  # type: ignore[attr-defined]
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if kind == "exception":
            self.exceptions += 1
        elif kind in ("dataframe", "table"):
            proto = getattr(element, kind)
            lazy = kind == "dataframe" and proto.HasField("lazy_data")
            self.elements.append((kind, _rows(proto.lazy_data.initial_chunk if lazy else proto.arrow_data)))
        elif kind == "vega_lite_chart":
            chart = element.vega_lite_chart  # type: ignore[attr-defined]
            self.elements.append(("chart", _rows(chart.data) + sum(_rows(d.data) for d in chart.datasets)))

    @property
    def rows(self) -> int:
        return sum(rows for _, rows in self.elements)


def _rows(arrow: object) -> int:
    """The rows of an ArrowData proto (an Arrow IPC stream; empty when the element has no data)."""
    data = arrow.data  # type: ignore[attr-defined]
    if not data:
        return 0
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all().num_rows


@dataclass
class Visit:
    page: str
    visit: str  # cold | first | filtered | again
    url: str
    seconds: float  # navigation to a finished render in the DOM
    connect: float  # navigation to new_session: page load and websocket
    script: float  # new_session to script_finished, as the browser saw them (the server's part)
    render: float  # script_finished to the finished render in the DOM
    kilobytes: float
    frames: int
    rows: int
    largest: int  # rows of the largest dataframe or chart
    dataframes: int
    charts: int
    exceptions: int
    page_errors: int
    load: float  # the machine's 1-minute load average after the visit (2 cores: above 2, work waits for a core)
    elements: dict[str, int]


def prepare(cases: int, months: int, processors: int,
            samples: list[tuple[str, str]]) -> tuple[Path, dict[str, object]]:
    """The cached benchmark database with its setup done: built, checked, findings raised from the run, and a sample
    with ten reviews for each (processor, period) of `samples`. Rebuilt when the data or the setup changed.
    """
    path = OUT / f"dashboard_{cases}.duckdb"
    fresh = matches(path, cases=cases, months=months, processors=processors, start=START)
    setup = _setup_meta(path) if fresh else None
    if setup is not None and setup.get("version") == SETUP_VERSION:
        return path, setup
    if not fresh or setup is not None:  # an older setup is in the file: start again from the generated data
        print(f"building {path.name}: {cases:,} requests, {months} months, {processors} processors ...", flush=True)
        built = build(path, cases=cases, months=months, processors=processors, start=START)
        print(f"  {built.rows:,} case rows in {built.reports} reports, {built.seconds:.1f} s", flush=True)
    print("setting up: check run, findings raised from it, samples with ten reviews (about a minute) ...", flush=True)
    code = textwrap.dedent(SETUP).format(db=str(path), samples=samples, last_day=_last_day(last_period(months)),
                                         key=SETUP_KEY, version=SETUP_VERSION)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        path.unlink(missing_ok=True)  # half set up: rebuild next time
        raise SystemExit(f"the setup failed:\n{done.stderr}")
    return path, json.loads(done.stdout.strip().splitlines()[-1])


def _setup_meta(path: Path) -> dict[str, object] | None:
    con = duckdb.connect(str(path), read_only=True)
    try:
        found = con.execute("SELECT value FROM meta WHERE key = ?", [SETUP_KEY]).fetchall()
    finally:
        con.close()
    return json.loads(found[0][0]) if found else None


def largest_finding(path: Path) -> str:
    """The id of the finding with the most cases (its page lists them all)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return str(con.execute("SELECT finding_id FROM finding_cases GROUP BY finding_id "
                               "ORDER BY count(*) DESC, finding_id LIMIT 1").fetchall()[0][0])
    finally:
        con.close()


def last_period(months: int) -> str:
    year, month = divmod(int(START[:4]) * 12 + int(START[5:]) - 1 + months - 1, 12)
    return f"{year}-{month + 1:02d}"


def _last_day(period: str) -> str:
    year, month = int(period[:4]), int(period[5:])
    return (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).isoformat()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`streamlit run dashboard.py` on a free port against `db`, as tests/test_browser.py starts it."""

    def __init__(self, db: Path, script: Path = ROOT / "dashboard.py") -> None:
        config = OUT / "dashboard_bench.toml"  # no users: the local user with every role
        config.write_text("", encoding="utf-8")
        env = {**os.environ, "OVERSIGHT_DB": str(db), "OVERSIGHT_KEY_FILE": str(OUT / "dashboard_bench.key"),
               "OVERSIGHT_CONFIG": str(config)}
        env.pop("OVERSIGHT_USER", None)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = OUT / "dashboard_streamlit.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
                 "--server.address", "127.0.0.1", "--server.port", str(self.port),
                 "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"streamlit exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.read().strip() == b"ok":
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"streamlit did not become healthy in {timeout} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def visit(context: object, url: str, page_title: str, label: str) -> Visit:
    """Open `url` in a new tab of `context`; time it to a finished render and decode what was shipped."""
    page = context.new_page()  # type: ignore[attr-defined]
    try:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        shipped = Shipped(time.perf_counter())
        page.on("websocket", lambda ws: ws.on("framereceived", shipped.add))
        shipped.started = time.perf_counter()
        page.goto(url)
        deadline = shipped.started + RENDER_TIMEOUT_S
        while shipped.script_finished is None:
            if time.perf_counter() > deadline:
                raise SystemExit(f"{page_title} ({url}) did not finish in {RENDER_TIMEOUT_S:.0f} s")
            page.wait_for_timeout(5)
        timeout_ms = max(1.0, deadline - time.perf_counter()) * 1000
        page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout_ms)
        page.wait_for_function("document.querySelectorAll('[data-testid=stSkeleton]').length === 0",
                               timeout=timeout_ms)
        seconds = time.perf_counter() - shipped.started
        exceptions = max(page.get_by_test_id("stException").count(), shipped.exceptions)
    finally:
        page.close()
    started = (shipped.script_started or shipped.started) - shipped.started
    finished = shipped.script_finished - shipped.started
    kinds = [kind for kind, _ in shipped.elements]
    return Visit(page_title, label, url, seconds, started, finished - started, seconds - finished,
                 shipped.bytes / 1024, shipped.frames, shipped.rows, max((r for _, r in shipped.elements), default=0),
                 kinds.count("dataframe") + kinds.count("table"), kinds.count("chart"), exceptions, len(errors),
                 os.getloadavg()[0], shipped.kinds)


def measure_page(browser: object, db: Path, title: str, path: str, filters: dict[str, str],
                 other: dict[str, str], linked: dict[str, str] | None = None) -> list[Visit]:
    """One fresh server and browser profile per page: a cold visit (`other` filters), then the page without
    filters, with `filters`, and without again, each in a new tab; then the `linked` URL if given.
    """
    work = OUT / "dashboard_run.duckdb"
    work.with_name(work.name + ".wal").unlink(missing_ok=True)
    shutil.copyfile(db, work)  # pages only read, but a run must never change the cached database
    server = Server(work)
    context = browser.new_context(viewport={"width": 1400, "height": 1800})  # type: ignore[attr-defined]
    try:
        base = f"{server.url}/{path}"
        return [visit(context, f"{base}?{urllib.parse.urlencode(other)}", title, "cold"),
                visit(context, base, title, "first"),
                visit(context, f"{base}?{urllib.parse.urlencode(filters)}", title, "filtered"),
                visit(context, base, title, "again"),
                *([visit(context, f"{base}?{urllib.parse.urlencode(linked)}", title, "linked")] if linked else [])]
    finally:
        context.close()
        server.stop()


def measure_floor(browser: object) -> list[Visit]:
    """Streamlit's own cost on this machine: a cold visit, then the title-only page and the small-elements page."""
    script = OUT / "dashboard_floor.py"
    script.write_text(textwrap.dedent(FLOOR_APP), encoding="utf-8")
    server = Server(OUT / "dashboard_floor.duckdb", script)
    context = browser.new_context(viewport={"width": 1400, "height": 1800})  # type: ignore[attr-defined]
    try:
        return [visit(context, server.url, "Streamlit", "cold"),
                visit(context, server.url, "Streamlit", "title"),
                visit(context, f"{server.url}/elements", "Streamlit", "elements")]
    finally:
        context.close()
        server.stop()


def wait_quiet(below: float | None, patience: float = 600) -> None:
    """On a shared machine, wait (at most `patience` seconds) until the 1-minute load average is under `below`."""
    if below is None:
        return
    deadline = time.monotonic() + patience
    while os.getloadavg()[0] >= below and time.monotonic() < deadline:
        time.sleep(5)


def best(runs: list[list[Visit]]) -> list[tuple[Visit, float]]:
    """Per page and visit, the fastest run and the slowest time."""
    out = []
    for same in zip(*runs, strict=True):
        fastest = min(same, key=lambda v: v.seconds)
        out.append((fastest, max(v.seconds for v in same)))
    return out


def report(results: list[tuple[Visit, float]], setup: dict[str, object], repeats: int) -> None:
    seconds = setup["seconds"]
    print(f"\nsetup on {setup['case_rows']:,} case rows in {setup['reports']} reports: check run "
          f"{seconds['checks']:.1f} s ({setup['exceptions']:,} exceptions, {setup['check_errors']} errors), "
          f"findings raised from it {seconds['findings']:.1f} s ({setup['findings']} findings, "
          f"{setup['finding_cases']:,} cases), a sample drawn {seconds['sample']:.1f} s ({setup['sample_size']} cases)")
    print(f"\n{'page':<12} {'visit':<9} {'seconds':>7} {'slowest':>7} {'connect':>7} {'script':>7} {'render':>7} "
          f"{'KB':>7} {'rows':>7} {'largest':>7} {'tables':>6} {'charts':>6} {'errors':>6} {'load':>5}")
    for v, slowest in results:
        print(f"{v.page:<12} {v.visit:<9} {v.seconds:>7.2f} {slowest:>7.2f} {v.connect:>7.2f} {v.script:>7.2f} "
              f"{v.render:>7.2f} {v.kilobytes:>7,.0f} {v.rows:>7,} {v.largest:>7,} {v.dataframes:>6} {v.charts:>6} "
              f"{v.exceptions + v.page_errors:>6} {v.load:>5.1f}")
    judged = [v for v, _ in results if v.visit in ("first", "filtered")]
    slow = [f"{v.page} ({v.visit}) {v.seconds:.2f} s" for v in judged if v.seconds >= TARGET_SECONDS]
    heavy = [f"{v.page} ({v.visit}) {v.largest:,} rows" for v, _ in results if v.largest > ROW_LIMIT]
    broken = [f"{v.page} ({v.visit})" for v, _ in results if v.exceptions or v.page_errors]
    print(f"\nfastest of {repeats} run(s) per visit (slowest beside it); connect + script + render = seconds")
    print(f"target: first and filtered renders under {TARGET_SECONDS:.0f} s: "
          + ("met" if not slow else "NOT met: " + ", ".join(slow)))
    print(f"target: at most {ROW_LIMIT:,} rows in one table or chart: "
          + ("met" if not heavy else "NOT met: " + ", ".join(heavy)))
    print("no exception and no browser error: " + ("yes" if not broken else "NO: " + ", ".join(broken)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="requests in the database")
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--processors", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3, help="runs per page; the fastest is reported")
    parser.add_argument("--pages", nargs="+", help="URL paths to measure (default: every page; '' = Overview)")
    parser.add_argument("--quiet", type=float, metavar="LOAD",
                        help="before each page, wait (up to 10 minutes) until the 1-minute load average is below LOAD")
    args = parser.parse_args()
    # A terminated run still stops its streamlit servers and the browser (the finally blocks run on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: `apt-get install -y chromium` (never `playwright install`).")
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    filters = {"processor": PROCESSORS[0][0], "period": last_period(args.months)}
    other = {"processor": PROCESSORS[1][0], "period": last_period(args.months - 6)}
    db, setup = prepare(args.cases, args.months, args.processors,
                        [(view["processor"], view["period"]) for view in (filters, other)])
    links = {"findings": {"finding": largest_finding(db)}}  # a shared link to the finding with the most cases
    pages = [(t, p) for t, p in PAGES if args.pages is None or p in args.pages or t.lower() in args.pages]
    runs: list[list[Visit]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for _ in range(args.repeats):
                wait_quiet(args.quiet)
                run = measure_floor(browser)
                for title, path in pages:
                    wait_quiet(args.quiet)
                    run += measure_page(browser, db, title, path,
                                        *(AUDIT_FILTERS if path == "audit" else (filters, other)), links.get(path))
                runs.append(run)
        finally:
            browser.close()
    results = best(runs)
    (OUT / "dashboard.json").write_text(json.dumps({"setup": setup, "visits": [
        {**asdict(v), "slowest": s} for v, s in results]}, indent=2), encoding="utf-8")
    report(results, setup, args.repeats)


if __name__ == "__main__":
    main()

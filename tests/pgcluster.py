"""A throw-away PostgreSQL cluster for the PostgreSQL store's tests (issue 16): made with the server's own initdb in a
fresh temporary folder, on a free loopback port, trust authentication for the local test user, and removed at the
end. Run as root (CI), the server runs as the `postgres` system user, as PostgreSQL requires.

OVERSIGHT_TEST_POSTGRES=postgresql://USER@HOST:PORT/ uses a server already running instead (its databases named
oversight_t_* are the tests' own). Databases are made and dropped with psql, the server's own client.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PREFIX = "oversight_t_"


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl (Debian keeps them per version under /usr/lib/postgresql), or None."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A running server: `url(name)` is a database's URL; `create`, `copy` and `drop` manage databases."""

    host: str
    port: int
    user: str
    folder: Path | None = None  # None: a server we did not start (not stopped by us)
    run_as: list[str] | None = None

    def url(self, name: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{name}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", str(self.port), "-U", self.user,
             "-d", database, "-At", "-c", sql], capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def tool(self, name: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run one of the server's client programs (pg_dump, pg_restore) against this server."""
        folder = binaries()
        program = str(folder / name) if folder is not None and (folder / name).exists() else shutil.which(name)
        if program is None:
            raise RuntimeError(f"{name} is not installed")
        return subprocess.run([program, "-h", self.host, "-p", str(self.port), "-U", self.user, *args],
                              capture_output=True, text=True, check=False, timeout=600)

    def create(self, template: str | None = None) -> str:
        """Make a new database (empty, or a copy of `template`) and return its name."""
        name = PREFIX + uuid.uuid4().hex[:12]
        self.psql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return name

    def drop(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.folder is None:
            return
        subprocess.run([*(self.run_as or []), str(binaries() / "pg_ctl"), "-D", str(self.folder / "data"), "-m",
                        "immediate", "stop"], capture_output=True, check=False, timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> Cluster:
    """The server to test against: OVERSIGHT_TEST_POSTGRES's, else a new throw-away cluster (RuntimeError if the
    PostgreSQL server programs are not installed)."""
    given = os.environ.get("OVERSIGHT_TEST_POSTGRES", "").strip()
    if given:
        parts = urlsplit(given)
        return Cluster(parts.hostname or "127.0.0.1", parts.port or 5432, parts.username or "postgres")
    bindir = binaries()
    if bindir is None or shutil.which("psql") is None:
        raise RuntimeError("PostgreSQL is not installed (no initdb/psql): .ci/run installs Debian's postgresql")
    folder = Path(tempfile.mkdtemp(prefix="oversight-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: the server runs as the postgres system user
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    data = folder / "data"
    port = _free_port()
    subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                    "--no-sync", "-E", "UTF8"], check=True, capture_output=True, timeout=120)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
    subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                    "-w", "start"], check=True, capture_output=True, timeout=120)
    cluster = Cluster("127.0.0.1", port, "postgres", folder, run_as)
    deadline = time.monotonic() + 30
    while True:
        try:
            cluster.psql("SELECT 1")
            return cluster
        except RuntimeError:
            if time.monotonic() > deadline:
                cluster.stop()
                raise
            time.sleep(0.2)

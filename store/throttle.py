"""The sign-in attempt limit kept in the database, so every process serving the dashboard counts the same attempts.

The same rule as store.passwords.Throttle (``limit`` consecutive failures pause a name for ``pause`` seconds; a
success clears the count), counted in the ``meta`` table under ``sign_in:<name, case-folded>`` as
``<failures> <epoch seconds of the last attempt>``. Each attempt is taken in one write transaction before the password
is hashed: concurrent attempts are serialised by the database (and store.db.WRITE_LOCK within a process), so they
cannot all pass the check before any of them is counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from store.db import transaction

PREFIX = "sign_in:"
FORGET_AFTER = 24 * 3600  # counts of names nobody tried for a day are dropped, so the table stays small


@dataclass
class StoreThrottle:
    """An attempt limit (store.passwords.AttemptLimit) counted in the database of `con`."""

    con: duckdb.DuckDBPyConnection
    limit: int = 5
    pause: float = 60.0
    clock: Callable[[], float] = time.time  # wall clock: the count outlives this process

    def attempt(self, name: str) -> bool:
        key = PREFIX + name.strip().casefold()
        now = self.clock()
        cur = self.con.cursor()
        try:
            with transaction(cur):
                cur.execute("DELETE FROM meta WHERE starts_with(key, ?) AND "
                            "CAST(split_part(value, ' ', 2) AS DOUBLE) < ?", [PREFIX, now - FORGET_AFTER])
                row = cur.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
                failures, last = (int(row[0][0].split()[0]), float(row[0][0].split()[1])) if row else (0, 0.0)
                if failures >= self.limit and now - last < self.pause:
                    return False
                cur.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, f"{failures + 1} {now}"])
                return True
        finally:
            cur.close()

    def succeeded(self, name: str) -> None:
        cur = self.con.cursor()
        try:
            with transaction(cur):
                cur.execute("DELETE FROM meta WHERE key = ?", [PREFIX + name.strip().casefold()])
        finally:
            cur.close()

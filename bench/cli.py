"""Command-line start-up benchmark (run by `make bench`, never by `make test`).

Times, in fresh processes and side by side in each round, the baseline `python -c "import typer"` (the least any
typer command line can cost) against `oversight --help`, `oversight deadline 2026-01-31` and `oversight profile show
nl` (commands that need no database). The target (issue 11) is `oversight --help` under 1.5x the baseline. Prints
min / median seconds per command and the ratio of the minima, the figure least disturbed by a shared machine.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = 15
OVERSIGHT = [sys.executable, "-c", "from cli import main; main()"]
COMMANDS = {
    "baseline: import typer": [sys.executable, "-c", "import typer"],
    "oversight --help": [*OVERSIGHT, "--help"],
    "oversight deadline 2026-01-31": [*OVERSIGHT, "deadline", "2026-01-31"],
    "oversight profile show nl": [*OVERSIGHT, "profile", "show", "nl"],
}
TARGET = 1.5


def once(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    with tempfile.TemporaryDirectory() as folder:  # not the checkout: as a user runs it, from any folder
        for args in COMMANDS.values():
            once(args, Path(folder))  # warm the file cache and the .pyc files before measuring
        for _ in range(ROUNDS):
            for name, args in COMMANDS.items():  # interleaved, so a busy moment hits every command alike
                times[name].append(once(args, Path(folder)))
    base = min(times["baseline: import typer"])
    print(f"{'command':34} {'min':>7} {'median':>7} {'ratio':>6}")
    for name, seconds in times.items():
        print(f"{name:34} {min(seconds):7.3f} {statistics.median(seconds):7.3f} {min(seconds) / base:6.2f}x")
    ratio = min(times["oversight --help"]) / base
    print(f"oversight --help / import typer = {ratio:.2f}x (target under {TARGET}x): "
          f"{'met' if ratio < TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()

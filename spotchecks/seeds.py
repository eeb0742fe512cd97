"""Seed discipline (issue 14, item 6; docs/sampling.md §2): was a sample's seed fixed before the report arrived, and
was it used before for another population?

A seed committed (commitments.py) before the report the sample was drawn from was ingested could not have been
chosen to pick cases; one committed later, or never (a seed typed at the draw, or drawn from the OS then), could
have been tried until the cases suited someone. A seed used for another population (another month, or other
filters) makes two samples' selections depend on each other; it is refused without a reason, which is stored and
shown. The status is marked on the sample, on the page and in the pack.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import duckdb

from spotchecks.queries import fetch, get_sample


class SeedStatus(StrEnum):
    committed = "committed before the report"
    late = "committed after the report"
    uncommitted = "not committed"


@dataclass(frozen=True)
class SeedCheck:
    """How a sample's seed was fixed, and the other samples that used it for another population."""

    sample_id: str
    status: SeedStatus
    reused_with: tuple[str, ...]  # samples with the same seed and another population
    reuse_reason: str | None

    @property
    def marked(self) -> bool:
        """Whether the seed needs a reader's attention (not committed in time, or reused)."""
        return self.status is not SeedStatus.committed or bool(self.reused_with)

    def describe(self) -> str:
        said = {SeedStatus.committed: "The seed was committed before the report arrived.",
                SeedStatus.late: "The seed was committed only after the report arrived: it could have been chosen "
                                 "knowing the cases.",
                SeedStatus.uncommitted: "The seed was not committed before the draw: it could have been chosen (or "
                                        "drawn again) knowing the cases. Commit a seed before the report arrives "
                                        "(oversight sample commit)."}[self.status]
        if self.reused_with:
            said += (f" The same seed was used for another population ({', '.join(self.reused_with)})"
                     + (f"; reason given: {self.reuse_reason}." if self.reuse_reason else "."))
        return said

    def as_dict(self) -> dict[str, object]:
        return {"status": self.status.name, "status_text": self.status.value, "reused_with": list(self.reused_with),
                "reuse_reason": self.reuse_reason, "marked": self.marked, "text": self.describe()}


def other_populations(con: duckdb.DuckDBPyConnection, seed: str, fingerprint: str,
                      exclude: str | None = None) -> list[str]:
    """The samples drawn with this seed from another population (another set of cases: its fingerprint differs)."""
    found = fetch(con, "SELECT sample_id FROM samples WHERE seed = ? AND fingerprint <> ? "
                       "AND sample_id IS DISTINCT FROM ? ORDER BY sample_id", [seed, fingerprint, exclude])
    return [str(r["sample_id"]) for r in found]


def check_seed(con: duckdb.DuckDBPyConnection, sample_id: str) -> SeedCheck:
    """The seed discipline of a stored sample."""
    sample = get_sample(con, sample_id)
    status = SeedStatus.uncommitted
    if sample["commitment"]:
        [row] = fetch(con, "SELECT (SELECT committed_at FROM seed_commitments WHERE commitment = $c) < "
                           "(SELECT max(ingested_at) FROM submissions WHERE list_contains($sids, submission_id)) "
                           "AS before", {"c": sample["commitment"], "sids": sample["submission_ids"]})
        status = SeedStatus.committed if row["before"] else SeedStatus.late
    reused = tuple(other_populations(con, str(sample["seed"]), str(sample["fingerprint"]), sample_id))
    return SeedCheck(sample_id, status, reused, sample.get("seed_reuse_reason"))  # type: ignore[arg-type]

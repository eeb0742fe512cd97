"""Contract profile files: where they live, which there are, and loading one by name or path.

Reading a profile needs no database, so `oversight deadline` and `oversight profile show` start without DuckDB;
linking processors to profiles is the service in checks/contract.py.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from checks.errors import InvalidProfile, UnknownProfile
from checks.profile_model import Profile, build_profile
from checks.profile_schema import PROFILE_NAME, read_merged


def contracts_dir() -> Path:
    """Return the profiles directory: $OVERSIGHT_CONTRACTS, else the profiles installed with the package."""
    env = os.environ.get("OVERSIGHT_CONTRACTS")
    # Package data (the `contracts` package), found the same way in a checkout and in an installed wheel.
    return Path(env) if env else Path(str(resources.files("contracts")))


def list_profiles(directory: Path | None = None) -> list[str]:
    """Return the names of the profiles in the directory (file names without .toml), sorted."""
    folder = directory or contracts_dir()
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def load_profile(name_or_path: str | Path, directory: Path | None = None) -> Profile:
    """Load, merge and validate a profile given by name (in the directory) or by file path."""
    folder = directory or contracts_dir()
    if isinstance(name_or_path, Path) or name_or_path.endswith(".toml") or os.sep in name_or_path:
        path = Path(name_or_path)
        if not path.is_file():
            raise InvalidProfile(str(path), None, "the file does not exist", "Check the path.")
    else:
        path = folder / f"{name_or_path}.toml"
        if not PROFILE_NAME.fullmatch(name_or_path) or not path.is_file():
            raise UnknownProfile(name_or_path, str(folder), list_profiles(folder))
    return build_profile(read_merged(path, ()), path)

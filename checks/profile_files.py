"""Contract profile files edited from the dashboard: validate a proposed text, save it atomically and audited.

A profile is reviewed data (contracts/README.md). A proposed text is loaded exactly as a saved file would be, from a
temporary copy of the contracts directory (so `extends` finds its parent), and is refused with the InvalidProfile
of checks.contract. Saving a parent must not break a profile that extends it, so the profiles that loaded before are
loaded again against the proposed text. Saving writes the file only when all of that passes, by a temporary file
and os.replace, and appends a "profile.changed" audit event (docs/findings.md: "contract profile changed" is audited).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from checks.contract import Profile, contracts_dir, list_profiles, load_profile
from checks.errors import InvalidProfile, UnknownProfile
from store import audit
from store.db import transaction
from store.errors import OversightError
from store.files import replace_atomically
from store.identity import User, require

PERMISSION = "edit a contract profile"
_NAME = re.compile(r"[A-Za-z0-9_-]+")  # as checks.contract: processors are linked by this name
NEW_FILE_MODE = 0o644  # a profile is reviewed like code, not a secret


class ProfileChangedMeanwhile(OversightError):
    """The profile file changed on disk after the editor read it: saving would overwrite someone else's change."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} was changed after you opened it (by someone else, or on disk), so your text was not "
                         "saved. Reload the page to see the current file, apply your change to it, and save again.")


@dataclass(frozen=True)
class ProfileFile:
    """A profile file as it is on disk: its text and the SHA-256 of its bytes (None when there is no file)."""

    name: str
    path: Path
    text: str | None
    sha256: str | None


@dataclass(frozen=True)
class SavedProfile:
    """What a save did: the profile as now loaded, whether the file changed, and the hashes before and after."""

    profile: Profile
    changed: bool
    sha256_before: str | None       # of the merged profile (what check runs store); None if it did not load
    file_sha256_before: str | None  # of the file's bytes; None if there was no file
    file_sha256_after: str
    # Other profiles whose merged content changed with this file (they extend it), name → (before, after).
    dependents: dict[str, tuple[str, str]]
    event_seq: int | None  # the audit event, None when nothing changed


def read_profile_file(name: str, directory: Path | None = None) -> ProfileFile:
    """Return the text and byte hash of a profile file (text None when the file does not exist)."""
    path = _path(name, directory or contracts_dir())
    if not path.is_file():
        return ProfileFile(name, path, None, None)
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidProfile(str(path), None, "not UTF-8 text", "Save the file as UTF-8.") from None
    return ProfileFile(name, path, text, hashlib.sha256(data).hexdigest())


def validate_profile_text(name: str, text: str, directory: Path | None = None) -> Profile:
    """Load a proposed text for profile `name` as if it were saved; raise InvalidProfile naming file, key, reason.

    The returned profile's path and sha256 are those the saved file will have.
    """
    profile, _, _ = _trial(name, text, directory or contracts_dir())
    return profile


def save_profile(con: duckdb.DuckDBPyConnection, user: User, name: str, text: str, *,
                 expected_sha256: str | None = None, directory: Path | None = None) -> SavedProfile:
    """Write a valid profile text to contracts/<name>.toml atomically and append a "profile.changed" event.

    `expected_sha256` is the byte hash of the file as the editor read it: if the file changed since, nothing is
    written (ProfileChangedMeanwhile). An identical text changes nothing and appends no event.
    """
    role = require(user, PERMISSION)
    folder = directory or contracts_dir()
    profile, before, after = _trial(name, text, folder)
    current = read_profile_file(name, folder)
    if expected_sha256 is not None and current.sha256 != expected_sha256:
        raise ProfileChangedMeanwhile(current.path)
    data = text.encode("utf-8")
    new_sha = hashlib.sha256(data).hexdigest()
    dependents = {n: (str(before[n]), str(after[n])) for n in sorted(after)
                  if n != name and before.get(n) and after[n] and before[n] != after[n]}
    if current.sha256 == new_sha:
        return SavedProfile(profile, False, before.get(name), current.sha256, new_sha, {}, None)
    # The event and the file go together: no file if the event fails, no event if the swap fails.
    with transaction(con), replace_atomically(current.path, data, new_file_mode=NEW_FILE_MODE):
        seq = audit.append_event(con, user=user.name, role=role, action="profile.changed", obj=f"profile:{name}",
                                 details={"file": str(current.path), "created": current.text is None,
                                          "sha256_before": before.get(name), "sha256_after": profile.sha256,
                                          "file_sha256_before": current.sha256, "file_sha256_after": new_sha,
                                          "dependents": {n: {"sha256_before": b, "sha256_after": a}
                                                         for n, (b, a) in dependents.items()}})
    return SavedProfile(profile, True, before.get(name), current.sha256, new_sha, dependents, seq)


def _path(name: str, folder: Path) -> Path:
    if not _NAME.fullmatch(name):
        raise InvalidProfile(f"{folder / name}.toml", "name", f"'{name}' cannot be a profile name",
                             "Use letters, digits, '-' and '_' only: the name is the file name without .toml.")
    return folder / f"{name}.toml"


def _loaded_shas(folder: Path) -> dict[str, str | None]:
    """Every profile of a folder → the sha256 of its merged content, or None if it does not load."""
    shas: dict[str, str | None] = {}
    for other in list_profiles(folder):
        try:
            shas[other] = load_profile(other, folder).sha256
        except (InvalidProfile, UnknownProfile):
            shas[other] = None
    return shas


def _trial(name: str, text: str, folder: Path) -> tuple[Profile, dict[str, str | None], dict[str, str | None]]:
    """Load the text as <name>.toml beside copies of the other profiles; return it and every profile's hash
    before and after. Refuse it if it is invalid, or if a profile that loaded before no longer does."""
    real = _path(name, folder)
    before = _loaded_shas(folder)
    with tempfile.TemporaryDirectory(prefix="oversight-profile-") as scratch:
        trial = Path(scratch)
        for other in list_profiles(folder):
            if other != name:
                shutil.copyfile(folder / f"{other}.toml", trial / f"{other}.toml")
        (trial / f"{name}.toml").write_text(text, encoding="utf-8")
        try:
            profile = load_profile(name, trial)
        except InvalidProfile as exc:
            raise _relocated(exc, trial, folder) from None
        after = _loaded_shas(trial)
        for other, sha in after.items():
            if other != name and before.get(other) and sha is None:
                try:
                    load_profile(other, trial)
                except InvalidProfile as exc:
                    broken = _relocated(exc, trial, folder)
                    raise InvalidProfile(str(real), None, f"saving it would make {other}.toml invalid, which "
                                         f"extends it ({broken})",
                                         f"Keep what {other}.toml relies on, or change {other}.toml first.") from None
    return dataclasses.replace(profile, path=real), before, after


def _relocated(exc: InvalidProfile, trial: Path, folder: Path) -> InvalidProfile:
    """The same refusal, naming the real contracts directory instead of the scratch copy."""
    def fix(value: str) -> str:
        return value.replace(str(trial), str(folder))

    where = f"{exc.file}, key `{exc.key}`" if exc.key else exc.file
    head = f"Contract profile {where}: {exc.reason}. "
    message = str(exc)
    hint = message[len(head):] if message.startswith(head) else ""
    return InvalidProfile(fix(exc.file), exc.key, fix(exc.reason), fix(hint))

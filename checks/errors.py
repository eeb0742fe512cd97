"""Named errors of the checks package. Each message says what is wrong and what to do."""

from __future__ import annotations

from store.errors import OversightError
from store.errors import UnknownProcessor as UnknownProcessor  # shared; re-exported for callers here


class InvalidProfile(OversightError):
    """A contract profile file is refused: the message names the file, the key and the reason."""

    def __init__(self, file: str, key: str | None, reason: str, hint: str = "") -> None:
        self.file = file
        self.key = key
        self.reason = reason
        where = f"{file}, key `{key}`" if key else file
        super().__init__(f"Contract profile {where}: {reason}. "
                         f"{hint or 'Correct the file and try again.'}")


class UnknownProfile(OversightError):
    """No contract profile of that name exists in the contracts directory."""

    def __init__(self, name: str, directory: str, known: list[str]) -> None:
        self.name = name
        super().__init__(f"There is no contract profile '{name}' in {directory}. Known profiles: "
                         f"{', '.join(known) or 'none'}. Use one of them, or add {name}.toml there "
                         "(see contracts/README.md).")


class NothingToCheck(OversightError):
    """The run's scope holds no current report."""

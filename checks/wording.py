"""Rule texts as a person reads them: parameters filled with the processor's profile values (issue 12 §8).

The catalog states each rule with the names of the contract parameters it depends on ("within forward_working_days
working days"); pages, the CLI, the pack and the letter show it with the values of the processor's profile ("within
2 working days"), never with a raw name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from vocab.parameters import PARAMETERS, Kind

_KINDS = {p.name: p.kind for p in PARAMETERS}
# Longest first, so that no name is cut by a shorter one it contains.
_NAMES = re.compile(r"`?\b(" + "|".join(sorted(map(re.escape, _KINDS), key=len, reverse=True)) + r")\b`?(\s+\w+)?")


def shown(name: str, value: object, following: str = "") -> str:
    """One parameter value as a sentence needs it, given the word that follows it in the rule."""
    kind = _KINDS[name]
    if kind is Kind.SWITCH:
        return f"{name.replace('_', ' ')}: {'yes' if value else 'no'}"
    if kind is Kind.SHARE:
        return f"{float(value) * 100:g} %"  # type: ignore[arg-type]
    if kind is Kind.LIST:
        values = [str(v).replace("_", " ") for v in value] if value else []  # type: ignore[attr-defined]
        return ", ".join(values) or "none"
    unit = next((u for u in ("days", "months") if name.endswith("_" + u[:-1] + "s") or name.endswith("_" + u)),
                None)
    word = following.strip().lower()
    if unit and word not in (unit, "working", "calendar"):
        return f"{value} {unit}"
    return str(value)


def fill(text: str, values: Mapping[str, object] | object) -> str:
    """Replace each parameter name in `text` by its value in `values` (a mapping or a Parameters object)."""
    def value_of(name: str) -> object:
        return values[name] if isinstance(values, Mapping) else getattr(values, name)

    def replace(match: re.Match[str]) -> str:
        following = match.group(2) or ""
        try:
            value = value_of(match.group(1))
        except (KeyError, AttributeError):
            return match.group(0)
        return shown(match.group(1), value, following) + following

    return _NAMES.sub(replace, text)

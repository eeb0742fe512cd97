"""Compile the catalogs: every `i18n/locale/<lang>/LC_MESSAGES/oversight.po` to the `.mo` beside it.

    python -m i18n.compile          # write the .mo files (commit them with the .po)
    python -m i18n.compile --check  # also list the messages the code uses that a catalog lacks; exit 1 if any

A build-time tool: it uses babel, which the running product never imports (docs/i18n.md).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from i18n import DOMAIN, LANGUAGES

ROOT = Path(__file__).resolve().parent
PROJECT = ROOT.parent
# The gettext keywords of i18n.Messages: _(msg), n_(singular, plural, count), p_(context, msg).
KEYWORDS = {"_": None, "n_": (1, 2), "p_": ((1, "c"), 2)}
# Where the code that speaks the processor's language lives; add a folder here when a page starts to use _().
SOURCES = ("i18n", "exports", "portal")


def po_path(language: str) -> Path:
    return ROOT / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str) -> Catalog:
    with po_path(language).open("rb") as fp:
        return read_po(fp, locale=language, domain=DOMAIN)


def mo_bytes(catalog: Catalog) -> bytes:
    """The compiled catalog, as `write_mo` makes it (fuzzy entries left out, as gettext does)."""
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def compile_all() -> list[Path]:
    """Write each language's .mo from its .po; return the files written."""
    written = []
    for language in LANGUAGES:
        target = po_path(language).with_suffix(".mo")
        target.write_bytes(mo_bytes(read_catalog(language)))
        written.append(target)
    return written


def used_messages(folders: Iterable[str] = SOURCES) -> set[tuple[str | None, str | tuple[str, ...]]]:
    """(context, message id) of every message the code asks for, found by babel's extractor."""
    found: set[tuple[str | None, str | tuple[str, ...]]] = set()
    for folder in folders:
        path = PROJECT / folder
        if not path.is_dir():
            continue
        for _file, _line, message, _comments, context in extract_from_dir(
                str(path), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()):
            found.add((context, message))
    return found


def missing(language: str) -> list[str]:
    """The messages the code uses that the language's catalog lacks."""
    catalog = read_catalog(language)
    out = []
    for context, message in sorted(used_messages(), key=str):
        msgid = message[0] if isinstance(message, tuple) else message
        if catalog.get(msgid, context=context) is None:
            out.append(f"{context + ': ' if context else ''}{msgid}")
    return out


def main(argv: list[str]) -> int:
    for path in compile_all():
        print(f"compiled {path.relative_to(PROJECT)}")
    if "--check" in argv:
        gaps = {language: missing(language) for language in LANGUAGES}
        for language, messages in gaps.items():
            for message in messages:
                print(f"{language}: missing {message!r}", file=sys.stderr)
        return 1 if any(gaps.values()) else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Add one message to every catalog and recompile, in one step (docs/i18n.md):

    python -m i18n.add "Your evidence is due by {date}." --nl "Uw bewijs is verschuldigd tegen {date}." \\
        --fr "Vos pièces sont attendues pour le {date}." [--context portal]

The English text is the message id (English msgstr stays empty, so English reads the id). A message already in a
catalog has its translation replaced. Placeholders must match across the three texts (tests/test_i18n.py holds them
to it). A build-time tool: it uses babel.
"""

from __future__ import annotations

import argparse
import re

from babel.messages.pofile import write_po

from i18n.compile import compile_all, po_path, read_catalog

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def add(message: str, translations: dict[str, str], context: str | None = None) -> None:
    """Put the message with its nl and fr text in all three catalogs and recompile them."""
    wanted = set(PLACEHOLDER.findall(message))
    for language, text in translations.items():
        if not text.strip():
            raise SystemExit(f"The {language} text is empty; give every language a translation.")
        if set(PLACEHOLDER.findall(text)) != wanted:
            raise SystemExit(f"The {language} text has placeholders {sorted(set(PLACEHOLDER.findall(text)))}, "
                             f"the message {sorted(wanted)}; they must be the same.")
    for language, text in {**translations, "en": ""}.items():
        catalog = read_catalog(language)
        catalog.add(message, text, context=context)
        with po_path(language).open("wb") as fp:
            write_po(fp, catalog, width=120)
    compile_all()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m i18n.add", description="Add one message to every catalog.")
    parser.add_argument("message", help="the English text, as the code writes it in _(...)")
    parser.add_argument("--nl", required=True, help="the Dutch text")
    parser.add_argument("--fr", required=True, help="the French text")
    parser.add_argument("--context", default=None, help="the context, when the code uses p_(context, message)")
    args = parser.parse_args()
    add(args.message, {"nl": args.nl, "fr": args.fr}, args.context)
    print(f"Added to nl, fr and en, and recompiled: {args.message!r}")


if __name__ == "__main__":
    main()

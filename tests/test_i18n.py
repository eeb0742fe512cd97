"""The message catalogs (issue 15 item 6): compiled as committed, complete in Dutch and French, placeholders kept."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import i18n
from i18n.compile import mo_bytes, po_path, read_catalog, used_messages

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _entries(language: str) -> list:
    return [m for m in read_catalog(language) if m.id]


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_committed_mo_is_what_compiling_the_po_gives(language: str) -> None:
    assert po_path(language).with_suffix(".mo").read_bytes() == mo_bytes(read_catalog(language)), \
        "run `python -m i18n.compile` and commit the .mo files"


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_every_message_is_translated(language: str) -> None:
    empty = [m.id for m in _entries(language)
             if not (all(s.strip() for s in m.string) if isinstance(m.string, tuple) else m.string.strip())]
    assert not empty
    assert {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in _entries(language)} == \
        {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in _entries("en")}


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_placeholders_are_the_same_in_the_message_and_its_translation(language: str) -> None:
    for m in _entries(language):
        ids = (m.id,) if isinstance(m.id, str) else m.id
        strings = (m.string,) if isinstance(m.string, str) else m.string
        for msgid, text in zip(ids, strings, strict=True):
            if text:
                assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(msgid)), (language, msgid, text)


def test_every_message_the_code_uses_is_in_the_catalogs() -> None:
    catalog = read_catalog("nl")
    used = used_messages()
    assert len(used) > 100
    missing = [(c, m) for c, m in used if catalog.get(m if isinstance(m, str) else m[0], context=c) is None]
    assert not missing, "add them with `python -m i18n.add` (docs/i18n.md)"


def test_translator_loads_each_language_and_refuses_an_unknown_one() -> None:
    assert i18n.LANGUAGES == ("nl", "fr", "en")
    assert i18n.translator("NL").gettext("Dear Sir or Madam,") == "Geachte heer, geachte mevrouw,"
    assert i18n.translator("fr-BE").gettext("Dear Sir or Madam,") == "Madame, Monsieur,"
    assert i18n.translator("en").gettext("Dear Sir or Madam,") == "Dear Sir or Madam,"
    assert i18n.translator("nl") is i18n.translator("nl")  # cached
    _ = i18n.gettext_for("nl")
    assert _("Date: {date}", date="1 mei") == "Datum: 1 mei"
    with pytest.raises(i18n.UnknownLanguage, match=r"no message catalog for the language 'de'\. The languages are: "
                                                   "nl, fr, en"):
        i18n.translator("de")


def test_the_catalogs_load_without_babel_or_streamlit() -> None:
    code = ("import sys, i18n, i18n.dates, exports.letter_doc; i18n.translator('fr');"
            "assert not {'babel', 'streamlit'} & set(sys.modules), sorted(m for m in sys.modules if 'babel' in m)")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)

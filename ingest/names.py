"""Processor names as people mean them: one processor, however its name is typed (issue 18, item 3).

Look-alike names used to make new processors: a trailing space, a zero-width character, another case, or a Cyrillic
"е" in "Bеlcall". A name is read in its normal form (Unicode NFKC, format characters removed, whitespace collapsed)
and matched case-insensitively; a name that only looks like a registered one (the same letters once look-alike
characters are mapped, or a near spelling) is refused with the registered name, so a person decides.
"""

from __future__ import annotations

import unicodedata
from difflib import SequenceMatcher

import duckdb

from ingest.errors import IngestError

# Letters of other scripts drawn like Latin ones (Unicode TR39 confusables, the usual Cyrillic and Greek ones).
LOOKALIKE = str.maketrans("аеорсухіјѕԁԛԝАВЕКМНОРСТУХІЈЅαβεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
                          "aeopcyxijsdqwABEKMHOPCTYXIJSabeikvoptuxABEZHIKMNOPTYX")
NEAR = 0.9  # difflib ratio from which two different names are probably one misspelt


class SimilarProcessor(IngestError):
    """The name given is not a registered processor's, but looks like one."""

    refusal = None  # the person has a question to answer, the file is not at fault

    def __init__(self, given: str, registered: str) -> None:
        super().__init__(
            f"'{given}' is not a registered processor, but it looks like '{registered}' (the same letters drawn "
            f"alike, or a near spelling). If it is that processor, give its name exactly: --processor "
            f"\"{registered}\". If it is another processor, register it first (Processors page), then ingest.")
        self.registered = registered


def normal(name: str) -> str:
    """The name as stored: NFKC, without format characters (zero-width space, joiners), single spaces, trimmed."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split())


def key(name: str) -> str:
    """What two names of one processor share: the normal form, case-insensitively."""
    return normal(name).casefold()


def skeleton(name: str) -> str:
    """The key with look-alike letters of other scripts mapped to the Latin ones they resemble."""
    return key(name).translate(LOOKALIKE).casefold()


def resolve(con: duckdb.DuckDBPyConnection, given: str) -> str:
    """Return the registered name `given` means, or its normal form when it is new; refuse a look-alike."""
    registered = [name for (name,) in con.execute("SELECT name FROM processors").fetchall()]
    wanted = key(given)
    for name in registered:
        if key(name) == wanted:
            return name
    for name in registered:
        if skeleton(name) == skeleton(given) or SequenceMatcher(None, key(name), wanted).ratio() >= NEAR:
            raise SimilarProcessor(given, name)
    return normal(given)

"""Message catalogs (issue 15 item 6): every sentence a processor reads, in Dutch, French or English.

The catalogs are GNU gettext files, domain `oversight`, one per language in `i18n/locale/<lang>/LC_MESSAGES/`: the
`.po` is what a translator edits, the compiled `.mo` beside it is what runs (docs/i18n.md says how to add a message).
They are package data read through importlib.resources, so an installed wheel finds them as a checkout does.
This package never imports streamlit or babel: babel compiles the catalogs (`python -m i18n.compile`), at build
time only. The English text in the code is the message id, so an untranslated message still reads in English.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from store.errors import OversightError

LANGUAGES: tuple[str, ...] = ("nl", "fr", "en")
DEFAULT_LANGUAGE = "en"
DOMAIN = "oversight"


class UnknownLanguage(OversightError):
    """A language with no catalog."""

    def __init__(self, language: object) -> None:
        self.language = language
        super().__init__(f"There is no message catalog for the language '{language}'. "
                         f"The languages are: {', '.join(LANGUAGES)}.")


def language_code(language: str | None) -> str:
    """Return the catalog language of a code as the register or an option writes it ('NL', 'nl-BE', 'fr_FR')."""
    code = (language or "").strip().replace("_", "-").split("-")[0].lower()
    if code not in LANGUAGES:
        raise UnknownLanguage(language)
    return code


def mo_path(language: str) -> resources.abc.Traversable:
    """Where a language's compiled catalog is, inside the package."""
    return resources.files(__package__).joinpath("locale", language_code(language), "LC_MESSAGES", f"{DOMAIN}.mo")


@cache
def _load(code: str) -> gettext.NullTranslations:
    with mo_path(code).open("rb") as fp:
        return gettext.GNUTranslations(fp)


def translator(language: str) -> gettext.NullTranslations:
    """The language's catalog (loaded once per process); an unknown language is refused naming the languages."""
    return _load(language_code(language))


@dataclass(frozen=True)
class Messages:
    """A language's messages with `str.format` placeholders: `m._("Due by {date}.", date=...)`.

    The method names are gettext's usual keywords (`_`, `n_` for plurals, `p_` for a message with a context), so
    the extraction in `python -m i18n.compile --check` finds every message the code uses.
    """

    language: str

    def _(self, message: str, /, **values: object) -> str:
        """The message in this language, its `{placeholders}` filled."""
        text = translator(self.language).gettext(message)
        return text.format(**values) if values else text

    def n_(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        """The singular or plural form the language uses for `count` (also available as `{count}`)."""
        return translator(self.language).ngettext(singular, plural, count).format(count=count, **values)

    def p_(self, context: str, message: str, /, **values: object) -> str:
        """A message whose translation depends on where it is used ('month' → 'May')."""
        text = translator(self.language).pgettext(context, message)
        return text.format(**values) if values else text


def messages(language: str) -> Messages:
    """The `_` helper of a language: `_ = messages("nl")._`; an unknown language is refused here, not at first use."""
    return Messages(language_code(language))


def gettext_for(language: str) -> Callable[..., str]:
    """A gettext-style `_` for a language: `_ = gettext_for("fr"); _("Our reference")`."""
    return messages(language)._

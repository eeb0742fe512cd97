"""Dates as a letter writes them in each language: '28 November 2026', '28 november 2026', '28 novembre 2026'.

The month names and the order come from the catalog (context `month`, `date`), not from babel or the system locale:
babel is a build-time tool here, and the system's locales differ from machine to machine.
"""

from __future__ import annotations

from datetime import date

from i18n import Messages, messages


def _month(m: Messages, number: int) -> str:
    names = (m.p_("month", "January"), m.p_("month", "February"), m.p_("month", "March"), m.p_("month", "April"),
             m.p_("month", "May"), m.p_("month", "June"), m.p_("month", "July"), m.p_("month", "August"),
             m.p_("month", "September"), m.p_("month", "October"), m.p_("month", "November"),
             m.p_("month", "December"))
    return names[number - 1]


def long_date(day: date, language: str) -> str:
    """The date written out in the language, as a letter dates itself."""
    m = messages(language)
    # French writes the first of the month as an ordinal ("1er novembre"); the catalog says so per language.
    number = m.p_("day of the month", "1") if day.day == 1 else str(day.day)
    return m.p_("date", "{day} {month} {year}", day=number, month=_month(m, day.month), year=day.year)


def month_year(period: str, language: str) -> str:
    """A report month 'YYYY-MM' written out: 'oktober 2026'."""
    year, month = (int(x) for x in period.split("-"))
    m = messages(language)
    return m.p_("date", "{month} {year}", month=_month(m, month), year=year)

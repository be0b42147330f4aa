"""Numbers, percentages and dates written for people in French (Canada), with Babel.

Every learner-, trainer- and HR-facing number or date goes through these functions (no
hand-written formats): « 5 mai 2023 », « 1er mai 2023 », « 17,6 % », « 12 345 ». Times are
shown in Québec's time zone (:data:`LOCAL_TZ`). Babel is imported on first use, so a module
that only imports this one pays nothing until it formats something.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

__all__ = ["LOCALE", "LOCAL_TZ", "date_long", "datetime_long", "integer", "number", "percent"]

LOCALE = "fr_CA"
LOCAL_TZ: dt.tzinfo = ZoneInfo("America/Toronto")
"""Québec's time zone (Eastern Time)."""


def _as_date(value: dt.date | dt.datetime | str) -> dt.date:
    if isinstance(value, str):
        text = value.replace("Z", "+00:00")
        value = dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(LOCAL_TZ)
        return value.date()
    return value


def date_long(value: dt.date | dt.datetime | str) -> str:
    """« 5 mai 2023 », « 1er mai 2023 » (an aware moment is first put in Québec time)."""
    from babel.dates import format_date

    day = _as_date(value)
    text = format_date(day, format="long", locale=LOCALE)
    if day.day == 1 and text.startswith("1 "):
        text = "1er" + text[1:]
    return text


def datetime_long(value: dt.datetime | str) -> str:
    """« 5 mai 2023 à 10 h 03 » in Québec time (naive values are taken as UTC)."""
    from babel.dates import format_time

    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(LOCAL_TZ)
    clock = format_time(local, format="H 'h' mm", locale=LOCALE)
    return f"{date_long(local)} à {clock}"


def integer(value: int) -> str:
    """« 12 345 » (grouping with a no-break space)."""
    from babel.numbers import format_decimal

    return format_decimal(value, format="#,##0", locale=LOCALE)


def number(value: float, decimals: int = 1) -> str:
    """« 3,5 » with at most ``decimals`` digits after the comma."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "#" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def percent(ratio: float, decimals: int = 0) -> str:
    """A 0-to-1 ratio as « 80 % » or, with ``decimals=1``, « 17,6 % »."""
    from babel.numbers import format_percent

    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + "\u00a0%"
    return format_percent(ratio, format=pattern, locale=LOCALE)

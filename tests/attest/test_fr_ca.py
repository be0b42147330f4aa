"""fr-CA numbers and dates as people read them (Babel)."""

from __future__ import annotations

import datetime as dt

import pytest

from attest import fr_ca


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-05-05", "5 mai 2023"),
        ("2023-05-01", "1er mai 2023"),
        (dt.date(2024, 12, 25), "25 décembre 2024"),
        # 02:00 UTC on 5 May is still 4 May in Québec.
        (dt.datetime(2023, 5, 5, 2, tzinfo=dt.UTC), "4 mai 2023"),
        ("2023-05-05T02:00:00Z", "4 mai 2023"),
    ],
)
def test_long_dates(value: object, expected: str) -> None:
    assert fr_ca.date_long(value) == expected  # type: ignore[arg-type]


def test_date_and_time_in_quebec_time() -> None:
    assert fr_ca.datetime_long("2023-05-05T14:03:00Z") == "5 mai 2023 à 10 h 03"


def test_numbers_use_comma_and_no_break_space() -> None:
    assert fr_ca.percent(0.176, 1) == "17,6\u00a0%"
    assert fr_ca.percent(0.8) == "80\u00a0%"
    assert fr_ca.integer(12345) == "12\u00a0345"
    assert fr_ca.number(3.5) == "3,5"
    assert fr_ca.number(3.0) == "3"

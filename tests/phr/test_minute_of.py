"""minute_of (the key that makes two readings the same reading) agrees with datetime.timestamp() everywhere."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from desktop.phr.matching import minute_of

ZONES = [None, UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=45)),
         timezone(timedelta(hours=-4, minutes=-56, seconds=-2)), ZoneInfo("America/New_York"),
         ZoneInfo("Australia/Lord_Howe")]


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_minute_of_equals_the_timestamp_minute(tz):
    rng = random.Random(7)
    for _ in range(3000):
        when = datetime(rng.randint(1850, 2040), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                        rng.randint(0, 59), rng.randint(0, 59), tzinfo=tz)
        expected = int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp() // 60)
        assert minute_of(when) == expected, when


def test_the_same_instant_in_two_zones_is_the_same_minute():
    a = datetime(2026, 3, 7, 20, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert minute_of(a) == minute_of(a.astimezone(UTC)) == minute_of(a.astimezone(ZoneInfo("Europe/Paris")))

"""The Apple Health reader's bulk shortcuts give exactly what the plain code gives: records made through
desktop.phr.bulk.maker, times parsed once per hour, devices counted once per file."""

from __future__ import annotations

import dataclasses
import gc

import pytest

from desktop.phr import read_file
from desktop.phr.bulk import gc_paused, maker
from desktop.phr.dates import apple_ts
from desktop.phr.errors import SkipEntry
from desktop.phr.records import PhrObservation
from desktop.phr.review import Decision, ItemStatus, PlanItem

HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">'
TAIL = b"</HealthData>"


def _hr(start: str, value: int = 70, source: str = "Watch") -> bytes:
    return (f'<Record type="HKQuantityTypeIdentifierHeartRate" sourceName="{source}" unit="count/min" '
            f'value="{value}" startDate="{start}" endDate="{start}"/>').encode()


def test_a_made_record_is_an_ordinary_frozen_instance():
    args = ("8867-4", "Heart rate", 71.0, "/min", apple_ts("2026-03-07 20:00:00 -0500"), "g", 71.0, "count/min",
            "device", "Watch", "me", "Apple Health", "HeartRate|Watch|x")
    made = maker(PhrObservation)(*args)
    plain = PhrObservation(*args)
    assert type(made) is PhrObservation
    assert made == plain and hash(made) == hash(plain) and repr(made) == repr(plain)
    assert made.source_date is None and made.author == ""  # the defaults of the fields not given
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.value = 80.0  # type: ignore[misc]
    item = maker(PlanItem)("k", "observations", ItemStatus.NEW, made, None, (), (Decision.ADD,), Decision.ADD)
    assert item == PlanItem(key="k", category="observations", status=ItemStatus.NEW, file_item=plain,
                            choices=(Decision.ADD,), default=Decision.ADD)


def test_gc_paused_turns_the_collector_back_on_only_when_it_turned_it_off():
    was = gc.isenabled()  # the suite runs with it off, as the GUI does (desktop.ops.GuiThreadGarbageCollector)
    try:
        gc.enable()
        with gc_paused():
            assert not gc.isenabled()
            with gc_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()
        assert gc.isenabled()
        with pytest.raises(RuntimeError), gc_paused():
            raise RuntimeError("boom")
        assert gc.isenabled()
        gc.disable()
        with gc_paused():
            pass
        assert not gc.isenabled()  # off before, off after: the GUI's own collection stays in charge
    finally:
        (gc.enable if was else gc.disable)()


GOOD_TIMES = [
    "2026-03-07 20:00:00 -0500", "2026-03-07 20:59:59 -0500", "2026-03-07 20:07:31 -0500",  # one hour, cached
    "2026-03-07 20:07:31 +0100",  # the same wall time in another zone: another instant
    "2026-03-07 20:+7:31 -0500",  # int() takes "+7": apple_ts reads it, so must the shortcut
    "2026-03-07 20:07:31 -05:00",  # another shape: the general parser
]
BAD_TIMES = ["2026-03-07 20:61:00 -0500", "2026-03-07 25:00:00 -0500", "2026-02-30 20:00:00 -0500",
             "2026-03-07 20:00:00 -05xx", "yesterday"]


def test_times_are_read_as_apple_ts_reads_them_and_bad_ones_are_skipped_naming_the_files_text(tmp_path):
    body = b"".join(_hr(t, 60 + i) for i, t in enumerate(GOOD_TIMES + BAD_TIMES))
    path = tmp_path / "export.xml"
    path.write_bytes(HEAD + body + _hr("1799-05-01 10:00:00 -0500") + TAIL)
    parsed = read_file(path)
    assert [o.taken_at for o in parsed.observations] == [apple_ts(t) for t in GOOD_TIMES]
    assert [o.taken_at.utcoffset() for o in parsed.observations] == [apple_ts(t).utcoffset() for t in GOOD_TIMES]
    reasons = {s.item: s.reason for s in parsed.skipped}
    for t in BAD_TIMES:
        with pytest.raises(SkipEntry) as exc:
            apple_ts(t)
        assert reasons[f"HeartRate {t}"] == exc.value.reason
    assert reasons["HeartRate 1799-05-01 10:00:00 -0500"] == "measurement date 1799-05-01 is before 1850"


def test_the_files_source_names_its_devices_by_how_many_readings_each_gave(tmp_path):
    body = _hr("2026-03-07 20:00:00 -0500", 70, "Scale") + b"".join(
        _hr(f"2026-03-07 21:{m:02d}:00 -0500", 70, "Watch") for m in range(3))
    path = tmp_path / "export.xml"
    path.write_bytes(HEAD + body + TAIL)
    parsed = read_file(path)
    assert parsed.info.source_system == "Apple Health (Watch, Scale)"
    assert parsed.patient_refs == ("apple-health:me",)

"""Apple Health export.xml, streamed through expat callbacks (exports reach hundreds of MB; never loaded whole).

Quantity records become readings in the chart's units; blood pressure pairs share a group; steps are summed
per day and source, and the day's value is the largest source's total (a watch and a phone count the same
steps). Records inside a Correlation repeat top-level records; the duplicates collapse later by value and time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice
from typing import BinaryIO
from xml.parsers import expat

from desktop.kb.vitals import (
    BMI,
    DIASTOLIC,
    GLUCOSE,
    HEART_RATE,
    HEIGHT,
    PULSE_OX,
    RESP_RATE,
    RESTING_HEART_RATE,
    SYSTOLIC,
    TEMPERATURE,
    WEIGHT,
)
from desktop.kb.vitals import STEPS as STEPS_LOINC

from . import dates
from .builder import ParsedBuilder
from .bulk import gc_paused, maker
from .dates import EARLIEST, apple_ts, check_past
from .errors import SkipEntry, UnreadableFile, UnsafeFile
from .records import PhrObservation, PhrPatient
from .units import to_canonical
from .vitals import VITALS, VitalKind

SOURCE_SYSTEM = "Apple Health"
PATIENT_REF = "apple-health:me"
STEPS = "HKQuantityTypeIdentifierStepCount"


@dataclass(frozen=True, slots=True)
class _AppleType:
    loinc: str
    fraction_percent: bool = False


APPLE_TYPES: dict[str, _AppleType] = {
    "HKQuantityTypeIdentifierHeartRate": _AppleType(HEART_RATE),
    "HKQuantityTypeIdentifierRestingHeartRate": _AppleType(RESTING_HEART_RATE),
    "HKQuantityTypeIdentifierRespiratoryRate": _AppleType(RESP_RATE),
    "HKQuantityTypeIdentifierBodyTemperature": _AppleType(TEMPERATURE),
    "HKQuantityTypeIdentifierOxygenSaturation": _AppleType(PULSE_OX, fraction_percent=True),
    "HKQuantityTypeIdentifierBodyMass": _AppleType(WEIGHT),
    "HKQuantityTypeIdentifierHeight": _AppleType(HEIGHT),
    "HKQuantityTypeIdentifierBodyMassIndex": _AppleType(BMI),
    "HKQuantityTypeIdentifierBloodGlucose": _AppleType(GLUCOSE),
    "HKQuantityTypeIdentifierBloodPressureSystolic": _AppleType(SYSTOLIC),
    "HKQuantityTypeIdentifierBloodPressureDiastolic": _AppleType(DIASTOLIC),
}
_BP = {"HKQuantityTypeIdentifierBloodPressureSystolic", "HKQuantityTypeIdentifierBloodPressureDiastolic"}
_SEX = {"HKBiologicalSexMale": "male", "HKBiologicalSexFemale": "female", "HKBiologicalSexOther": "other"}
_TOP_LEVEL_IGNORED = {"Workout": "Apple Health workout", "ActivitySummary": "Apple Health activity summary"}


_SHORT: dict[str, str] = {}


def _short_type(t: str) -> str:
    short = _SHORT.get(t)
    if short is None:
        short = _SHORT[t] = _strip_prefix(t)
    return short


def _strip_prefix(t: str) -> str:
    for prefix in ("HKQuantityTypeIdentifier", "HKCategoryTypeIdentifier", "HKCorrelationTypeIdentifier",
                   "HKDataType"):
        if t.startswith(prefix):
            return t[len(prefix):]
    return t


# Deeper than any real export (HealthData > Correlation > Record > MetadataEntry is 4): a file nesting further
# is not an export, and refusing it early keeps a hostile file from growing the parser's stack.
MAX_DEPTH = 32


class _Refuse(Exception):
    """Raised from a parser callback: the file declares entities or points outside itself."""


def _parser() -> expat.XMLParserType:
    """expat with every door of the XML attacks closed: an entity declaration (billion laughs, external entities)
    or an external DTD stops the parse; parameter entities are never expanded. The DOCTYPE's element and
    attribute declarations that the iPhone writes are allowed. Used directly, not through ElementTree: no tree
    is built and the C parser calls back only for the elements read here."""
    p = expat.ParserCreate()
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def entity(*_args):
        raise _Refuse("an entity declaration")

    def doctype(_name, sysid, pubid, _internal):
        if sysid or pubid:
            raise _Refuse("an external DTD")

    def external(*_args):
        raise _Refuse("an external reference")

    p.EntityDeclHandler = entity
    p.UnparsedEntityDeclHandler = entity
    p.StartDoctypeDeclHandler = doctype
    p.ExternalEntityRefHandler = external
    p.buffer_text = True
    return p


def read(stream: BinaryIO, builder: ParsedBuilder, name: str) -> None:
    state = _State(builder)
    p = _parser()
    p.StartElementHandler = state.start
    p.EndElementHandler = state.end
    try:
        with gc_paused():  # hundreds of thousands of readings, no cycles among them
            # fed in 1 MB chunks: ParseFile asks the metered stream for 2 KB at a time (45,000 reads for 90 MB)
            while chunk := stream.read(_CHUNK):
                p.Parse(chunk, False)
            p.Parse(b"", True)
    except _Refuse as exc:
        raise UnsafeFile(f"{name} declares XML entities or external references; refused for safety ({exc})") from None
    except expat.ExpatError as exc:
        raise UnreadableFile(f"{name} is damaged or truncated XML ({expat.errors.messages[exc.code]}: "
                             f"line {exc.lineno}, column {exc.offset})") from None
    except _NotAnExport as exc:
        raise UnreadableFile(f"{name} {exc}") from None
    if not state.seen_health_data:
        raise UnreadableFile(f"{name} is not an Apple Health export")
    devices = Counter(r.device for r in islice(builder.observations, state.first, None))  # first seen, first
    builder.count_readings(SOURCE_SYSTEM, PATIENT_REF, devices)
    if state.over_limit:
        builder.skip(f"{state.over_limit:,} further readings",
                     f"more than {builder.control.limits.max_readings:,} readings in one file (limit)")
    if state.steps:
        _daily_steps(state.steps, state.steps_tz, builder)
        builder.note("Apple Health steps are summed per day; when several devices count, the largest total is kept.")


_CHUNK = 1 << 20


class _NotAnExport(Exception):
    pass


class _State:
    """The parser's callbacks: a Record's attributes arrive at its start; whether the user typed it (a
    MetadataEntry child) is known at its end, where the reading is made."""

    __slots__ = ("builder", "append", "max_readings", "depth", "seen_health_data", "correlation", "steps",
                 "steps_tz", "over_limit", "record", "user_entered", "values", "types", "sources", "first",
                 "hours", "latest_day")

    def __init__(self, builder: ParsedBuilder):
        self.builder = builder
        self.append = builder.observations.append  # counted once at the end (count_readings), not per reading
        self.max_readings = builder.control.limits.max_readings
        self.depth = 0
        self.seen_health_data = False
        self.correlation: str | None = None  # the open Correlation's group
        self.steps: dict[tuple[date, str], float] = defaultdict(float)
        self.steps_tz: dict[date, object] = {}
        self.over_limit = 0
        self.record: dict | None = None  # the open Record's attributes, when it is one we read
        self.user_entered = False
        # an export repeats a few hundred values, units, types and device names a hundred thousand times: each is
        # worked out once and every reading shares the same objects (less time, a fraction of the memory)
        self.values: dict[tuple[str, str | None, str], tuple[float, float, str] | str] = {}
        self.types: dict[str, _TypeInfo] = {}
        self.sources: dict[str, tuple[str, str]] = {}
        self.first = len(builder.observations)  # this file's readings start here (a zip may hold several)
        self.hours: dict[str, datetime] = {}  # "YYYY-MM-DD HH -ZZZZ" -> that hour
        # check_past's bounds, worked out once: a date inside them passes check_past (today only moves on)
        self.latest_day = dates._today() + timedelta(days=1)

    def start(self, tag: str, a: dict) -> None:
        self.depth = depth = self.depth + 1
        if tag == "Record":
            rtype = a.get("type", "")
            if rtype == STEPS:
                self._step(a)
            elif rtype in APPLE_TYPES:
                self.record, self.user_entered = a, False
            else:
                self.builder.ignore(f"Apple Health {_short_type(rtype) or 'record'}")
        elif tag == "MetadataEntry":
            if self.record is not None and a.get("key") == "HKWasUserEntered" and a.get("value") == "1":
                self.user_entered = True
        elif depth == 1:
            if tag != "HealthData":
                raise _NotAnExport(f"is not an Apple Health export (root <{tag}>)")
            self.seen_health_data = True
        elif depth == 2:
            if tag == "Correlation":
                self.correlation = f"apple:{a.get('type', '')}|{a.get('sourceName', '')}|{a.get('startDate', '')}"[:300]
            elif tag == "Me":
                _me(a, self.builder)
            elif tag in _TOP_LEVEL_IGNORED:
                self.builder.ignore(_TOP_LEVEL_IGNORED[tag])
        elif depth > MAX_DEPTH:
            raise _NotAnExport(f"nests elements more than {MAX_DEPTH} deep: not an Apple Health export")

    def end(self, tag: str) -> None:
        self.depth -= 1
        if tag == "Record" and self.record is not None:
            a, self.record = self.record, None
            if len(self.builder.observations) >= self.max_readings:
                self.over_limit += 1
            else:
                self._record(a)
        elif tag == "Correlation" and self.depth == 1:
            self.correlation = None

    def when(self, text: str) -> datetime:
        """apple_ts(text), with the hour of a plain Apple time worked out once (minutes and seconds from a table)."""
        hour = self.hours.get(text[:13] + text[19:])  # a hit means the same shape as the text that made the entry
        if hour is not None:
            past = _MINUTES_SECONDS.get(text[13:19])
            if past is not None:
                return hour + past
        return self.parse_time(text)

    def parse_time(self, text: str) -> datetime:
        """apple_ts(text) (raises SkipEntry naming the text); the hour of a plain Apple time inside check_past's
        bounds is kept for the next records of that hour (read through `hours`: a day out of range never is)."""
        taken = apple_ts(text)
        if len(text) == 25 and text[4] == "-" and text[10] == " " and text[19] == " ":
            past = _MINUTES_SECONDS.get(text[13:19])
            if past is not None and EARLIEST <= taken.date() <= self.latest_day and len(self.hours) < _HOUR_CACHE:
                self.hours[text[:13] + text[19:]] = taken - past
        return taken

    def _step(self, a: dict) -> None:
        try:
            when = self.when(a.get("startDate", ""))
            day = when.date()
            self.steps[(day, a.get("sourceName", ""))] += float(a.get("value", "0"))
            self.steps_tz.setdefault(day, when.tzinfo)
        except (SkipEntry, ValueError) as exc:
            self.builder.skip(f"StepCount {a.get('startDate', '')}", getattr(exc, "reason", "unreadable value"))

    def _record(self, a: dict) -> None:
        rtype = a.get("type", "")
        start = a.get("startDate", "")
        t = self.types.get(rtype)
        if t is None:
            t = self.types[rtype] = _TypeInfo(rtype)
        source = a.get("sourceName", "")
        known = self.sources.get(source)
        if known is None:
            known = self.sources[source] = (source, source[:200])
        source, device = known
        try:
            hour = self.hours.get(start[:13] + start[19:])  # self.when(start), inline: once per reading
            past = _MINUTES_SECONDS.get(start[13:19]) if hour is not None else None
            if past is not None:
                taken = hour + past  # an hour in `hours` is inside check_past's bounds
            else:
                taken = self.parse_time(start)
                day = taken.date()
                if day < EARLIEST or day > self.latest_day:
                    check_past(taken, "measurement date")  # raises for a date really out of range, with the sentence
            raw_value = a.get("value")
            unit = a.get("unit", "")
            key = (rtype, raw_value, unit)
            converted = self.values.get(key)
            if converted is None:
                converted = _convert(t.apple, t.kind, raw_value, unit)
                if len(self.values) < _VALUE_CACHE:
                    self.values[key] = converted
            if converted.__class__ is str:
                raise SkipEntry(converted)  # type: ignore[arg-type]
            canonical, value, unit = converted  # type: ignore[misc]  # the first record's unit text, shared
            if t.bp:
                group = f"apple:{source}|{start}"[:300]
            elif self.correlation is not None:
                group = self.correlation
            else:
                group = f"apple:{source}|{start}|{t.loinc}"[:300]
            self.append(_observation(
                t.loinc, t.name, canonical, t.unit, taken, group, value, unit,
                "patient" if self.user_entered else "device", device, PATIENT_REF, SOURCE_SYSTEM,
                f"{t.short}|{source}|{start}"[:300], taken, "",
            ))
        except SkipEntry as exc:
            self.builder.skip(f"{t.short} {start}", exc.reason)


_observation = maker(PhrObservation)  # positional, in PhrObservation's field order


class _TypeInfo:
    """What every record of one Apple type shares."""

    __slots__ = ("apple", "kind", "loinc", "name", "unit", "short", "bp")

    def __init__(self, rtype: str):
        self.apple = APPLE_TYPES[rtype]
        self.kind: VitalKind = VITALS[self.apple.loinc]
        self.loinc, self.name, self.unit = self.kind.loinc, self.kind.name, self.kind.unit
        self.short = _short_type(rtype)
        self.bp = rtype in _BP


# ":MM:SS" -> the time past the hour (a record's hour is parsed once, see _State.when)
_MINUTES_SECONDS = {f":{m:02d}:{s:02d}": timedelta(minutes=m, seconds=s) for m in range(60) for s in range(60)}
_HOUR_CACHE = 200_000


_VALUE_CACHE = 50_000


def _convert(kind_ref: _AppleType, kind: VitalKind, raw_value: str | None,
             unit: str) -> tuple[float, float, str] | str:
    """(canonical value, value as written, unit as kept) of a record's value and unit, or why it cannot be read."""
    try:
        value = float(raw_value) if raw_value is not None else None
    except ValueError:
        return f"unreadable value {raw_value[:40]!r}"  # type: ignore[index]
    if value is None:
        return "no value"
    try:
        return to_canonical(kind, value, unit, fraction_percent=kind_ref.fraction_percent), value, unit[:40]
    except SkipEntry as exc:
        return exc.reason


def _me(a: dict, builder: ParsedBuilder) -> None:
    dob_text = a.get("HKCharacteristicTypeIdentifierDateOfBirth", "")
    birth = None
    if dob_text:
        try:
            birth = date.fromisoformat(dob_text[:10])
        except ValueError:
            builder.skip("Me", f"unreadable date of birth {dob_text[:20]!r}")
    sex = _SEX.get(a.get("HKCharacteristicTypeIdentifierBiologicalSex", ""), "")
    builder.add_patient(PhrPatient(ref=PATIENT_REF, birth_date=birth, sex=sex, source_system=SOURCE_SYSTEM,
                                   source_resource_id="Me"))


def _daily_steps(steps: dict[tuple[date, str], float], tzs: dict[date, object], builder: ParsedBuilder) -> None:
    kind = VITALS[STEPS_LOINC]
    best: dict[date, tuple[float, str]] = {}
    for (day, source), total in steps.items():
        if day not in best or total > best[day][0]:
            best[day] = (total, source)
    for day in sorted(best):
        total, source = best[day]
        taken = datetime(day.year, day.month, day.day, tzinfo=tzs[day])  # type: ignore[arg-type]
        try:
            value = to_canonical(kind, total, "count")
            builder.add_reading(PhrObservation(
                loinc=kind.loinc, name="Steps (day total)", value=value, unit=kind.unit, taken_at=taken,
                group=f"apple:steps|{day.isoformat()}", original_value=total, original_unit="count", origin="device",
                device=source[:200], patient_ref=PATIENT_REF, source_system=SOURCE_SYSTEM,
                source_resource_id=f"StepCount|day|{day.isoformat()}", source_date=taken,
            ))
        except SkipEntry as exc:
            builder.skip(f"steps {day.isoformat()}", exc.reason)

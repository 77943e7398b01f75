"""Apple Health export.xml, streamed with iterparse (exports reach hundreds of MB; never loaded whole).

Quantity records become readings in the chart's units; blood pressure pairs share a group; steps are summed
per day and source, and the day's value is the largest source's total (a watch and a phone count the same
steps). Records inside a Correlation repeat top-level records; the duplicates collapse later by value and time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import BinaryIO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse

from .builder import ParsedBuilder
from .dates import apple_ts, check_past
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
    "HKQuantityTypeIdentifierHeartRate": _AppleType("8867-4"),
    "HKQuantityTypeIdentifierRestingHeartRate": _AppleType("40443-4"),
    "HKQuantityTypeIdentifierRespiratoryRate": _AppleType("9279-1"),
    "HKQuantityTypeIdentifierBodyTemperature": _AppleType("8310-5"),
    "HKQuantityTypeIdentifierOxygenSaturation": _AppleType("59408-5", fraction_percent=True),
    "HKQuantityTypeIdentifierBodyMass": _AppleType("29463-7"),
    "HKQuantityTypeIdentifierHeight": _AppleType("8302-2"),
    "HKQuantityTypeIdentifierBodyMassIndex": _AppleType("39156-5"),
    "HKQuantityTypeIdentifierBloodGlucose": _AppleType("2339-0"),
    "HKQuantityTypeIdentifierBloodPressureSystolic": _AppleType("8480-6"),
    "HKQuantityTypeIdentifierBloodPressureDiastolic": _AppleType("8462-4"),
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


def read(stream: BinaryIO, builder: ParsedBuilder, name: str) -> None:
    control = builder.control
    max_readings = control.limits.max_readings
    depth = 0
    root = None
    correlation: str | None = None
    steps: dict[tuple[date, str], float] = defaultdict(float)
    steps_tz: dict[date, object] = {}
    over_limit = 0
    seen_health_data = False
    try:
        for event, elem in iterparse(stream, events=("start", "end")):
            if event == "start":
                depth += 1
                if depth == 1:
                    root = elem
                    seen_health_data = elem.tag == "HealthData"
                    if not seen_health_data:
                        raise UnreadableFile(f"{name} is not an Apple Health export (root <{elem.tag}>)")
                elif elem.tag == "Correlation" and depth == 2:
                    a = elem.attrib
                    correlation = f"{a.get('type', '')}|{a.get('sourceName', '')}|{a.get('startDate', '')}"
                continue
            # end event
            depth -= 1
            tag = elem.tag
            if tag == "Record":
                a = elem.attrib
                rtype = a.get("type", "")
                if rtype == STEPS:
                    try:
                        when = apple_ts(a.get("startDate", ""))
                        day = when.date()
                        steps[(day, a.get("sourceName", ""))] += float(a.get("value", "0"))
                        steps_tz.setdefault(day, when.tzinfo)
                    except (SkipEntry, ValueError) as exc:
                        builder.skip(f"StepCount {a.get('startDate', '')}", getattr(exc, "reason", "unreadable value"))
                elif rtype in APPLE_TYPES:
                    if builder.reading_count >= max_readings:
                        over_limit += 1
                    else:
                        _record(elem, APPLE_TYPES[rtype], builder, correlation)
                else:
                    builder.ignore(f"Apple Health {_short_type(rtype) or 'record'}")
            elif tag == "Me" and depth == 1:
                _me(elem, builder)
            elif tag == "Correlation" and depth == 1:
                correlation = None
            elif depth == 1 and tag in _TOP_LEVEL_IGNORED:
                builder.ignore(_TOP_LEVEL_IGNORED[tag])
            if depth == 1 and root is not None:
                root.clear()  # keep memory flat: drop every finished top-level element
    except DefusedXmlException as exc:
        raise UnsafeFile(f"{name} declares XML entities or external references; refused for safety ({exc})") from None
    except ParseError as exc:
        raise UnreadableFile(f"{name} is damaged or truncated XML ({exc})") from None
    if not seen_health_data:
        raise UnreadableFile(f"{name} is not an Apple Health export")
    if over_limit:
        builder.skip(f"{over_limit:,} further readings", f"more than {max_readings:,} readings in one file (limit)")
    if steps:
        _daily_steps(steps, steps_tz, builder)
        builder.note("Apple Health steps are summed per day; when several devices count, the largest total is kept.")


def _record(elem, kind_ref: _AppleType, builder: ParsedBuilder, correlation: str | None) -> None:  # noqa: ANN001
    a = elem.attrib
    rtype = a.get("type", "")
    start = a.get("startDate", "")
    source = a.get("sourceName", "")
    kind: VitalKind = VITALS[kind_ref.loinc]
    try:
        taken = apple_ts(start)
        check_past(taken, "measurement date")
        raw_value = a.get("value")
        try:
            value = float(raw_value) if raw_value is not None else None
        except ValueError:
            raise SkipEntry(f"unreadable value {raw_value[:40]!r}") from None
        if value is None:
            raise SkipEntry("no value")
        unit = a.get("unit", "")
        canonical = to_canonical(kind, value, unit, fraction_percent=kind_ref.fraction_percent)
        user_entered = len(elem) > 0 and any(
            m.get("key") == "HKWasUserEntered" and m.get("value") == "1" for m in elem.iter("MetadataEntry")
        )
        group = f"{source}|{start}" if rtype in _BP else (correlation or f"{source}|{start}|{kind.loinc}")
        builder.add_reading(PhrObservation(
            loinc=kind.loinc, name=kind.name, value=canonical, unit=kind.unit, taken_at=taken,
            group=f"apple:{group}"[:300], original_value=value, original_unit=unit[:40],
            origin="patient" if user_entered else "device", device=source[:200], patient_ref=PATIENT_REF,
            source_system=SOURCE_SYSTEM, source_resource_id=f"{_short_type(rtype)}|{source}|{start}"[:300],
            source_date=taken,
        ))
    except SkipEntry as exc:
        builder.skip(f"{_short_type(rtype)} {start}", exc.reason)


def _me(elem, builder: ParsedBuilder) -> None:  # noqa: ANN001
    a = elem.attrib
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
    kind = VITALS["55423-8"]
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

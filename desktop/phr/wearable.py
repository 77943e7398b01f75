"""Wearable vendor API responses (not FHIR): Google Fit, Fitbit, Withings, iHealth.

These carry readings only, no patient demographics. Each reading becomes a PhrObservation in the chart's
canonical unit; a vendor JSON we do not recognise is refused by the caller with a clear message.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from desktop.kb.vitals import (
    BMI,
    DIASTOLIC,
    GLUCOSE,
    HEART_RATE,
    HEIGHT,
    PULSE_OX,
    SYSTOLIC,
    TEMPERATURE,
    WEIGHT,
)

from .builder import ParsedBuilder
from .dates import check_past, local_tz
from .errors import SkipEntry
from .records import PhrObservation
from .units import to_canonical
from .vitals import VITALS

PATIENT_REF = "wearable:owner"
VENDOR_NAMES = {"googlefit": "Google Fit", "fitbit": "Fitbit", "withings": "Withings", "ihealth": "iHealth"}

_GOOGLE_TYPES = {
    "com.google.heart_rate.bpm": (HEART_RATE, "/min", 1.0),
    "com.google.weight": (WEIGHT, "kg", 1.0),
    "com.google.height": (HEIGHT, "m", 1.0),
    "com.google.body.temperature": (TEMPERATURE, "Cel", 1.0),
    "com.google.oxygen_saturation": (PULSE_OX, "%", 1.0),
    "com.google.blood_glucose": (GLUCOSE, "mmol/L", 1.0),
}
# Withings measure types (developer documentation): value * 10**unit
_WITHINGS_TYPES = {1: (WEIGHT, "kg"), 4: (HEIGHT, "m"), 9: (DIASTOLIC, "mm[Hg]"), 10: (SYSTOLIC, "mm[Hg]"),
                   11: (HEART_RATE, "/min"), 12: (TEMPERATURE, "Cel"), 54: (PULSE_OX, "%"), 71: (TEMPERATURE, "Cel")}


def detect(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("point"), list) and "dataSourceId" in value:
        return "googlefit"
    if isinstance(value.get("weight"), list) or "activities-heart-intraday" in value or "activities-heart" in value:
        return "fitbit"
    body = value.get("body")
    if isinstance(body, dict) and isinstance(body.get("measuregrps"), list):
        return "withings"
    if isinstance(value.get("BPDataList"), list):
        return "ihealth"
    return None


def read(vendor: str, data: dict, builder: ParsedBuilder, name: str) -> None:
    reader = {"googlefit": _google, "fitbit": _fitbit, "withings": _withings, "ihealth": _ihealth}[vendor]
    reader(data, builder, VENDOR_NAMES[vendor])
    builder.note(f"{VENDOR_NAMES[vendor]} readings carry no patient name or birth date: check the chart is right.")


def _add(builder: ParsedBuilder, system: str, rid: str, loinc: str, value: Any, unit: str, taken: datetime,
         group: str, origin: str = "device", device: str = "") -> None:
    kind = VITALS[loinc]
    label = f"{system} {kind.name.lower()} {taken.isoformat(timespec='minutes')}"
    try:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise SkipEntry(f"{kind.name.lower()} without a numeric value")
        check_past(taken, "measurement date")
        if builder.reading_count >= builder.control.limits.max_readings:
            raise SkipEntry(f"more than {builder.control.limits.max_readings:,} readings (limit)")
        builder.add_reading(PhrObservation(
            loinc=loinc, name=kind.name, value=to_canonical(kind, float(value), unit), unit=kind.unit, taken_at=taken,
            group=f"{system}:{group}"[:300], original_value=float(value), original_unit=unit[:40], origin=origin,
            device=device[:200], patient_ref=PATIENT_REF, source_system=system, source_resource_id=rid[:300],
            source_date=taken,
        ))
    except SkipEntry as exc:
        builder.skip(label, exc.reason)


def _google(data: dict, builder: ParsedBuilder, system: str) -> None:
    for n, point in enumerate(data.get("point") or (), 1):
        if not isinstance(point, dict):
            builder.skip(f"{system} point {n}", "not an object")
            continue
        dtype = point.get("dataTypeName", "")
        mapping = _GOOGLE_TYPES.get(dtype)
        if mapping is None:
            builder.ignore(f"{system} {dtype or 'data point'}")
            continue
        loinc, unit, factor = mapping
        try:
            taken = datetime.fromtimestamp(int(point["startTimeNanos"]) / 1e9, tz=UTC)
            raw = point["value"][0]
            value = raw.get("fpVal", raw.get("intVal"))
        except (KeyError, IndexError, TypeError, ValueError, OverflowError, OSError, AttributeError):
            builder.skip(f"{system} point {n}", "no readable time or value")
            continue
        origin_id = str(point.get("originDataSourceId", ""))
        _add(builder, system, f"{dtype}|{point.get('startTimeNanos')}|{origin_id}", loinc,
             value * factor if isinstance(value, int | float) else value, unit, taken,
             group=f"{point.get('startTimeNanos')}", origin="patient" if "user_input" in origin_id else "device",
             device=origin_id.split(":")[2] if origin_id.count(":") >= 2 else "")


def _fitbit(data: dict, builder: ParsedBuilder, system: str) -> None:
    tz = local_tz()  # Fitbit writes the wearer's local time without an offset
    for n, w in enumerate(data.get("weight") or (), 1):
        if not isinstance(w, dict):
            builder.skip(f"{system} weight {n}", "not an object")
            continue
        try:
            taken = datetime.combine(date.fromisoformat(w["date"]), time.fromisoformat(w.get("time", "00:00:00")), tz)
        except (KeyError, TypeError, ValueError):
            builder.skip(f"{system} weight {n}", "no readable date")
            continue
        rid = str(w.get("logId", f"{w.get('date')}T{w.get('time')}"))
        _add(builder, system, f"weight|{rid}", WEIGHT, w.get("weight"), "kg", taken, group=rid)
        if w.get("bmi") is not None:
            _add(builder, system, f"bmi|{rid}", BMI, w.get("bmi"), "kg/m2", taken, group=rid)
    heart = data.get("activities-heart")
    intraday = data.get("activities-heart-intraday")
    day = None
    if isinstance(heart, list) and heart and isinstance(heart[0], dict):
        try:
            day = date.fromisoformat(heart[0].get("dateTime", ""))
        except (TypeError, ValueError):
            day = None
    if isinstance(intraday, dict):
        if day is None:
            builder.skip(f"{system} heart rate", "intraday readings without a date")
            return
        for n, point in enumerate(intraday.get("dataset") or (), 1):
            try:
                taken = datetime.combine(day, time.fromisoformat(point["time"]), tz)
            except (KeyError, TypeError, ValueError):
                builder.skip(f"{system} heart rate {n}", "no readable time")
                continue
            _add(builder, system, f"heart|{day.isoformat()}T{point.get('time')}", HEART_RATE, point.get("value"),
                 "/min", taken, group=f"heart|{day.isoformat()}T{point.get('time')}")


def _withings(data: dict, builder: ParsedBuilder, system: str) -> None:
    for n, grp in enumerate(data["body"].get("measuregrps") or (), 1):
        if not isinstance(grp, dict):
            builder.skip(f"{system} group {n}", "not an object")
            continue
        if grp.get("category") == 2:
            builder.ignore(f"{system} objective (target value)")
            continue
        try:
            taken = datetime.fromtimestamp(int(grp["date"]), tz=UTC)
        except (KeyError, TypeError, ValueError, OverflowError, OSError):
            builder.skip(f"{system} group {n}", "no readable date")
            continue
        origin = "patient" if grp.get("attrib") in (2, 4) else "device"
        gid = str(grp.get("grpid", n))
        for m in grp.get("measures") or ():
            if not isinstance(m, dict):
                continue
            mapping = _WITHINGS_TYPES.get(m.get("type"))
            if mapping is None:
                builder.ignore(f"{system} measure type {m.get('type')}")
                continue
            loinc, unit = mapping
            try:
                value = m["value"] * (10 ** m["unit"])
            except (KeyError, TypeError, OverflowError):
                builder.skip(f"{system} group {gid}", "unreadable measure")
                continue
            _add(builder, system, f"{gid}|{m.get('type')}", loinc, value, unit, taken, group=gid, origin=origin)


def _ihealth_time(entry: dict) -> datetime:
    """iHealth writes local wall time as epoch seconds, with the offset beside it (see Open mHealth's mapper)."""
    local = datetime(1970, 1, 1) + timedelta(seconds=int(entry["MDate"]))
    raw = str(entry.get("TimeZone", "")).strip()
    if raw:
        sign = -1 if raw.startswith("-") else 1
        digits = raw.lstrip("+-")
        if len(digits) == 4:
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        else:
            offset = timedelta(hours=int(digits or 0))
        return local.replace(tzinfo=timezone(sign * offset))
    return local.replace(tzinfo=UTC)


def _ihealth(data: dict, builder: ParsedBuilder, system: str) -> None:
    unit = "kPa" if data.get("BPUnit") == 1 else "mm[Hg]"
    for n, e in enumerate(data.get("BPDataList") or (), 1):
        if not isinstance(e, dict):
            builder.skip(f"{system} reading {n}", "not an object")
            continue
        try:
            taken = _ihealth_time(e)
        except (KeyError, TypeError, ValueError, OverflowError):
            builder.skip(f"{system} reading {n}", "no readable time")
            continue
        rid = str(e.get("DataID") or n)
        origin = "patient" if e.get("DataSource") == "Manual" else "device"
        _add(builder, system, f"{rid}|sys", SYSTOLIC, e.get("HP"), unit, taken, group=rid, origin=origin)
        _add(builder, system, f"{rid}|dia", DIASTOLIC, e.get("LP"), unit, taken, group=rid, origin=origin)
        if e.get("HR") is not None:
            _add(builder, system, f"{rid}|hr", HEART_RATE, e.get("HR"), "/min", taken, group=rid, origin=origin)

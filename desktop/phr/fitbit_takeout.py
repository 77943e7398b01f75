"""Fitbit data from Google Takeout ("Takeout/Fitbit/Global Export Data/*.json"): the resting heart rate files
(`resting_heart_rate-YYYY-MM-DD.json`: a list of {"dateTime": "03/01/24 00:00:00", "value": {"date", "value",
"error"}}), one value per day, kept as a day summary. The weight files (`weight-*.json`) state no unit (it is the
account's setting) and are not read: the review says so. The files name no patient."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from desktop.kb.vitals import RESTING_HEART_RATE

from .builder import ParsedBuilder
from .dates import local_tz
from .device_readings import DAY_SUMMARY, add_reading

SYSTEM = "Fitbit"
PATIENT_REF = "fitbit:owner"


def kind(value: Any) -> str | None:
    """'resting-heart-rate' | 'weight' | None for one Takeout JSON file's content."""
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value[:5]):
        return None
    first = value[0]
    if "dateTime" in first and isinstance(first.get("value"), dict) and "error" in first["value"]:
        return "resting-heart-rate"
    if {"logId", "weight", "date"} <= set(first):
        return "weight"
    return None


def read(value: list, builder: ParsedBuilder, name: str) -> None:
    what = kind(value)
    if what == "weight":
        builder.ignore("Fitbit weight (the export does not state the unit: not read)", len(value))
        builder.note("Fitbit weight files do not say whether they are in pounds or kilograms: they were not read.")
        return
    tz = local_tz()
    for n, entry in enumerate(value, 1):
        try:
            day = datetime.strptime(str(entry["dateTime"])[:8], "%m/%d/%y").date()
            rate = entry["value"]["value"]
        except (KeyError, TypeError, ValueError):
            builder.skip(f"{name} entry {n}", "no readable date or value")
            continue
        if not rate:  # Fitbit writes 0.0 for a day it could not estimate
            builder.skip(f"{SYSTEM} resting heart rate {day.isoformat()}", "no estimate for that day (0)")
            continue
        add_reading(builder, system=SYSTEM, patient_ref=PATIENT_REF, loinc=RESTING_HEART_RATE, value=rate,
                    unit="/min", taken=datetime(day.year, day.month, day.day, tzinfo=tz),
                    name="Resting heart rate (day)", group=f"{DAY_SUMMARY}|{day.isoformat()}|resting-hr",
                    rid=f"{DAY_SUMMARY}|{day.isoformat()}|resting_heart_rate")

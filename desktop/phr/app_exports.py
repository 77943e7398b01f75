"""Health-app exports that are CSV or non-FHIR JSON (Google Takeout Fit and Fitbit, Samsung Health, Withings,
MyFitnessPal): which reader a file needs, decided from its first lines, and the note every such file gets (no
patient named)."""

from __future__ import annotations

import csv
import io
from typing import Any

from . import fitbit_takeout, google_takeout, myfitnesspal, samsung_health, withings_csv
from .builder import ParsedBuilder
from .errors import UnreadableFile

NO_PATIENT = ("{app} exports carry no patient name or birth date: confirm with the patient that the file is "
              "theirs and that this is their chart.")


def decode_text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise UnreadableFile(f"{name} is not a text file") from None


def csv_kind(text: str, name: str = "") -> str | None:
    """'googlefit-daily' | 'googlefit-day-file' | 'samsung' | 'withings' | 'myfitnesspal' | None."""
    first_line = text.split("\n", 1)[0]
    if samsung_health.is_samsung(first_line):
        return "samsung"
    header = next(csv.reader(io.StringIO(first_line)), [])
    if google_takeout.is_daily_metrics(header):
        return "googlefit-daily"
    if withings_csv.kind(header):
        return "withings"
    if myfitnesspal.is_measurement_summary(header):
        return "myfitnesspal"
    if google_takeout.is_per_day_file(name) and header and header[0].strip().lstrip("\ufeff") == "Start time":
        return "googlefit-day-file"
    return None


def read_csv(data: bytes, name: str, builder: ParsedBuilder) -> str:
    """Read one CSV export; returns its format name. Raises UnreadableFile for a CSV no reader knows."""
    text = decode_text(data, name)
    kind = csv_kind(text, name)
    if kind == "samsung":
        samsung_health.read(text, builder, name)
        builder.note(NO_PATIENT.format(app=samsung_health.SYSTEM))
        return "samsung-health"
    if kind == "googlefit-daily":
        google_takeout.read_daily_metrics(text, builder, name)
        builder.note(NO_PATIENT.format(app=google_takeout.SYSTEM))
        return "google-takeout-fit"
    if kind == "withings":
        withings_csv.read(text, builder, name)
        builder.note(NO_PATIENT.format(app=withings_csv.SYSTEM))
        return "withings"
    if kind == "myfitnesspal":
        myfitnesspal.read(text, builder, name)
        builder.note(NO_PATIENT.format(app=myfitnesspal.SYSTEM))
        return "myfitnesspal"
    if kind == "googlefit-day-file":
        builder.ignore("Google Fit 15-minute rows (the day summary is read from Daily activity metrics.csv)")
        return "skipped"
    raise UnreadableFile(f"{name} is a CSV file but not a Google Fit, Samsung Health, Withings or MyFitnessPal "
                         "export")


def is_app_json(value: Any) -> bool:
    return google_takeout.is_all_data(value) or fitbit_takeout.kind(value) is not None


def read_app_json(value: Any, builder: ParsedBuilder, name: str) -> str:
    if fitbit_takeout.kind(value) is not None:
        fitbit_takeout.read(value, builder, name)
        builder.note(NO_PATIENT.format(app=fitbit_takeout.SYSTEM))
        return "fitbit-takeout"
    google_takeout.read_all_data(value, builder, name)
    builder.note(NO_PATIENT.format(app=google_takeout.SYSTEM))
    return "google-takeout-fit"

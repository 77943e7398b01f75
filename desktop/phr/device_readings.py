"""One device or app reading into the builder, shared by the health-app export readers (Google Takeout Fit,
Samsung Health, MyFitnessPal): canonical unit through the app's one converter, plausibility, date sanity, the
reading limit, and a skipped entry with its reason instead of an exception."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .builder import ParsedBuilder
from .dates import check_past
from .errors import SkipEntry
from .records import PhrObservation
from .units import to_canonical
from .vitals import VITALS

DAY_SUMMARY = "day"  # marks a day's summary (average or total) in the reading's group and source id


def add_reading(builder: ParsedBuilder, *, system: str, patient_ref: str, rid: str, loinc: str, value: Any,
                unit: str, taken: datetime, group: str, origin: str = "device", device: str = "",
                name: str = "") -> bool:
    """Add one reading; False (and a skipped entry) when it cannot be used."""
    kind = VITALS[loinc]
    label = f"{system} {kind.name.lower()} {taken.isoformat(timespec='minutes')}"
    try:
        if isinstance(value, str):
            try:
                value = float(value.strip().replace(",", "."))
            except ValueError:
                raise SkipEntry(f"unreadable value {value[:40]!r}") from None
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise SkipEntry(f"{kind.name.lower()} without a numeric value")
        check_past(taken, "measurement date")
        if builder.reading_count >= builder.control.limits.max_readings:
            raise SkipEntry(f"more than {builder.control.limits.max_readings:,} readings (limit)")
        builder.add_reading(PhrObservation(
            loinc=loinc, name=(name or kind.name)[:200], value=to_canonical(kind, float(value), unit), unit=kind.unit,
            taken_at=taken, group=f"{system}:{group}"[:300], original_value=float(value), original_unit=unit[:40],
            origin=origin, device=device[:200], patient_ref=patient_ref, source_system=system,
            source_resource_id=rid[:300], source_date=taken,
        ))
        return True
    except SkipEntry as exc:
        builder.skip(label, exc.reason)
        return False

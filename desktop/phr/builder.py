"""Collects what the readers find; checks each record's texts; freezes into a ParsedFile."""

from __future__ import annotations

from collections import Counter
from dataclasses import fields

from .control import ReadControl
from .errors import SkipEntry
from .history_records import (
    HISTORY_CATEGORIES,
    PhrEncounter,
    PhrFamilyHistory,
    PhrProcedure,
    PhrSocialHistory,
)
from .records import (
    FileInfo,
    ParsedFile,
    PhrAllergy,
    PhrImmunization,
    PhrItem,
    PhrLabResult,
    PhrMedication,
    PhrObservation,
    PhrPatient,
    PhrProblem,
    Skipped,
)

_LISTS = {
    PhrProblem: "problems", PhrMedication: "medications", PhrAllergy: "allergies",
    PhrImmunization: "immunizations", PhrObservation: "observations", PhrLabResult: "results",
    PhrProcedure: "procedures", PhrSocialHistory: "social_history", PhrFamilyHistory: "family_history",
    PhrEncounter: "encounters",
}
MAX_SKIPPED_LISTED = 500  # beyond this, skipped entries are counted by reason


class ParsedBuilder:
    def __init__(self, control: ReadControl):
        self.control = control
        self.patients: list[PhrPatient] = []
        self.problems: list[PhrProblem] = []
        self.medications: list[PhrMedication] = []
        self.allergies: list[PhrAllergy] = []
        self.immunizations: list[PhrImmunization] = []
        self.observations: list[PhrObservation] = []
        self.results: list[PhrLabResult] = []
        self.procedures: list[PhrProcedure] = []
        self.social_history: list[PhrSocialHistory] = []
        self.family_history: list[PhrFamilyHistory] = []
        self.encounters: list[PhrEncounter] = []
        self.skipped: list[Skipped] = []
        self._skipped_overflow: Counter[str] = Counter()
        self.ignored: Counter[str] = Counter()
        self.patient_refs: dict[str, None] = {}  # ordered set
        self.notes: list[str] = []
        self.formats: list[str] = []
        self.source_systems: Counter[str] = Counter()
        self.reading_devices: Counter[str] = Counter()

    # -- recording
    def skip(self, item: str, reason: str) -> None:
        if len(self.skipped) < MAX_SKIPPED_LISTED:
            self.skipped.append(Skipped(item=item[:200], reason=reason[:500]))
        else:
            self._skipped_overflow[reason[:120]] += 1

    def ignore(self, what: str, count: int = 1) -> None:
        self.ignored[what] += count

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def add_patient(self, patient: PhrPatient) -> None:
        check_texts(patient, self.control.limits.max_text_chars)
        if all(p.ref != patient.ref for p in self.patients):
            self.patients.append(patient)
        self.patient_refs.setdefault(patient.ref, None)

    def add(self, record: PhrItem) -> None:
        """Raises SkipEntry when a text is over the limit (the caller lists the entry as skipped)."""
        check_texts(record, self.control.limits.max_text_chars)
        getattr(self, _LISTS[type(record)]).append(record)
        if record.patient_ref:
            self.patient_refs.setdefault(record.patient_ref, None)
        if record.source_system:
            self.source_systems[record.source_system] += 1

    def add_reading(self, record: PhrObservation) -> None:
        """A device reading from a reader that bounds its own strings (Apple Health, wearables): no text scan."""
        self.observations.append(record)
        if record.patient_ref:
            self.patient_refs.setdefault(record.patient_ref, None)
        if record.source_system:  # the app and its devices name the file's source ("Apple Health (Watch, ...)")
            self.source_systems[record.source_system] += 1
            if record.device:
                self.reading_devices[record.device] += 1

    def count_readings(self, source_system: str, patient_ref: str, devices: dict[str, int]) -> None:
        """What add_reading counts, for readings a streaming reader appended to `observations` itself (Apple
        Health: hundreds of thousands of one source system and patient). devices: readings per device, in the
        order each device was first seen."""
        n = sum(devices.values())
        if not n:
            return
        if patient_ref:
            self.patient_refs.setdefault(patient_ref, None)
        if source_system:
            self.source_systems[source_system] += n
            for device, count in devices.items():
                if device:
                    self.reading_devices[device] += count

    @property
    def reading_count(self) -> int:
        return len(self.observations)

    # -- result
    def build(self, name: str, sha256: str, size: int, file_format: str, source_system: str = "") -> ParsedFile:
        skipped = list(self.skipped)
        for reason, n in self._skipped_overflow.most_common():
            skipped.append(Skipped(item=f"{n} more entries", reason=reason))
        for what, n in sorted(self.ignored.items(), key=lambda kv: (-kv[1], kv[0])):
            skipped.append(Skipped(item=f"{what} x{n}", reason="not imported: the chart has no list for it"))
        if not source_system and self.source_systems:
            source_system = self.source_systems.most_common(1)[0][0]
            devices = [d for d, _n in self.reading_devices.most_common(5) if d not in source_system]
            if devices:
                source_system = f"{source_system} ({', '.join(devices)})"
        info = FileInfo(name=name, sha256=sha256, size_bytes=size, file_format=file_format,
                        source_system=source_system[:300])
        refs = tuple(self.patient_refs)
        return ParsedFile(
            info=info, patients=tuple(self.patients), problems=tuple(self.problems),
            medications=tuple(self.medications), allergies=tuple(self.allergies),
            immunizations=tuple(self.immunizations), observations=tuple(self.observations),
            results=tuple(self.results), **{c: tuple(getattr(self, c)) for c in HISTORY_CATEGORIES},
            skipped=tuple(skipped), ignored=tuple(sorted(self.ignored.items())), patient_refs=refs,
            notes=tuple(self.notes),
        )


def check_texts(record: object, limit: int) -> None:
    for f in fields(record):  # type: ignore[arg-type]
        value = getattr(record, f.name)
        if isinstance(value, str) and len(value) > limit:
            raise SkipEntry(f"the {f.name.replace('_', ' ')} is {len(value):,} characters long (limit {limit:,})")
        if isinstance(value, tuple):
            for v in value:
                if hasattr(v, "__dataclass_fields__"):
                    check_texts(v, limit)
                elif isinstance(v, str) and len(v) > limit:
                    raise SkipEntry(f"a {f.name.replace('_', ' ')} value is {len(v):,} characters long (limit {limit:,})")

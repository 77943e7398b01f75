"""SQLAlchemy ORM models. Importing this package registers every table on Base.metadata."""

from .audit import AuditEntry, AuditHead
from .base import Base
from .clinical import (
    Addendum,
    Allergy,
    Encounter,
    EncounterDiagnosis,
    Immunization,
    Medication,
    NoteAutosave,
    Problem,
    VitalSign,
)
from .orders import AlertOverride, Prescription, PrintRecord
from .patient import Patient, PatientToken, RecentPatient
from .phr import PhrImport
from .practice import Practice, Prescriber, Setting, User

__all__ = [
    "Addendum", "AlertOverride", "Allergy", "AuditEntry", "AuditHead", "Base", "Encounter",
    "EncounterDiagnosis", "Immunization", "Medication", "NoteAutosave", "Patient", "PatientToken",
    "PhrImport", "Practice", "Prescriber", "Prescription", "PrintRecord", "Problem", "RecentPatient",
    "Setting", "User", "VitalSign",
]

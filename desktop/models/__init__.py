"""SQLAlchemy ORM models. Importing this package registers every table on Base.metadata."""

from .audit import AuditEntry, AuditHead, AuditRowState
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
from .histories import FamilyHistory, OutsideEncounter, ProcedureHistory, SocialHistory
from .labs import LabResult
from .orders import AlertOverride, Prescription, PrintRecord
from .patient import Patient, PatientToken, RecentPatient
from .phr import PhrImport, PhrRejection
from .practice import Practice, Prescriber, Setting, User

__all__ = [
    "Addendum", "AlertOverride", "Allergy", "AuditEntry", "AuditHead", "AuditRowState", "Base", "Encounter",
    "EncounterDiagnosis", "FamilyHistory", "Immunization", "LabResult", "Medication", "NoteAutosave",
    "OutsideEncounter", "Patient", "PatientToken", "PhrImport", "PhrRejection", "Practice", "Prescriber", "Prescription",
    "PrintRecord", "Problem", "ProcedureHistory", "RecentPatient", "Setting", "SocialHistory", "User", "VitalSign",
]

"""PHR import pipeline (no Qt, no database): read -> normalise -> match patient -> diff -> merge plan.

    parsed = read_file(path, progress=..., cancelled=...)   # ParsedFile: records + what was skipped, and why
    plan = build_plan(parsed, snapshot)                      # ImportPlan: identity + NEW/DUPLICATE/CHANGED/CONFLICT
    decisions = plan.default_decisions("new")                # what the review dialog starts with

The service layer (desktop.services.phr_import) builds the ChartSnapshot from the database and applies the
reviewer's decisions in one transaction.
"""

from .errors import FileTooLarge, PhrError, ReadCancelled, SeveralPatients, UnreadableFile, UnsafeFile
from .identity import Evidence, IdentityMatch, Outcome, Verdict, match_identity
from .limits import ReadLimits, default_limits
from .plan import build_plan, choose_patient
from .reader import read_bytes, read_file
from .records import (
    CATEGORIES,
    CLINICAL_CATEGORIES,
    Code,
    FileInfo,
    ParsedFile,
    PhrAllergy,
    PhrImmunization,
    PhrLabResult,
    PhrMedication,
    PhrObservation,
    PhrPatient,
    PhrProblem,
    Skipped,
)
from .review import DailyValue, Decision, ImportPlan, ItemStatus, PlanItem, ReadingSeries
from .snapshot import (
    ChartAllergy,
    ChartImmunization,
    ChartLabResult,
    ChartMedication,
    ChartObservation,
    ChartPatient,
    ChartProblem,
    ChartSnapshot,
)

__all__ = [
    "CATEGORIES", "CLINICAL_CATEGORIES", "ChartAllergy", "ChartImmunization", "ChartLabResult", "ChartMedication", "ChartObservation",
    "ChartPatient", "ChartProblem", "ChartSnapshot", "Code", "DailyValue", "Decision", "Evidence", "FileInfo",
    "FileTooLarge", "IdentityMatch", "ImportPlan", "ItemStatus", "Outcome", "ParsedFile", "PhrAllergy", "PhrError",
    "PhrImmunization", "PhrLabResult", "PhrMedication", "PhrObservation", "PhrPatient", "PhrProblem", "PlanItem", "ReadCancelled",
    "ReadLimits", "ReadingSeries", "SeveralPatients", "Skipped", "UnreadableFile", "UnsafeFile", "Verdict",
    "build_plan", "choose_patient", "default_limits", "match_identity", "read_bytes", "read_file",
]

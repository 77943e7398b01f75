"""Is the file's patient the chart's patient? A score, a verdict and the evidence the reviewer sees.

Names are compared case- and accent-insensitively (desktop.kb.text.fold), digits dropped (Synthea appends
numbers to names: "Lawrence741"). A contradiction (another birth date, another family name with no
identifier in common) is a MISMATCH: the import is blocked unless a physician confirms with a reason.
A file that names no patient at all (no name, birth date or sex, and no identifier the chart shares) is
NO_DEMOGRAPHICS: nothing ties it to the chart, so the user must confirm with the patient that it is theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from desktop.kb.text import words

from .records import PhrPatient
from .snapshot import ChartPatient


class Verdict(StrEnum):
    MATCH = "match"  # everything the file states agrees
    PARTIAL = "partial"  # no contradiction, but the file states little (Apple Health: birth date and sex)
    NO_DEMOGRAPHICS = "no-demographics"  # nothing names the patient: the user confirms with the patient
    MISMATCH = "mismatch"  # something contradicts: a physician must confirm with a reason

    @property
    def blocks(self) -> bool:
        return self is Verdict.MISMATCH

    @property
    def needs_confirmation(self) -> bool:
        """Nothing in the file ties it to the chart: merging needs the user's word that the patient owns it."""
        return self is Verdict.NO_DEMOGRAPHICS


# the words the user confirms (dialog checkbox, and recorded in the audit for the command line too)
CONFIRMATION = "I confirmed with the patient that this file is theirs"


class Outcome(StrEnum):
    SAME = "same"
    SIMILAR = "similar"
    DIFFERENT = "different"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class Evidence:
    field: str  # "family name", "given name", "birth date", "sex", "identifier"
    file_value: str
    chart_value: str
    outcome: Outcome
    points: float

    @property
    def sentence(self) -> str:
        if self.outcome is Outcome.MISSING:
            if self.file_value:  # stated, but nothing in the chart to compare it with (another system's id)
                return f"{self.field}: file {self.file_value!r}, nothing in the chart to compare it with"
            return f"{self.field}: not in the file"
        verb = {"same": "matches", "similar": "is similar to", "different": "differs from"}[self.outcome.value]
        return f"{self.field}: file {self.file_value!r} {verb} chart {self.chart_value!r}"


@dataclass(frozen=True, slots=True)
class IdentityMatch:
    verdict: Verdict
    score: float  # 0..1
    evidence: tuple[Evidence, ...]
    file_patient: PhrPatient | None

    @property
    def summary(self) -> str:
        label = {"match": "same patient", "partial": "no contradiction (little to compare)",
                 "no-demographics": "the file names no patient", "mismatch": "DIFFERENT PATIENT?"}[self.verdict.value]
        return f"{label} (score {self.score:.2f})"


def _name_words(text: str) -> list[str]:
    return [w for w in ("".join(ch for ch in word if not ch.isdigit()) for word in words(text)) if w]


def _close(a: str, b: str) -> bool:
    """One edit apart (typo), or one is a prefix of the other of at least 3 letters (Eve / Evelyn)."""
    if a == b:
        return True
    if min(len(a), len(b)) >= 3 and (a.startswith(b) or b.startswith(a)):
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diffs) == 1 or (len(diffs) == 2 and diffs[1] == diffs[0] + 1
                                    and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _compare_family(fp: PhrPatient, cp: ChartPatient) -> Evidence:
    chart = _name_words(cp.family_name)
    candidates = [_name_words(fp.family)] + [_name_words(n)[-1:] for n in fp.other_names if _name_words(n)]
    shown = fp.family or (fp.other_names[0] if fp.other_names else "")
    if not any(candidates):
        return Evidence("family name", "", cp.family_name, Outcome.MISSING, 0)
    for cand in candidates:
        if cand and (set(cand) & set(chart)):
            return Evidence("family name", shown, cp.family_name, Outcome.SAME, 0.3)
    for cand in candidates:
        if cand and any(_close(a, b) for a in cand for b in chart):
            return Evidence("family name", shown, cp.family_name, Outcome.SIMILAR, 0.15)
    return Evidence("family name", shown, cp.family_name, Outcome.DIFFERENT, 0)


def _compare_given(fp: PhrPatient, cp: ChartPatient) -> Evidence:
    file_words = _name_words(" ".join(fp.given))
    chart_words = _name_words(f"{cp.given_name} {cp.middle_name}")
    shown = " ".join(fp.given)
    if not file_words:
        return Evidence("given name", "", cp.given_name, Outcome.MISSING, 0)
    if file_words[0] in chart_words or (chart_words and chart_words[0] in file_words):
        return Evidence("given name", shown, cp.given_name, Outcome.SAME, 0.2)
    if chart_words and any(_close(a, b) for a in file_words for b in chart_words):
        return Evidence("given name", shown, cp.given_name, Outcome.SIMILAR, 0.1)
    return Evidence("given name", shown, cp.given_name, Outcome.DIFFERENT, 0)


def _compare_birth(fp: PhrPatient, cp: ChartPatient) -> Evidence:
    chart = cp.birth_date.isoformat() if cp.birth_date else ""
    if fp.birth_date is None:
        return Evidence("birth date", "", chart, Outcome.MISSING, 0)
    shown = fp.birth_date.isoformat()
    if cp.birth_date is None:
        return Evidence("birth date", shown, "", Outcome.MISSING, 0)
    if fp.birth_date == cp.birth_date:
        return Evidence("birth date", shown, chart, Outcome.SAME, 0.35)
    a, b = fp.birth_date, cp.birth_date
    swapped = a.year == b.year and a.month == b.day and a.day == b.month
    one_part = sum((a.year != b.year, a.month != b.month, a.day != b.day)) == 1
    if swapped or (one_part and a.year == b.year):
        return Evidence("birth date", shown, chart, Outcome.SIMILAR, 0.05)
    return Evidence("birth date", shown, chart, Outcome.DIFFERENT, 0)


def _compare_sex(fp: PhrPatient, cp: ChartPatient) -> Evidence:
    if fp.sex in ("", "unknown") or cp.sex in ("", "unknown"):
        return Evidence("sex", fp.sex, cp.sex, Outcome.MISSING, 0)
    if fp.sex == cp.sex:
        return Evidence("sex", fp.sex, cp.sex, Outcome.SAME, 0.05)
    return Evidence("sex", fp.sex, cp.sex, Outcome.DIFFERENT, 0)


def _compare_identifiers(fp: PhrPatient, cp: ChartPatient) -> Evidence:
    chart_values = {v.strip().lower() for _s, v in cp.identifiers if v and v.strip()} | {cp.mrn.strip().lower()}
    for system, value in fp.identifiers:
        if value.strip().lower() in chart_values:
            return Evidence("identifier", f"{system} {value}".strip(), value, Outcome.SAME, 0.3)
    shown = ", ".join(v for _s, v in fp.identifiers[:2])
    return Evidence("identifier", shown, cp.mrn, Outcome.MISSING, 0)


def states_person(fp: PhrPatient | None) -> bool:
    """A name, a birth date or a sex: something a person can be told apart by (identifiers aside)."""
    return fp is not None and bool(fp.family or fp.given or fp.other_names or fp.birth_date
                                   or fp.sex not in ("", "unknown"))


def match_identity(file_patient: PhrPatient | None, chart: ChartPatient | None) -> IdentityMatch:
    if chart is None or file_patient is None:
        return IdentityMatch(Verdict.NO_DEMOGRAPHICS, 0.0, (), file_patient)
    ident = _compare_identifiers(file_patient, chart)
    if not states_person(file_patient) and ident.outcome is not Outcome.SAME:
        # identifiers from another system (a Synthea uuid, an SSN the chart lacks) prove nothing either way
        return IdentityMatch(Verdict.NO_DEMOGRAPHICS, 0.0, (ident,) if file_patient.identifiers else (),
                             file_patient)
    evidence = (
        _compare_family(file_patient, chart), _compare_given(file_patient, chart), _compare_birth(file_patient, chart),
        _compare_sex(file_patient, chart), ident,
    )
    by_field = {e.field: e for e in evidence}
    score = min(1.0, sum(e.points for e in evidence))
    id_match = by_field["identifier"].outcome is Outcome.SAME
    dob = by_field["birth date"].outcome
    contradicted = {e.field for e in evidence if e.outcome is Outcome.DIFFERENT}
    if contradicted:
        # a changed name with the same birth date and a shared identifier (marriage): shown, not blocking
        verdict = Verdict.PARTIAL if (id_match and dob is Outcome.SAME and "birth date" not in contradicted) \
            else Verdict.MISMATCH
    elif dob is Outcome.SIMILAR:
        verdict = Verdict.MISMATCH  # day and month swapped, or one part off: a person must look
    elif dob is Outcome.SAME and (by_field["family name"].outcome is Outcome.SAME or id_match) \
            and by_field["given name"].outcome in (Outcome.SAME, Outcome.MISSING):
        verdict = Verdict.MATCH
    else:
        verdict = Verdict.PARTIAL
    return IdentityMatch(verdict, round(score, 2), evidence, file_patient)

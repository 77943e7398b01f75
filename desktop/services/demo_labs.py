"""Demo laboratory results: realistic panels over several years, written through the results service's bulk path.

The large demo patient gets 3,000 results in 300 panels over twenty years (CMP, CBC, BMP, lipids, HbA1c in
a fixed rotation), drifting the way a diabetic, hypertensive patient's values do (HbA1c 6.4-8.6 %, creatinine
rising, eGFR falling). Other demo patients get a yearly BMP, CBC and lipid panel for two to five years, and an
HbA1c every six months when they have type 2 diabetes. Values are invented for the demo; codes and units come
from the lab catalog.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from desktop.kb.age import age_years
from desktop.models import Problem

from .results import PanelInput, ResultInput, bulk_add_results
from .uow import UnitOfWork

LAB = "Springfield Clinical Laboratory"
LARGE_PANELS = 300

# (loinc, name, unit, decimals)
BMP = (("2345-7", "Glucose", "mg/dL", 0), ("6299-2", "Urea nitrogen", "mg/dL", 0), ("38483-4", "Creatinine", "mg/dL", 2),
       ("33914-3", "eGFR", "mL/min/{1.73_m2}", 0), ("2951-2", "Sodium", "mmol/L", 0), ("6298-4", "Potassium", "mmol/L", 1),
       ("2075-0", "Chloride", "mmol/L", 0), ("20565-8", "Carbon dioxide", "mmol/L", 0), ("17861-6", "Calcium", "mg/dL", 1))
CMP_EXTRA = (("1751-7", "Albumin", "g/dL", 1), ("2885-2", "Protein", "g/dL", 1), ("10834-0", "Globulin", "g/L", 1),
             ("1975-2", "Bilirubin total", "mg/dL", 1), ("6768-6", "Alkaline phosphatase", "U/L", 0),
             ("1742-6", "ALT", "U/L", 0), ("1920-8", "AST", "U/L", 0))
CBC = (("6690-2", "Leukocytes", "10*3/uL", 1), ("789-8", "Erythrocytes", "10*6/uL", 2), ("718-7", "Hemoglobin", "g/dL", 1),
       ("4544-3", "Hematocrit", "%", 1), ("787-2", "MCV", "fL", 0), ("785-6", "MCH", "pg", 1), ("786-4", "MCHC", "g/dL", 1),
       ("21000-5", "RDW", "fL", 1), ("777-3", "Platelets", "10*3/uL", 0), ("32623-1", "MPV", "fL", 1))
LIPIDS = (("2093-3", "Total cholesterol", "mg/dL", 0), ("2085-9", "HDL cholesterol", "mg/dL", 0),
          ("18262-6", "LDL cholesterol", "mg/dL", 0), ("2571-8", "Triglycerides", "mg/dL", 0))
A1C = (("4548-4", "Hemoglobin A1c", "%", 1),)
PANELS = {
    "cmp": ("24323-8", "Comprehensive metabolic panel", BMP + CMP_EXTRA),
    "bmp": ("51990-0", "Basic metabolic panel", BMP),
    "bmp8": ("51990-0", "Basic metabolic panel", BMP[:3] + BMP[4:]),  # without the eGFR
    "cbc": ("58410-2", "Complete blood count", CBC),
    "lipids": ("57698-3", "Lipid panel", LIPIDS),
    "a1c": ("", "", A1C),
}
# ten panels, 100 results: thirty turns make the large chart's 300 panels and 3,000 results
ROTATION = ("cmp", "cbc", "bmp", "lipids", "a1c", "cmp", "cbc", "bmp8", "cmp", "cbc")


def _value(code: str, rng: random.Random, progress: float, diabetic: bool) -> float:
    """A plausible value for the patient at `progress` (0 = first panel, 1 = today)."""
    g = rng.gauss
    drift = {
        "2345-7": (118 + 40 * progress if diabetic else 92) + g(0, 14),
        "6299-2": 14 + 10 * progress + g(0, 3),
        "38483-4": 0.95 + 0.75 * progress ** 1.5 + g(0, 0.07),
        "2951-2": 139 + g(0, 2.2), "6298-4": 4.3 + 0.6 * progress + g(0, 0.3), "2075-0": 103 + g(0, 2.5),
        "20565-8": 25 + g(0, 2), "17861-6": 9.4 + g(0, 0.3), "1751-7": 4.1 + g(0, 0.25), "2885-2": 7.0 + g(0, 0.4),
        "10834-0": 29 + g(0, 3), "1975-2": 0.7 + abs(g(0, 0.25)), "6768-6": 80 + g(0, 15), "1742-6": 26 + abs(g(0, 10)),
        "1920-8": 24 + abs(g(0, 8)),
        "6690-2": 6.8 + g(0, 1.4), "789-8": 4.7 + g(0, 0.3), "718-7": 14.1 - 1.2 * progress + g(0, 0.6),
        "4544-3": 42 - 3 * progress + g(0, 1.8), "787-2": 90 + g(0, 3), "785-6": 30 + g(0, 1), "786-4": 33.5 + g(0, 0.7),
        "21000-5": 44 + g(0, 3), "777-3": 250 + g(0, 45), "32623-1": 9.8 + g(0, 0.8),
        "2093-3": 205 - 40 * progress + g(0, 15), "2085-9": 44 + g(0, 5), "18262-6": 128 - 40 * progress + g(0, 12),
        "2571-8": 165 + g(0, 35), "4548-4": (6.6 + 1.6 * rng.random() if diabetic else 5.4 + g(0, 0.2)),
    }
    return drift[code]


def _egfr(creatinine: float, age: float) -> float:
    # a rough decline with creatinine for the demo (not the CKD-EPI equation: this is invented data)
    return max(8.0, 100.0 / creatinine - 0.4 * max(0.0, age - 40))


def _panel(kind: str, when: datetime, rng: random.Random, progress: float, diabetic: bool, age: float,
           source: str = "") -> PanelInput:
    code, name, tests = PANELS[kind]
    values: dict[str, float] = {}
    out = []
    for loinc, test_name, unit, decimals in tests:
        if loinc == "33914-3":
            v = _egfr(values.get("38483-4", 1.0), age)
        elif loinc == "10834-0" and {"2885-2", "1751-7"} <= values.keys():
            v = (values["2885-2"] - values["1751-7"]) * 10  # calculated globulin: protein - albumin, g/dL -> g/L
        else:
            v = _value(loinc, rng, progress, diabetic)
        v = round(v, decimals)
        values[loinc] = v
        out.append(ResultInput(name=test_name, loinc=loinc, value=v, unit=unit))
    return PanelInput(collected_at=when, panel_code=code, panel_name=name, performing_lab=LAB, results=tuple(out))


def large_chart_panels(birth: date, today: date, rng: random.Random) -> list[PanelInput]:
    """300 panels, 3,000 results, over twenty years, oldest first."""
    first = today - timedelta(days=365 * 20)
    step_days = 365 * 20 / LARGE_PANELS
    panels = []
    for n in range(LARGE_PANELS):
        day = first + timedelta(days=int(step_days * n))
        when = datetime.combine(day, time(8)).astimezone(UTC) + timedelta(minutes=rng.randint(0, 150))  # a morning
        progress = n / (LARGE_PANELS - 1)
        age = age_years(birth, when.date())
        panels.append(_panel(ROTATION[n % len(ROTATION)], when, rng, progress, True, age))
    return panels


def add_demo_results(uow: UnitOfWork, patient_ids: Sequence[int], large_id: int | None,
                     births: dict[int, date], today: date, seed: int = 20261204) -> int:
    """Results for the demo charts through the results service's bulk path. Returns results written.
    Only the system (the `demo` command) may."""
    from .demo import require_system

    require_system(uow)
    rng = random.Random(seed)  # its own generator: the rest of the demo stays as it was
    diabetic = {pid for (pid,) in uow.session.execute(
        select(Problem.patient_id).where(Problem.patient_id.in_(list(patient_ids)), Problem.icd10_code.like("E11%")))}
    written = 0
    for pid in patient_ids:
        birth = births.get(pid)
        if birth is None:
            continue
        if pid == large_id:
            written += bulk_add_results(uow, pid, large_chart_panels(birth, today, rng))
            continue
        if (today - birth).days < 18 * 365:
            continue  # no routine panels for children in the demo
        years = rng.randint(2, 5)
        panels = []
        first = today - timedelta(days=365 * years)
        for y in range(years):
            day = first + timedelta(days=365 * y + rng.randint(0, 60))
            when = datetime.combine(day, time(8, rng.randint(0, 59))).astimezone(UTC)
            progress = y / max(1, years - 1)
            age = age_years(birth, day)
            for kind in ("bmp", "cbc", "lipids"):
                panels.append(_panel(kind, when, rng, progress, pid in diabetic, age))
            if pid in diabetic:
                for half in (0, 182):
                    panels.append(_panel("a1c", when + timedelta(days=half, hours=1), rng, progress, True, age))
        written += bulk_add_results(uow, pid, panels)
    return written

"""The printed patient summary: demographics, allergies, problems, medications, immunizations, recent vitals
(table and BP / weight trend charts) and the last encounters. Inputs are already limited to recent rows."""

from __future__ import annotations

from reportlab.platypus import KeepTogether, Table, TableStyle

from desktop.kb import display_units
from desktop.kb.vitals import HEIGHT, TEMPERATURE, WEIGHT

from .charts import trend_chart
from .data import SummaryData, TrendPoint, VitalsRow
from .flow import Styles, build, none_line, para, spacer, table, when
from .page import MARGIN, age_on, fmt_date, fmt_datetime, page_size, sex_label


def _num(v: float | None, digits: int = 0) -> str:
    if v is None:
        return ""
    return f"{v:.{digits}f}"


def _bp(v: VitalsRow) -> str:
    if v.systolic is None and v.diastolic is None:
        return ""
    return f"{_num(v.systolic)}/{_num(v.diastolic)}"


def _demographics(data: SummaryData, width: float) -> Table:
    st = Styles.get()
    p = data.patient
    on = data.generated_at.date()
    left = [
        ("Name", p.full_name),
        ("Date of birth", f"{fmt_date(p.birth_date)} ({age_on(p.birth_date, on)})" if p.birth_date else "—"),
        ("Sex", sex_label(p.sex) + (f" (gender identity: {p.gender_identity})" if p.gender_identity else "")),
        ("MRN", p.mrn),
        ("Language", p.preferred_language or "—"),
    ]
    right = [
        ("Address", "\n".join(p.address_lines) or "—"),
        ("Phone", p.phone or "—"),
        ("Email", p.email or "—"),
        ("Emergency contact", p.emergency_contact or "—"),
        ("Insurance", p.insurance or "—"),
    ]
    rows = []
    for (k1, v1), (k2, v2) in zip(left, right):
        rows.append([para(k1, st.muted), para(v1, st.cell), para(k2, st.muted), para(v2, st.cell)])
    t = Table(rows, colWidths=[width * 0.14, width * 0.34, width * 0.16, width * 0.36])
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 1),
                           ("BOTTOMPADDING", (0, 0), (-1, -1), 1), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return t


def _allergies(data: SummaryData, width: float) -> list:
    st = Styles.get()
    if data.allergy_status == "nkda":
        return [para("No known drug allergies (NKDA)", st.alert)]
    if not data.allergies:
        return [para("Allergies not recorded", st.alert)]
    rows = [(a.substance, a.kind, a.reaction, a.severity) for a in data.allergies]
    return [table(["Substance", "Type", "Reaction", "Severity"], rows,
                  [width * 0.34, width * 0.14, width * 0.36, width * 0.16])]


def _shown(loinc: str, value: float | None, system: str) -> str:
    return "" if value is None else display_units.number(loinc, value, system)


def _unit(loinc: str, system: str) -> str:
    return display_units.unit_label(display_units.display_unit(loinc, system))


def _vitals_table(data: SummaryData, width: float) -> list:
    if not data.vitals:
        return [none_line("No vital signs recorded.")]
    u = data.unit_system
    header = ["Date", "BP mmHg", "HR /min", "RR /min", f"Temp {_unit(TEMPERATURE, u)}", "SpO₂ %",
              f"Weight {_unit(WEIGHT, u)}", f"Height {_unit(HEIGHT, u)}", "BMI", "Source"]
    rows = [
        (when(v.taken_at), _bp(v), _num(v.heart_rate), _num(v.resp_rate), _shown(TEMPERATURE, v.temperature_c, u),
         _num(v.spo2), _shown(WEIGHT, v.weight_kg, u), _shown(HEIGHT, v.height_cm, u), _num(v.bmi, 1), v.origin)
        for v in data.vitals
    ]
    fr = [0.17, 0.10, 0.08, 0.08, 0.09, 0.08, 0.10, 0.10, 0.07, 0.13]
    return [table(header, rows, [width * f for f in fr])]


_FLAG_TEXT = {"H": "H ▲", "HH": "HH ▲▲", "L": "L ▼", "LL": "LL ▼▼", "A": "A", "N": ""}


def _labs_table(data: SummaryData, width: float) -> list:
    if not data.labs:
        return [none_line("No laboratory results recorded.")]
    rows = [(when(r.when), r.test, r.value, r.unit, _FLAG_TEXT.get(r.flag, r.flag), r.range, r.source)
            for r in data.labs]
    fr = [0.18, 0.28, 0.09, 0.10, 0.07, 0.15, 0.13]
    return [table(["Collected", "Test", "Result", "Unit", "Flag", "Range", "Source"], rows, [width * f for f in fr])]


def _charts(data: SummaryData, width: float) -> Table:
    half = (width - 16) / 2
    bp = trend_chart("Blood pressure", "mmHg", data.bp_trend, half, labels=("systolic", "diastolic"),
                     ref_lines=(130, 80), min_span=60)
    u = data.unit_system
    weights = tuple(TrendPoint(p.when, display_units.to_display(WEIGHT, p.value, u)) for p in data.weight_trend)
    wt = trend_chart("Weight", _unit(WEIGHT, u), weights, half,
                     min_span=round(display_units.to_display(WEIGHT, 10, u)))
    t = Table([[bp, wt]], colWidths=[half + 16, half])
    t.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return t


def _histories(data: SummaryData, width: float) -> list:
    """Smoking status and other social history, surgical/procedure history, main family history."""
    if data.social_history is None:
        return []
    st = Styles.get()
    out: list = [para("Social history", st.h2)]
    out += [para(line, st.body) for line in data.social_history] or [none_line("Smoking status not recorded.")]
    out.append(para("Surgical and procedure history", st.h2))
    if data.procedures:
        out.append(table(["Procedure", "Last", "Times"], list(data.procedures),
                         [width * 0.70, width * 0.18, width * 0.12]))
    else:
        out.append(none_line("No procedures recorded."))
    out.append(para("Family history", st.h2))
    out += [para(line, st.body) for line in data.family_history] or [none_line("No family history recorded.")]
    return out


def render_summary(data: SummaryData) -> bytes:
    st = Styles.get()
    page_w, _ = page_size(data.page_size)
    width = page_w - 2 * MARGIN
    story: list = []
    story.append(para("Demographics", st.h2))
    story.append(_demographics(data, width))

    story.append(para("Allergies and intolerances", st.h2))
    story += _allergies(data, width)

    story.append(para("Active problems", st.h2))
    if data.problems:
        story.append(table(["Problem", "ICD-10-CM", "Onset", "Status"],
                           [(p.description, p.code, fmt_date(p.onset) if p.onset else "", p.status)
                            for p in data.problems],
                           [width * 0.56, width * 0.14, width * 0.15, width * 0.15]))
    else:
        story.append(none_line("No active problems recorded."))

    story.append(para("Current medications", st.h2))
    if data.medications:
        story.append(table(["Medication", "Directions", "Since", "Source"],
                           [(m.name, m.sig, fmt_date(m.start) if m.start else "", m.source)
                            for m in data.medications],
                           [width * 0.36, width * 0.40, width * 0.12, width * 0.12]))
    else:
        story.append(none_line("No current medications recorded."))

    story.append(para("Immunizations", st.h2))
    if data.immunizations:
        story.append(table(["Vaccine", "Date", "CVX", "Dose"],
                           [(i.vaccine, fmt_date(i.date_given), i.cvx, i.dose) for i in data.immunizations],
                           [width * 0.55, width * 0.17, width * 0.12, width * 0.16]))
    else:
        story.append(none_line("No immunizations recorded."))

    story += _histories(data, width)

    vitals_block = [para("Recent vital signs", st.h2), *_vitals_table(data, width), spacer(8), _charts(data, width)]
    story.append(KeepTogether(vitals_block))

    story.append(para("Recent laboratory results", st.h2))
    story += _labs_table(data, width)

    shown = len(data.encounters)
    title = "Recent encounters"
    if data.total_encounters > shown:
        title += f" (last {shown} of {data.total_encounters})"
    if data.encounters:
        rows = [(fmt_date(e.when), e.kind, e.reason, e.assessment if e.status == "signed" else "(note not signed yet)",
                 e.provider) for e in data.encounters]
        story.append(KeepTogether([para(title, st.h2),  # the heading never stays alone at a page's foot
                                   table(["Date", "Type", "Reason", "Assessment", "Provider"], rows,
                                         [width * 0.12, width * 0.09, width * 0.24, width * 0.39, width * 0.16])]))
    else:
        story += [para(title, st.h2), none_line("No encounters recorded.")]

    printed = f"Printed {fmt_datetime(data.generated_at)}" + (f" by {data.printed_by}" if data.printed_by else "")
    return build(story, page_size_name=data.page_size, title=f"Patient summary — {data.patient.full_name}",
                 author=data.practice.name, practice=data.practice, patient=data.patient,
                 doc_title="Patient summary", footer_left=printed, as_of=data.generated_at.date())

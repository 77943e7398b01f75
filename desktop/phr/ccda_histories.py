"""C-CDA Procedures, Social History, Family History and Encounters sections to history records.

Called by ccda._Doc for entries of these sections (found by LOINC section code like the others). A code with
a nullFlavor is no code: the entry keeps its text (originalText / narrative) or is skipped with the reason.
"""

from __future__ import annotations

from typing import Any

from .codes import first
from .dates import check_past
from .errors import SkipEntry
from .history_records import (
    SOCIAL_KINDS,
    PhrEncounter,
    PhrFamilyHistory,
    PhrProcedure,
    PhrSocialHistory,
    procedure_system,
    relative_of,
)

SECTIONS = {"47519-4": "procedures", "29762-2": "social_history", "10157-6": "family_history",
            "46240-8": "encounters"}
NS = "{urn:hl7-org:v3}"
SDTC = "{urn:hl7-org:sdtc}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
T_PROCEDURE = ("2.16.840.1.113883.10.20.22.4.14", "2.16.840.1.113883.10.20.22.4.13", "2.16.840.1.113883.10.20.22.4.12")
T_FAMILY_ORGANIZER = "2.16.840.1.113883.10.20.22.4.45"
T_FAMILY_OBSERVATION = "2.16.840.1.113883.10.20.22.4.46"
T_FAMILY_DEATH = "2.16.840.1.113883.10.20.22.4.47"
T_AGE = "2.16.840.1.113883.10.20.22.4.31"
T_ENCOUNTER = "2.16.840.1.113883.10.20.22.4.49"
T_DEATH_VALUE = "419099009"  # SNOMED CT "Dead", the C-CDA Family History Death Observation's fixed value
_PROC_STATUS = {"completed": "completed", "active": "in-progress", "aborted": "stopped", "cancelled": "not-done",
                "held": "in-progress", "suspended": "in-progress"}


def _t(tag: str) -> str:
    return NS + tag


def _templates(el: Any) -> set[str]:
    return {t.get("root", "") for t in el.findall(_t("templateId"))}


def _text(el: Any) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _children(entry: Any) -> list[Any]:
    return [c for c in entry if isinstance(c.tag, str)]


def read_entry(doc: Any, kind: str, entry: Any, label: str) -> None:
    if kind == "procedures":
        _procedure(doc, entry)
    elif kind == "social_history":
        _social(doc, entry)
    elif kind == "family_history":
        _family(doc, entry)
    else:
        _encounter(doc, entry)


def _date(value: Any) -> Any:
    return value.date() if value is not None else None


# ------------------------------------------------------------------ procedures

def _procedure(doc: Any, entry: Any) -> None:
    acts = [c for c in _children(entry) if _templates(c) & set(T_PROCEDURE)] or _children(entry)[:1]
    if not acts:
        raise SkipEntry("entry without a procedure")
    el = acts[0]
    if el.get("moodCode", "EVN") != "EVN":
        raise SkipEntry("planned procedure, not done")
    status_el = el.find(_t("statusCode"))
    status = _PROC_STATUS.get(status_el.get("code", "completed") if status_el is not None else "completed", "completed")
    codes, text = doc.code_of(el.find(_t("code")))
    text = text or doc.ref_text(el)
    if not text:
        raise SkipEntry("procedure without a code or name (nullFlavor)")
    system, code = None, None
    for wanted in ("snomed", "cpt", "hcpcs"):
        hit = next((c for c in codes if c.code and procedure_system(c.system, c.system) == wanted), None)
        if hit is not None:
            system, code = wanted, hit.code
            break
    start, end = doc.times(el)
    check_past(start, "procedure date")
    site_el = el.find(_t("targetSiteCode"))
    site = ""
    if site_el is not None and site_el.get("nullFlavor") is None:
        site = (site_el.get("displayName") or "").strip()
    rid = doc.entry_id(el, f"procedure {text}")
    doc.b.add(PhrProcedure(
        text=text[:300], code_system=system, code=code, codes=codes, performed=_date(start),
        performed_end=_date(end) if end is not None and _date(end) != _date(start) else None, body_site=site[:200],
        performer=doc.author(el)[:300], status=status, **doc.common(rid, start or doc.author_time(el), "")))


# ------------------------------------------------------------------ social history

def _social(doc: Any, entry: Any) -> None:
    obs = entry.find(_t("observation"))
    if obs is None:
        raise SkipEntry("social history entry without an observation")
    code_el = obs.find(_t("code"))
    codes, name = doc.code_of(code_el)
    loinc = first(codes, "loinc")
    kind = SOCIAL_KINDS.get(loinc or "", "other")
    value = obs.find(_t("value"))
    value_text, value_code, quantity, unit = "", None, None, ""
    if value is None or value.get("nullFlavor") is not None:
        raise SkipEntry(f"{name or 'social history'} without a value"
                        + (f" (nullFlavor {value.get('nullFlavor')})" if value is not None else ""))
    vtype = (value.get(XSI_TYPE) or "").split(":")[-1]
    if vtype in ("CD", "CE", "CO", "CV"):
        vcodes, value_text = doc.code_of(value)
        value_code = first(vcodes, "snomed")
    elif vtype == "PQ" and value.get("value"):
        try:
            quantity = float(value.get("value"))
        except ValueError:
            raise SkipEntry(f"{name}: {value.get('value')!r} is not a number") from None
        unit = (value.get("unit") or "")[:30]
        if unit == "1":
            unit = ""
    else:
        value_text = _text(value)
    if not value_text and value_code is None and quantity is None:
        raise SkipEntry(f"{name or 'social history'} without a value")
    if kind == "other" and name:
        value_text = f"{name}: {value_text}" if value_text else name
    elif quantity is not None and not value_text:
        value_text = name  # "Alcoholic drinks per day" says what the number counts
    start, end = doc.times(obs)
    check_past(start, "observation date")
    rid = doc.entry_id(obs, f"social {loinc or name}")
    doc.b.add(PhrSocialHistory(
        kind=kind, loinc=loinc, name=name, value_text=value_text[:300], value_code=value_code, quantity=quantity,
        unit=unit, observed=_date(start), end=_date(end),
        **doc.common(rid, doc.author_time(obs) or start, doc.author(obs))))


# ------------------------------------------------------------------ family history

def _age(obs: Any) -> int | None:
    for rel in obs.findall(_t("entryRelationship")):
        inner = rel.find(_t("observation"))
        if inner is not None and T_AGE in _templates(inner):
            v = inner.find(_t("value"))
            if v is not None and v.get("value") and v.get("nullFlavor") is None:
                try:
                    years = float(v.get("value"))
                except ValueError:
                    return None
                if (v.get("unit") or "a") in ("mo",):
                    years /= 12
                return int(years) if 0 <= years <= 125 else None
    return None


def _died(obs: Any) -> bool:
    for rel in obs.findall(_t("entryRelationship")):
        inner = rel.find(_t("observation"))
        if inner is not None and T_FAMILY_DEATH in _templates(inner):
            v = inner.find(_t("value"))
            return v is None or v.get("code") in (None, T_DEATH_VALUE)
    return False


def _family(doc: Any, entry: Any) -> None:
    org = entry.find(_t("organizer"))
    if org is None:
        raise SkipEntry("family history entry without an organizer")
    rel_el = org.find(f"{_t('subject')}/{_t('relatedSubject')}/{_t('code')}")
    rel_code = rel_el.get("code") if rel_el is not None and rel_el.get("nullFlavor") is None else None
    rel_text = (rel_el.get("displayName") or "") if rel_el is not None else ""
    relative, role = relative_of(rel_code, rel_text)
    person = org.find(f"{_t('subject')}/{_t('relatedSubject')}/{_t('subject')}")
    deceased_ind = person.find(SDTC + "deceasedInd") if person is not None else None
    person_dead = deceased_ind is not None and deceased_ind.get("value") == "true"
    found = 0
    for comp in org.findall(_t("component")):
        obs = comp.find(_t("observation"))
        if obs is None or T_FAMILY_OBSERVATION not in _templates(obs):
            continue
        value = obs.find(_t("value"))
        if value is None:
            continue
        codes, text = doc.code_of(value)
        text = text or doc.ref_text(obs)
        if not text:
            doc.b.skip(f"family history of the {relative}", "condition without a code or name (nullFlavor)")
            continue
        died = _died(obs)
        onset = _age(obs)
        when, _ = doc.times(obs)
        rid = doc.entry_id(obs, f"family {relative} {text}")
        note = f"relationship in the file: {rel_text}" if relative == "relative" and rel_text else ""
        doc.b.add(PhrFamilyHistory(
            relative=relative, relative_code=role, condition=text[:300], snomed=first(codes, "snomed"),
            icd10=first(codes, "icd10cm"), onset_age=onset, deceased=died or person_dead,
            death_age=None, note=note, **doc.common(rid, when, doc.author(obs, org))))
        found += 1
    if not found:
        raise SkipEntry(f"family history of the {relative} without a condition")


# ------------------------------------------------------------------ encounters

def _encounter(doc: Any, entry: Any) -> None:
    enc = entry.find(_t("encounter"))
    if enc is None:
        raise SkipEntry("encounters entry without an encounter")
    if enc.get("moodCode", "EVN") != "EVN":
        raise SkipEntry("planned encounter")
    codes, kind = doc.code_of(enc.find(_t("code")))
    kind = kind or doc.ref_text(enc)
    code = next((c for c in codes if c.code), None)
    start, end = doc.times(enc)
    check_past(start, "encounter date")
    facility = ""
    for part in enc.findall(_t("participant")):
        if part.get("typeCode") == "LOC":
            role = part.find(_t("participantRole"))
            name = role.find(f"{_t('playingEntity')}/{_t('name')}") if role is not None else None
            facility = _text(name)
            if not facility and role is not None:
                loc = role.find(_t("code"))
                facility = (loc.get("displayName") or "") if loc is not None else ""
            if facility:
                break
    reasons = []
    for rel in enc.findall(_t("entryRelationship")):
        for obs in rel.iter(_t("observation")):
            value = obs.find(_t("value"))
            if value is not None and value.get("nullFlavor") is None:
                _c, text = doc.code_of(value)
                if text and text not in reasons:
                    reasons.append(text)
    if not (kind or start or facility):
        raise SkipEntry("encounter without a date, type or facility")
    rid = doc.entry_id(enc, f"encounter {start}")
    performer = doc.author(enc)
    doc.b.add(PhrEncounter(
        start=start, end=end, kind=kind[:200], type_code=code.code[:40] if code else None,
        type_system=(procedure_system(code.system, code.system) or code.system)[:20] if code else None,
        facility=facility[:300], performer=performer[:300], reason="; ".join(reasons)[:500],
        status="finished", **doc.common(rid, start, performer)))


__all__ = ["SECTIONS", "read_entry"]

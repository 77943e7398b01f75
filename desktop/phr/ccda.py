"""C-CDA R2.1 (CCD) XML: patient, problems, medications, allergies, immunizations, vital signs and results.

Parsed with defusedxml (entity declarations and external references are refused). Sections are found by
their LOINC code; entries by the C-CDA templates they carry. Free-text references (<reference value="#x"/>)
are resolved against the section's narrative block.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from . import ccda_histories
from .allergens import allergen_key, is_no_known_allergy
from .builder import ParsedBuilder
from .ccda_results import ResultsReader
from .codes import clean_icd10, first, short_system
from .dates import check_past, hl7_ts
from .drugs import identify
from .errors import SkipEntry, UnreadableFile, UnsafeFile
from .records import Code, PhrAllergy, PhrImmunization, PhrMedication, PhrObservation, PhrPatient, PhrProblem
from .units import to_canonical
from .vaccine_names import vaccine_name
from .vitals import ALIASES, kind_of

NS = "{urn:hl7-org:v3}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
PATIENT_REF = "ccda:recordTarget"
SECTIONS = {
    "11450-4": "problems", "10160-0": "medications", "48765-2": "allergies", "11369-6": "immunizations",
    "8716-3": "vitals", "30954-2": "results",
}
SECTIONS.update(ccda_histories.SECTIONS)
OTHER_SECTIONS: dict[str, str] = {}  # sections counted as not imported (every known one is read now)
_SEVERITY = {"255604002": "mild", "6736007": "moderate", "24484000": "severe", "371924009": "severe",
             "371923003": "moderate", "442452003": "severe", "399166001": "severe"}
_STATUS = {"55561003": "active", "73425007": "inactive", "413322009": "resolved", "277022003": "inactive"}
_GENERIC_ALLERGY = {"419199007", "420134006", "418038007", "416098002", "414285001", "59037007", "235719002",
                    "418471000", "426232007", "419511003", "418634005"}
_INTOLERANCE = {"59037007", "235719002", "420134006"}
_FOOD = {"414285001", "235719002", "418471000"}
_ENVIRONMENT = {"426232007", "419511003", "418634005"}
_SEX = {"M": "male", "F": "female", "UN": "other"}
_MED_STATUS = {"active": "active", "completed": "completed", "aborted": "stopped", "suspended": "on-hold",
               "held": "on-hold", "cancelled": "stopped", "nullified": "stopped"}


def _t(tag: str) -> str:
    return NS + tag


def _iter(el: Any, tag: str) -> Iterator[Any]:
    return el.iter(_t(tag))


def _text(el: Any) -> str:
    if el is None:
        return ""
    return " ".join("".join(el.itertext()).split())


def _templates(el: Any) -> set[str]:
    return {t.get("root", "") for t in el.findall(_t("templateId"))}


class _Doc(ResultsReader):
    _t = staticmethod(_t)

    def __init__(self, root: Any, builder: ParsedBuilder, name: str):
        self.root = root
        self.b = builder
        self.name = name
        self.source_system = ""
        self.narrative: dict[str, str] = {}
        self._ids: Counter[str] = Counter()

    # ------------------------------------------------------------ helpers
    def entry_id(self, el: Any, fallback: str) -> str:
        ident = el.find(_t("id")) if el is not None else None
        key = fallback
        if ident is not None and ident.get("root") and ident.get("nullFlavor") is None:
            key = ident.get("root") + (f"^{ident.get('extension')}" if ident.get("extension") else "")
        self._ids[key] += 1
        n = self._ids[key]
        return (key if n == 1 else f"{key}#{n}")[:300]  # some documents repeat ids

    def code_of(self, el: Any) -> tuple[tuple[Code, ...], str]:
        """Codes of a CD element (with translations) and its best text."""
        if el is None:
            return (), ""
        codes: list[Code] = []
        for c in (el, *el.findall(_t("translation"))):
            if c.get("code") and c.get("nullFlavor") is None:
                codes.append(Code(short_system(c.get("codeSystem")), c.get("code", "").strip(),
                                  (c.get("displayName") or "").strip()))
        text = ""
        ot = el.find(_t("originalText"))
        if ot is not None:
            ref = ot.find(_t("reference"))
            text = self.narrative.get((ref.get("value") or "").lstrip("#"), "") if ref is not None else ""
            text = text or _text(ot)
        if not text:
            text = next((c.display for c in codes if c.display), "")
        return tuple(codes), text

    def ref_text(self, el: Any) -> str:
        t = el.find(_t("text")) if el is not None else None
        if t is None:
            return ""
        ref = t.find(_t("reference"))
        if ref is not None:
            return self.narrative.get((ref.get("value") or "").lstrip("#"), "")
        return _text(t)

    def author(self, *els: Any) -> str:
        for el in els:
            if el is None:
                continue
            for a in el.findall(_t("author")) + el.findall(_t("performer")):
                name = a.find(f"{_t('assignedAuthor')}/{_t('assignedPerson')}/{_t('name')}")
                if name is None:
                    name = a.find(f"{_t('assignedEntity')}/{_t('assignedPerson')}/{_t('name')}")
                if name is not None:
                    return " ".join(x for x in (_text(name.find(_t("prefix"))),
                                                " ".join(_text(g) for g in name.findall(_t("given"))),
                                                _text(name.find(_t("family")))) if x)[:200]
                org = a.find(f"{_t('assignedAuthor')}/{_t('representedOrganization')}/{_t('name')}")
                if org is None:
                    org = a.find(f"{_t('assignedEntity')}/{_t('representedOrganization')}/{_t('name')}")
                if org is not None and _text(org):
                    return _text(org)[:200]
        return ""

    def times(self, el: Any) -> tuple[datetime | None, datetime | None]:
        """(low, high) of an effectiveTime (IVL_TS or a single value)."""
        et = el.find(_t("effectiveTime")) if el is not None else None
        if et is None:
            return None, None
        if et.get("value"):
            v, _ = hl7_ts(et.get("value"))
            return v, None
        low = et.find(_t("low"))
        high = et.find(_t("high"))
        return (hl7_ts(low.get("value"))[0] if low is not None else None,
                hl7_ts(high.get("value"))[0] if high is not None else None)

    def author_time(self, el: Any) -> datetime | None:
        t = el.find(f"{_t('author')}/{_t('time')}") if el is not None else None
        return hl7_ts(t.get("value"))[0] if t is not None else None

    def common(self, rid: str, when: datetime | None, author: str) -> dict:
        return dict(patient_ref=PATIENT_REF, source_system=self.source_system, source_resource_id=rid,
                    source_date=when, author=author)

    # ------------------------------------------------------------ document
    def read(self) -> None:
        if self.root.tag != _t("ClinicalDocument"):
            raise UnreadableFile(f"{self.name} is not a C-CDA ClinicalDocument")
        org = self.root.find(f"{_t('custodian')}/{_t('assignedCustodian')}/{_t('representedCustodianOrganization')}/"
                             f"{_t('name')}")
        self.source_system = _text(org)[:300] or (_text(self.root.find(_t("title"))) or "C-CDA document")[:300]
        self.patient()
        for section in _iter(self.root, "section"):
            code_el = section.find(_t("code"))
            code = code_el.get("code", "") if code_el is not None else ""
            kind = SECTIONS.get(code)
            if kind is None:
                if code in OTHER_SECTIONS:
                    self.b.ignore(OTHER_SECTIONS[code])
                continue
            self.narrative = {}
            text_el = section.find(_t("text"))
            if text_el is not None:
                for el in text_el.iter():
                    if el.get("ID"):
                        self.narrative[el.get("ID")] = _text(el)
            for n, entry in enumerate(section.findall(_t("entry")), 1):
                self.b.control.check()
                label = f"{kind} entry {n}"
                try:
                    if kind in ccda_histories.SECTIONS.values():
                        ccda_histories.read_entry(self, kind, entry, label)
                    else:
                        getattr(self, kind)(entry, label)
                except SkipEntry as exc:
                    self.b.skip(label, exc.reason)

    def patient(self) -> None:
        pr = self.root.find(f"{_t('recordTarget')}/{_t('patientRole')}")
        if pr is None:
            return
        p = pr.find(_t("patient"))
        names = p.findall(_t("name")) if p is not None else []
        names.sort(key=lambda n: 0 if n.get("use") in (None, "L") else 1)
        given: tuple[str, ...] = ()
        family = ""
        others = []
        for i, n in enumerate(names):
            g = tuple(_text(x) for x in n.findall(_t("given")) if _text(x) and x.get("qualifier") != "CL")
            f = _text(n.find(_t("family")))
            if i == 0:
                given, family = g, f
            else:
                others.append(" ".join((*g, f)).strip())
        birth = None
        if p is not None and p.find(_t("birthTime")) is not None:
            dt, _ = hl7_ts(p.find(_t("birthTime")).get("value"))
            birth = dt.date() if dt else None
        gender = p.find(_t("administrativeGenderCode")) if p is not None else None
        idents = tuple((short_system(i.get("root")), i.get("extension", "")) for i in pr.findall(_t("id"))
                       if i.get("extension"))
        addr_el = pr.find(_t("addr"))
        addr = ", ".join(_text(x) for x in addr_el if _text(x)) if addr_el is not None else ""
        phone = next((t.get("value", "").removeprefix("tel:").strip() for t in pr.findall(_t("telecom"))
                      if t.get("value", "").startswith("tel:")), "")
        self.b.add_patient(PhrPatient(
            ref=PATIENT_REF, given=given, family=family, other_names=tuple(o for o in others if o), birth_date=birth,
            sex=_SEX.get(gender.get("code", "") if gender is not None else "", ""), identifiers=idents,
            address=addr, phone=phone, source_system=self.source_system, source_resource_id="recordTarget",
        ))

    # ------------------------------------------------------------ sections
    def problems(self, entry: Any, label: str) -> None:
        act = entry.find(_t("act"))
        observations = [o for o in _iter(entry, "observation") if "2.16.840.1.113883.10.20.22.4.4" in _templates(o)]
        if not observations and act is None:
            observations = [o for o in entry.findall(_t("observation"))]
        for obs in observations:
            if obs.get("negationInd") == "true":
                self.b.skip(label, "problem recorded as absent (negated)")
                continue
            codes, text = self.code_of(obs.find(_t("value")))
            text = text or self.ref_text(obs)
            if not text:
                raise SkipEntry("problem without a code or text")
            low, high = self.times(obs)
            status = None
            for rel in obs.findall(_t("entryRelationship")):
                st = rel.find(_t("observation"))
                if st is not None and "2.16.840.1.113883.10.20.22.4.6" in _templates(st):
                    v = st.find(_t("value"))
                    status = _STATUS.get(v.get("code", "") if v is not None else "")
            if status is None:
                act_status = act.find(_t("statusCode")).get("code", "") if act is not None and act.find(
                    _t("statusCode")) is not None else ""
                status = "resolved" if high is not None or act_status == "completed" else "active"
            onset = low.date() if low else None
            resolved = high.date() if high and status != "active" else None
            if onset and resolved and resolved < onset:
                resolved = None  # the HL7 example resolves before its onset: keep the status, drop the date
            check_past(onset, "onset date")
            self.b.add(PhrProblem(
                text=text, snomed=first(codes, "snomed"), icd10=clean_icd10(first(codes, "icd10cm")), codes=codes,
                onset=onset, resolved=resolved, status=status,
                **self.common(self.entry_id(obs, label), self.author_time(obs) or low, self.author(obs, act)),
            ))

    def allergies(self, entry: Any, label: str) -> None:
        act = entry.find(_t("act"))
        for obs in _iter(entry, "observation"):
            if "2.16.840.1.113883.10.20.22.4.7" not in _templates(obs):
                continue
            value = obs.find(_t("value"))
            type_code = value.get("code", "") if value is not None else ""
            entity = obs.find(f"{_t('participant')}/{_t('participantRole')}/{_t('playingEntity')}")
            codes, substance = self.code_of(entity.find(_t("code")) if entity is not None else None)
            if not substance and entity is not None:
                substance = _text(entity.find(_t("name")))
            generic_entity = not codes or all(c.code in ("105590001", "373873005") for c in codes)
            negated = obs.get("negationInd") == "true"
            low, _high = self.times(obs)
            common = self.common(self.entry_id(obs, label), self.author_time(obs) or low, self.author(obs, act))
            if negated and (generic_entity or type_code in _GENERIC_ALLERGY and not substance):
                self.b.add(PhrAllergy(substance="No known allergies", allergen_key="", no_known_allergies=True,
                                      category="medication", **common))
                continue
            if negated:
                raise SkipEntry(f"allergy to {substance or 'a substance'} recorded as absent")
            if is_no_known_allergy(substance, codes):
                self.b.add(PhrAllergy(substance="No known allergies", allergen_key="", no_known_allergies=True,
                                      **common))
                continue
            if not substance or generic_entity and not substance:
                raise SkipEntry("allergy without a substance")
            reactions: list[str] = []
            severity = ""
            status = "active"
            for rel in obs.findall(_t("entryRelationship")):
                sub = rel.find(_t("observation"))
                if sub is None:
                    continue
                tpl = _templates(sub)
                if "2.16.840.1.113883.10.20.22.4.9" in tpl:  # reaction
                    _c, r = self.code_of(sub.find(_t("value")))
                    r = r or self.ref_text(sub)
                    if r and r not in reactions:
                        reactions.append(r)
                    for sev in _iter(sub, "observation"):
                        if "2.16.840.1.113883.10.20.22.4.8" in _templates(sev) and not severity:
                            v = sev.find(_t("value"))
                            severity = _SEVERITY.get(v.get("code", "") if v is not None else "", "")
                elif "2.16.840.1.113883.10.20.22.4.8" in tpl:  # severity of the allergy itself
                    v = sub.find(_t("value"))
                    severity = _SEVERITY.get(v.get("code", "") if v is not None else "", "") or severity
                elif "2.16.840.1.113883.10.20.22.4.28" in tpl:  # allergy status
                    v = sub.find(_t("value"))
                    status = _STATUS.get(v.get("code", "") if v is not None else "", status)
            if act is not None:  # a severity observation beside the allergy characterises the allergy itself
                for rel in act.findall(_t("entryRelationship")):
                    sev = rel.find(_t("observation"))
                    if sev is not None and sev is not obs and "2.16.840.1.113883.10.20.22.4.8" in _templates(sev):
                        v = sev.find(_t("value"))
                        severity = _SEVERITY.get(v.get("code", "") if v is not None else "", "") or severity
            if act is not None and act.find(_t("statusCode")) is not None:
                if act.find(_t("statusCode")).get("code") == "completed" and status == "active":
                    status = "resolved"
            category = ("food" if type_code in _FOOD else "environment" if type_code in _ENVIRONMENT
                        else "medication")
            code_system = code = None
            for system in ("rxnorm", "snomed", "unii", "ndfrt"):
                found = first(codes, system)
                if found:
                    code_system, code = system, found
                    break
            onset = low.date() if low else None
            check_past(onset, "onset date")
            self.b.add(PhrAllergy(
                substance=substance, allergen_key=allergen_key(substance, codes), code_system=code_system, code=code,
                codes=codes, category=category, kind="intolerance" if type_code in _INTOLERANCE else "allergy",
                reaction="; ".join(reactions), severity=severity, status=status, onset=onset, **common,
            ))

    def medications(self, entry: Any, label: str) -> None:
        sa = entry.find(_t("substanceAdministration"))
        if sa is None:
            raise SkipEntry("no medication activity")
        if sa.get("negationInd") == "true":
            raise SkipEntry("medication recorded as not taken")
        material = sa.find(f"{_t('consumable')}/{_t('manufacturedProduct')}/{_t('manufacturedMaterial')}")
        if material is None:
            raise SkipEntry("medication without a product")
        codes, text = self.code_of(material.find(_t("code")))
        text = text or _text(material.find(_t("name")))
        if not text and not codes:
            raise SkipEntry("medication without a code or name")
        ident = identify(codes, text)
        start = stop = None
        for et in sa.findall(_t("effectiveTime")):
            if (et.get(XSI_TYPE) or "").endswith("IVL_TS") or et.find(_t("low")) is not None:
                low, high = et.find(_t("low")), et.find(_t("high"))
                start = hl7_ts(low.get("value"))[0] if low is not None else None
                stop = hl7_ts(high.get("value"))[0] if high is not None else None
        sig = self._sig(sa)
        route_el = sa.find(_t("routeCode"))
        route = (route_el.get("displayName") or "").replace(" Route of Administration", "") if route_el is not None else ""
        status_el = sa.find(_t("statusCode"))
        status = _MED_STATUS.get(status_el.get("code", "") if status_el is not None else "", "active")
        start_d = start.date() if start else None
        check_past(start_d, "start date", allow_future_days=366)
        self.b.add(PhrMedication(
            text=text or ", ".join(ident.ingredients), ingredients=ident.ingredients,
            ingredient_rxcui=ident.ingredient_rxcui, product_rxcui=ident.product_rxcui, codes=codes, sig=sig,
            route=route, start=start_d, stop=stop.date() if stop else None, status=status,
            **self.common(self.entry_id(sa, label), self.author_time(sa) or start, self.author(sa)),
        ))

    def _sig(self, sa: Any) -> str:
        text = self.ref_text(sa)
        if text:
            return text
        parts = []
        dose = sa.find(_t("doseQuantity"))
        if dose is not None and dose.get("value"):
            unit_el = sa.find(_t("administrationUnitCode"))
            unit = dose.get("unit") or (unit_el.get("displayName") if unit_el is not None else "") or ""
            parts.append(f"{dose.get('value')} {unit}".strip())
        for et in sa.findall(_t("effectiveTime")):
            if (et.get(XSI_TYPE) or "").endswith("PIVL_TS"):
                period = et.find(_t("period"))
                if period is not None and period.get("value"):
                    parts.append(f"every {period.get('value')} {period.get('unit', '')}".strip())
        return " ".join(parts)

    def immunizations(self, entry: Any, label: str) -> None:
        sa = entry.find(_t("substanceAdministration"))
        if sa is None:
            raise SkipEntry("no immunization activity")
        if sa.get("negationInd") == "true":
            raise SkipEntry("immunization recorded as not given")
        material = sa.find(f"{_t('consumable')}/{_t('manufacturedProduct')}/{_t('manufacturedMaterial')}")
        codes, text = self.code_of(material.find(_t("code")) if material is not None else None)
        cvx = first(codes, "cvx")
        text = text or vaccine_name(cvx) or ""
        if not text and not cvx:
            raise SkipEntry("immunization without a vaccine code or name")
        when, _ = self.times(sa)
        if when is None:
            raise SkipEntry("immunization without a date")
        check_past(when, "date given")
        lot = _text(material.find(_t("lotNumberText"))) if material is not None else ""
        maker = sa.find(f"{_t('consumable')}/{_t('manufacturedProduct')}/{_t('manufacturerOrganization')}/{_t('name')}")
        route_el = sa.find(_t("routeCode"))
        route = (route_el.get("displayName") or "").replace(" Route of Administration", "") if route_el is not None else ""
        site_el = sa.find(_t("approachSiteCode"))
        self.b.add(PhrImmunization(
            vaccine=text or f"CVX {cvx}", date_given=when.date(), cvx=cvx, codes=codes, lot_number=lot,
            manufacturer=_text(maker), route=route, site=(site_el.get("displayName") or "") if site_el is not None else "",
            **self.common(self.entry_id(sa, label), self.author_time(sa) or when, self.author(sa)),
        ))

    def vitals(self, entry: Any, label: str) -> None:
        organizer = entry.find(_t("organizer"))
        observations = organizer.findall(f"{_t('component')}/{_t('observation')}") if organizer is not None else \
            entry.findall(_t("observation"))
        group = self.entry_id(organizer, label) if organizer is not None else label
        org_time, _ = self.times(organizer) if organizer is not None else (None, None)
        for n, obs in enumerate(observations, 1):
            sub = f"{label}.{n}"
            try:
                codes, name = self.code_of(obs.find(_t("code")))
                loinc = first(codes, "loinc")
                kind = kind_of(loinc)
                if kind is None:
                    self.b.ignore(f"C-CDA vital sign {loinc or 'uncoded'}")
                    continue
                value_el = obs.find(_t("value"))
                if value_el is None or value_el.get("value") is None:
                    raise SkipEntry(f"{kind.name.lower()} without a value")
                try:
                    value = float(value_el.get("value"))
                except ValueError:
                    raise SkipEntry(f"unreadable value {value_el.get('value')[:40]!r}") from None
                unit = value_el.get("unit", "")
                canonical = to_canonical(kind, value, unit)
                taken, _ = self.times(obs)
                taken = taken or org_time
                if taken is None:
                    raise SkipEntry("vital sign without a time")
                check_past(taken, "measurement date")
                self.b.add(PhrObservation(
                    loinc=ALIASES.get(loinc, loinc), name=kind.name, value=canonical, unit=kind.unit, taken_at=taken,
                    group=f"ccda:{group}"[:300], original_value=value, original_unit=unit,
                    **self.common(self.entry_id(obs, sub), self.author_time(obs) or taken, self.author(obs)),
                ))
            except SkipEntry as exc:
                self.b.skip(sub, exc.reason)


def read(data: bytes, builder: ParsedBuilder, name: str) -> None:
    try:
        root = fromstring(data)
    except DefusedXmlException as exc:
        raise UnsafeFile(f"{name} declares XML entities or external references; refused for safety ({exc})") from None
    except ParseError as exc:
        raise UnreadableFile(f"{name} is damaged or truncated XML ({exc})") from None
    _Doc(root, builder, name).read()

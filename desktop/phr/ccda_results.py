"""C-CDA Results section (LOINC 30954-2): result organizers (panels) holding result observations.

Values as received: PQ (value + unit), IVL_PQ, ST/ED text, CD/CE coded; referenceRange/observationRange
(IVL_PQ low/high or text) and interpretationCode (v3 ObservationInterpretation). nullFlavor is handled:
a value with a nullFlavor is "no value" (pending while the result is still active), a code with a nullFlavor
falls back to the narrative text, a range bound with a nullFlavor is open.
"""

from __future__ import annotations

from typing import Any

from .codes import first
from .dates import check_past
from .errors import SkipEntry
from .records import PhrLabResult

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_FLAGS = {"H": "H", "L": "L", "HH": "HH", "LL": "LL", "A": "A", "AA": "A", "N": "N", "HU": "HH", "LU": "LL", "HX": "H", "LX": "L"}
_STATUS = {"completed": "final", "active": "preliminary", "aborted": "cancelled", "cancelled": "cancelled",
           "held": "preliminary", "suspended": "preliminary", "new": "preliminary"}
_NULL_WORDS = {"NA": "not applicable", "UNK": "unknown", "ASKU": "asked, unknown", "NAV": "not yet available",
               "NASK": "not asked", "NI": "no information", "MSK": "masked", "OTH": "other"}


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


class ResultsReader:
    """Mixed into the C-CDA document reader (uses its helpers: _t, code_of, times, entry_id, ...)."""

    def results(self, entry: Any, label: str) -> None:
        t = self._t  # type: ignore[attr-defined]
        organizer = entry.find(t("organizer"))
        if organizer is not None:
            observations = organizer.findall(f"{t('component')}/{t('observation')}")
            codes, name = self.code_of(organizer.find(t("code")))  # type: ignore[attr-defined]
            panel_key = "ccda:" + self.entry_id(organizer, label)  # type: ignore[attr-defined]
            org_time, _ = self.times(organizer)  # type: ignore[attr-defined]
            org_status = self._status(organizer)
            panel = dict(panel_key=panel_key[:300], panel_code=first(codes, "loinc") or "", panel_name=name,
                         performing_lab=self.author(organizer))  # type: ignore[attr-defined]
        else:
            observations = entry.findall(t("observation"))
            org_time, org_status, panel = None, "", {}
        for n, obs in enumerate(observations, 1):
            sub = f"{label}.{n}"
            try:
                self._result(obs, sub, panel, org_time, org_status)
            except SkipEntry as exc:
                self.b.skip(sub, exc.reason)  # type: ignore[attr-defined]

    def _status(self, el: Any) -> str:
        sc = el.find(self._t("statusCode"))  # type: ignore[attr-defined]
        return _STATUS.get((sc.get("code") or "").lower(), "final") if sc is not None else ""

    def _result(self, obs: Any, label: str, panel: dict, org_time: Any, org_status: str) -> None:
        t = self._t  # type: ignore[attr-defined]
        if (obs.get("negationInd") or "").lower() == "true":
            raise SkipEntry("result recorded as not done")
        codes, name = self.code_of(obs.find(t("code")))  # type: ignore[attr-defined]
        name = name or self.ref_text(obs)  # type: ignore[attr-defined]
        loinc = first(codes, "loinc") or ""
        if not name and not loinc:
            raise SkipEntry("result without a test code or name")
        collected, _ = self.times(obs)  # type: ignore[attr-defined]
        collected = collected or org_time
        if collected is None:
            raise SkipEntry(f"{name or loinc}: result without a time")
        check_past(collected, "collection date")
        status = self._status(obs) or org_status or "final"
        value = None
        unit = value_text = value_code = ""
        v = obs.find(t("value"))
        if v is None:
            value_text = "pending" if status == "preliminary" else ""
        elif v.get("nullFlavor"):
            word = _NULL_WORDS.get(v.get("nullFlavor"), v.get("nullFlavor").lower())
            value_text = f"pending ({word})" if status == "preliminary" else f"no value ({word})"
        else:
            kind = (v.get(XSI_TYPE) or "").split(":")[-1].upper()
            if kind in ("PQ", "INT", "REAL", "MO") or (not kind and v.get("value") is not None):
                value = _float(v.get("value"))
                if value is None:
                    raise SkipEntry(f"{name}: unreadable value {str(v.get('value'))[:40]!r}")
                unit = v.get("unit", "") if kind != "INT" else ""
                if unit == "1":
                    unit = ""
            elif kind in ("CD", "CE", "CO", "CV"):
                vc, value_text = self.code_of(v)  # type: ignore[attr-defined]
                value_code = vc[0].code if vc else ""
            elif kind == "IVL_PQ":
                low, high = v.find(t("low")), v.find(t("high"))
                value_text = "–".join(x for x in (low.get("value") if low is not None else "",
                                                  high.get("value") if high is not None else "") if x)
                unit = (low if low is not None else high).get("unit", "") if (low is not None or high is not None) else ""
            else:
                value_text = " ".join("".join(v.itertext()).split()) or self.ref_text(obs)  # type: ignore[attr-defined]
        if value is None and not value_text:
            raise SkipEntry(f"{name or loinc}: result without a value")
        low = high = None
        ref_text = ""
        rng = obs.find(f"{t('referenceRange')}/{t('observationRange')}")
        if rng is not None:
            rv = rng.find(t("value"))
            if rv is not None and not rv.get("nullFlavor"):
                lo, hi = rv.find(t("low")), rv.find(t("high"))
                low = _float(lo.get("value")) if lo is not None and not lo.get("nullFlavor") else None
                high = _float(hi.get("value")) if hi is not None and not hi.get("nullFlavor") else None
            if low is None and high is None:
                ref_text = " ".join("".join(rng.find(t("text")).itertext()).split()) \
                    if rng.find(t("text")) is not None else ""
        flag = ""
        ic = obs.find(t("interpretationCode"))
        if ic is not None and not ic.get("nullFlavor"):
            flag = _FLAGS.get((ic.get("code") or "").upper(), "")
        rid = self.entry_id(obs, label)  # type: ignore[attr-defined]
        self.b.add(PhrLabResult(  # type: ignore[attr-defined]
            name=name or loinc, collected_at=collected, loinc=loinc, codes=codes, value=value, value_text=value_text,
            value_code=value_code, unit=unit, ref_low=low, ref_high=high, ref_text=ref_text[:200], flag=flag,
            status=status, **panel,
            **self.common(rid, self.author_time(obs) or collected, self.author(obs)),  # type: ignore[attr-defined]
        ))

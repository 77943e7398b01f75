"""Keys that say two records are the same thing, and the collapse of duplicates inside one file."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone

from desktop.kb.text import fold

from .allergens import allergen_key, text_key
from .codes import all_of
from .drugs import ingredient_key, ingredients_from_text
from .records import PhrAllergy, PhrImmunization, PhrItem, PhrMedication, PhrObservation, PhrProblem
from .snapshot import ChartAllergy, ChartMedication, ChartObservation, ChartProblem
from .vaccine_names import vaccine_key

_SEMANTIC_TAG = re.compile(r"\((disorder|finding|situation|morphologic abnormality|procedure|event|"
                           r"observable entity|qualifier value|substance|person)\)")
_PUNCT = re.compile(r"[^a-z0-9 ]+")


def problem_text_key(text: str) -> str:
    t = _SEMANTIC_TAG.sub(" ", fold(text))
    return " ".join(_PUNCT.sub(" ", t).split())


def icd_key(code: str | None) -> str:
    return (code or "").replace(".", "").strip().upper()


def problem_keys(p: PhrProblem | ChartProblem) -> list[str]:
    """Every key the problem is known by: its SNOMED and ICD-10 codes, then its text."""
    keys: list[str] = []
    if p.snomed:
        keys.append("snomed:" + p.snomed)
    if p.icd10:
        keys.append("icd10:" + icd_key(p.icd10))
    if isinstance(p, PhrProblem):
        keys += ["snomed:" + c.code for c in all_of(p.codes, "snomed") if c.code != p.snomed]
        keys += ["icd10:" + icd_key(c.code) for c in (*all_of(p.codes, "icd10cm"), *all_of(p.codes, "icd10"))
                 if icd_key(c.code) != icd_key(p.icd10)]
    text = problem_text_key(p.text)
    if text:
        keys.append("text:" + text)
    return keys


def medication_keys(m: PhrMedication | ChartMedication) -> list[str]:
    keys: list[str] = []
    if m.ingredient_rxcui:
        keys.append("rxing:" + m.ingredient_rxcui)
    if m.product_rxcui:
        keys.append("rxprod:" + m.product_rxcui)
    ingredients = m.ingredients if isinstance(m, PhrMedication) else (m.ingredients or "")
    key = ingredient_key(ingredients) if ingredients else ""
    if not key:
        name = m.text if isinstance(m, PhrMedication) else m.drug_name
        key = ingredient_key(ingredients_from_text(name))
    if key:
        keys.append("ing:" + key)
    name = m.text if isinstance(m, PhrMedication) else m.drug_name
    if name:
        keys.append("text:" + " ".join(fold(name).split()))
    return keys


def allergy_keys(a: PhrAllergy | ChartAllergy) -> list[str]:
    if a.no_known_allergies:
        return ["nka"]
    keys: list[str] = []
    if isinstance(a, PhrAllergy):
        if a.allergen_key:
            keys.append("allergen:" + a.allergen_key)
    else:
        from .records import Code

        codes = [Code(a.code_system or "", a.code or "")] if a.code else []
        computed = allergen_key(a.substance, codes)
        if computed:
            keys.append("allergen:" + computed)
        if a.substance_key:
            keys.append("allergen:" + a.substance_key)  # the chart's own key (a class id or a folded name)
            keys.append("allergen:" + text_key(a.substance_key.replace("_", " ")))
    return list(dict.fromkeys(keys))


def immunization_key(vaccine_cvx: str | None, vaccine: str, given: object) -> str:
    return f"{vaccine_key(vaccine_cvx, vaccine)}@{given}"


_EPOCH_DAY = date(1970, 1, 1).toordinal()
_FIXED_OFFSET_SECONDS: dict[timezone, int] = {}


def minute_of(when: datetime) -> int:
    """Minutes since 1970 in UTC: two readings in the same minute are the same reading.

    Called for every reading of a file twice (hundreds of thousands for an Apple export): calendar arithmetic
    with the fixed offset looked up once per zone is three times cheaper than datetime.timestamp()."""
    tz = when.tzinfo
    if tz is None:
        offset = 0
    elif tz.__class__ is timezone:  # fixed offset (what every reader produces): the same for every instant
        offset = _FIXED_OFFSET_SECONDS.get(tz)
        if offset is None:
            offset = _FIXED_OFFSET_SECONDS[tz] = int(tz.utcoffset(None).total_seconds())
    else:  # a zone with daylight saving time (or local mean time): the offset depends on the instant
        return int(when.timestamp() // 60)
    seconds = (when.toordinal() - _EPOCH_DAY) * 86400 + when.hour * 3600 + when.minute * 60 + when.second
    return (seconds - offset) // 60


def observation_key(o: PhrObservation | ChartObservation) -> tuple[str, int]:
    return (o.loinc, minute_of(o.taken_at))


def same_value(a: float, b: float) -> bool:
    return abs(a - b) <= max(0.051, abs(b) * 0.001)


# ------------------------------------------------------------------ inside one file

@dataclass(frozen=True, slots=True)
class Collapsed:
    item: PhrItem
    count: int  # how many records of the file said the same thing (1 = no duplicate)


def _collapse(items: Iterable, key: Callable, merge: Callable) -> list[Collapsed]:
    groups: dict[object, list] = {}
    for it in items:
        groups.setdefault(key(it), []).append(it)
    return [Collapsed(merge(g), len(g)) for g in groups.values()]


def _latest(items: list, *fields: str) -> object:
    def when(it: object) -> tuple:
        values = []
        for f in fields:
            v = getattr(it, f, None)
            if isinstance(v, datetime):
                v = v.date()
            values.append(v.isoformat() if v is not None else "")
        return tuple(values)

    return max(items, key=when)


def collapse_problems(items: Iterable[PhrProblem]) -> list[Collapsed]:
    return _collapse(items, lambda p: problem_keys(p)[0], lambda g: _latest(g, "onset", "source_date"))


def collapse_medications(items: Iterable[PhrMedication]) -> list[Collapsed]:
    def key(m: PhrMedication) -> str:
        ks = [k for k in medication_keys(m) if k.startswith(("ing:", "rxing:"))]
        return ks[0] if ks else medication_keys(m)[0]

    def merge(g: list[PhrMedication]) -> PhrMedication:
        latest: PhrMedication = _latest(g, "start", "source_date")  # type: ignore[assignment]
        starts = [m.start for m in g if m.start]
        return replace(latest, start=min(starts)) if starts else latest

    return _collapse(items, key, merge)


def collapse_allergies(items: Iterable[PhrAllergy]) -> list[Collapsed]:
    def merge(g: list[PhrAllergy]) -> PhrAllergy:
        active = [a for a in g if a.status == "active" and a.verification != "refuted"] or g
        return _latest(active, "source_date")  # type: ignore[return-value]

    return _collapse(items, lambda a: allergy_keys(a)[0] if allergy_keys(a) else fold(a.substance), merge)


def collapse_immunizations(items: Iterable[PhrImmunization]) -> list[Collapsed]:
    return _collapse(items, lambda i: immunization_key(i.cvx, i.vaccine, i.date_given), lambda g: g[0])


def collapse_observations(items: Iterable[PhrObservation]) -> list[Collapsed]:
    return [Collapsed(same_reading(g), count_of(g)) for g in observation_groups(items).values()]


ObservationGroup = PhrObservation | list[PhrObservation]  # a reading said once, or every copy of it


def observation_groups(items: Iterable[PhrObservation]) -> dict[tuple[str, int, float], ObservationGroup]:
    """The file's readings by (LOINC, minute, value to one decimal), in file order: each group is one reading.
    Written out rather than through _collapse: an Apple export has hundreds of thousands of readings, most said
    once (kept bare, without a list of one)."""
    groups: dict[tuple[str, int, float], ObservationGroup] = {}
    for o in items:
        key = (o.loinc, minute_of(o.taken_at), round(o.value, 1))
        group = groups.get(key)
        if group is None:
            groups[key] = o
        elif group.__class__ is list:
            group.append(o)  # type: ignore[union-attr]
        else:
            groups[key] = [group, o]  # type: ignore[list-item]
    return groups


def count_of(g: ObservationGroup) -> int:
    return len(g) if g.__class__ is list else 1  # type: ignore[arg-type]


def same_reading(g: ObservationGroup) -> PhrObservation:
    """One reading that several apps passed on (a Withings weighing in Apple Health and in Google Fit): shown once,
    naming every source and device."""
    if g.__class__ is not list:
        return g  # type: ignore[return-value]
    systems = list(dict.fromkeys(o.source_system for o in g if o.source_system))
    if len(systems) < 2:
        return g[0]
    devices = list(dict.fromkeys(o.device for o in g if o.device))
    return replace(g[0], source_system=" + ".join(systems)[:300], device="; ".join(devices)[:200])

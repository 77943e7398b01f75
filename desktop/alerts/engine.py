"""evaluate(context) -> ordered alerts: drug-drug, duplicate therapy, drug-allergy, vital signs.

Matching is by ingredient name (normalised words); a class side of a rule matches a drug when one of its
ingredients is a member, or, for ingredients the knowledge base does not classify, when the formulary says
the drug is in that class. Each drug's rule hits are computed once and cached on the knowledge base, so a
check of 20 active medications is a few hundred set look-ups.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from desktop.kb.text import words

from .kb import KnowledgeBase, VaccineDef, load_kb, norm
from .model import (
    KINDS,
    SEVERITIES,
    SPO2,
    Alert,
    AlertContext,
    AllergyRef,
    DrugRef,
    severity_rank,
)

_PROFILE_CACHE_MAX = 4096


@dataclass(frozen=True, slots=True)
class _Profile:
    ings: tuple[str, ...]  # normalised ingredient names
    classes: frozenset[str]
    hits: dict[int, tuple[str | None, str | None]]  # rule index -> (ingredient matching side a, side b)
    ing_set: frozenset[str]
    dup_sides: dict[int, frozenset[int]]  # duplicate rule index -> which of its classes this drug is in
    word_seqs: tuple[tuple[str, ...], ...]  # name and ingredients as word lists (vaccine matching)
    formulary_classes: frozenset[str] = frozenset()  # the formulary's classes, kept only when an ingredient is unknown


def evaluate(context: AlertContext, kb: KnowledgeBase | None = None, kinds: Iterable[str] | None = None) -> list[Alert]:
    """All alerts for `context`, most severe first, then alphabetical; deterministic.

    With proposed drugs: alerts involving a proposed drug (against the active list and each other), plus vitals.
    Without: every pair on the active list, every active drug against the allergies, plus vitals.
    Raises KnowledgeBaseUnavailable when no knowledge base can be loaded.
    """
    kb = kb or load_kb()
    wanted = set(KINDS if kinds is None else kinds)
    active = list(context.active_meds)
    proposed = list(context.proposed)
    drugs = proposed + active
    profiles = [_profile(kb, d) for d in drugs]
    n_prop = len(proposed)
    if n_prop:
        pairs = [(i, j) for i in range(n_prop) for j in range(i + 1, len(drugs))]
        checked = range(n_prop)
    else:
        pairs = [(i, j) for i in range(len(drugs)) for j in range(i + 1, len(drugs))]
        checked = range(len(drugs))

    alerts: list[Alert] = []
    for i, j in pairs:
        if "interaction" in wanted:
            alerts += _interactions(kb, drugs[i], profiles[i], drugs[j], profiles[j])
        if "duplicate" in wanted:
            dup = _duplicate(kb, drugs[i], profiles[i], drugs[j], profiles[j])
            if dup is not None:
                alerts.append(dup)
    if "allergy" in wanted and context.allergies:
        for i in checked:
            for allergy in context.allergies:
                hit = _allergy(kb, drugs[i], profiles[i], allergy)
                if hit is not None:
                    alerts.append(hit)
    if "vital" in wanted and context.vitals:
        alerts += _vitals(kb, context.vitals, context.age_years)

    unique: dict[tuple[str, str], Alert] = {}
    for a in alerts:  # the same drug listed twice must not double the alert
        unique.setdefault((a.key, a.message), a)
    return sorted(unique.values(), key=Alert.sort_key)


# ---------------------------------------------------------------- drugs


def _profile(kb: KnowledgeBase, drug: DrugRef) -> _Profile:
    cache_key = (drug.ingredients, drug.classes, drug.name)
    prof = kb.profile_cache.get(cache_key)
    if prof is not None:
        return prof
    ings = tuple(dict.fromkeys(norm(i) for i in drug.ingredients if norm(i)))
    classes: set[str] = set()
    unclassified = False
    for ing in ings:
        got = kb.ingredient_classes.get(ing)
        if got:
            classes |= got
        else:
            unclassified = True
    hits: dict[int, list] = {}
    for ing in ings:
        for idx, side in kb.ing_index.get(ing, ()):
            slot = hits.setdefault(idx, [None, None])
            if slot[side] is None:
                slot[side] = ing
    if unclassified:
        # the knowledge base is authoritative for ingredients it lists (aspirin is an antiplatelet here, not a
        # duplicate NSAID); the formulary's classes fill in only for ingredients it does not know
        for cid in drug.classes:
            if cid not in kb.classes:
                continue
            classes.add(cid)
            for idx, side in kb.class_index.get(cid, ()):
                slot = hits.setdefault(idx, [None, None])
                if slot[side] is None:
                    slot[side] = ings[0] if ings else norm(drug.name)
    seqs = tuple(tuple(words(t)) for t in (drug.name, *drug.ingredients) if t)
    dup_sides = {}
    for idx, rule in enumerate(kb.duplicates):
        sides = frozenset(k for k, cid in enumerate(rule.classes) if cid in classes)
        if sides:
            dup_sides[idx] = sides
    prof = _Profile(ings=ings, classes=frozenset(classes), hits={k: (v[0], v[1]) for k, v in hits.items()},
                    ing_set=frozenset(ings), dup_sides=dup_sides, word_seqs=seqs,
                    formulary_classes=frozenset(drug.classes) if unclassified else frozenset())
    if len(kb.profile_cache) >= _PROFILE_CACHE_MAX:
        kb.profile_cache.clear()
    kb.profile_cache[cache_key] = prof
    return prof


def _key(text: str) -> str:
    """Alert keys are stored (AlertOverride.alert_key, 200 characters): long ones keep a hash of the rest."""
    if len(text) <= 200:
        return text
    return text[:180] + "#" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _med_ids(*drugs: DrugRef) -> tuple[int, ...]:
    return tuple(d.med_id for d in drugs if d.med_id is not None)


def _interactions(kb: KnowledgeBase, d1: DrugRef, p1: _Profile, d2: DrugRef, p2: _Profile) -> list[Alert]:
    if not p1.hits or not p2.hits:
        return []
    best: dict[str, tuple[int, int, Alert]] = {}  # topic -> (severity rank, rule index, alert)
    for idx in p1.hits.keys() & p2.hits.keys():
        (a1, b1), (a2, b2) = p1.hits[idx], p2.hits[idx]
        forward = bool(a1 and b2 and a1 != b2)
        backward = bool(b1 and a2 and b1 != a2)
        if forward and backward:
            # a symmetric rule (e.g. two QT drugs): name order, so the text does not depend on list order
            forward = (d1.name.casefold(), d1.name) <= (d2.name.casefold(), d2.name)
        if forward:
            first, second, ing_a, ing_b = d1, d2, a1, b2
        elif backward:
            first, second, ing_a, ing_b = d2, d1, a2, b1
        else:
            continue
        rule = kb.interactions[idx]
        alert = Alert(
            kind="interaction",
            severity=rule.severity,
            message=f"{first.name} + {second.name}: {rule.summary}",
            drugs=(first.name, second.name),
            values={"ingredients": [ing_a, ing_b], "onc_pair": rule.onc},
            management=rule.management,
            source=rule.source,
            key=_key(f"interaction:{rule.id}:{'+'.join(sorted((ing_a, ing_b)))}"),
            why=rule.mechanism,
            rule_id=rule.id,
            med_ids=_med_ids(first, second),
        )
        rank = (severity_rank(rule.severity), idx)
        held = best.get(rule.topic)
        if held is None or rank < held[:2]:
            best[rule.topic] = (*rank, alert)
    return [a for _, _, a in best.values()]


def _duplicate(kb: KnowledgeBase, d1: DrugRef, p1: _Profile, d2: DrugRef, p2: _Profile) -> Alert | None:
    """The most severe duplicate-therapy finding for one pair (one alert per pair, not one per rule)."""
    found: tuple[int, int, bool, tuple[str, str]] | None = None
    shared = p1.ing_set & p2.ing_set
    candidates = sorted(p1.dup_sides.keys() & p2.dup_sides.keys())
    if shared:
        candidates = sorted({*candidates, *(i for i, r in enumerate(kb.duplicates) if r.same_ingredient)})
    for idx in candidates:
        rule = kb.duplicates[idx]
        in_order = (d1.name.casefold(), d1.name) <= (d2.name.casefold(), d2.name)
        if rule.same_ingredient:
            joined = "+".join(sorted(shared))
            pair = (joined, joined)
        elif len(rule.classes) == 1:
            pair = (_member(kb, p1, rule.classes[0]), _member(kb, p2, rule.classes[0]))
        else:
            s1, s2 = p1.dup_sides[idx], p2.dup_sides[idx]
            ca, cb = rule.classes
            if 0 in s1 and 1 in s2:
                pair, in_order = (_member(kb, p1, ca), _member(kb, p2, cb)), True  # class A's drug first
            elif 1 in s1 and 0 in s2:
                pair, in_order = (_member(kb, p2, ca), _member(kb, p1, cb)), False
            else:
                continue
        rank = severity_rank(rule.severity)
        if found is None or (rank, idx) < found[:2]:
            found = (rank, idx, in_order, pair)
    if found is None:
        return None
    rule = kb.duplicates[found[1]]
    if not found[2]:
        d1, d2 = d2, d1
    ing_key = "+".join(sorted(set(found[3])))
    return Alert(
        kind="duplicate",
        severity=rule.severity,
        message=f"{d1.name} + {d2.name}: {rule.summary}",
        drugs=(d1.name, d2.name),
        values={"ingredients": sorted(set(found[3]))},
        management=rule.management,
        source=rule.source,
        key=_key(f"duplicate:{rule.id}:{ing_key}"),
        why=rule.mechanism,
        rule_id=rule.id,
        med_ids=_med_ids(d1, d2),
    )


def _member(kb: KnowledgeBase, prof: _Profile, cid: str) -> str:
    members = kb.classes.get(cid, frozenset())
    inside = [i for i in prof.ings if i in members]
    return inside[0] if inside else (prof.ings[0] if prof.ings else cid)


# ---------------------------------------------------------------- allergies


@dataclass(frozen=True, slots=True)
class _Allergen:
    norm: str
    ingredient: str | None  # the allergy names one ingredient
    classes: frozenset[str]  # allergy classes it implies
    direct_class: str | None  # the allergy names a class itself
    nondrug: str | None  # egg, gelatin, latex...


def resolve_allergy(kb: KnowledgeBase, allergy: AllergyRef) -> _Allergen:
    """What a recorded allergy means to the knowledge base: a class, an ingredient, or a non-drug allergen."""
    cache_key = ("allergy", allergy)
    found = kb.profile_cache.get(cache_key)
    if found is None:
        found = _resolve_allergy(kb, allergy)
        kb.profile_cache[cache_key] = found
    return found


def _resolve_allergy(kb: KnowledgeBase, allergy: AllergyRef) -> _Allergen:
    candidates = [allergy.key or "", allergy.substance]
    if (allergy.code_system or "").lower() == "class" and allergy.code:
        candidates.insert(0, allergy.code)
    for text in candidates:
        key = norm(text)
        if not key:
            continue
        cid = kb.allergy_names.get(key)
        if cid is not None:
            return _Allergen(norm=key, ingredient=None, classes=frozenset({cid}), direct_class=cid, nondrug=None)
        aid = kb.allergen_names.get(key)
        if aid is not None:
            return _Allergen(norm=key, ingredient=None, classes=frozenset(), direct_class=None, nondrug=aid)
    ing = None
    if (allergy.code_system or "").lower() == "rxnorm" and allergy.code in kb.rxcui_ingredient:
        ing = kb.rxcui_ingredient[allergy.code]
    if ing is None:
        ing = norm(allergy.key or "") or norm(allergy.substance)
    return _Allergen(norm=ing, ingredient=ing, classes=kb.ingredient_allergy_classes.get(ing, frozenset()),
                     direct_class=None, nondrug=None)


def _lower(severity: str) -> str:
    """An intolerance (not an immune allergy) is reported one level lower, never below minor."""
    return SEVERITIES[min(severity_rank(severity) + 1, len(SEVERITIES) - 1)]


def _allergy(kb: KnowledgeBase, drug: DrugRef, prof: _Profile, allergy: AllergyRef) -> Alert | None:
    allergen = resolve_allergy(kb, allergy)
    intolerance = (allergy.kind or "").lower() == "intolerance"
    word = "intolerance" if intolerance else "allergy"
    shown = allergy.substance.strip() or allergen.norm

    if allergen.nondrug is not None:
        return _nondrug(kb, drug, prof, allergy, allergen, intolerance)

    # the most specific finding wins (same ingredient > a rule naming this drug > a class), then the most severe:
    # an NSAID allergy with celecoxib is the COX-2 rule's minor alert, not a class-wide major one
    # (specificity, severity, message, why, management, source, matched ingredient, rule id)
    best: tuple | None = None

    def offer(spec: int, sev: str, msg: str, why: str, mgmt: str, src: str, ing: str, rid: str) -> None:
        nonlocal best
        if intolerance:
            sev = _lower(sev)
        if best is None or (-spec, severity_rank(sev)) < (-best[0], severity_rank(best[1])):
            best = (spec, sev, msg, why, mgmt, src, ing, rid)

    if allergen.ingredient and allergen.ingredient in prof.ings:
        offer(3, "contraindicated", f"{drug.name}: recorded {word} to {shown}",
              f"{drug.name} contains {allergen.ingredient}, the substance the patient reacted to.",
              "Do not give. Choose an alternative from another class; if the record seems wrong, clarify the "
              "reaction history and consider allergy referral.",
              "Recorded patient allergy (same ingredient)", allergen.ingredient, "allergy-same-ingredient")
    reaction = tuple(words(allergy.reaction or ""))
    for cid in sorted(allergen.classes):
        ac = kb.allergy_classes[cid]
        # the allergy class's own members; for an ingredient the knowledge base does not know, the formulary
        # classes the allergy class names (never its id compared with a therapeutic class id)
        inside = [i for i in prof.ings if i in ac.members] or (
            [prof.ings[0]] if prof.ings and prof.formulary_classes & ac.formulary_classes else [])
        if not inside:
            continue
        named = drug.name if norm(drug.name) == inside[0] else f"{drug.name} ({inside[0]})"
        pseudo = ac.pseudo_allergy
        if pseudo is not None and reaction and any(_contains(reaction, seq) for seq in pseudo.reactions):
            offer(1, pseudo.severity,
                  f"{drug.name}: recorded {word} to {shown} ({ac.label.lower()}; {allergy.reaction.strip()})",
                  f"{named} belongs to the {ac.label.lower()}, the class of the recorded {word}. {pseudo.summary}",
                  "The recorded reaction is not an immune allergy: the drug may be used with monitoring; prefer an "
                  "opioid that releases less histamine, or premedicate; record the reaction type precisely.",
                  pseudo.source, inside[0], f"allergy-class-{cid}-pseudo")
            continue
        offer(1, "major", f"{drug.name}: recorded {word} to {shown} ({ac.label.lower()})",
              f"{named} belongs to the {ac.label.lower()}, the class of the recorded {word}. {ac.note}".strip(),
              "Avoid the whole class unless the reaction history shows it is safe; choose another class or "
              "refer for allergy evaluation (many class labels, e.g. penicillin, can be removed by testing).",
              ac.source, inside[0], f"allergy-class-{cid}")
    for rule in kb.cross_reactivity:
        applies = (allergen.ingredient in rule.from_ings) or bool(allergen.classes & rule.from_classes)
        if not applies:
            continue
        inside = [i for i in prof.ings if i in rule.to_ings]
        if inside:
            offer(2 if inside[0] in rule.to_explicit else 1, rule.severity,
                  f"{drug.name}: possible cross-reactivity with recorded {shown} {word} - {rule.summary}",
                  rule.summary, rule.management, rule.source, inside[0], rule.id)
    if best is None:
        return None
    _, sev, msg, why, mgmt, src, ing, rid = best
    return Alert(kind="allergy", severity=sev, message=msg, drugs=(drug.name,),
                 values={"allergy": shown, "ingredient": ing, "reaction": allergy.reaction},
                 management=mgmt, source=src, key=_key(f"allergy:{allergen.norm}:{ing}"), why=why, rule_id=rid,
                 allergen=shown, med_ids=_med_ids(drug))


def _contains(ws: tuple[str, ...], seq: tuple[str, ...]) -> bool:
    n = len(seq)
    return any(ws[k:k + n] == seq for k in range(len(ws) - n + 1))


def _matches_vaccine(vdef: VaccineDef, prof: _Profile) -> bool:
    def present(seq: tuple[str, ...]) -> bool:
        n = len(seq)
        return any(tuple(ws[k:k + n]) == seq for ws in prof.word_seqs for k in range(len(ws) - n + 1))

    if any(present(s) for s in vdef.exclude):
        return False
    return any(present(s) for s in vdef.match)


def _nondrug(kb: KnowledgeBase, drug: DrugRef, prof: _Profile, allergy: AllergyRef, allergen: _Allergen,
             intolerance: bool) -> Alert | None:
    entry = kb.allergens[allergen.nondrug]
    shown = allergy.substance.strip() or entry.label
    best = None
    for rule in entry.alerts:
        if any(_matches_vaccine(kb.vaccines[v], prof) for v in rule.vaccines):
            sev = _lower(rule.severity) if intolerance else rule.severity
            if best is None or severity_rank(sev) < severity_rank(best[0]):
                best = (sev, rule)
    if best is None:
        return None
    sev, rule = best
    word = "intolerance" if intolerance else "allergy"
    return Alert(kind="allergy", severity=sev, message=f"{drug.name}: recorded {shown} {word} - {rule.summary}",
                 drugs=(drug.name,), values={"allergy": shown, "allergen": entry.id},
                 management=rule.management, source=rule.source, key=_key(f"allergy:{entry.id}:{norm(drug.name)}"),
                 why=rule.summary, rule_id=rule.id, allergen=shown, med_ids=_med_ids(drug))


# ---------------------------------------------------------------- vitals


def _vitals(kb: KnowledgeBase, vitals: dict, age: float | None) -> list[Alert]:
    out: list[Alert] = []
    seen_codes: set[str] = set()
    for code in sorted(vitals):
        raw = vitals[code]
        canonical = kb.vital_aliases.get(code, code)
        if canonical in seen_codes or raw is None:
            continue  # 2708-6 and 59408-5 are the same reading
        try:
            value = float(raw)
        except (TypeError, ValueError):
            continue
        if canonical == SPO2 and 0 < value <= 1.0:
            value *= 100  # a fraction (Apple Health writes 0.97 with unit "%")
        seen_codes.add(canonical)
        label, unit = kb.vital_labels.get(canonical, (canonical, ""))
        for rule in kb.vital_rules.get(canonical, ()):
            if not rule.applies_to_age(age):
                continue
            limit = rule.threshold(age)
            if not _compare(value, rule.op, limit):
                continue
            shown = f"{value:g} {unit}".strip()
            out.append(Alert(
                kind="vital",
                severity=rule.severity,
                message=f"{label} {shown}: {rule.summary} ({rule.op} {limit:g})",
                values={"loinc": canonical, "value": value, "unit": unit, "threshold": limit, "op": rule.op},
                management=rule.management,
                source=rule.source,
                key=f"vital:{rule.id}:{value:g}",
                why=rule.summary,
                rule_id=rule.id,
            ))
    return out


def _compare(value: float, op: str, limit: float) -> bool:
    if op == "<":
        return value < limit
    if op == "<=":
        return value <= limit
    if op == ">":
        return value > limit
    return value >= limit

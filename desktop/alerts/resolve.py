"""Turn what a user typed (brand, generic, ingredient or RXCUI) into a DrugRef the engine can check."""

from __future__ import annotations

import re
from typing import Any

from desktop.kb.drug_strength import NamedStrength, split_strength

from .errors import UnknownDrug
from .kb import KnowledgeBase, load_kb, norm
from .model import DrugRef

# an amount of drug in a product's strength ("300 mg / 30 mg"), not the volume it is in ("per 5 mL", "/5 mL")
_AMOUNT = re.compile(r"(?<![/\w.])(?<!per )([0-9]+(?:\.[0-9]+)?)\s*(?!ml\b|l\b)[a-zµ%]", re.IGNORECASE)


def drug_ref_from_name(name: str, formulary: Any | None = None, kb: KnowledgeBase | None = None,
                       med_id: int | None = None) -> DrugRef:
    """Resolve through the formulary first (brands, products, RXCUIs), then the knowledge base's own ingredient
    names and verified RXCUIs (the formulary leaves out ingredients without a verified code, e.g. amoxicillin).

    Raises UnknownDrug when neither knows the name; KnowledgeBaseUnavailable when `kb` is needed and broken.
    """
    text = " ".join((name or "").split())
    if not text:
        raise UnknownDrug(name or "", "empty name")
    try:
        return _by_name(text, formulary, kb, med_id)
    except UnknownDrug as unknown:
        strength = split_strength(text)  # "HCTZ25", "ASA 81", "APAP 500 mg": the name before the strength
        if strength is None:
            raise
        try:
            found = _by_name(strength.name, formulary, kb, med_id)
        except UnknownDrug:
            raise unknown from None  # the message names what was typed
        if not _believable(strength, found, formulary):
            raise
        display = text + found.name[len(strength.name):] if found.name.startswith(strength.name) else text
        return DrugRef(name=display, ingredients=found.ingredients, classes=found.classes, rxcui=found.rxcui,
                       med_id=med_id)


def _believable(strength: NamedStrength, found: DrugRef, formulary: Any | None) -> bool:
    """An ingredient's name before the number says it is a strength ("lisinopril 15"); after a brand or an
    abbreviation, the number, with or without a unit, must be one of its products' strengths ("ASA81": aspirin
    81 mg), since it may belong to another product ("Tylenol 3" is Tylenol with Codeine #3, "APAP 5 mg" the
    hydrocodone 5 mg of hydrocodone / acetaminophen, not plain acetaminophen). Without a formulary, a unit is
    taken as a strength."""
    if norm(strength.name) in {norm(i) for i in found.ingredients}:
        return True
    if formulary is None:
        return strength.has_unit
    # only the products of the drug it resolved to: "APAP 5" is hydrocodone 5 mg / acetaminophen, never plain
    # acetaminophen (which would leave the opioid unchecked)
    same = {norm(i) for i in found.ingredients}
    products = list(formulary.resolve(strength.name))
    alike = [same]
    for other in formulary.same_drug(strength.name):  # "valproate 500 mg": a divalproex strength is valproate's
        products += formulary.resolve(other)
        alike.append({norm(other)})
    amounts = {n for p in products if {norm(i) for i in p.ingredient_names} in alike
               for n in _AMOUNT.findall(p.strength.replace(",", ""))}
    if _same_number(strength.amount, amounts):
        return True
    # "Vit D3 2000 IU", "Klor-Con 15 mEq": a strength with its unit, after a drug no product combines with
    # another, can name no other product (only combinations hide behind a number: "APAP 5 mg")
    return strength.has_unit and not any(len(p.ingredient_names) > 1 for i in found.ingredients
                                         for p in formulary.resolve(i))


def _same_number(typed: str, amounts: set[str]) -> bool:
    return any(float(typed) == float(a) for a in amounts)


def _by_name(text: str, formulary: Any | None, kb: KnowledgeBase | None, med_id: int | None) -> DrugRef:
    if formulary is not None:
        ref = _from_formulary(text, formulary, med_id)
        if ref is not None:
            return ref
    kb = kb or load_kb()
    ing = kb.rxcui_ingredient.get(text) if text.isdigit() else None
    if ing is None and norm(text) in kb.known_ingredients:
        ing = norm(text)
    if ing is None:
        where = "formulary or knowledge base" if formulary is not None else "knowledge base (formulary not loaded)"
        raise UnknownDrug(text, f"not an ingredient, brand or RXCUI in the {where}")
    display = text if not text.isdigit() else ing
    classes = tuple(sorted(kb.ingredient_classes.get(ing, ())))
    return DrugRef(name=display, ingredients=(ing,), classes=classes, rxcui=kb.ingredient_rxcui.get(ing),
                   med_id=med_id)


# the formulary's ingredient names by normalised name, per loaded formulary: a chart's alert check resolves each
# of its medications (building this map for each cost a large chart ~10 ms of its opening)
_BY_INGREDIENT: dict[int, tuple[Any, dict[str, str]]] = {}


def formulary_ingredient_keys(formulary: Any) -> Any:
    """The formulary's ingredient names normalised like the engine's (a set-like view, cached per formulary)."""
    return _ingredients_by_norm(formulary).keys()


def _ingredients_by_norm(formulary: Any) -> dict[str, str]:
    cached = _BY_INGREDIENT.get(id(formulary))
    if cached is None or cached[0] is not formulary:
        if len(_BY_INGREDIENT) > 8:  # a formulary reloaded now and then (tests): keep a few
            _BY_INGREDIENT.clear()
        cached = _BY_INGREDIENT[id(formulary)] = (formulary, {norm(n): n for n in formulary.ingredient_names()})
    return cached[1]


def _from_formulary(text: str, formulary: Any, med_id: int | None) -> DrugRef | None:
    key = norm(text)
    assumed = formulary.assumed(text) if hasattr(formulary, "assumed") else ""
    if assumed:
        # "OCP" names no one product: checked as the ingredient every such product shares (ethinyl estradiol),
        # never as whichever pill sorts first (its progestin would be a guess); the name says so in each alert
        classes = sorted({c for p in formulary.resolve(text) for c in p.classes})
        return DrugRef(name=f"{text} ({assumed})", ingredients=formulary.abbreviated(text), classes=tuple(classes),
                       med_id=med_id)
    by_ing = _ingredients_by_norm(formulary)
    if key in by_ing:  # an ingredient name: check the ingredient itself, whatever products contain it
        ing = by_ing[key]
        ingredient = formulary.ingredient_by_name(ing)
        return DrugRef(name=text, ingredients=(ing,), classes=tuple(sorted(formulary.classes_of(ing))),
                       rxcui=getattr(ingredient, "rxcui", None), med_id=med_id)
    products = formulary.resolve(text)
    if not products and hasattr(formulary, "search"):
        # a product's full display name ("lisinopril 10 mg oral tablet"), as the chart stores it
        products = [p for p in formulary.search(text, 10) if norm(p.display) == key]
    if not products:
        return None
    groups: dict[tuple[str, ...], list] = {}
    for p in products:
        groups.setdefault(tuple(p.ingredient_names), []).append(p)
    if len(groups) > 1:
        # several different products answer to this name: prefer one whose generic/brand is exactly it,
        # else the simplest (fewest ingredients), deterministically
        exact = [g for g, ps in groups.items()
                 if any(key in {norm(p.generic), norm(p.display), *(norm(b) for b in p.brands)} for p in ps)]
        chosen = sorted(exact or groups, key=lambda g: (len(g), g))[0]
    else:
        chosen = next(iter(groups))
    first = groups[chosen][0]
    classes = sorted({c for p in groups[chosen] for c in p.classes})
    generic = first.generic
    display = text if norm(text) == norm(generic) else f"{text} ({generic})"
    if text.isdigit():
        display = f"{generic} (RXCUI {text})"
    rxcui = first.product_rxcui if text == first.product_rxcui else first.ingredient_rxcui
    return DrugRef(name=display, ingredients=chosen, classes=tuple(classes), rxcui=rxcui, med_id=med_id)

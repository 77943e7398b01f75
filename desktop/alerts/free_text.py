"""A drug name as people write it on a medication list, in a PHR file or at the command line, read for the alert
check: "metoprolol succinate ER", "nifedipine XL", "aspirin 81 mg EC", "lisinopril-HCTZ 20-12.5",
"hydrocodone/APAP 5/325", "Tylenol w/ codeine". No Qt, no database.

One reading for every path (the chart's check, the medication form, PHR merges, `alerts` on the command line):
1. the whole text as a product, brand, ingredient, abbreviation or RXCUI, with a strength typed after it
   (resolve.drug_ref_from_name);
2. a combination written with "-", "/", "+", "&", "w/", "with", "and": every part must name an ingredient (or a
   brand, when no number was typed after it), and the drug is checked as all of them;
3. a brand and the number of one of its numbered products ("Tylenol #3", "Tylenol 3", "Tylenol no. 4": Tylenol
   with Codeine), checked as that product's ingredients;
4. its leading words, when the words left off can only be a salt, a release form or a strength ("metoprolol
   succinate ER"), never when they may name another drug ("Tylenol 5", "Claritin D", "Mucinex DM").
Anything else raises UnknownDrug: the caller reports the drug as not checked, never as "no alerts".
"""

from __future__ import annotations

import re
from typing import Any

from desktop.kb.drug_strength import UNITS

from .errors import KnowledgeBaseUnavailable, UnknownDrug
from .kb import KnowledgeBase, load_kb, norm
from .model import DrugRef
from .resolve import drug_ref_from_name, formulary_ingredient_keys

# a number, or a strength with its unit glued on ("5mg", "160mg/5ml", "#3")
_NUMBER = re.compile(rf"#?\d+(?:\.\d+)?(?:(?:{UNITS})(?:/.*)?)?", re.IGNORECASE)
_UNIT_WORD = re.compile(rf"(?:{UNITS})\.?", re.IGNORECASE)
# a combination's strengths written together ("20-12.5", "5/325", "875-125mg")
_STRENGTHS = re.compile(rf"#?\d+(?:\.\d+)?(?:\s*[-/]\s*\d+(?:\.\d+)?)+\s*(?:{UNITS})?", re.IGNORECASE)
_JOINS = {"w/", "with", "+", "&", "and", "plus"}
# what joins the ingredients of a combination as people write it ("lisinopril-HCTZ", "APAP/codeine",
# "Tylenol w/ codeine"); a hyphen only between letters, so "20-12.5" stays one strength
_SEPARATOR = re.compile(r"\s*(?:/|\+|&|(?<=[^\W\d_])-(?=[^\W\d_])|\s-\s|\bw/|\b(?:with|and|plus)\b)\s*",
                        re.IGNORECASE)
# words after a brand that name a combination product with another drug in it (Claritin-D: pseudoephedrine,
# Mucinex DM: dextromethorphan, Tylenol PM / Advil PM: diphenhydramine, ... HCT: hydrochlorothiazide, "Cold",
# "Sinus" products: a decongestant or an antihistamine): leaving the word off would check the brand's single
# drug and leave the other unchecked, so such a name is reported not checked
# ("night", "sleep" or "cough" are left out: "at night", "for sleep", "for cough" are directions or reasons)
_COMBINATION_WORDS = {"d", "dm", "pm", "hct", "cold", "sinus", "multi-symptom"}
# words that say how a dose is made or taken, never which drug: left off a combination's parts
_FORM_WORDS = {
    "tab", "tabs", "tablet", "tablets", "cap", "caps", "capsule", "capsules", "po", "oral", "er", "xl", "xr", "sr",
    "cr", "dr", "ec", "la", "cd", "odt", "hfa", "inhaler", "solution", "suspension", "syrup", "liquid", "chewable",
}
# salts written after an ingredient ("clavulanate potassium", "losartan potassium", "levothyroxine sodium")
_SALT_WORDS = {
    "sodium", "potassium", "hcl", "hydrochloride", "succinate", "tartrate", "maleate", "besylate", "mesylate",
    "citrate", "sulfate", "phosphate", "acetate", "fumarate", "bromide", "hyclate", "monohydrate", "calcium",
    "magnesium", "bitartrate", "dihydrate", "trihydrate", "xinafoate", "propionate", "furoate", "gluconate",
    "carbonate", "glycinate", "lactate",
}


def drug_ref_from_text(name: str, formulary: Any | None = None, kb: KnowledgeBase | None = None,
                       med_id: int | None = None) -> DrugRef:
    """The drug a free-text name means, read as the module says; UnknownDrug when it cannot be read safely."""
    text = " ".join((name or "").split())
    try:
        return drug_ref_from_name(text, formulary, kb, med_id)
    except UnknownDrug as unknown:
        kb = kb or load_kb()
        found = (_before_directions(text, formulary, kb) or _after_route(text, formulary, kb)
                 or _numbered_product(text, formulary) or _combination(text, formulary, kb)
                 or _leading_words(text, formulary, kb))
        if found is None:
            raise unknown from None
    single = len(found.ingredients) == 1
    return DrugRef(name=with_assumption(text, found), ingredients=found.ingredients, classes=found.classes,
                   rxcui=found.rxcui if single else None, med_id=med_id)


_ASSUMED = re.compile(r"\((checked as [^()]*)\)$")


def with_assumption(name: str, found: DrugRef) -> str:
    """The name as written, with what a kind of product was checked as ("OCP daily (checked as a combined pill
    containing ethinyl estradiol ...)"): every alert about it must say what was assumed."""
    m = _ASSUMED.search(found.name)
    return f"{name} ({m[1]})" if m and m[1] not in name else name


# how a dose is given, written before the drug ("SL NTG", "PO KCl"): never part of a drug's name. Only these:
# "IV iron" or "IM ..." is another product than the tablet the name alone reads as (iron by mouth binds
# levothyroxine in the gut, an infusion does not)
_ROUTE_WORDS = frozenset({"sl", "sublingual", "po"})


def _before_directions(text: str, formulary: Any | None, kb: KnowledgeBase) -> DrugRef | None:
    """"ferrous sulfate 325 mg TID with meals" -> ferrous sulfate: the name before how to take it."""
    m = _DIRECTIONS.search(text)
    if m is None or not text[:m.start()].strip():
        return None
    try:
        return drug_ref_from_text(text[:m.start()], formulary, kb)
    except UnknownDrug:
        return None


def _after_route(text: str, formulary: Any | None, kb: KnowledgeBase) -> DrugRef | None:
    """"SL NTG" -> nitroglycerin: the drug after a leading route word, read like any other name."""
    first, _, rest = text.partition(" ")
    if first.lower().strip(".") not in _ROUTE_WORDS or not rest:
        return None
    try:
        return drug_ref_from_text(rest, formulary, kb)
    except UnknownDrug:
        return None


# "Tylenol #3", "Tylenol 3 tabs", "Tylenol no. 4": a brand, then a product number (no unit: "3 mg" is a strength)
_NUMBERED = re.compile(r"(?P<brand>[^\W\d_][\w' -]*?)\s*(?:#|no\.?\s*)?(?P<n>\d+)(?:\s+(?:tabs?|tablets?))?",
                       re.IGNORECASE)


def _numbered_product(text: str, formulary: Any | None) -> DrugRef | None:
    """The product a brand and its number name ("Tylenol #3" is Tylenol with Codeine #3): its brand starts with
    the typed brand and carries that number; None unless the products so named share one set of ingredients."""
    m = _NUMBERED.fullmatch(text)
    if m is None or formulary is None:
        return None
    brand, number = norm(m["brand"]), m["n"]
    marked = re.compile(rf"(?:#|\bno\.?)\s*{number}\b", re.IGNORECASE)
    named = [p for p in formulary.products for b in p.brands
             if norm(b).startswith(brand + " ") and marked.search(b)]
    sets = {tuple(p.ingredient_names) for p in named}
    if len(sets) != 1:
        return None
    (ingredients,) = sets
    classes = {c for i in ingredients for c in formulary.classes_of(i)}
    return DrugRef(name=text, ingredients=tuple(norm(i) for i in ingredients), classes=tuple(sorted(classes)))


def _combination(text: str, formulary: Any | None, kb: KnowledgeBase) -> DrugRef | None:
    """"lisinopril-HCTZ 20-12.5 mg" -> lisinopril + hydrochlorothiazide; None unless every named part is a drug."""
    parts = [p for p in _SEPARATOR.split(text) if p.strip()]
    if len(parts) < 2:
        return None
    ingredients: list[str] = []
    classes: set[str] = set()
    named = 0
    supplements: list[str] = []
    for part in parts:
        words = part.split()
        kept = [w for w in words if not (_NUMBER.fullmatch(w) or _STRENGTHS.fullmatch(w) or _UNIT_WORD.fullmatch(w)
                                         or w.lower().strip(".") in _FORM_WORDS)]
        if not kept:
            continue  # a strength ("12.5 mg") between the names
        ref = _part(" ".join(kept), formulary, kb, numbered=len(kept) < len(words))
        if ref is None:
            if _listed_supplement(" ".join(kept)):
                supplements.append(" ".join(kept))  # "Calcium + Vit D": nothing to check the vitamin D for
                continue
            return None
        named += 1
        ingredients += [i for i in ref.ingredients if i not in ingredients]
        classes.update(ref.classes)
    if supplements and named:
        # the drug parts are checked; the name says what was left out, on every path (with_assumption)
        note = f"checked as {' + '.join(ingredients)}; {', '.join(supplements)}: no interaction data"
        return DrugRef(name=f"{text} ({note})", ingredients=tuple(ingredients), classes=tuple(sorted(classes)))
    if named < 2 or len(ingredients) < 2:
        return None
    return DrugRef(name=text, ingredients=tuple(ingredients), classes=tuple(sorted(classes)))


def _listed_supplement(words: str) -> bool:
    """Whether the words name a supplement the knowledge base holds no interaction data for (supplements.json)."""
    from desktop.kb.errors import KnowledgeBaseError
    from desktop.kb.supplements import supplements

    try:
        return bool(supplements().why_not_checked(words))
    except KnowledgeBaseError:
        return False


def _part(words: str, formulary: Any | None, kb: KnowledgeBase, numbered: bool) -> DrugRef | None:
    """One part of a combination: an ingredient or abbreviation (a salt after it left off), or a brand when no
    number followed it (a number after a brand may name another product: "Tylenol 3")."""
    tokens = words.split()
    while tokens:
        candidate = " ".join(tokens)
        try:
            ref = drug_ref_from_name(candidate, formulary, kb)
        except UnknownDrug:
            ref = None
        if ref is not None:
            if numbered and not _names_ingredients(candidate, ref, formulary):
                return None
            return ref
        if len(tokens) > 1 and tokens[-1].lower() in _SALT_WORDS:
            tokens = tokens[:-1]
            continue
        return None
    return None


def _names_ingredients(candidate: str, ref: DrugRef, formulary: Any | None) -> bool:
    """Whether the name is the ingredient itself or an abbreviation of it ("HCTZ"), rather than a brand."""
    if norm(candidate) in {norm(i) for i in ref.ingredients}:
        return True
    return formulary is not None and bool(formulary.abbreviated(candidate))


def _leading_words(text: str, formulary: Any | None, kb: KnowledgeBase) -> DrugRef | None:
    """The longest run of leading words that names a drug, when the words after it cannot name another one."""
    tokens = text.split()
    for n in range(len(tokens) - 1, 0, -1):
        try:
            found = drug_ref_from_name(" ".join(tokens[:n]), formulary, kb)
        except UnknownDrug:
            continue
        if _tail_names_more(tokens[n:], tokens[:n]) or _names_two_drugs(tokens, kb, formulary):
            return None  # "Tylenol 3", "Tylenol w/ codeine": the name alone would check acetaminophen, not codeine
        if _bare_mineral(found, kb, formulary) and not all(
                _dose_word(w) or w.lower() in _FREQUENCY_WORDS or w.lower() in _SALT_WORDS for w in tokens[n:]):
            return None  # "calcium channel blocker", "iron sucrose": not a calcium or iron supplement by mouth
        return found
    return None


# minerals a supplement is written by without its salt ("calcium 600 mg", "iron 325", "magnesium citrate"): the
# knowledge base's polyvalent cations that are no formulary ingredient. Any word after one other than a dose, form
# or salt may make it something else ("calcium channel blocker", "zinc oxide" cream, "iron sucrose" infusion)
_CATIONS = "cation_binder"


def _bare_mineral(found: DrugRef, kb: KnowledgeBase, formulary: Any | None) -> bool:
    keys = formulary_ingredient_keys(formulary) if formulary is not None else frozenset()
    minerals = kb.classes.get(_CATIONS, frozenset())
    return all(i in minerals and i not in keys for i in found.ingredients)


_FREQUENCY_WORDS = frozenset({"daily", "qd", "bid", "tid", "qid", "qhs", "hs", "prn", "weekly", "nightly"})


def _dose_word(word: str) -> bool:
    """A strength, unit or dose-form word ("600", "mg", "tabs", "daily" is not one)."""
    word = word.replace(",", "") if word[:1].isdigit() else word  # "50,000"
    return bool(_NUMBER.fullmatch(word) or _STRENGTHS.fullmatch(word) or _UNIT_WORD.fullmatch(word)
                or word.lower().strip(".") in _FORM_WORDS or word.lower() == "elemental")


# "1 tab", "1 cap": how many to take, not a strength or a product's number ("Tylenol 3" stays Tylenol #3)
_COUNT_WORDS = frozenset({"tab", "tabs", "tablet", "tablets", "cap", "caps", "capsule", "capsules", "puff", "puffs",
                          "drop", "drops", "patch", "spray", "sprays"})
_COUNT = re.compile(r"\d{1,2}(?:-\d{1,2})?")  # "2", "1-2"
_AMOUNT = re.compile(rf"\d+(?:\.\d+)?(?:{UNITS})\.?", re.IGNORECASE)  # "500mg" (a unit word alone: _UNIT_WORD)
# how to take it, after the name: "with meals" joins no second drug
_DIRECTIONS = re.compile(r"\s+(?:with|w/)\s+(?:food|meals?|breakfast|lunch|dinner|supper|water|milk|juice)\b.*$",
                         re.IGNORECASE)


def _tail_names_more(tail: list[str], head: list[str] = ()) -> bool:
    """Whether the words left off a free-text name may name another product or drug: a number right after the
    name (drug_ref_from_name judged it with the name: "Tylenol 3" is Tylenol with Codeine, "APAP 5" is
    hydrocodone with acetaminophen), a "w/", "+" or "#3" joining another drug, or a combination product's word
    ("Claritin D", "Mucinex DM", "Tylenol PM"). (A salt, "warfarin sodium",
    or a form, "5 mg tablets", may be left off.)"""
    if len(tail) > 1 and tail[1].lower().strip(".") in _COUNT_WORDS and (
            tail[0] == "1" or (_COUNT.fullmatch(tail[0]) and any(_AMOUNT.fullmatch(w) or _UNIT_WORD.fullmatch(w)
                                                                 for w in head))):
        # "OCP 1 tab daily": one tablet; "metformin ER 500 mg 2 tabs": after a strength, a number of tablets is
        # how many to take (without one, "Tylenol 3 tabs" is Tylenol #3)
        tail = tail[2:]
        if not tail:
            return False
    if _NUMBER.fullmatch(tail[0]):
        # the name with this number, unit or not, was refused a moment ago (the longer words are tried first):
        # "APAP 5 mg" is not an acetaminophen strength. ("warfarin sodium 5 mg" still reads as warfarin.)
        return True
    return any(w.lower() in _JOINS or w.lower().startswith("w/") or w.startswith("#")
               or w.lower().strip(".,;") in _COMBINATION_WORDS for w in tail)


def _names_two_drugs(tokens: list[str], kb: KnowledgeBase, formulary: Any | None) -> bool:
    """Whether a free-text name joins two drugs anywhere after its first word ("APAP & codeine": the join is
    then kept with "APAP" when "codeine" is left off) or names an ingredient after its first word ("Tylenol w
    codeine", "APAP codeine 300/30"): its leading words alone would leave that ingredient unchecked."""
    keys = formulary_ingredient_keys(formulary) if formulary is not None else frozenset()
    rest = [piece for w in tokens[1:] for piece in re.split(r"[-/+&]", w.lower()) if piece]
    # a salt is no second drug ("atorvastatin calcium": calcium is also a supplement's name)
    return any(w in _JOINS or w.startswith("w/")
               or (w not in _SALT_WORDS and (norm(w) in kb.known_ingredients or norm(w) in keys)) for w in rest)


# the reaction people write after an allergy's substance: "penicillin (anaphylaxis)", "sulfa - hives",
# "codeine: nausea", "latex, rash" (a hyphen between words, "amox-clav", is a name, not a note)
_REACTION_NOTE = re.compile(r"\s*[(\[][^)\]]*[)\]]|\s+[-\u2013\u2014:]\s+.*$|\s*[,;:]\s.*$|\s*[,;:]$")


def without_reaction_note(text: str) -> str:
    """The substance of an allergy written with its reaction: "Penicillin (anaphylaxis)" -> "Penicillin"."""
    return " ".join(_REACTION_NOTE.sub(" ", text or "").split())


def allergen_from_text(text: str, formulary: Any | None = None, kb: KnowledgeBase | None = None) -> str | None:
    """The ingredient a drug allergy written by brand or abbreviation stands for ("ASA" -> aspirin, "Keflex" ->
    cephalexin, "Bactrim" -> sulfamethoxazole), for the allergy check; None when the text is a class, an allergen,
    an ingredient already, or no drug this reader knows.

    An allergy holds one substance: for a combination product the ingredient that belongs to an allergy class
    (sulfamethoxazole in Bactrim, amoxicillin in Augmentin) is the one kept, else its first ingredient."""
    kb = kb or load_kb()
    key = norm(text)
    if not key or _names_allergen(key, kb):
        return None
    found = _ingredient_behind(text, formulary, kb)
    bare = without_reaction_note(text)
    if found is not None or not bare or norm(bare) == key:
        return found
    # "penicillin (anaphylaxis)": the substance with its reaction written after it (kept as typed, checked as
    # the class, allergen or drug it names; unread, it would raise no alert at all)
    return norm(bare) if _names_allergen(norm(bare), kb) else _ingredient_behind(bare, formulary, kb)


def _names_allergen(key: str, kb: KnowledgeBase) -> bool:
    return key in kb.allergy_names or key in kb.allergen_names or key in kb.known_ingredients


def _ingredient_behind(text: str, formulary: Any | None, kb: KnowledgeBase) -> str | None:
    try:
        ref = drug_ref_from_text(text, formulary, kb)
    except UnknownDrug:
        return None
    names = [norm(i) for i in ref.ingredients]
    classed = [n for n in names if kb.ingredient_allergy_classes.get(n)]
    return (classed or names or [None])[0]


# ---------------------------------------------------------------- why a name is not checked

def not_checked_note(name: str, formulary: Any | None = None, kb: KnowledgeBase | None = None) -> str:
    """For a name that could not be read: why it is not checked, in the user's words. A dietary supplement the
    knowledge base holds nothing for says so ("a melatonin supplement: no interaction data here"); a near spelling
    of a known drug gets "did you mean 'amoxicillin'?" (never a silent match: the user decides); else ""."""
    try:
        kb = kb or load_kb()
    except KnowledgeBaseUnavailable:
        kb = None
    key = (" ".join((name or "").split()), formulary, kb.version if kb is not None else "")
    cached = _NOTES.get(key)
    if cached is None:
        cached = _NOTES[key] = _note(key[0], formulary, kb)
        if len(_NOTES) > 512:  # the chart's check asks again for the same names each time it opens
            _NOTES.pop(next(iter(_NOTES)))
    return cached


_NOTES: dict[tuple[str, Any, str], str] = {}


def _note(name: str, formulary: Any | None, kb: KnowledgeBase | None) -> str:
    from desktop.kb.errors import KnowledgeBaseError
    from desktop.kb.supplements import supplements

    tokens = name.split()
    try:
        listed = supplements()
    except KnowledgeBaseError:
        listed = None
    if listed is not None:
        for n in range(len(tokens), 0, -1):  # "fish oil 1000 mg daily": the supplement before its dose
            why = listed.why_not_checked(" ".join(tokens[:n]))
            if why and all(_dose_word(w) or w.lower() in _FREQUENCY_WORDS for w in tokens[n:]):
                return why
    if kb is None:
        return ""
    cid = kb.allergy_names.get(norm(" ".join(tokens)))
    if cid is not None and kb.allergy_classes[cid].members:
        # "ACE-I", "NSAIDs", "statins" on a medication list: a class, which member is not said
        return f"names a drug class ({kb.allergy_classes[cid].label}), not one drug: enter which to have it checked"
    meant = _near_spelling(tokens, formulary, kb)
    return f"did you mean {meant!r}?" if meant else ""


def allergy_note(text: str, formulary: Any | None = None, kb: KnowledgeBase | None = None) -> str:
    """For a drug allergy: "" when the alert check knows what it names (an ingredient, brand, abbreviation, drug
    class or allergen); else why it can only be matched by its exact name, with the near known name when the
    text looks like a slip of one ("amoxacillin" -> amoxicillin, "penicilin" -> penicillin). Unnamed, an
    allergy to a misspelled drug would raise no alert when that drug is prescribed."""
    try:
        kb = kb or load_kb()
    except KnowledgeBaseUnavailable:
        return ""
    key = norm(text)
    if not key or _names_allergen(key, kb) or allergen_from_text(text, formulary, kb) is not None:
        return ""
    meant = near_allergy_name(text, formulary, kb)
    return ("not a known drug, drug class or allergen: only a drug of exactly this name will raise an alert"
            + (f"; did you mean {meant!r}?" if meant else ""))


def near_allergy_name(text: str, formulary: Any | None = None, kb: KnowledgeBase | None = None) -> str | None:
    """The drug, drug class or allergen name an allergy's text is a slip of (see _near_spelling), or None."""
    kb = kb or load_kb()
    extra = {n: n for n in (*kb.allergy_names, *kb.allergen_names)}  # classes and allergens, as well as drugs
    return _near_spelling(without_reaction_note(text).split(), formulary, kb, extra)


def _near_spelling(tokens: list[str], formulary: Any | None, kb: KnowledgeBase | None,
                   extra: dict[str, str] | None = None) -> str | None:
    """The one known drug name the typed name (its dose left off) is a slip of ("amoxacillin", "lisinopirl",
    "metfromin"): one or two letters wrong, missing, extra or swapped, and nearer than any other name; None
    when none is that near or two are equally near. `extra`: more names to compare with (allergy classes)."""
    import difflib

    while tokens and _dose_word(tokens[-1]):
        tokens = tokens[:-1]
    typed = norm(" ".join(tokens))
    if len(typed) < 5:
        return None  # short names are abbreviations: a near one is no evidence of a slip ("ASO" is not "ASA")
    names = _known_names(formulary, kb)
    if extra:
        names = {**extra, **names}
    if typed in names:
        return None
    limit = 1 if len(typed) < 8 else 2
    scored = sorted((_edits(typed, c), c) for c in difflib.get_close_matches(typed, names, n=8, cutoff=0.7))
    scored = [(d, c) for d, c in scored if d <= limit]
    if not scored or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return names[scored[0][1]]


def _edits(a: str, b: str) -> int:
    """Letters changed, added, dropped or swapped with a neighbour to turn a into b (optimal string alignment)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[len(b)]


_KNOWN_NAMES: dict[int, tuple[Any, dict[str, str]]] = {}


def _known_names(formulary: Any | None, kb: KnowledgeBase | None) -> dict[str, str]:
    """Normalised ingredient and brand names -> as shown (brands keep their capitals), per formulary."""
    cached = _KNOWN_NAMES.get(id(formulary))
    if cached is not None and cached[0] is formulary:
        return cached[1]
    kb = kb or load_kb()
    names = {i: i for i in kb.known_ingredients}
    if formulary is not None:
        names.update({norm(i): i for i in formulary.ingredient_names()})
        names.update({norm(b): b for p in formulary.products for b in p.brands})
    if len(_KNOWN_NAMES) > 4:
        _KNOWN_NAMES.clear()
    _KNOWN_NAMES[id(formulary)] = (formulary, names)
    return names

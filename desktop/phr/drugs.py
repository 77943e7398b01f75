"""Drug names to ingredients: what medication matching and the alert engine compare.

An RxNorm product code is mapped to its ingredients through the formulary (desktop.kb.formulary) when it
is there; otherwise the ingredients are read from the product's name ("Acetaminophen 325 MG / Oxycodone
Hydrochloride 5 MG Oral Tablet" -> acetaminophen + oxycodone). Codes not found stay as given.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from desktop.kb.text import fold

from .codes import all_of
from .records import Code

log = logging.getLogger(__name__)

# Ingredient RXCUIs checked against RxNorm (shared/CLINICAL-REFERENCES.md), used when no formulary is loaded.
KNOWN_INGREDIENTS: dict[str, str] = {
    "11289": "warfarin", "36567": "simvastatin", "343047": "atazanavir", "7646": "omeprazole",
    "17128": "lansoprazole", "40790": "pantoprazole", "114979": "rabeprazole", "283742": "esomeprazole",
    "1256": "azathioprine", "103": "mercaptopurine", "51499": "irinotecan", "6851": "methotrexate",
    "2551": "ciprofloxacin", "42355": "fluvoxamine", "2556": "citalopram", "321988": "escitalopram",
    "4493": "fluoxetine", "32937": "paroxetine", "36437": "sertraline", "39786": "venlafaxine",
    "72625": "duloxetine", "704": "amitriptyline", "7531": "nortriptyline", "6813": "methadone",
    "10689": "tramadol", "4337": "fentanyl", "3289": "dextromethorphan", "6901": "methylphenidate",
    "2002": "carbamazepine", "8183": "phenytoin", "4053": "erythromycin", "8331": "pimozide",
    "26225": "ondansetron", "82122": "levofloxacin", "139462": "moxifloxacin", "136411": "sildenafil",
    "6058": "isosorbide dinitrate",
}

_DOSE_FORMS = (
    "oral tablet", "oral capsule", "tablet", "tablets", "capsule", "capsules", "solution", "suspension",
    "injection", "injectable", "cream", "ointment", "gel", "patch", "spray", "inhaler", "inhalant",
    "powder", "syrup", "drops", "lotion", "suppository", "film", "lozenge", "chewable", "extended release",
    "delayed release", "disintegrating", "topical", "oral", "nasal", "ophthalmic", "otic", "transdermal",
    "metered dose", "dry powder", "prefilled syringe", "auto-injector", "pen injector", "cartridge", "kit",
    "pack", "elixir", "liquid", "foam", "shampoo", "enema", "vaginal", "rectal", "buccal", "sublingual",
    "prefilled", "syringe", "vial", "mg", "ml",
)
# words that name a salt or ester, dropped to compare ingredients ("metoprolol succinate" -> "metoprolol")
_SALTS = frozenset({
    "hydrochloride", "hcl", "hydrobromide", "sodium", "potassium", "calcium", "magnesium", "maleate",
    "succinate", "tartrate", "besylate", "besilate", "mesylate", "sulfate", "sulphate", "citrate", "acetate",
    "phosphate", "bromide", "fumarate", "hyclate", "monohydrate", "dihydrate", "trihydrate", "anhydrous",
    "propionate", "dipropionate", "furoate", "valerate", "xinafoate", "bitartrate", "disodium", "mononitrate",
    "nitrate", "lactate", "gluconate", "carbonate", "hemihydrate", "tromethamine", "meglumine", "pamoate",
    "decanoate", "enanthate", "cypionate", "chloride", "oxide", "hydroxide", "bicarbonate", "dimesylate",
})
_CATIONS = frozenset({"sodium", "potassium", "calcium", "magnesium", "ferrous", "zinc", "lithium", "aluminum"})
_BRACKETS = re.compile(r"\[[^\]]*\]|\([^)]*\)|\{[^}]*\}")
# "24 HR ...", "1 ML ...", "NDA020503 200 ACTUAT ..." (RxNorm pack and volume prefixes)
_LEADING_PACK = re.compile(r"^\s*(nda\d+\s+)?(\d[\d.]*\s*(hr|hour|day|ml|actuat|unt|mg)s?\s+)+", re.I)
_SNOMED_PRODUCT = re.compile(r"^\s*product containing (only |precisely )?", re.I)
_STRENGTH = re.compile(r"\s\d[\d.,]*\s*(%|[a-zµ]+(/[a-z\d.]+)?)?.*$", re.I)


@dataclass(frozen=True, slots=True)
class DrugIdentity:
    ingredients: tuple[str, ...]
    ingredient_rxcui: str | None
    product_rxcui: str | None


def base_ingredient(name: str) -> str:
    """'Metoprolol Succinate' -> 'metoprolol'; 'Potassium Chloride' stays 'potassium chloride'."""
    words = fold(name).replace(",", " ").split()
    if not words:
        return ""
    if words[0] in _CATIONS:
        return " ".join(words)
    while len(words) > 1 and words[-1] in _SALTS:
        words.pop()
    return " ".join(words)


def ingredients_from_text(text: str) -> tuple[str, ...]:
    """Ingredient names from a drug's display name. Empty when nothing sensible remains."""
    t = _BRACKETS.sub(" ", text or "")
    t = _SNOMED_PRODUCT.sub(" ", t)
    t = _LEADING_PACK.sub(" ", t)
    names: list[str] = []
    for part in re.split(r"\s/\s|\s\+\s|\band\b(?=.*\d)", t):
        p = " " + part.strip()
        p = _STRENGTH.sub("", p)  # cut at the first number: the strength and form follow it
        words = fold(p).split()
        # strip trailing dose-form words ("tablet", "oral tablet")
        changed = True
        while words and changed:
            changed = False
            for form in sorted(_DOSE_FORMS, key=len, reverse=True):
                fw = form.split()
                if len(words) > len(fw) and words[-len(fw):] == fw:
                    del words[-len(fw):]
                    changed = True
                    break
        name = base_ingredient(" ".join(words))
        if name and any(ch.isalpha() for ch in name):
            names.append(name)
    return tuple(sorted(set(names)))


@lru_cache(maxsize=1)
def _formulary():
    try:
        from desktop.kb.formulary import load_formulary  # another helper's module; optional here
    except ImportError:
        return None
    try:
        return load_formulary()
    except Exception as exc:  # a broken formulary file must not stop an import: names still work
        log.warning("formulary unavailable for PHR import (%s); using drug names", exc)
        return None


def reset_formulary_cache() -> None:
    _formulary.cache_clear()


def _from_formulary(rxcui: str) -> tuple[tuple[str, ...], str | None] | None:
    form = _formulary()
    if form is None:
        return None
    try:
        products = form.resolve(rxcui)
    except Exception as exc:  # unknown code or a formulary bug: fall back to names, say so in the log
        log.info("formulary could not resolve %s: %s", rxcui, exc)
        return None
    if not products:
        return None
    product = products[0]
    pairs = list(getattr(product, "ingredients", ()) or ())
    names = tuple(sorted({base_ingredient(getattr(i, "name", "") or (i[0] if isinstance(i, tuple) else ""))
                          for i in pairs} - {""}))
    if not names:
        names = tuple(sorted({base_ingredient(n) for n in getattr(product, "ingredient_names", ()) or ()} - {""}))
    rxcuis = [getattr(i, "rxcui", None) or (i[1] if isinstance(i, tuple) and len(i) > 1 else None) for i in pairs]
    ingredient_rxcui = rxcuis[0] if len(rxcuis) == 1 and rxcuis[0] else None
    return (names, ingredient_rxcui) if names else None


def identify(codes: tuple[Code, ...] | list[Code], text: str) -> DrugIdentity:
    """Ingredients and RxNorm codes of a medication from its codings and its name."""
    rx = all_of(codes, "rxnorm")
    ingredient_rxcui: str | None = None
    product_rxcui: str | None = None
    names: tuple[str, ...] = ()
    # 1. a code the formulary or the verified list knows
    for c in rx:
        if c.code in KNOWN_INGREDIENTS:
            ingredient_rxcui = c.code
            names = (KNOWN_INGREDIENTS[c.code],)
            break
        found = _from_formulary(c.code)
        if found:
            names, ingredient_rxcui = found
            if ingredient_rxcui != c.code:
                product_rxcui = c.code
            break
    # 2. the product's own name
    if not names:
        for c in rx:
            if c.display:
                names = ingredients_from_text(c.display)
                if names:
                    break
    if not names:
        names = ingredients_from_text(text)
    # 3. which RxNorm code is the product: one whose display carries a strength, else a lone code
    if product_rxcui is None:
        with_strength = [c for c in rx if c.display and any(ch.isdigit() for ch in c.display)]
        plain = [c for c in rx if c.code != ingredient_rxcui]
        if with_strength:
            product_rxcui = with_strength[0].code
        elif len(plain) == 1 and not (plain[0].display and fold(plain[0].display) in names):
            product_rxcui = plain[0].code
        for c in rx:  # an RxNorm code whose display is exactly one ingredient's name is that ingredient
            if ingredient_rxcui is None and c.display and len(names) == 1 and base_ingredient(c.display) == names[0]:
                ingredient_rxcui = c.code
    if product_rxcui == ingredient_rxcui:
        product_rxcui = None
    return DrugIdentity(ingredients=names, ingredient_rxcui=ingredient_rxcui, product_rxcui=product_rxcui)


def ingredient_key(ingredients: str | tuple[str, ...] | list[str]) -> str:
    """The chart stores 'a+b'; the file gives a tuple: both become the same sorted key."""
    parts = ingredients.split("+") if isinstance(ingredients, str) else list(ingredients)
    return "+".join(sorted({base_ingredient(p) for p in parts if p.strip()}))

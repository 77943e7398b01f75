"""The shipped drug formulary (resources/kb/formulary.json): loading, validation, type-ahead search, code resolution.

No Qt, no database. Every entry is validated on load against a pydantic model of the file's entry shape (unknown
fields are errors); any problem raises KnowledgeBaseError with the file and the
entry, because a silently half-loaded formulary would make drug checks miss things.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationError, model_validator

from desktop.config import RESOURCES
from desktop.kb.drug_abbreviations import DrugAbbreviations, drug_abbreviations
from desktop.kb.drug_strength import split_strength
from desktop.kb.errors import KnowledgeBaseError
from desktop.kb.schema import Filled, Strict, entry_problem
from desktop.kb.text import fold, words

DEFAULT_PATH = RESOURCES / "kb" / "formulary.json"
DEA_SCHEDULES = ("", "II", "III", "IV", "V")
_CLASS_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


@dataclass(frozen=True, slots=True)
class Ingredient:
    name: str
    rxcui: str  # "" when no verified RxNorm code exists: the drug is prescribable by name, checked by name

    @property
    def coded(self) -> bool:
        return bool(self.rxcui)


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    generic: str
    display: str
    brands: tuple[str, ...]
    ingredients: tuple[Ingredient, ...]
    strength: str
    dose_form: str
    route: str
    dispense_unit: str
    drug_class: str
    classes: tuple[str, ...]
    dea_schedule: str
    product_rxcui: str | None
    default_sig: str

    @property
    def ingredient_names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.ingredients)

    @property
    def ingredient_rxcui(self) -> str | None:
        return (self.ingredients[0].rxcui or None) if self.ingredients else None

    @property
    def controlled(self) -> bool:
        return self.dea_schedule != ""


def read_json_document(path: Path, list_key: str) -> list[Any]:
    """Read a knowledge file and return its entry list (a bare list, or the list under `list_key`)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KnowledgeBaseError(f"knowledge file is missing: {path}") from None
    except OSError as exc:
        raise KnowledgeBaseError(f"knowledge file cannot be read: {path}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise KnowledgeBaseError(f"knowledge file is not UTF-8 text: {path}: {exc}") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise KnowledgeBaseError(
            f"knowledge file is not valid JSON: {path} (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    if isinstance(data, dict):
        data = data.get(list_key)
    if not isinstance(data, list):
        raise KnowledgeBaseError(f"{path}: expected a list of entries under '{list_key}'")
    if not data:
        raise KnowledgeBaseError(f"{path}: the '{list_key}' list is empty")
    return data


def _where(path: Path, index: int, entry: Any) -> str:
    ident = entry.get("id") if isinstance(entry, dict) else None
    return f"{path}: entry #{index + 1}" + (f" ('{ident}')" if ident else "")


def _digits(value: Any) -> str:
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        raise ValueError(f"must be a string of digits, got {value!r}")
    return value


def _ingredient_name(value: str) -> str:
    if value != value.strip().lower():
        raise ValueError(f"ingredient name must be lower-case without padding: {value!r}")
    return value


def _class_id(value: str) -> str:
    if not _CLASS_ID.match(value):
        raise ValueError(f"class id must be snake_case, got {value!r}")
    return value


def _dea(value: str) -> str:
    if value not in DEA_SCHEDULES:
        raise ValueError(f"dea_schedule must be one of {DEA_SCHEDULES}, got {value!r}")
    return value


def _digits_or_empty(value: Any) -> str:
    return "" if value == "" else _digits(value)


Code = Annotated[Any, AfterValidator(_digits)]
IngredientCode = Annotated[Any, AfterValidator(_digits_or_empty)]


class IngredientEntry(Strict):
    """One ingredient of a product; rxcui is "" when no verified code exists (never invented); the source then says
    so and names where the product itself comes from."""

    name: Annotated[Filled, AfterValidator(_ingredient_name)]
    rxcui: IngredientCode
    source: Filled


class ProductEntry(Strict):
    """One formulary product, exactly the shape of resources/kb/formulary.json's entries."""

    id: Filled
    generic: Filled
    display: Filled
    brands: tuple[Filled, ...]
    ingredients: Annotated[tuple[IngredientEntry, ...], Field(min_length=1)]
    strength: Filled
    dose_form: Filled
    route: Filled
    dispense_unit: Filled
    drug_class: Filled
    classes: tuple[Annotated[Filled, AfterValidator(_class_id)], ...]
    dea_schedule: Annotated[str, AfterValidator(_dea)]
    product_rxcui: Code | None  # required: null when not verified
    product_source: str | None = None
    default_sig: Filled

    @model_validator(mode="after")
    def _sourced_code(self) -> ProductEntry:
        if self.product_rxcui is not None and not (self.product_source or "").strip():
            raise ValueError(f"product_rxcui {self.product_rxcui} has no product_source")
        return self


def _parse_product(entry: Any, where: str) -> Product:
    if not isinstance(entry, dict):
        raise KnowledgeBaseError(f"{where}: an entry must be an object")
    try:
        e = ProductEntry.model_validate(entry)
    except ValidationError as exc:
        raise KnowledgeBaseError(entry_problem(exc, where)) from None
    return Product(
        id=e.id, generic=e.generic, display=e.display, brands=e.brands,
        ingredients=tuple(Ingredient(name=i.name, rxcui=i.rxcui) for i in e.ingredients),
        strength=e.strength, dose_form=e.dose_form, route=e.route, dispense_unit=e.dispense_unit,
        drug_class=e.drug_class, classes=e.classes, dea_schedule=e.dea_schedule, product_rxcui=e.product_rxcui,
        default_sig=e.default_sig,
    )


def _rank_key(product: Product) -> tuple[float, str]:
    """Order within a rank: generic, then numeric strength, then display."""
    m = re.match(r"\s*([0-9]+(?:\.[0-9]+)?)", product.strength.replace(",", ""))
    return (float(m.group(1)) if m else float("inf"), product.display)


# the words after a brand that only name its release form or device ("Toprol XL", "Advair Diskus", "ProAir HFA"):
# clinicians write the brand without them. Not a letter that names another product ("Humulin N", "Alphagan P"),
# nor "Forte" ("Pred" alone may be prednisone)
_STEM_SUFFIXES = frozenset({"xl", "sr", "cc", "er", "ds", "ec", "es", "hfa", "diskus", "handihaler", "respimat",
                            "redihaler", "twisthaler", "ellipta", "odt", "dosepak", "otic", "cq"})


def _brand_stem(brand: str) -> str:
    """The brand's name before its release or device words ("" when it has none, or other words follow)."""
    words_ = brand.split()
    n = len(words_)
    while n > 1 and words_[n - 1].lower() in _STEM_SUFFIXES:
        n -= 1
    return fold(" ".join(words_[:n])) if n < len(words_) else ""


class Formulary:
    """An immutable, indexed set of products."""

    def __init__(self, products: tuple[Product, ...], abbreviations: DrugAbbreviations | None = None) -> None:
        self.products = products
        self._abbreviations = abbreviations
        self._by_id = {p.id: p for p in products}
        self._order = {
            p.id: n for n, p in enumerate(sorted(products, key=lambda p: (fold(p.generic),) + _rank_key(p)))
        }
        self._ingredients: dict[str, Ingredient] = {}
        self._by_ingredient: dict[str, list[Product]] = {}
        self._by_ingredient_rxcui: dict[str, list[Product]] = {}
        self._by_product_rxcui: dict[str, list[Product]] = {}
        self._by_generic: dict[str, list[Product]] = {}
        self._by_brand: dict[str, list[Product]] = {}
        self._by_brand_stem: dict[str, list[Product]] = {}
        self._word_index: dict[str, set[int]] = {}
        self._named: list[set[str]] = []  # generic and brand names
        self._exact: list[set[str]] = []  # ingredient names
        self._head: list[str] = []
        self._strength: list[set[str]] = []
        for n, p in enumerate(products):
            for ing in p.ingredients:
                self._ingredients.setdefault(ing.name, ing)
                self._by_ingredient.setdefault(ing.name, []).append(p)
                if ing.rxcui:
                    self._by_ingredient_rxcui.setdefault(ing.rxcui, []).append(p)
            if p.product_rxcui:
                self._by_product_rxcui.setdefault(p.product_rxcui, []).append(p)
            self._by_generic.setdefault(fold(p.generic), []).append(p)
            for b in p.brands:
                self._by_brand.setdefault(fold(b), []).append(p)
                stem = _brand_stem(b)
                if stem:
                    self._by_brand_stem.setdefault(stem, []).append(p)
            # the dispense unit too, so "fentanyl patch" and "albuterol inhaler" find what people call them
            for w in set(
                words(p.generic)
                + words(p.display)
                + words(p.dispense_unit)
                + [w for b in p.brands for w in words(b)]
            ):
                self._word_index.setdefault(w, set()).add(n)
            self._named.append({fold(p.generic), *(fold(b) for b in p.brands)})
            self._exact.append({fold(i.name) for i in p.ingredients})
            self._head.append(fold(p.generic))
            # numbers in a brand count as its strength: "tylenol 3" means Tylenol with Codeine #3
            self._strength.append(
                set(_NUMBER.findall(p.strength.replace(",", ""))) | {x for b in p.brands for x in _NUMBER.findall(b)}
            )
        self._words_sorted = sorted(self._word_index)
        self._classes = self._ingredient_classes()

    # -- look-ups -------------------------------------------------------------------------------------------------
    def by_id(self, product_id: str) -> Product | None:
        return self._by_id.get(product_id)

    def ingredient_by_name(self, name: str) -> Ingredient | None:
        return self._ingredients.get(fold(name))

    def ingredient_names(self) -> set[str]:
        return set(self._ingredients)

    def classes_of(self, ingredient_name: str) -> set[str]:
        return set(self._classes.get(fold(ingredient_name), ()))

    def abbreviated(self, text: str) -> tuple[str, ...]:
        """The ingredients the whole text abbreviates ("HCTZ": hydrochlorothiazide); () when it is no abbreviation."""
        return self._abbreviations.ingredients_for(text) if self._abbreviations is not None else ()

    def same_drug(self, text: str) -> tuple[str, ...]:
        """Ingredients whose products are the drug the text abbreviates under another salt ("valproate":
        divalproex sodium); () when there are none."""
        return self._abbreviations.same_drug_for(text) if self._abbreviations is not None else ()

    def assumed(self, text: str) -> str:
        """What a term naming a kind of product ("OCP") is checked as; "" for any other text."""
        return self._abbreviations.assumed_for(text) if self._abbreviations is not None else ""

    def resolve(self, name_or_rxcui: str) -> list[Product]:
        """Products for an ingredient name, generic name, brand name, ingredient RXCUI or product RXCUI; [] if unknown."""
        text = (name_or_rxcui or "").strip()
        if not text:
            return []
        found: list[Product] = []
        if text.isdigit():
            found += self._by_product_rxcui.get(text, [])
            found += self._by_ingredient_rxcui.get(text, [])
        else:
            key = fold(text)
            found += self._by_ingredient.get(key, [])
            found += self._by_generic.get(key, [])
            found += self._by_brand.get(key, [])
            if not found and key not in self._by_brand:
                # "Wellbutrin", "Toprol", "Advair": the brand without its release or device word, when every
                # product under it has the same ingredients (not "Humulin": N or R is another insulin)
                stemmed = self._by_brand_stem.get(key, [])
                if len({frozenset(p.ingredient_names) for p in stemmed}) == 1:
                    found += stemmed
            if not found and self._abbreviations is not None:
                found += self._with_all_ingredients(self._abbreviations.ingredients_for(text))
        seen: set[str] = set()
        unique = [p for p in found if not (p.id in seen or seen.add(p.id))]
        # the product coded so first, then the ingredient on its own before its combinations (metformin before
        # empagliflozin / metformin), then generic/strength order
        return sorted(unique, key=lambda p: (p.product_rxcui != text, len(p.ingredients), self._order[p.id]))

    def search(self, text: str, limit: int = 20) -> list[Product]:
        """Type-ahead: every typed word must prefix-match a word of the generic name, display, dispense unit or a brand.

        Case- and accent-insensitive. Exact generic/brand/ingredient matches come first, then products whose
        generic name starts with the first typed word, then the rest; each group in generic/strength order.
        A leading abbreviation ("hctz 25", "apap", "tmp-smx") is written out first; what the typed text
        matches as it stands follows. A strength glued to the name ("hctz25") is read as if typed apart.
        """
        glued = split_strength(text)
        if glued is not None and not self._search(text, 1):
            text = f"{glued.name} {glued.amount}"  # "hctz25", "lisinopril10mg": as if typed with a space
        expanded = self._abbreviations.expand(text) if self._abbreviations is not None else None
        if not expanded:
            return self._search(text, limit)
        first = self._search(expanded, limit)
        # "valproate 500": valproic acid's products, then divalproex's (the same drug under another salt)
        for other in self._abbreviations.same_drug_spellings(text) if self._abbreviations is not None else ():
            first += [p for p in self._search(other, limit) if p not in first]
        seen = {p.id for p in first}
        return (first + [p for p in self._search(text, limit) if p.id not in seen])[:limit]

    def _search(self, text: str, limit: int) -> list[Product]:
        tokens = words(text)
        if not tokens or limit <= 0:
            return []
        candidates: set[int] | None = None
        for token in dict.fromkeys(tokens):
            hits: set[int] = set()
            for w in self._words_with_prefix(token):
                hits |= self._word_index[w]
            candidates = hits if candidates is None else candidates & hits
            if not candidates:
                return []
        whole = fold(text)
        first = tokens[0]
        numbers = set(_NUMBER.findall(text))

        def rank(n: int) -> tuple[int, int, int]:
            p = self.products[n]
            # "metformin": the product named so, then metformin ER, then combinations holding it; a prescriber
            # pressing Enter on the first row must not get empagliflozin / metformin
            if whole in self._named[n]:
                group = 0
            elif whole in self._exact[n]:
                group = 1 if len(p.ingredients) == 1 else 2
            elif self._head[n].startswith(first):
                group = 3
            else:
                group = 4
            # a typed strength ("warf 5") puts the 5 mg product before 2.5 mg and 7.5 mg
            exact_strength = 0 if numbers and self._strength[n] & numbers else 1
            return group, exact_strength, self._order[p.id]

        return [self.products[n] for n in sorted(candidates or (), key=rank)[:limit]]

    # -- internals ------------------------------------------------------------------------------------------------
    def _with_all_ingredients(self, names: tuple[str, ...]) -> list[Product]:
        if not names:
            return []
        wanted = set(names)
        return [p for p in self._by_ingredient.get(names[0], []) if wanted <= {i.name for i in p.ingredients}]

    def _words_with_prefix(self, prefix: str) -> list[str]:
        from bisect import bisect_left

        out = []
        i = bisect_left(self._words_sorted, prefix)
        while i < len(self._words_sorted) and self._words_sorted[i].startswith(prefix):
            out.append(self._words_sorted[i])
            i += 1
        return out

    def _ingredient_classes(self) -> dict[str, set[str]]:
        """Classes of each ingredient: from its single-ingredient products; for an ingredient sold only in
        combinations, the combination's classes minus those its partner ingredients have on their own."""
        single: dict[str, set[str]] = {}
        for p in self.products:
            if len(p.ingredients) == 1:
                single.setdefault(p.ingredients[0].name, set()).update(p.classes)
        result = {k: set(v) for k, v in single.items()}
        for p in self.products:
            if len(p.ingredients) < 2:
                continue
            for ing in p.ingredients:
                if ing.name in single:
                    continue
                partners: set[str] = set()
                for other in p.ingredients:
                    if other.name != ing.name:
                        partners |= single.get(other.name, set())
                result.setdefault(ing.name, set()).update(set(p.classes) - partners)
        return result


def parse_formulary(entries: list[Any], path: Path) -> Formulary:
    products = []
    seen_ids: set[str] = set()
    codes: dict[str, tuple[str, str]] = {}  # ingredient name -> (rxcui, where)
    names_by_code: dict[str, str] = {}
    for index, entry in enumerate(entries):
        where = _where(path, index, entry)
        product = _parse_product(entry, where)
        if product.id in seen_ids:
            raise KnowledgeBaseError(f"{where}: duplicate id '{product.id}'")
        seen_ids.add(product.id)
        for ing in product.ingredients:
            earlier = codes.setdefault(ing.name, (ing.rxcui, where))
            if earlier[0] != ing.rxcui:
                raise KnowledgeBaseError(
                    f"{where}: ingredient '{ing.name}' has rxcui {ing.rxcui} but {earlier[1]} gives {earlier[0]}"
                )
            other = names_by_code.setdefault(ing.rxcui, ing.name) if ing.rxcui else ing.name
            if other != ing.name:
                raise KnowledgeBaseError(
                    f"{where}: rxcui {ing.rxcui} is used for both '{other}' and '{ing.name}'"
                )
        products.append(product)
    return Formulary(tuple(products), drug_abbreviations())


@lru_cache(maxsize=1)
def _load_default() -> Formulary:
    return parse_formulary(read_json_document(DEFAULT_PATH, "products"), DEFAULT_PATH)


def load_formulary(path: Path | None = None) -> Formulary:
    """Load and validate the formulary; the default file is loaded once and cached."""
    if path is None or Path(path) == DEFAULT_PATH:
        return _load_default()
    path = Path(path)
    return parse_formulary(read_json_document(path, "products"), path)

"""Directions for use ("sig") in plain language: what the prescriber types (bid, po, prn...) as it prints.

    expand_sig("1 tab po bid prn pain x 10d") -> "Take 1 tablet by mouth twice a day as needed for pain for 10 days"
    build_sig(SigParts("1", "tablet", "po", "bid")) -> "Take 1 tablet by mouth twice a day"

Pure functions, no Qt and no database: used by the prescription service, the sig builder widget and tests.
Abbreviations on the ISMP error-prone list that are ambiguous (qd/od, U, IU, AU/AD/AS) are either expanded
to their one safe meaning or left as typed so the prescriber sees them unexpanded in the preview.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class Frequency:
    text: str
    per_day: float | None  # administrations a day at most (None: a single dose)


@dataclass(frozen=True, slots=True)
class Route:
    text: str  # "by mouth"
    verb: str  # "Take"


FREQUENCIES: dict[str, Frequency] = {
    "qd": Frequency("once a day", 1), "daily": Frequency("once a day", 1), "once daily": Frequency("once a day", 1),
    "bid": Frequency("twice a day", 2), "tid": Frequency("three times a day", 3),
    "qid": Frequency("four times a day", 4), "qhs": Frequency("at bedtime", 1), "hs": Frequency("at bedtime", 1),
    "qam": Frequency("every morning", 1), "qpm": Frequency("every evening", 1),
    "q1h": Frequency("every hour", 24), "q2h": Frequency("every 2 hours", 12), "q3h": Frequency("every 3 hours", 8),
    "q4h": Frequency("every 4 hours", 6), "q6h": Frequency("every 6 hours", 4), "q8h": Frequency("every 8 hours", 3),
    "q12h": Frequency("every 12 hours", 2), "q24h": Frequency("every 24 hours", 1),
    "q4-6h": Frequency("every 4 to 6 hours", 6), "q6-8h": Frequency("every 6 to 8 hours", 4),
    "qod": Frequency("every other day", 0.5), "qwk": Frequency("once a week", 1 / 7),
    "weekly": Frequency("once a week", 1 / 7), "ac": Frequency("before meals", 3), "pc": Frequency("after meals", 3),
    "once": Frequency("once", None), "stat": Frequency("now, once", None),
}
# what the sig builder offers, in this order
FREQUENCY_CHOICES = ("qd", "bid", "tid", "qid", "qhs", "qam", "q4h", "q6h", "q8h", "q12h", "q4-6h", "qod", "qwk",
                     "ac", "pc", "once")

ROUTES: dict[str, Route] = {
    "po": Route("by mouth", "Take"), "oral": Route("by mouth", "Take"),
    "sl": Route("under the tongue", "Dissolve"), "sublingual": Route("under the tongue", "Dissolve"),
    "top": Route("to the skin", "Apply"), "topical": Route("to the skin", "Apply"),
    "td": Route("to the skin", "Apply"), "transdermal": Route("to the skin", "Apply"),
    "inh": Route("by mouth", "Inhale"), "inhalation": Route("by mouth", "Inhale"),
    "neb": Route("via nebulizer", "Inhale"),
    "pr": Route("rectally", "Insert"), "rectal": Route("rectally", "Insert"),
    "pv": Route("vaginally", "Insert"), "vaginal": Route("vaginally", "Insert"),
    "im": Route("into the muscle", "Inject"), "intramuscular": Route("into the muscle", "Inject"),
    "sc": Route("under the skin", "Inject"), "subq": Route("under the skin", "Inject"),
    "subcutaneous": Route("under the skin", "Inject"),
    "ou": Route("in both eyes", "Instill"), "os": Route("in the left eye", "Instill"),
    "ophthalmic": Route("in the affected eye(s)", "Instill"),
    "otic": Route("in the affected ear(s)", "Instill"),
    "nasal": Route("in each nostril", "Spray"), "intranasal": Route("in each nostril", "Spray"),
    "buccal": Route("inside the cheek", "Place"),
}
ROUTE_CHOICES = ("po", "sl", "top", "inh", "neb", "pr", "pv", "im", "sc", "ou", "os", "nasal", "otic", "td")

UNITS: dict[str, str] = {
    "tab": "tablet", "tabs": "tablet", "tablet": "tablet", "tablets": "tablet",
    "cap": "capsule", "caps": "capsule", "capsule": "capsule", "capsules": "capsule",
    "gtt": "drop", "gtts": "drop", "drop": "drop", "drops": "drop",
    "puff": "puff", "puffs": "puff", "spray": "spray", "sprays": "spray",
    "ml": "mL", "mls": "mL", "tsp": "teaspoon", "tbsp": "tablespoon",
    "supp": "suppository", "suppository": "suppository", "suppositories": "suppository",
    "patch": "patch", "patches": "patch", "appl": "application", "application": "application",
    "unit": "unit", "units": "unit", "vial": "vial", "pen": "pen", "lozenge": "lozenge", "troche": "troche",
    "packet": "packet", "inhaler": "inhaler", "applicatorful": "applicatorful",
}
_NO_PLURAL = {"mL", "g", "mg", "mcg"}
_IRREGULAR = {"patch": "patches"}
_WORDS: dict[str, str] = {
    "prn": "as needed", "w/": "with", "w/o": "without", "ea": "each", "qs": "a sufficient quantity",
    "ut dict": "as directed", "ud": "as directed", "aa": "to the affected area", "stat": "now",
    "wf": "with food", "pcp": "",
}
_VERBS = {"take", "apply", "inhale", "instill", "insert", "inject", "use", "place", "dissolve", "chew",
          "spray", "give", "swish", "gargle", "rinse", "dilute", "mix", "shake", "wash"}


def plural(unit: str, amount: float | None) -> str:
    if not unit or unit in _NO_PLURAL or amount is None or amount == 1 or (0 < amount < 1):
        return unit
    if unit in _IRREGULAR:
        return _IRREGULAR[unit]
    return unit if unit.endswith("s") else unit + "s"


def parse_amount(text: str) -> float | None:
    """'1' -> 1, '1/2' -> 0.5, '1.5' -> 1.5, '1-2' -> 2 (the most that may be taken), '' -> None."""
    text = (text or "").strip().replace(",", ".")
    m = re.fullmatch(r"(\d+(?:\.\d+)?|\d+/\d+)(?:\s*(?:-|to)\s*(\d+(?:\.\d+)?|\d+/\d+))?", text)
    if not m:
        return None
    last = m.group(2) or m.group(1)
    try:
        return float(Fraction(last))
    except (ValueError, ZeroDivisionError):
        return None


def split_dose(dose: str) -> tuple[str, str]:
    """'1 tablet' -> ('1', 'tablet'); '2 tabs' -> ('2', 'tablet'); '5 mL' -> ('5', 'mL')."""
    m = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?(?:/\d+)?(?:\s*(?:-|to)\s*\d+(?:\.\d+)?)?)\s*(.*?)\s*", dose or "")
    if not m:
        return (dose or "").strip(), ""
    unit = m.group(2)
    return m.group(1).replace(" ", ""), UNITS.get(unit.lower(), unit)


_PHRASES = (  # plain-language frequencies, as the formulary's default sigs write them -> code
    (r"every (\d+) to (\d+) hours", None), (r"every (\d+) hours", None), (r"every hour", "q1h"),
    (r"(?:once a day|once daily)", "qd"), (r"(?:twice a day|twice daily)", "bid"),
    (r"three times (?:a day|daily)", "tid"), (r"four times (?:a day|daily)", "qid"), (r"at bedtime", "qhs"),
    (r"every other day", "qod"), (r"(?:once a week|once weekly)", "qwk"), (r"every morning", "qam"),
    (r"every evening", "qpm"), (r"daily", "qd"),
)


def frequency_code(text: str) -> str:
    """The frequency code of plain words ('every 6 hours' -> 'q6h'); '' when none is recognised."""
    low = " ".join((text or "").lower().split())
    for pattern, code in _PHRASES:
        m = re.search(r"\b" + pattern + r"\b", low)
        if m:
            if code:
                return code
            return f"q{m.group(1)}-{m.group(2)}h" if m.lastindex == 2 else f"q{m.group(1)}h"
    return ""


def frequency_of(code: str) -> Frequency | None:
    key = " ".join((code or "").lower().split())
    if key in FREQUENCIES:
        return FREQUENCIES[key]
    if key and not key.startswith("q") and frequency_code(key):
        return frequency_of(frequency_code(key))
    m = re.fullmatch(r"q\s?(\d+)\s?(?:h|hr|hrs|hours?)", key)
    if m:
        n = int(m.group(1))
        if n > 0:
            return Frequency("every hour" if n == 1 else f"every {n} hours", 24 / n)
    m = re.fullmatch(r"q\s?(\d+)\s?min(?:utes?)?", key)
    if m and int(m.group(1)) > 0:
        return Frequency(f"every {m.group(1)} minutes", 24 * 60 / int(m.group(1)))
    m = re.fullmatch(r"q\s?(\d+)\s?-\s?(\d+)\s?(?:h|hr|hrs|hours?)", key)
    if m and int(m.group(1)) > 0:
        return Frequency(f"every {m.group(1)} to {m.group(2)} hours", 24 / int(m.group(1)))
    return None


def route_of(code: str) -> Route | None:
    return ROUTES.get((code or "").strip().lower())


@dataclass(frozen=True, slots=True)
class SigParts:
    dose: str = ""  # "1", "1/2", "1-2"
    dose_unit: str = ""  # "tablet" (singular; pluralised here)
    route: str = ""  # code or name: "po", "oral"
    frequency: str = ""  # code or words: "bid", "q6h", "every other day"
    duration_days: int | None = None
    prn: bool = False
    prn_indication: str = ""
    extra: str = ""  # free text added at the end ("with food")


def build_sig(parts: SigParts) -> str:
    """The full plain-language sentence for the label."""
    route = route_of(parts.route)
    verb = route.verb if route else "Take" if not parts.route else "Use"
    amount = parse_amount(parts.dose)
    unit = UNITS.get(parts.dose_unit.strip().lower(), parts.dose_unit.strip())
    words = [verb]
    if parts.dose.strip():
        words.append(f"{parts.dose.strip()} {plural(unit, amount)}".strip())
    if route:
        words.append(route.text)
    elif parts.route.strip():
        words.append(expand_words(parts.route.strip()))
    freq = frequency_of(parts.frequency)
    if freq:
        words.append(freq.text)
    elif parts.frequency.strip():
        words.append(expand_words(parts.frequency.strip()))
    if parts.prn:
        words.append("as needed" + (f" for {parts.prn_indication.strip()}" if parts.prn_indication.strip() else ""))
    if parts.duration_days:
        words.append(f"for {parts.duration_days} day{'s' if parts.duration_days != 1 else ''}")
    sentence = " ".join(w for w in words if w)
    extra = expand_words(parts.extra.strip())
    if extra:
        sentence += ", " + extra
    return sentence


_TOKEN = re.compile(r"\S+")


def expand_words(text: str) -> str:
    """Replace abbreviations word by word (no leading verb added)."""
    text = re.sub(r"(?i)\bq\s?(\d+)\s?-\s?(\d+)\s?h(?:rs?|ours?)?\b",
                  lambda m: f"every {m.group(1)} to {m.group(2)} hours", text)
    text = re.sub(r"(?i)\bq\s?(\d+)\s?h(?:rs?|ours?)?\b",
                  lambda m: "every hour" if m.group(1) == "1" else f"every {m.group(1)} hours", text)
    text = re.sub(r"(?i)\bq\s?(\d+)\s?min(?:utes?)?\b", lambda m: f"every {m.group(1)} minutes", text)
    for words_, plain in (("once daily", "once a day"), ("twice daily", "twice a day"),
                          ("three times daily", "three times a day"), ("four times daily", "four times a day")):
        text = re.sub(rf"(?i)\b{words_}\b", plain, text)
    text = re.sub(r"(?i)(?<!\w)x\s?(\d+)\s?(?:d|days?)\b", lambda m: f"for {m.group(1)} day" +
                  ("s" if m.group(1) != "1" else ""), text)
    text = re.sub(r"(?i)(?<!\w)x\s?(\d+)\s?(?:wk|wks|weeks?)\b", lambda m: f"for {m.group(1)} week" +
                  ("s" if m.group(1) != "1" else ""), text)
    text = re.sub(r"(?i)(?<!\w)x\s?(\d+)\s?doses?\b", lambda m: f"up to {m.group(1)} dose" +
                  ("s" if m.group(1) != "1" else ""), text)
    out: list[str] = []
    tokens = _TOKEN.findall(text)
    last_number: float | None = None
    for i, tok in enumerate(tokens):
        core = tok.rstrip(".,;:")
        tail = tok[len(core):]
        low = core.lower()
        if low in FREQUENCIES and low not in ("once",):
            out.append(FREQUENCIES[low].text + tail)
        elif low in ROUTES and len(low) <= 4:
            out.append(ROUTES[low].text + tail)
        elif low in UNITS and last_number is not None and out:
            out.append(plural(UNITS[low], last_number) + tail)
        elif low == "prn":
            following = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
            needs_for = following and following not in ("for",) and not tail and \
                following.rstrip(".,;:") not in FREQUENCIES and following.rstrip(".,;:") not in ROUTES
            out.append("as needed" + (" for" if needs_for else "") + tail)
        elif low in _WORDS and _WORDS[low]:
            out.append(_WORDS[low] + tail)
        else:
            out.append(tok)
        last_number = parse_amount(core) if re.fullmatch(r"[\d./-]+", core) else None
    return " ".join(out)


def expand_sig(text: str) -> str:
    """Free-text directions in plain language; adds the verb when the text starts with the dose."""
    text = " ".join((text or "").split())
    if not text:
        return ""
    expanded = expand_words(text)
    first = expanded.split(" ", 1)[0].lower()
    if first not in _VERBS and re.match(r"[\d½¼¾]", first):
        route = next((ROUTES[t.lower().rstrip(".,;:")] for t in text.split()
                      if t.lower().rstrip(".,;:") in ROUTES), None)
        expanded = f"{route.verb if route else 'Take'} {expanded}"
    return expanded[0].upper() + expanded[1:]


def days_supply(quantity: float, quantity_unit: str, dose: str, dose_unit: str, frequency: str,
                duration_days: int | None = None) -> int | None:
    """Whole days the quantity lasts at the highest prescribed use, never past the course's duration (30
    tablets bid for 10 days last 10 days: the rest is left over); None when it cannot be computed (different
    units, e.g. 1 inhaler dosed in puffs). A single dose lasts one day."""
    freq = frequency_of(frequency)
    amount = parse_amount(dose)
    q_unit = UNITS.get(quantity_unit.strip().lower(), quantity_unit.strip())
    d_unit = UNITS.get(dose_unit.strip().lower(), dose_unit.strip())
    if freq is not None and freq.per_day is None:
        return 1
    if freq is None or not amount or quantity <= 0 or q_unit.lower() != d_unit.lower():
        return duration_days if duration_days else None
    days = max(math.floor(quantity / (amount * freq.per_day) + 1e-9), 1)
    return min(days, duration_days) if duration_days else days


def quantity_for(days: int, dose: str, frequency: str) -> float | None:
    """How much to dispense for `days` at the prescribed (highest) use."""
    freq = frequency_of(frequency)
    amount = parse_amount(dose)
    if freq is None or amount is None:
        return None
    if freq.per_day is None:
        return amount
    return math.ceil(amount * freq.per_day * days - 1e-9)


def parse_sig(text: str) -> SigParts:
    """The structured parts found in typed directions ('1 tab po bid prn pain x 10d'); fields not found stay
    empty. Used to compute days supply from what the prescriber typed."""
    low = " ".join((text or "").lower().split())
    dose, unit = "", ""
    m = re.search(r"(?<![\w/.])(\d+(?:\.\d+)?(?:/\d+)?(?:\s*(?:-|to)\s*\d+(?:\.\d+)?)?)\s*([a-z]+)", low)
    if m and m.group(2) in UNITS:
        dose, unit = m.group(1).replace(" ", ""), UNITS[m.group(2)]
    route = next((t for t in re.findall(r"[a-z]+", low) if t in ROUTES), "")
    if not route:
        route = next((code for code in ROUTE_CHOICES if ROUTES[code].text in low), "")
    frequency = ""
    for pattern in (r"\bq\s?\d+\s?-\s?\d+\s?h(?:rs?|ours?)?\b", r"\bq\s?\d+\s?h(?:rs?|ours?)?\b",
                    r"\bq\s?\d+\s?min(?:utes?)?\b"):
        fm = re.search(pattern, low)
        if fm:
            frequency = fm.group(0)
            break
    if not frequency:
        frequency = frequency_code(low)  # plain words first: "once a day" is not the single dose "once"
    if not frequency:
        frequency = next((t for t in re.findall(r"[a-z]+", low) if t in FREQUENCIES), "")
    duration = None
    dm = re.search(r"(?:\bx\s?|\bfor\s)(\d+)\s?(?:d|days?)\b", low)
    if dm:
        duration = int(dm.group(1))
    prn = bool(re.search(r"\bprn\b|as needed", low))
    return SigParts(dose=dose, dose_unit=unit, route=route, frequency=frequency, duration_days=duration, prn=prn)

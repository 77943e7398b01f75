"""`alerts --drug NAME_OR_RXCUI [--drug ...] [--allergy SUBSTANCE_OR_CLASS ...] [--age N] [--json]`.

Prints the alerts the engine returns for that medication list. No database. Exit codes: 0 checked (with or
without alerts), 2 usage error or unknown drug, 3 knowledge base unavailable (nothing could be checked).
"""

from __future__ import annotations

import argparse
import json
import sys

from .common import CliError

EXIT_UNKNOWN_DRUG = 2
EXIT_KB_UNAVAILABLE = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--drug", action="append", default=[], metavar="NAME_OR_RXCUI",
                        help="ingredient, generic or brand name, or RXCUI (repeat for each drug)")
    parser.add_argument("--allergy", action="append", default=[], metavar="SUBSTANCE_OR_CLASS",
                        help="recorded allergy: an ingredient, a class (penicillin, sulfa, nsaid...) or egg/gelatin/latex")
    parser.add_argument("--intolerance", action="append", default=[], metavar="SUBSTANCE_OR_CLASS",
                        help="recorded intolerance (reported one severity level lower than an allergy)")
    parser.add_argument("--age", type=float, default=None, metavar="YEARS", help="patient age in years (vital ranges)")
    parser.add_argument("--sex", choices=("female", "male", "other", "unknown"), default=None)
    parser.add_argument("--vital", action="append", default=[], metavar="LOINC=VALUE",
                        help="a vital sign in canonical units, e.g. 8480-6=185 (systolic), 2708-6=88 (SpO2 %%)")
    parser.add_argument("--json", action="store_true", help="print a JSON list of alert objects")
    parser.add_argument("--kb-dir", default=None, metavar="DIR", help="use another knowledge-base folder")


def run(args: argparse.Namespace) -> int:
    from desktop.alerts import (
        AlertContext,
        AllergyRef,
        KnowledgeBaseUnavailable,
        UnknownDrug,
        allergen_from_text,
        drug_ref_from_text,
        evaluate,
        load_kb,
        near_allergy_name,
        not_checked_note,
        resolve_allergy,
    )

    if not args.drug and not args.vital:
        raise CliError("give at least one --drug (or --vital)", EXIT_UNKNOWN_DRUG)
    if args.age is not None and not 0 <= args.age <= 130:
        raise CliError(f"--age must be between 0 and 130, not {args.age:g}", 2)
    vitals = _parse_vitals(args.vital)

    try:
        kb = load_kb(args.kb_dir)
    except KnowledgeBaseUnavailable as exc:
        raise CliError(f"interaction checking unavailable: {exc}", EXIT_KB_UNAVAILABLE) from exc

    formulary = _formulary()
    drugs = []
    for name in args.drug:
        try:
            drugs.append(drug_ref_from_text(name, formulary, kb))
        except UnknownDrug as exc:
            note = not_checked_note(name, formulary, kb)  # a supplement, or "did you mean 'amoxicillin'?"
            raise CliError(str(exc) + (f"; {note}" if note else ""), EXIT_UNKNOWN_DRUG) from exc

    allergies = [AllergyRef(substance=s, key=allergen_from_text(s, formulary, kb)) for s in args.allergy]
    allergies += [AllergyRef(substance=s, key=allergen_from_text(s, formulary, kb), kind="intolerance")
                  for s in args.intolerance]
    known_ings = set(kb.known_ingredients) | ({_norm(n) for n in formulary.ingredient_names()} if formulary else set())
    for allergy in allergies:
        meaning = resolve_allergy(kb, allergy)
        if meaning.ingredient is not None and meaning.ingredient not in known_ings:
            # still checked by exact ingredient name, but say so: a typo must not look like "no alerts"
            meant = near_allergy_name(allergy.substance, formulary, kb)  # a drug, class or allergen
            print(f"warning: allergy {allergy.substance!r} is not a known ingredient, class or allergen; "
                  "only an exact ingredient match can be checked" + (f"; did you mean {meant!r}?" if meant else ""),
                  file=sys.stderr)

    alerts = evaluate(AlertContext(active_meds=tuple(drugs), allergies=tuple(allergies), vitals=vitals,
                                   age_years=args.age, sex=args.sex), kb)
    _utf8_safe()
    if args.json:
        print(json.dumps([a.as_dict() for a in alerts], indent=2, ensure_ascii=False))
    elif not alerts:
        print("No alerts.")
    else:
        for a in alerts:
            print(f"{a.severity.upper():15s} {a.kind:11s} {a.message}")
    return 0


def _norm(name: str) -> str:
    from desktop.alerts import norm

    return norm(name)


def _parse_vitals(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        code, sep, value = item.partition("=")
        try:
            if not sep or not code.strip():
                raise ValueError
            out[code.strip()] = float(value)
        except ValueError:
            raise CliError(f"--vital must look like LOINC=VALUE (e.g. 8480-6=185), not {item!r}", 2) from None
    return out


def _formulary():
    """The formulary for brand names and RXCUIs; without it ingredient names still work (said on stderr)."""
    from desktop.kb.errors import KnowledgeBaseError
    from desktop.kb.formulary import load_formulary

    try:
        return load_formulary()
    except KnowledgeBaseError as exc:
        print(f"warning: formulary unavailable ({exc}); only ingredient names can be resolved", file=sys.stderr)
        return None


def _utf8_safe() -> None:
    # "°C" on a terminal without UTF-8 must not crash the command
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None and (sys.stdout.encoding or "").lower().replace("-", "") != "utf8":
        reconfigure(errors="replace")

"""`formulary TEXT [--json] [--limit N]`: the products the prescription editor's type-ahead offers for TEXT.

Generic or brand name, words in any order, optionally a strength ("metop 25", "zithromax", "hctz losartan").
No database. `--json` prints a list of objects: name, generic, ingredients (names), strength, dose_form, route,
rxcui (the product's RxNorm code, else its single ingredient's, null when unverified), schedule (DEA schedule,
null when not controlled), brands, id. No match: an empty list (or a line saying so), exit 0. Exit 3 when the
formulary file cannot be used.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from .common import CliError

EXIT_KB_UNAVAILABLE = 3
TYPEAHEAD_LIMIT = 25  # what the editor's drop-down lists (widgets/drug_typeahead.py default)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="+", metavar="TEXT", help="part of a generic or brand name, and a strength")
    parser.add_argument("--json", action="store_true", help="print a JSON list of product objects")
    parser.add_argument("--limit", type=int, default=TYPEAHEAD_LIMIT, metavar="N",
                        help=f"at most N products (default {TYPEAHEAD_LIMIT}, as the type-ahead)")


def product_json(p: Any) -> dict[str, Any]:
    """One formulary product as the command's JSON object."""
    single = p.ingredients[0].rxcui if len(p.ingredients) == 1 else ""
    return {
        "id": p.id,
        "name": p.display,
        "generic": p.generic,
        "brands": list(p.brands),
        "ingredients": list(p.ingredient_names),
        "ingredient_rxcuis": [i.rxcui or None for i in p.ingredients],
        "strength": p.strength,
        "dose_form": p.dose_form,
        "route": p.route,
        "rxcui": p.product_rxcui or single or None,
        "schedule": p.dea_schedule or None,
    }


def run(args: argparse.Namespace) -> int:
    from desktop.kb.errors import KnowledgeBaseError
    from desktop.kb.formulary import load_formulary

    if args.limit < 1:
        raise CliError(f"--limit must be at least 1, not {args.limit}", 2)
    try:
        formulary = load_formulary()
    except KnowledgeBaseError as exc:
        raise CliError(f"the formulary cannot be used: {exc}", EXIT_KB_UNAVAILABLE) from exc
    products = formulary.search(" ".join(args.text), limit=args.limit)
    if args.json:
        print(json.dumps([product_json(p) for p in products], indent=1, ensure_ascii=False))
        return 0
    if not products:
        print(f"no formulary product matches {' '.join(args.text)!r}")
        return 0
    for p in products:
        code = p.product_rxcui or (p.ingredients[0].rxcui if len(p.ingredients) == 1 else "")
        extra = [f"RxNorm {code}" if code else "uncoded"]
        if p.dea_schedule:
            extra.append(f"C-{p.dea_schedule}")
        brands = f" [{', '.join(p.brands)}]" if p.brands else ""
        print(f"{p.display}{brands}  ({'; '.join(extra)})")
    return 0

"""`icd10 TEXT [--age N] [--sex female|male] [--json] [--limit N]`: the problem dialog's ICD-10-CM search.

Same search as the dialog: abbreviations clinicians type (htn, gerd, ckd 3, afib), billable codes first, codes
that cannot describe the patient left out when --age/--sex are given. No database. `--json` prints the ranked
list of objects {code, description, billable, matched_term}. Exit 0 with results, 1 when nothing matches.
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="+", help="words, an abbreviation or a code, e.g. htn, 'ckd 3', E11.9")
    parser.add_argument("--age", type=float, default=None, metavar="YEARS", help="the patient's age in years")
    parser.add_argument("--sex", choices=("female", "male"), default=None, help="the patient's sex")
    parser.add_argument("--limit", type=int, default=20, metavar="N", help="at most N codes (default 20)")
    parser.add_argument("--json", action="store_true", help="print a JSON list of code objects, best first")


def run(args: argparse.Namespace) -> int:
    from desktop.services import icd10

    from .common import CliError

    if args.age is not None and not 0 <= args.age <= 130:
        raise CliError(f"--age {args.age:g} is not an age in years", code=2)
    found = icd10.search(" ".join(args.text), max(1, args.limit), age=args.age, sex=args.sex)
    if args.json:
        print(json.dumps([{"code": c.code, "description": c.description, "billable": c.billable,
                           "matched_term": c.matched_term} for c in found], indent=1))
    else:
        for c in found:
            mark = "" if c.billable else "   (category: pick a more specific code)"
            term = f"  (“{c.matched_term}”)" if c.matched_term else ""
            print(f"{c.code:<9} {c.description}{term}{mark}")
        if not found:
            print("no ICD-10-CM code matches")
    return 0 if found else 1

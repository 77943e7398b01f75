"""`bench [--case NAME ...] [--json]`: the project's benchmark (see desktop/bench)."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from .common import CliError


def add_arguments(parser) -> None:
    parser.add_argument("--case", action="append", metavar="NAME", help="run only these cases (repeatable)")
    parser.add_argument("--json", action="store_true", help="print one JSON object {case: {ms, p95_ms, ...}}")
    parser.add_argument("--repeat", type=int, default=15, help="samples per case (default 15)")
    parser.add_argument("--cache-dir", default=None, help="where built benchmark databases are kept")


def run(args) -> int:
    from desktop.bench import CASES, OPTIONAL, CaseCannotRun
    from desktop.bench.context import BenchContext
    from desktop.config import data_dir

    names = args.case or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        raise CliError(f"unknown case {', '.join(unknown)}; known: {', '.join(CASES)}", 2)
    if args.repeat < 1:
        raise CliError("--repeat must be at least 1", 2)
    cache = Path(args.cache_dir) if args.cache_dir else data_dir() / "bench-cache"
    cache.mkdir(parents=True, exist_ok=True)
    ctx = BenchContext(cache_dir=cache, repeat=args.repeat)
    results: dict[str, dict] = {}
    failed = False
    for name in names:
        module_name, func_name = CASES[name].split(":")
        try:
            func = getattr(importlib.import_module(module_name), func_name)
        except (ImportError, AttributeError) as exc:
            results[name] = {"ms": None, "p95_ms": None, "reference_ms": None, "ratio": None,
                             "error": f"case not available: {exc}"}
            failed = True
            continue
        if not args.json:
            print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            results[name] = func(ctx).as_json()
        except CaseCannotRun as exc:
            results[name] = {"ms": None, "p95_ms": None, "reference_ms": None, "ratio": None}
            if name in OPTIONAL and not args.case:
                results[name]["skipped"] = str(exc)
                print(f"{name}: skipped: {exc}", file=sys.stderr)
                continue
            results[name]["error"] = str(exc)
        if results[name].get("error"):
            print(f"error: bench case {name} cannot run: {results[name]['error']}", file=sys.stderr)
            failed = True
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for name, r in results.items():
            if r.get("error") or r.get("skipped"):
                print(f"{name:12s} {'ERROR ' + r['error'] if r.get('error') else 'skipped: ' + r['skipped']}")
                continue
            ref = f"reference {r['reference_ms']:.2f} ms, ratio {r['ratio']:.2f}" if r["reference_ms"] else ""
            print(f"{name:12s} median {r['ms']:.2f} ms  p95 {r['p95_ms']:.2f} ms  {ref}")
    return 1 if failed else 0

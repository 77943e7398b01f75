"""`import-phr FILE (--patient MRN | --create-patient) [--db URL] [--dry-run] [--accept new|none]
[--confirm-identity] [--json]`

Reads a PHR file (FHIR R4 JSON/NDJSON, zip or folder of FHIR files, Apple Health export.xml, C-CDA, a
wearable vendor's JSON), compares it with the chart and merges it. `--accept new` takes every NEW item (the
review dialog's defaults); `--accept none` takes nothing. Exit 0 on success, 2 on unreadable or invalid
input (one line), 3 when the file's patient does not match the chart, or when the file names no patient
at all (no name, birth date, sex or shared identifier) and `--confirm-identity` was not given: the operator
confirms with the patient that the file is theirs, and the audit row records that confirmation.

--json prints {"patient": {...}, "categories": {CATEGORY: {"new", "duplicate", "changed", "conflict"}},
"skipped": [{"item", "reason"}], "applied": bool, "import_id": int | null}.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from .common import CliError, add_db_argument, cli_user, open_db
from .progress import terminal_progress

EXIT_OK, EXIT_INPUT, EXIT_IDENTITY = 0, 2, 3


def add_arguments(parser) -> None:
    parser.add_argument("file", metavar="FILE", help="the PHR file (or folder)")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--patient", metavar="MRN", help="merge into this patient's chart")
    who.add_argument("--create-patient", action="store_true",
                     help="register the file's patient as a new chart, then merge")
    add_db_argument(parser)
    parser.add_argument("--dry-run", action="store_true", help="compare and report; change nothing")
    parser.add_argument("--accept", choices=("new", "none"), default="new",
                        help="new: take every NEW item (default, as the review dialog); none: take nothing")
    parser.add_argument("--confirm-identity", action="store_true",
                        help="the file names no patient: you confirmed with the patient that it is theirs "
                             "(recorded in the audit log)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _clean_name(text: str) -> str:
    """Synthea appends digits to names ("Lawrence741"); a chart name has none."""
    return " ".join(re.sub(r"\d+", "", w) for w in text.split() if re.sub(r"\d+", "", w))


def _patient_json(chart, plan, created: bool) -> dict:
    fp = plan.file_patient if plan is not None else None
    out = {
        "id": chart.id if chart else None, "mrn": chart.mrn if chart else None,
        "name": chart.display_name if chart else None,
        "birth_date": chart.birth_date.isoformat() if chart and chart.birth_date else None,
        "sex": chart.sex if chart else None, "created": created,
    }
    if plan is not None:
        out["identity"] = plan.identity.verdict.value
        out["identity_score"] = plan.identity.score
        out["identity_evidence"] = [e.sentence for e in plan.identity.evidence]
        out["file_patient"] = {
            "name": fp.display_name if fp else None,
            "birth_date": fp.birth_date.isoformat() if fp and fp.birth_date else None,
            "sex": fp.sex if fp else None,
        }
    return out


def _report(args, chart, plan, created: bool, applied: bool, import_id, skipped, notes=(), alerts=None,
            categories: dict | None = None) -> None:
    if categories is None:
        categories = plan.counts() if plan is not None else {}
    if args.json:
        print(json.dumps({
            "patient": _patient_json(chart, plan, created),
            "categories": categories,
            "skipped": [{"item": s.item, "reason": s.reason} for s in skipped],
            "applied": applied, "import_id": import_id,
        }, indent=2, ensure_ascii=False))
    else:
        name = chart.display_name if chart else "(new patient)"
        print(f"{plan.info.name if plan else args.file} -> {name}"
              + (f" (MRN {chart.mrn})" if chart else "")
              + (f"; identity: {plan.identity.summary}" if plan else ""))
        for cat, c in categories.items():
            if any(c.values()):
                print(f"  {cat:14s} new {c['new']:5d}  duplicate {c['duplicate']:5d}  changed {c['changed']:4d}"
                      f"  conflict {c['conflict']:4d}")
        if skipped:
            print(f"  skipped: {len(skipped)} (first: {skipped[0].item}: {skipped[0].reason})")
        print(f"  applied as import #{import_id}" if applied else "  nothing applied")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if alerts is not None:
        if not alerts.available:
            print(f"warning: {alerts.message}", file=sys.stderr)
        for a in alerts.alerts:
            print(f"alert ({a.severity} {a.kind}): {a.message}", file=sys.stderr)


def run(args) -> int:
    import gc

    # a device export makes millions of long-lived objects (records, plan items, readings) and few reference
    # cycles: the collector's default (a young pass every 700 allocations, full passes as the heap grows) spent
    # ~1 s of a 250,000-record import walking them; young passes now and then still free short-lived cycles
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 20, 1_000)
    try:
        return _run(args)
    finally:
        gc.set_threshold(*thresholds)


def _run(args) -> int:
    from desktop.phr import PhrError, choose_patient, read_file

    from .progress import terminal_progress

    try:
        with terminal_progress(Path(args.file).name) as progress:
            parsed = read_file(Path(args.file), progress=progress)
    except PhrError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    if not any(parsed.counts.values()):
        invalid = [s for s in parsed.skipped if not s.reason.startswith("not imported")]
        first = invalid[0] if invalid else (parsed.skipped[0] if parsed.skipped else None)
        print(f"error: nothing to import from {parsed.info.name}"
              + (f": {len(invalid)} invalid entries" if invalid else ": nothing the chart keeps")
              + (f" (first: {first.item}: {first.reason})" if first else ""), file=sys.stderr)
        return EXIT_INPUT
    db = open_db(args)
    db.small_page_cache()  # a one-off bulk write: its pages need not stay cached (peak memory)
    user = cli_user()
    handed = [parsed]  # handed over, not kept here: _merge lets the file go before its commit (peak memory)
    del parsed
    try:
        return _merge(args, db, user, handed, choose_patient)
    finally:
        db.dispose()


def _slim(plan):
    """The plan without its items: what the report needs once the merge is written."""
    from dataclasses import replace

    return replace(plan, items=(), series=())


def _merge(args, db, user, handed: list, choose_patient) -> int:
    parsed = handed.pop()
    from desktop.phr import ChartSnapshot, Verdict, build_plan
    from desktop.services import phr_import
    from desktop.services.errors import NotFound
    from desktop.services.patients import (
        PatientInput,
        PossibleDuplicate,
        get_patient_by_mrn,
        register_patient,
    )

    created = False
    ref = None
    result = None
    if args.create_patient:
        if parsed.several_patients:
            names = ", ".join(p.display_name for p in parsed.patients) or f"{len(parsed.patient_refs)} patients"
            print(f"error: the file holds records of several patients ({names}); use --patient MRN", file=sys.stderr)
            return EXIT_INPUT
        fp = parsed.patient()
        given = _clean_name(" ".join(fp.given)) if fp else ""
        family = _clean_name(fp.family) if fp else ""
        if fp is None or not given or not family or fp.birth_date is None:
            print("error: the file does not name its patient (name and birth date); use --patient MRN",
                  file=sys.stderr)
            return EXIT_INPUT
        inp = PatientInput(given_name=given.split()[0], middle_name=" ".join(given.split()[1:]), family_name=family,
                           birth_date=fp.birth_date, sex=fp.sex or "unknown", phone_home="")
        if args.dry_run:
            from desktop.phr import ChartPatient

            chart_p = ChartPatient(id=0, mrn="(new)", given_name=inp.given_name, family_name=family,
                                   birth_date=fp.birth_date, sex=inp.sex, middle_name=inp.middle_name)
            plan = build_plan(parsed, ChartSnapshot(patient=chart_p))
            _report(args, chart_p, plan, False, False, None, parsed.skipped)
            return EXIT_OK
        try:
            with db.uow(user) as uow, terminal_progress(parsed.info.name) as progress:
                # one transaction: the new chart and its merge, or neither
                details = register_patient(uow, inp)
                chart = phr_import.chart_patient(uow, details.id)
                plan = phr_import.plan_import(uow, details.id, parsed)
                decisions = plan.default_decisions(args.accept)
                result = phr_import.apply_import(uow, details.id, plan, decisions, plan.info,
                                                 progress=progress) if decisions else None
        except PossibleDuplicate as exc:
            print(f"error: {exc}; use --patient MRN", file=sys.stderr)
            return EXIT_INPUT
        if result is None:
            _report(args, chart, plan, True, False, None, plan.skipped)
        else:
            _report(args, chart, plan, True, result.applied, result.import_id, plan.skipped, result.notes,
                    result.alerts)
        return EXIT_OK
    mrn = args.patient
    try:
        with db.uow(user) as uow:
            details = get_patient_by_mrn(uow, mrn)
            chart = phr_import.chart_patient(uow, details.id)
            if parsed.several_patients:
                ref = choose_patient(parsed, phr_import.snapshot(uow, details.id))
                if ref is None:
                    names = ", ".join(p.display_name for p in parsed.patients)
                    print(f"error: the file holds records of several patients ({names}) and none clearly matches "
                          f"MRN {mrn}", file=sys.stderr)
                    return EXIT_IDENTITY
            plan = phr_import.plan_import(uow, details.id, parsed, ref)
    except NotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    if plan.identity.verdict is Verdict.MISMATCH:
        _report(args, chart, plan, created, False, None, plan.skipped)
        print("error: the file's patient does not match the chart: "
              + "; ".join(e.sentence for e in plan.identity.evidence if e.outcome.value in ("different", "similar")),
              file=sys.stderr)
        return EXIT_IDENTITY
    if plan.identity.verdict.needs_confirmation and not args.confirm_identity:
        _report(args, chart, plan, created, False, None, plan.skipped)
        print(f"error: {plan.info.name} names no patient (no name, birth date, sex or identifier shared with "
              f"MRN {mrn}); confirm with the patient that it is theirs, then add --confirm-identity",
              file=sys.stderr)
        return EXIT_IDENTITY
    decisions = plan.default_decisions(args.accept)
    if args.dry_run or not decisions:
        _report(args, chart, plan, created, False, None, plan.skipped)
        return EXIT_OK
    try:
        with db.uow(user) as uow, terminal_progress(plan.info.name) as progress:
            result = phr_import.apply_import(uow, details.id, plan, decisions, plan.info,
                                             identity_confirmed=args.confirm_identity, progress=progress)
            # the file's readings are written: let them go before the commit's audit work (a device export's
            # 100,000s of readings would otherwise still be held at the import's busiest moment)
            categories, plan = plan.counts(), _slim(plan)
            del parsed, decisions
    except phr_import.IdentityMismatch as exc:
        raise CliError(str(exc), EXIT_IDENTITY) from exc
    _report(args, chart, plan, created, result.applied, result.import_id, plan.skipped, result.notes, result.alerts,
            categories)
    return EXIT_OK

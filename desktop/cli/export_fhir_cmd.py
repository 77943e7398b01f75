"""`export-fhir --patient MRN --out FILE [--db URL]`: the chart as a FHIR R4 collection Bundle (JSON)."""

from __future__ import annotations

import sys
from pathlib import Path

from .common import CliError, add_db_argument, cli_user, open_db, refuse_existing, write_new_file


def add_arguments(parser) -> None:
    parser.add_argument("--patient", required=True, metavar="MRN", help="the patient's MRN")
    parser.add_argument("--out", required=True, metavar="FILE", help="the JSON file to write (must not exist)")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    add_db_argument(parser)


def run(args) -> int:
    import orjson

    from desktop.services.errors import NotFound
    from desktop.services.fhir_export import export_patient
    from desktop.services.patients import get_patient_by_mrn

    out = Path(args.out).expanduser()
    db = open_db(args)
    written = False
    try:
        with db.uow(cli_user()) as uow:
            try:
                patient = get_patient_by_mrn(uow, args.patient)
            except NotFound as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            refuse_existing(out, args.force)
            if not out.parent.is_dir():
                raise CliError(f"folder {out.parent} does not exist")
            bundle = export_patient(uow, patient.id)
            # the file is written before the unit of work commits the export's audit row: a failed write is
            # rolled back with it, so the log never records an export that did not happen
            write_new_file(out, orjson.dumps(bundle, option=orjson.OPT_INDENT_2), force=args.force)
            written = True
    except BaseException:
        if written:  # the audit row was not committed: take back the unrecorded file
            out.unlink(missing_ok=True)
        raise
    finally:
        db.dispose()
    print(f"{len(bundle['entry'])} resources written to {out}")
    return 0

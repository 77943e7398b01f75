"""`export-fhir --patient MRN --out FILE [--db URL]`: the chart as a FHIR R4 collection Bundle (JSON)."""

from __future__ import annotations

import sys
from pathlib import Path

from .common import add_db_argument, cli_user, open_db


def add_arguments(parser) -> None:  # noqa: ANN001
    parser.add_argument("--patient", required=True, metavar="MRN", help="the patient's MRN")
    parser.add_argument("--out", required=True, metavar="FILE", help="the JSON file to write")
    add_db_argument(parser)


def run(args) -> int:  # noqa: ANN001
    import orjson

    from desktop.services.errors import NotFound
    from desktop.services.fhir_export import export_patient
    from desktop.services.patients import get_patient_by_mrn

    db = open_db(args)
    try:
        with db.uow(cli_user()) as uow:
            try:
                patient = get_patient_by_mrn(uow, args.patient)
            except NotFound as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            bundle = export_patient(uow, patient.id)
    finally:
        db.dispose()
    out = Path(args.out)
    tmp = out.with_name(out.name + ".partial")
    try:
        tmp.write_bytes(orjson.dumps(bundle, option=orjson.OPT_INDENT_2))
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        print(f"error: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"{len(bundle['entry'])} resources written to {out}")
    return 0

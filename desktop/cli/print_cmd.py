"""`print rx RX_ID | summary MRN | note ENCOUNTER_ID --out FILE.pdf [--db URL]`: write a document as PDF.

The file counts as a print: it is recorded (an already printed prescription comes out as "COPY — REPRINT").
RX_ID is the prescription's id or its number (RX...). One-line errors, exit 1; never a traceback.
"""

from __future__ import annotations

from pathlib import Path

from .common import CliError, add_db_argument, cli_user, open_db, refuse_existing, write_new_file

KINDS = ("rx", "summary", "note")


def add_arguments(parser) -> None:
    parser.add_argument("kind", choices=KINDS, help="rx: a prescription; summary: a patient summary; "
                                                    "note: a signed encounter note")
    parser.add_argument("ref", metavar="ID", help="RX_ID (id or RX number), MRN, or ENCOUNTER_ID")
    parser.add_argument("--out", required=True, metavar="FILE.pdf", help="where to write the PDF (must not exist)")
    parser.add_argument("--force", action="store_true", help="replace FILE.pdf if it exists")
    parser.add_argument("--page-size", choices=("letter", "A4"), default=None,
                        help="override the practice setting (print.page_size)")
    add_db_argument(parser)


def _target(path: str, force: bool) -> Path:
    out = Path(path).expanduser()
    if out.is_dir():
        raise CliError(f"{out} is a folder: give a file name such as {out / 'document.pdf'}")
    if not out.parent.exists():
        raise CliError(f"folder {out.parent} does not exist")
    refuse_existing(out, force)
    return out


def run(args) -> int:
    from desktop.services import prescriptions

    out = _target(args.out, args.force)
    db = open_db(args)
    written = False
    try:
        with db.uow(cli_user()) as uow:
            job = _prepare(uow, args)
            prescriptions.record_print(uow, job)
            _write(out, job.pdf, args.force)  # before the commit: no record without the file
            written = True
        # leaving the block committed the record
    except BaseException:
        if written:  # the record was not committed: do not leave an unrecorded print behind
            out.unlink(missing_ok=True)
        raise
    finally:
        db.dispose()
    mark = " (COPY — REPRINT)" if job.reprint else ""
    print(f"wrote {out}: {job.title}, {job.pages} page(s), {job.page_size}{mark}")
    return 0


def _prepare(uow, args):
    from desktop.services import documents, prescriptions

    if args.kind == "rx":
        ref = args.ref.strip()
        if ref.isascii() and ref.isdigit():
            _row_id(ref, "prescription")
        rx_id = prescriptions.find_prescription_id(uow, ref)
        return prescriptions.prepare_rx_print(uow, [rx_id], page_size=args.page_size)
    if args.kind == "summary":
        return documents.summary_document(uow, args.ref, page_size=args.page_size)
    ref = args.ref.strip()
    if not (ref.isascii() and ref.isdigit()):
        raise CliError(f"ENCOUNTER_ID is a number, not {args.ref!r}")
    return documents.note_document(uow, _row_id(ref, "encounter"), page_size=args.page_size)


MAX_ROW_ID = 2**63 - 1  # SQLite's INTEGER and PostgreSQL's BIGINT: a larger number names no row


def _row_id(digits: str, what: str) -> int:
    """A row id typed on the command line; one beyond any database's integers is simply not found (SQLite raised
    OverflowError on it, PostgreSQL a DataError with the SQL)."""
    number = int(digits)
    if number > MAX_ROW_ID:
        raise CliError(f"no {what} with id {digits}")
    return number


def _write(out: Path, pdf: bytes, force: bool) -> None:
    write_new_file(out, pdf, force=force)

"""Command line: `python -m desktop [COMMAND] ...`. Heavy modules load only for the command that needs them."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

# command name -> module in desktop.cli with add_arguments(parser) and run(args) -> exit code
COMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("desktop.cli.gui_cmd", "open the application (default)"),
    "demo": ("desktop.cli.demo_cmd", "create a practice with demo users and patients"),
    "check-db": ("desktop.cli.checkdb_cmd", "check the schema and integrity (and the audit chain)"),
    "backup": ("desktop.cli.backup_cmd", "copy the database to a file"),
    "restore": ("desktop.cli.restore_cmd", "replace the database with a backup file"),
    "encrypt": ("desktop.cli.encrypt_cmd", "encrypt an unencrypted SQLite database in place (after a backup)"),
    "bench": ("desktop.cli.bench_cmd", "run the project's benchmark"),
    "alerts": ("desktop.cli.alerts_cmd", "show the clinical alerts for a list of drugs and allergies"),
    "print": ("desktop.cli.print_cmd", "write a prescription, summary or note as PDF"),
    "import-phr": ("desktop.cli.import_phr_cmd", "merge a patient's PHR file into a chart"),
    "export-fhir": ("desktop.cli.export_fhir_cmd", "write a chart as a FHIR R4 Bundle"),
    "formulary": ("desktop.cli.formulary_cmd", "list the formulary products matching a drug name (as the type-ahead)"),
    "icd10": ("desktop.cli.icd10_cmd", "search ICD-10-CM codes as the problem dialog does"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump wall
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser(only: str = "") -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m desktop", description="Clinic desktop EMR")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        if only == name:
            module = importlib.import_module(module_name)
            module.add_arguments(p)
            p.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # default command is the GUI; `--db URL` alone also means the GUI
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "-v", "--verbose")):
        argv.insert(0, "gui")
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(only=command if command in COMMANDS else "")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from desktop.redaction import install

    install()  # a --db URL's password never reaches stderr or a log file
    if args.command is None:
        parser.print_help()
        return 2
    from desktop.cli.common import run_command

    return run_command(args._module, args)


if __name__ == "__main__":
    sys.exit(main())

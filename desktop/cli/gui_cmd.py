"""`gui` (default): open the application window."""

from __future__ import annotations

from .common import add_db_argument


def add_arguments(parser) -> None:
    add_db_argument(parser)
    parser.add_argument("--user", default=None, help="pre-fill the login name")
    parser.add_argument("--quit-after-shown", action="store_true", help=argparse_suppress())


def argparse_suppress() -> str:
    import argparse

    return argparse.SUPPRESS


def run(args) -> int:
    from desktop.views.app import run_gui

    return run_gui(db_url=args.db, username=args.user, quit_after_shown=args.quit_after_shown)

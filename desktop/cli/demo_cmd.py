"""`demo`: a practice with four demo users and N patients (default 200)."""

from __future__ import annotations

import time

from .common import CliError, add_db_argument, open_db
from .progress import terminal_progress


def add_arguments(parser) -> None:
    add_db_argument(parser)
    parser.add_argument("--patients", type=int, default=200, metavar="N", help="number of patients (default 200)")
    parser.add_argument("--seed", type=int, default=20261123, help="random seed (same seed, same patients)")
    parser.add_argument("--no-charts", action="store_true", help="patients only, no clinical demo data")


def run(args) -> int:
    if args.patients < 0 or args.patients > 2_000_000:
        raise CliError("--patients must be between 0 and 2,000,000", 2)
    from sqlalchemy import func, select

    from desktop.models import Patient
    from desktop.services import demo

    t0 = time.perf_counter()
    db = open_db(args, create=True)
    with db.uow() as uow:
        existing = uow.session.execute(select(func.count(Patient.id))).scalar() or 0
    if existing:
        print(f"{db.target.display()} already holds {existing} patients; nothing added")
        return 0
    from desktop.services.demo_chart import fill_demo_charts

    # one transaction: a run killed half-way leaves no patients without charts (which the check above would
    # then refuse to finish), only the empty schema, and the next run builds the whole practice
    with terminal_progress("demo") as progress, db.uow() as uow:
        demo.create_practice_and_users(uow)
        demo.ensure_named_demo_patients(uow)
        counted = (lambda n: progress(n, args.patients, "patients")) if progress else None
        ids = demo.add_patients(uow, args.patients, seed=args.seed, progress=counted)
        if not args.no_charts:
            fill_demo_charts(uow, ids, seed=args.seed, progress=progress)
    db.refresh_statistics()  # a server planning 100,000 fresh rows without statistics picks slow plans
    secs = time.perf_counter() - t0
    print(f"demo practice ready in {db.target.display()}: {args.patients + 3} patients in {secs:.1f} s")
    print("demo users (user / password): " + ", ".join(f"{u.username} / {u.password}" for u in demo.DEMO_USERS))
    return 0


"""Developer tool: rebuild the unreleased migrations from the models.

0001 holds the foundation tables (registry, users, audit), 0002 everything clinical. Run only while no
database made by a release exists; after a release, add migrations with `alembic revision --autogenerate`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import MetaData, create_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop.models import Base  # noqa: E402
from desktop.models.schema import alembic_config  # noqa: E402

FOUNDATION = ["practice", "app_user", "setting", "patient", "patient_token", "recent_patient", "audit_log",
              "audit_head"]


def main() -> None:
    versions = ROOT / "desktop" / "models" / "migrations" / "versions"
    for f in versions.glob("*.py"):
        f.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/m.db")
        subset = MetaData(naming_convention=Base.metadata.naming_convention)
        for name in FOUNDATION:
            Base.metadata.tables[name].to_metadata(subset)
        cfg = alembic_config(engine)
        cfg.attributes["metadata"] = subset
        command.revision(cfg, message="foundation: practice, users, patients, audit", autogenerate=True, rev_id="0001")
        command.upgrade(alembic_config(engine), "head")
        command.revision(alembic_config(engine), message="chart, orders and PHR imports", autogenerate=True,
                         rev_id="0002")


if __name__ == "__main__":
    main()

"""Start-up stays close to a bare Qt window: what the login window may not pull in before it is on screen.

Measured by `python -m desktop bench --case startup`; these tests keep the known costs from creeping back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json, sys
import PySide6.QtCore as QtCore
from desktop.views.app import run_gui
run_gui(sys.argv[1], None, quit_after_shown=True)  # the `gui` command's own path, to the login window shown
print(json.dumps({
    "qt_namespace": "Qt" in QtCore.__dict__,  # building its ~100 enums costs 20-40 ms
    "heavy": sorted(m for m in ("sqlalchemy", "reportlab", "fhir", "argon2", "keyring") if m in sys.modules),
}))
"""


def test_the_login_window_shows_without_heavy_modules_or_the_qt_namespace(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "EMR_DATA_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", PROBE, f"sqlite:///{tmp_path / 'x.db'}"], env=env,
                         capture_output=True, text=True, timeout=60, check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == {"qt_namespace": False, "heavy": []}

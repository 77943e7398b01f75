"""Developer tool: drive the real app under a display (Xvfb) and save screenshots of its main windows.

    Xvfb :99 -screen 0 1400x900x24 & DISPLAY=:99 python scripts/screenshots.py --db sqlite:///demo.db --out docs
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--user", default="physician:physician-demo")
    parser.add_argument("--search", default="bennett har")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    os.environ["EMR_AUTOLOGIN"] = args.user

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.qt_compat import install_singleton_refcount_fix

    install_singleton_refcount_fix()
    from desktop.views.app import AppController
    from desktop.views.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    window = MainWindow()
    controller = AppController(window, args.db)
    window.resize(1360, 860)
    window.show()
    controller.open_database()
    steps: list = []

    def later(ms: int, fn) -> None:  # noqa: ANN001
        steps.append((ms, fn))

    def shot(name: str) -> None:
        window.grab().save(str(out / f"{name}.png"))
        print("saved", out / f"{name}.png")

    def search() -> None:
        window.workspace.search_panel.search.setText(args.search)

    def open_first() -> None:
        rows = window.workspace.search_panel.model.rows()
        if rows:
            window.open_chart(rows[0].id)

    def tab(key: str):  # noqa: ANN202
        return lambda: window.workspace.current_chart().show_tab(key)

    later(2500, search)
    later(3500, lambda: shot("main-window"))
    later(3700, open_first)
    later(5500, lambda: shot("chart-summary"))
    for i, key in enumerate(("problems", "medications", "allergies", "immunizations", "vitals", "encounters")):
        later(6000 + i * 1500, tab(key))
        later(6000 + i * 1500 + 1200, lambda k=key: shot(f"chart-{k}"))
    later(6000 + 6 * 1500 + 500, app.quit)
    for ms, fn in steps:
        QTimer.singleShot(ms, fn)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

"""Developer tool: drive the real app under a display (Xvfb) and save screenshots of its main windows.

    Xvfb :99 -screen 0 1280x720x24 & DISPLAY=:99 python scripts/screenshots.py --db sqlite:///demo.db --out docs

The window opens at 1280x720 (a small laptop); each chart tab, a note from a template (marked fields), the
problem dialog's ICD-10 search, the vitals form and the prescriptions list are saved as PNG files.
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
    parser.add_argument("--guide", choices=("front_desk", "nurse", "physician", "admin"), default=None,
                        help="only the pictures of this role's user guide, into resources/guides/img")
    parser.add_argument("--units", action="store_true",
                        help="only the display-units pictures: the vitals flowsheet and My preferences (a "
                             "clinician), or Practice settings (--user admin:...)")
    args = parser.parse_args()
    if args.guide:
        args.out = str(ROOT / "resources" / "guides" / "img")
        args.user = {"front_desk": "frontdesk:frontdesk-demo", "nurse": "nurse:nurse-demo",
                     "physician": "physician:physician-demo", "admin": "admin:admin-demo"}[args.guide]
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
    window.resize(1280, 720)
    window.show()
    controller.open_database()
    steps: list = []

    def later(ms: int, fn) -> None:
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

    def tab(key: str):
        return lambda: window.workspace.current_chart().show_tab(key)

    def chart():
        return window.workspace.current_chart()

    def dialog_shot(name: str, dialog) -> None:
        dialog.grab().save(str(out / f"{name}.png"))
        print("saved", out / f"{name}.png")
        dialog.reject()

    def problem_dialog() -> None:
        page = chart().page("problems")
        page.add()
        page.editor.icd.edit.setText("reflux")
        page.editor.icd.refresh()
        QTimer.singleShot(1500, lambda: dialog_shot("dialog-problem-icd10", page.editor))

    def vitals_form() -> None:
        page = chart().page("vitals")
        page.record()
        QTimer.singleShot(2000, lambda: dialog_shot("dialog-vitals", page.form))

    def new_note() -> None:
        page = chart().page("encounters")
        page.new_encounter()

        def create() -> None:
            dialog = page.new_dialog
            dialog.template.setCurrentIndex(dialog.template.findData("hypertension_followup"))
            dialog.ok_button.click()

        QTimer.singleShot(600, create)

    def note_marked_fields() -> None:
        editor = chart().page("encounters").editor
        editor.editors["subjective"].setFocus()
        editor.next_marked_field()
        shot("chart-note-marked-fields")

    def prescriptions() -> None:
        from desktop.views.prescriptions_dialog import PrescriptionsDialog

        dialog = PrescriptionsDialog(window.ctx, chart().patient_id, chart().details.display_name, window)
        dialog.show()
        QTimer.singleShot(1000, lambda: dialog_shot("dialog-prescriptions", dialog))

    if args.units:
        units_steps(later, shot, search, open_first, tab, window, dialog_shot, app,
                    admin=args.user.startswith("admin"))
    elif args.guide:
        guide_steps(args.guide, later, shot, search, open_first, tab, window, dialog_shot, app)
    else:
        full_tour(later, shot, search, open_first, tab, problem_dialog, vitals_form, new_note, note_marked_fields,
                  prescriptions, app)

    def start() -> None:  # the steps' times count from the login (a busy machine logs in slowly)
        if window.workspace is None:
            QTimer.singleShot(200, start)
            return
        for ms, fn in steps:
            QTimer.singleShot(ms - 2000, fn)

    QTimer.singleShot(200, start)
    return app.exec()


def guide_steps(role, later, shot, search, open_first, tab, window, dialog_shot, app) -> None:
    """The pictures each role's guide shows (resources/guides/*.md)."""
    from PySide6.QtCore import QTimer

    later(2500, search)
    if role == "front_desk":
        later(3500, lambda: shot("front-desk-search"))
    elif role == "nurse":
        later(3700, open_first)
        later(5500, tab("vitals"))
        later(7500, lambda: shot("nurse-vitals"))
    elif role == "physician":
        later(3700, open_first)
        later(6500, lambda: shot("physician-summary"))
    else:
        def users() -> None:
            from desktop.views.admin.users_dialog import UsersDialog

            dialog = UsersDialog(window.ctx, window)
            dialog.show()
            QTimer.singleShot(1500, lambda: dialog_shot("admin-users", dialog))

        def restore_database() -> None:  # with a backup chosen, as the administrator sees it before confirming
            import tempfile

            from desktop.views.admin.restore_dialog import RestoreDialog

            backup = Path(tempfile.mkdtemp()) / "clinic-2026-12-04.db"
            window.ctx.db.backup_to(backup)
            dialog = RestoreDialog(window.ctx, window)
            dialog.show()
            dialog.file_edit.setText(str(backup))
            dialog.check()
            QTimer.singleShot(1500, lambda: dialog_shot("admin-restore", dialog))

        later(3000, users)
        later(5500, restore_database)
    later(9000, app.quit)


def units_steps(later, shot, search, open_first, tab, window, dialog_shot, app, *, admin: bool) -> None:
    """Issue 14.7: vitals in the practice's units (a US practice: °F, lb, in) and where they are chosen."""
    from PySide6.QtCore import QTimer

    def open_dialog(name: str, make) -> None:
        dialog = make()
        dialog.show()
        QTimer.singleShot(1500, lambda: dialog_shot(name, dialog))

    if admin:
        from desktop.views.admin.settings_dialog import SettingsDialog

        later(3000, lambda: open_dialog("dialog-settings", lambda: SettingsDialog(window.ctx, window)))
        later(6000, app.quit)
        return
    from desktop.views.preferences_dialog import PreferencesDialog

    later(2500, search)
    later(3700, open_first)
    later(5200, lambda: shot("chart-summary-us-units"))
    later(5500, tab("vitals"))
    later(6000, lambda: window.workspace.current_chart().page("vitals").groups.setCurrentRow(3))  # temperature
    later(7500, lambda: shot("chart-vitals-us-units"))
    later(8000, lambda: open_dialog("dialog-preferences", lambda: PreferencesDialog(window.ctx, window)))

    def vitals_form() -> None:  # the nurse types °F / lb / in by default
        page = window.workspace.current_chart().page("vitals")
        page.record()
        QTimer.singleShot(2000, lambda: dialog_shot("dialog-vitals-us-units", page.form))

    later(10500, vitals_form)
    later(14000, app.quit)


def full_tour(later, shot, search, open_first, tab, problem_dialog, vitals_form, new_note,
              note_marked_fields, prescriptions, app) -> None:
    later(2500, search)
    later(3500, lambda: shot("main-window"))
    later(3700, open_first)
    later(5500, lambda: shot("chart-summary"))
    keys = ("problems", "medications", "allergies", "immunizations", "vitals", "encounters", "demographics")
    for i, key in enumerate(keys):
        later(6000 + i * 1500, tab(key))
        later(6000 + i * 1500 + 1200, lambda k=key: shot(f"chart-{k}"))
    t = 6000 + len(keys) * 1500
    later(t, tab("problems"))
    later(t + 500, problem_dialog)
    later(t + 3000, tab("vitals"))
    later(t + 3500, vitals_form)
    later(t + 5500, tab("encounters"))
    later(t + 6500, new_note)
    later(t + 10000, note_marked_fields)
    later(t + 10500, prescriptions)
    later(t + 13000, app.quit)


if __name__ == "__main__":
    sys.exit(main())

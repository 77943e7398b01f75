"""Issue 14 points 9 and 22: every window fits a 1280x720 laptop with a title bar and a panel (usable height
1280x660): the note editor forced an 832-px minimum height; the PHR dialog asked for 1200x760 and the main window
1200x780, and Merge could fall off the screen. Each top-level window and dialog is opened, shown on that screen,
and its size, minimum size and key buttons (Merge, Save, Sign, Print...) checked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from PySide6.QtCore import QRect
from PySide6.QtWidgets import QAbstractButton, QDialogButtonBox, QWidget

from desktop.widgets.screen_fit import SMALLEST_SCREEN, WINDOW_FRAME, fit_into, free_area
from tests.conftest import SAMPLES, user_for

pytestmark = pytest.mark.gui

FREE_WIDTH, FREE_HEIGHT = SMALLEST_SCREEN.width(), SMALLEST_SCREEN.height() - WINDOW_FRAME


def test_the_usable_area_is_a_laptop_less_its_title_bar_and_panel():
    assert (FREE_WIDTH, FREE_HEIGHT) == (1280, 660)


@dataclass
class Opened:
    window: QWidget
    keys: tuple[str | Callable[[QWidget], QWidget], ...]  # the buttons that must stay on screen (attribute names)


def fits(qtbot, opened: Opened) -> None:
    """The window can be as small as the laptop's free area, is once shown there, and its key buttons (and every
    dialog button) lie inside it."""
    window = opened.window
    name = type(window).__name__
    screen = free_area(window)  # as shown: never taller than the screen it opened on, less its frame
    assert window.height() <= screen.height() - WINDOW_FRAME, \
        f"{name} opened at {window.width()}x{window.height()} on a {screen.width()}x{screen.height()} screen"
    hint = window.minimumSizeHint().expandedTo(window.minimumSize())
    assert hint.width() <= FREE_WIDTH and hint.height() <= FREE_HEIGHT, f"{name} needs at least {hint.width()}x" \
        f"{hint.height()}"
    window.resize(FREE_WIDTH, FREE_HEIGHT)  # as large as the laptop allows, then as the window wants
    fit_into(window, SMALLEST_SCREEN)
    qtbot.wait(5)
    assert window.width() <= FREE_WIDTH and window.height() <= FREE_HEIGHT, name
    inside = QRect(0, 0, window.width(), window.height())
    buttons = [b for box in window.findChildren(QDialogButtonBox) if box.isVisibleTo(window)
               for b in box.buttons() if b.isVisibleTo(window)]
    for key in opened.keys:
        target = key(window) if callable(key) else getattr(window, key)
        assert target.isVisibleTo(window), f"{name}: '{_text(target)}' is hidden"
        buttons.append(target)
    for button in buttons:
        rect = QRect(button.mapTo(window, button.rect().topLeft()), button.size())
        assert inside.contains(rect), f"{name}: '{_text(button)}' at {rect.getRect()} is off a {inside.size()} window"


def _text(button: QAbstractButton) -> str:
    return button.text().replace("&", "")


@pytest.fixture
def harold(add_patient, db):
    from desktop.services import encounters, vitals

    p = add_patient(given="Harold", family="Bennett", birth_date=date(1948, 2, 3), sex="male")
    with db.uow(user_for("physician")) as uow:
        e = encounters.create_encounter(uow, p.id, encounters.EncounterInput(template="hypertension_followup"))
        vitals.record_vitals(uow, p.id, vitals.VitalsInput(systolic=150, diastolic=92))
    return p, e


# ------------------------------------------------------------------ the windows


def main_window_with_a_note(qtbot, ctx, harold, db) -> Opened:
    from desktop.views.main_window import MainWindow

    p, e = harold
    window = MainWindow(ctx("physician"))
    qtbot.addWidget(window)
    window.show()
    view = window.open_chart(p.id)
    for spec in view.specs:
        view.show_tab(spec.key)
    view.show_tab("encounters")
    page = view.page("encounters")
    page.open_encounter(e.id)
    qtbot.waitUntil(lambda: page.editor.isVisible() and page.editor.encounter_id == e.id, timeout=10000)
    editor = page.editor
    return Opened(window, (lambda _w: editor.sign_button, lambda _w: editor.save_button))


def prescription_editor(qtbot, ctx, harold, db) -> Opened:
    from desktop.views.prescription_editor import PrescriptionEditor, services_for

    p, _e = harold
    c = ctx("physician")
    return Opened(PrescriptionEditor(services_for(c.ops, p.id), "Bennett, Harold"), ("save_button", "sign_button"))


def prescriptions_dialog(qtbot, ctx, harold, db) -> Opened:
    from desktop.views.prescriptions_dialog import PrescriptionsDialog

    return Opened(PrescriptionsDialog(ctx("physician"), harold[0].id, "Bennett, Harold"), ("print_button",))


def pdf_preview(qtbot, ctx, harold, db) -> Opened:
    import io

    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    from desktop.views.pdf_preview import PdfPreviewDialog

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=letter)  # a letter page: the preview asked for 820x960
    page.drawString(72, 720, "Bennett, Harold: patient summary")
    page.showPage()
    page.save()
    return Opened(PdfPreviewDialog(out.getvalue(), "Patient summary"), ("print_button", "save_button"))


def conflict_dialog(qtbot, ctx, harold, db) -> Opened:
    from desktop.services.errors import ConflictError
    from desktop.views.conflict_dialog import ConflictDialog

    fields = {f"field_{n}": f"my value {n}" for n in range(30)}  # a long form: the rows scroll, the buttons stay
    conflict = ConflictError("patient", harold[0].id, fields, {k: v.replace("my", "their") for k, v in fields.items()},
                             2, "Nora Quinn, RN")
    return Opened(ConflictDialog(conflict, {k: k.replace("_", " ") for k in fields}), ("save_button",))


def alert_dialog_merge(qtbot, ctx, harold, db) -> Opened:
    from desktop.alerts.model import Alert
    from desktop.services.alerts import OVERRIDE_REASONS
    from desktop.widgets.alert_dialog import AlertDialog

    alerts = [Alert(kind="interaction", severity="major", drugs=(f"drug {n}", "warfarin"), key=f"k{n}",
                    message=f"Drug {n} + warfarin: bleeding risk", why="Both raise the bleeding risk. " * 4,
                    management="Avoid the combination or monitor INR closely. " * 3, source="test source")
              for n in range(6)]
    return Opened(AlertDialog(alerts, True, OVERRIDE_REASONS, wording="merge"),
                  ("cancel_button", "override_button", "leave_out_button"))


def alert_dialog_order(qtbot, ctx, harold, db) -> Opened:
    from desktop.alerts.model import Alert
    from desktop.services.alerts import OVERRIDE_REASONS
    from desktop.widgets.alert_dialog import AlertDialog

    alerts = [Alert(kind="interaction", severity="major", drugs=(f"drug {n}", "warfarin"), key=f"k{n}",
                    message=f"Drug {n} + warfarin: bleeding risk", why="Both raise the bleeding risk. " * 4)
              for n in range(6)]
    return Opened(AlertDialog(alerts, True, OVERRIDE_REASONS), ("cancel_button", "override_button"))


def phr_import_dialog(qtbot, ctx, harold, db) -> Opened:
    from desktop.views.phr_import_dialog import PhrImportDialog

    dialog = PhrImportDialog(ctx("physician"), harold[0].id,
                             SAMPLES / "synthea/Reyna_Ziemann_08f8bfce-34cf-4b5a-a398-8e49650c6e3c.json")
    dialog.show()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 2, timeout=30000)
    dialog.confirm_identity.setChecked(True)
    return Opened(dialog, ("apply_button", "cancel_button"))


def registration(qtbot, ctx, harold, db) -> Opened:
    from desktop.views.patient_dialog import PatientDialog

    return Opened(PatientDialog(ctx("front_desk")), ("save_button",))


def demographics(qtbot, ctx, harold, db) -> Opened:
    from desktop.views.patient_dialog import PatientDialog

    return Opened(PatientDialog(ctx("front_desk"), harold[0]), ("save_button",))


def settings_dialog(qtbot, ctx, harold, db) -> Opened:
    from desktop.views.admin.settings_dialog import SettingsDialog

    return Opened(SettingsDialog(ctx("admin")), ("save_button",))


def users_dialog(qtbot, ctx, harold, db) -> Opened:
    from desktop.views.admin.users_dialog import UsersDialog

    return Opened(UsersDialog(ctx("admin")), ("add_button", "reset_button"))


def add_user_dialog(qtbot, ctx, harold, db) -> Opened:
    from desktop.views.admin.users_dialog import AddUserDialog

    return Opened(AddUserDialog(ctx("admin")), ("save_button",))


def audit_dialog(qtbot, ctx, harold, db) -> Opened:
    from desktop.views.admin.audit_dialog import AuditReportDialog

    return Opened(AuditReportDialog(ctx("admin")), ("search_button", "export_button"))


def password_dialog(qtbot, ctx, harold, db) -> Opened:
    from desktop.views.admin.password_dialog import ChangePasswordDialog

    return Opened(ChangePasswordDialog(ctx("nurse")), ())


def restore_dialog(qtbot, ctx, harold, db) -> Opened:
    from desktop.views.admin.restore_dialog import RestoreDialog

    dialog = RestoreDialog(ctx("admin"))
    if dialog.server:  # on PostgreSQL: the server's restore steps, and Close
        return Opened(dialog, ())
    dialog.passphrase.setVisible(True)  # at its tallest: the passphrase row shown for a backup with another key
    return Opened(dialog, ("restore_button", "choose_button", "confirm"))


WINDOWS: dict[str, Callable[..., Opened]] = {f.__name__: f for f in (
    main_window_with_a_note, prescription_editor, prescriptions_dialog, pdf_preview, conflict_dialog,
    alert_dialog_merge, alert_dialog_order, phr_import_dialog, registration, demographics, settings_dialog,
    users_dialog, add_user_dialog, audit_dialog, password_dialog, restore_dialog)}


@pytest.mark.parametrize("name", list(WINDOWS))
def test_window_fits_a_1280x720_laptop(qtbot, app_ctx, harold, db, name):
    opened = WINDOWS[name](qtbot, app_ctx, harold, db)
    window = opened.window
    qtbot.addWidget(window)
    window.show()
    qtbot.wait(5)
    fits(qtbot, opened)
    if hasattr(window, "reject"):
        window.reject()


def test_chart_entry_dialogs(qtbot, app_ctx, harold, db):
    """The chart's smaller forms (problem, medication, allergy, immunization, vitals, visit, addendum...)."""
    from desktop.services import encounters, vitals
    from desktop.views.chart.allergies_tab import AllergyDialog
    from desktop.views.chart.base import ChartContext
    from desktop.views.chart.encounters_tab import NewEncounterDialog
    from desktop.views.chart.immunizations_tab import ImmunizationDialog
    from desktop.views.chart.medications_tab import MedicationDialog
    from desktop.views.chart.problems_tab import ProblemDialog
    from desktop.views.note_editor import AddendumDialog, NewProblemDialog, VisitDialog
    from desktop.views.vitals_form import VitalsForm

    p, e = harold
    ctx = app_ctx("physician")
    chart = ChartContext(app=ctx, patient_id=p.id, refresh_banner=lambda: None)
    with db.uow(user_for("physician")) as uow:
        providers = encounters.list_providers(uow)
        details = encounters.get_encounter(uow, e.id)
        intake = vitals.intake_context(uow, p.id)
    windows = [
        ProblemDialog(chart), MedicationDialog(chart), AllergyDialog(chart, None, []), ImmunizationDialog(chart),
        VitalsForm(ctx, intake, "Bennett, Harold"), NewEncounterDialog(ctx, p.id, providers),
        VisitDialog(ctx, details, details.version, providers), AddendumDialog(), NewProblemDialog("htn"),
    ]
    for window in windows:
        qtbot.addWidget(window)
        window.show()
        fits(qtbot, Opened(window, ()))
        window.reject()

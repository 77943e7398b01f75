"""Chart menu entries for prescribing and printing (installed by menu_hooks)."""

from __future__ import annotations

from desktop.services.permissions import Permission


def install(window) -> None:
    ctx = window.ctx
    menu = window.chart_menu
    menu.addSeparator()

    def current():
        chart = window.workspace.current_chart() if window.workspace else None
        if chart is None or chart.details is None:
            ctx.messages.info(window, window.tr("Open a patient's chart first."))
            return None
        return chart

    def prescriptions() -> None:
        from .prescriptions_dialog import open_prescriptions

        chart = current()
        if chart is not None:
            open_prescriptions(ctx, chart.patient_id, chart.details.display_name, window)

    def new_prescription() -> None:
        from .prescription_editor import open_prescription_editor

        chart = current()
        if chart is not None:
            open_prescription_editor(ctx, chart.patient_id, chart.details.display_name, parent=window)

    def print_summary() -> None:
        from desktop.services import documents

        from .pdf_preview import show_document

        chart = current()
        if chart is not None:
            show_document(ctx, documents.summary_document, chart.details.mrn, parent=window)

    def print_note() -> None:
        from desktop.services import documents

        from .pdf_preview import show_document

        chart = current()
        if chart is None:
            return
        page = chart.page("encounters")
        encounter_id = getattr(page, "current_encounter_id", lambda: None)() if page else None
        if encounter_id is None:
            ctx.messages.info(window, window.tr("Open the encounter to print in the Encounters tab first."))
            return
        show_document(ctx, documents.note_document, encounter_id, parent=window)

    window._action(menu, window.tr("&Prescriptions…"), prescriptions, "Ctrl+Shift+P",
                   ctx.can(Permission.PRINT) or ctx.can(Permission.PRESCRIBE), name="actPrescriptions")
    if ctx.can(Permission.PRESCRIBE):
        window._action(menu, window.tr("New p&rescription…"), new_prescription, "Ctrl+Shift+R",
                       name="actNewPrescription")
    window._action(menu, window.tr("Print patient &summary…"), print_summary, "Ctrl+P",
                   ctx.can(Permission.PRINT), name="actPrintSummary")
    if ctx.can(Permission.VIEW_CHART):
        window._action(menu, window.tr("Print encounter &note…"), print_note, "Ctrl+Shift+O", ctx.can(Permission.PRINT),
                       name="actPrintNote")

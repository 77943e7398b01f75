"""Chart menu entries for PHR import, import history (undo) and FHIR export (installed by menu_hooks)."""

from __future__ import annotations

from desktop.services.permissions import Permission


def install(window) -> None:
    ctx = window.ctx
    if not (ctx.can(Permission.IMPORT_PHR_VITALS) or ctx.can(Permission.IMPORT_PHR_CLINICAL)):
        return
    menu = window.chart_menu
    menu.addSeparator()

    def current():
        chart = window.workspace.current_chart() if window.workspace else None
        if chart is None or chart.details is None:
            ctx.messages.info(window, window.tr("Open a patient's chart first."))
        return chart

    def import_file() -> None:
        from .phr_import_dialog import choose_and_import

        chart = current()
        if chart is not None:
            choose_and_import(ctx, chart.patient_id, window)

    def history() -> None:
        from .phr_import_dialog import PhrImportHistoryDialog

        chart = current()
        if chart is not None:
            PhrImportHistoryDialog(ctx, chart.patient_id, window).open()

    def export() -> None:
        from PySide6.QtWidgets import QFileDialog

        from .phr_import_dialog import export_chart

        chart = current()
        if chart is None:
            return
        name = f"{chart.details.mrn}-{chart.details.data.family_name}.fhir.json".replace(" ", "_")
        path, _filter = QFileDialog.getSaveFileName(window, window.tr("Export chart as FHIR"), name,
                                                    "FHIR JSON (*.json)")
        if path:
            export_chart(ctx, chart.patient_id, path, window)

    window._action(menu, window.tr("&Import health record (PHR)…"), import_file, "Ctrl+I", name="actImportPhr")
    window._action(menu, window.tr("PHR import &history…"), history, name="actPhrHistory")
    if ctx.can(Permission.VIEW_CHART):
        window._action(menu, window.tr("E&xport chart as FHIR…"), export, name="actExportFhir")

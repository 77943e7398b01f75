"""The Admin menu's entries (installed by menu_hooks after the menus are built; only what the role may do)."""

from __future__ import annotations

from desktop.services.permissions import Permission


def install(window) -> None:
    ctx = window.ctx
    menu = getattr(window, "admin_menu", None)
    if ctx is None or menu is None:
        return

    # each screen opens window-modal with open() (no nested event loop); window.admin_dialog is the last one
    def show(dialog) -> None:
        window.admin_dialog = dialog
        dialog.open()

    def users() -> None:
        from .admin.users_dialog import UsersDialog

        show(UsersDialog(ctx, window))

    def practice_settings() -> None:
        from .admin.settings_dialog import SettingsDialog

        dialog = SettingsDialog(ctx, window)
        dialog.sig_saved.connect(window.set_practice_name)
        show(dialog)

    def audit_report() -> None:
        from .admin.audit_dialog import AuditReportDialog

        show(AuditReportDialog(ctx, window))

    def backup() -> None:
        from .admin.backup_runner import BackupRunner

        window.backup_runner = BackupRunner(ctx, window)  # tests drive it
        window.backup_runner.choose_and_start()

    def restore_database() -> None:
        from .admin.restore_dialog import RestoreDialog

        ws = window.workspace
        dialog = RestoreDialog(ctx, window, before_start=ws.close_all_charts if ws is not None else None)
        dialog.sig_restored.connect(lambda _done: window.sig_database_replaced.emit())
        show(dialog)

    def key() -> None:
        from .admin.key_dialog import DatabaseKeyDialog

        show(DatabaseKeyDialog(ctx, window))

    entries = (
        (Permission.MANAGE_USERS, window.tr("&Users…"), users, "actAdminUsers"),
        (Permission.MANAGE_SETTINGS, window.tr("&Practice settings…"), practice_settings, "actAdminSettings"),
        (Permission.VIEW_AUDIT, window.tr("&Audit report…"), audit_report, "actAdminAudit"),
        (Permission.MANAGE_SETTINGS, window.tr("&Back up database…"), backup, "actAdminBackup"),
        (Permission.MANAGE_SETTINGS, window.tr("&Restore database…"), restore_database, "actAdminRestore"),
        (Permission.MANAGE_SETTINGS, window.tr("Database &key…"), key, "actAdminKey"),
    )
    for permission, text, slot, name in entries:
        if ctx.can(permission):
            window._action(menu, text, slot, name=name)

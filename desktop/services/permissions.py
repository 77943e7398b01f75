"""Roles and what each may do (DESIGN.md's matrix). Checked in services, mirrored in the GUI."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PHYSICIAN = "physician"
    NURSE = "nurse"
    FRONT_DESK = "front_desk"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {"physician": "Physician", "nurse": "Nurse", "front_desk": "Front desk", "admin": "Administrator"}[
            self.value
        ]


class Permission(StrEnum):
    VIEW_DEMOGRAPHICS = "view_demographics"
    EDIT_DEMOGRAPHICS = "edit_demographics"
    VIEW_CHART = "view_chart"  # clinical lists and notes
    EDIT_CHART = "edit_chart"  # problems, meds, allergies, immunizations, vitals
    DRAFT_NOTE = "draft_note"
    SIGN_NOTE = "sign_note"
    PRESCRIBE = "prescribe"
    PRINT = "print"  # print and reprint existing documents
    OVERRIDE_ALERT = "override_alert"
    IMPORT_PHR_CLINICAL = "import_phr_clinical"
    IMPORT_PHR_VITALS = "import_phr_vitals"
    RECORD_HISTORY = "record_history"  # procedures and family history (nurses record social history only)
    MANAGE_USERS = "manage_users"
    MANAGE_SETTINGS = "manage_settings"
    VIEW_AUDIT = "view_audit"


P = Permission
MATRIX: dict[Role, frozenset[Permission]] = {
    Role.PHYSICIAN: frozenset({
        P.VIEW_DEMOGRAPHICS, P.EDIT_DEMOGRAPHICS, P.VIEW_CHART, P.EDIT_CHART, P.DRAFT_NOTE, P.SIGN_NOTE,
        P.PRESCRIBE, P.PRINT, P.OVERRIDE_ALERT, P.IMPORT_PHR_CLINICAL, P.IMPORT_PHR_VITALS, P.RECORD_HISTORY,
    }),
    Role.NURSE: frozenset({
        P.VIEW_DEMOGRAPHICS, P.EDIT_DEMOGRAPHICS, P.VIEW_CHART, P.EDIT_CHART, P.DRAFT_NOTE, P.PRINT,
        P.IMPORT_PHR_VITALS,
    }),
    Role.FRONT_DESK: frozenset({P.VIEW_DEMOGRAPHICS, P.EDIT_DEMOGRAPHICS, P.PRINT}),
    Role.ADMIN: frozenset({P.VIEW_DEMOGRAPHICS, P.MANAGE_USERS, P.MANAGE_SETTINGS, P.VIEW_AUDIT}),
}

DENIED_MESSAGES: dict[Permission, str] = {
    P.VIEW_CHART: "only clinical staff may open the clinical chart",
    P.EDIT_CHART: "only clinical staff may change the chart",
    P.SIGN_NOTE: "only a physician may sign a note",
    P.PRESCRIBE: "only a physician may write or sign a prescription",
    P.OVERRIDE_ALERT: "only a physician may override an alert",
    P.IMPORT_PHR_CLINICAL: "only a physician may merge clinical items from a PHR file",
    P.RECORD_HISTORY: "only a physician may record procedures and family history",
    P.MANAGE_USERS: "only an administrator may manage users",
    P.MANAGE_SETTINGS: "only an administrator may change practice settings",
    P.VIEW_AUDIT: "only an administrator may read the audit log",
}


def allowed(role: str, permission: Permission) -> bool:
    try:
        return permission in MATRIX[Role(role)]
    except ValueError:
        return False

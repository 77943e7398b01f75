"""Alerts that come from the histories, for the one alert check (services/alerts.check_for_patient): a current
smoker over 35 on a combined hormonal contraceptive raises the products' boxed warning. The rule itself is the
pure function desktop.alerts.smoking_contraceptive.check; this module only reads the chart for it."""

from __future__ import annotations

import logging

from desktop.alerts import Alert
from desktop.alerts.model import AlertContext
from desktop.alerts.smoking_contraceptive import check
from desktop.kb.errors import KnowledgeBaseError

from .permissions import Permission
from .social_history import _list, current
from .uow import UnitOfWork

log = logging.getLogger(__name__)


def smoking_contraceptive_alerts(uow: UnitOfWork, patient_id: int, context: AlertContext) -> tuple[list[Alert], list[str]]:
    """(alerts, what could not be checked) for the drugs of `context` (the proposed one, else the active list)."""
    uow.require(Permission.VIEW_CHART)
    drugs = context.proposed or context.active_meds
    if not drugs:
        return [], []
    smoking = current(_list(uow, patient_id)).get("smoking")
    try:
        return check(context.age_years, context.sex, smoking.smoking_group if smoking else "", drugs), []
    except KnowledgeBaseError as exc:  # never silent: the check says it did not run
        log.error("smoking / contraceptive check not run: %s", exc)
        return [], [f"smoking and combined contraceptive check (its rule could not load: {exc})"]

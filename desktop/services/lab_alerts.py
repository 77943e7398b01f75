"""Laboratory alerts for the one alert check: drug-lab rules (potassium-raising drugs with K >= 5.5, metformin
with eGFR < 30, warfarin with INR >= 4) as engine Alerts, so ordering, prescribing and the chart's alert list
decide on them like on any other alert. Critical values on arrival are returned by the results service.

Never silent: when the lab rules or the catalog cannot load, the check says so ("not checked"), and a result
in a unit the rule cannot convert is named.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from desktop.alerts import Alert, DrugRef
from desktop.alerts.labs import LabAlert, check_drug_labs
from desktop.kb.errors import KnowledgeBaseError

from .permissions import Permission
from .uow import UnitOfWork

log = logging.getLogger(__name__)


def as_alert(a: LabAlert) -> Alert:
    v = a.value
    when = f" ({v.collected_at:%Y-%m-%d})" if v.collected_at else ""
    return Alert(
        kind=a.kind, severity=a.severity, message=a.message, drugs=(a.drug,) if a.drug else (),
        values={"test": v.name, "value": v.value, "unit": v.unit, "loinc": v.loinc},
        management=("Review the latest result" + when + " before ordering; repeat the test if it is not recent.")
        if a.kind == "drug-lab" else "Review the patient now.",
        source=a.source, key=a.key, why=f"latest {v.name}: {v.value:g} {v.unit}{when}".strip(), rule_id=a.rule_id)


def drug_lab_alerts(uow: UnitOfWork, patient_id: int, drugs: Iterable[DrugRef]) -> tuple[list[Alert], list[str]]:
    """(alerts, what could not be checked) for these drugs against the chart's latest results."""
    from .results import latest_values

    uow.require(Permission.VIEW_CHART)
    drugs = list(drugs)
    if not drugs:
        return [], []
    try:
        latest = latest_values(uow, patient_id)
    except KnowledgeBaseError as exc:
        log.error("drug-lab checks not run: %s", exc)
        return [], [f"drug-lab checks (the lab catalog could not load: {exc})"]
    check = check_drug_labs([(d.name, d.ingredients) for d in drugs], latest)
    return [as_alert(a) for a in check.alerts], list(check.not_checked)

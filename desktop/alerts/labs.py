"""Laboratory alert rules as pure functions: critical values on arrival, drug-lab checks at order time.

Thresholds and rules come from resources/kb/lab_alerts.json (each with its source). When the rules cannot be
loaded, or a value's unit cannot be converted to the rule's unit, the result says "not checked" with the
reason: a check that could not run is never reported as a pass. No Qt, no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from desktop.alerts.model import severity_rank
from desktop.kb import lab_units
from desktop.kb.errors import KnowledgeBaseError
from desktop.kb.labs import CriticalRule, DrugLabRule, catalog, rules
from desktop.kb.text import fold


@dataclass(frozen=True, slots=True)
class LabValue:
    """One numeric result as the rules see it."""

    loinc: str
    name: str
    value: float
    unit: str
    collected_at: datetime | None = None
    result_id: int | None = None


@dataclass(frozen=True, slots=True)
class LabAlert:
    kind: str  # "critical-lab" | "drug-lab"
    rule_id: str
    severity: str  # "critical" for a critical value; the rule's severity for drug-lab
    message: str
    source: str
    value: LabValue
    drug: str = ""

    # read like the engine's Alert wherever alerts are listed, sorted or shown (AlertCheck, AlertDialog, CLI)
    @property
    def drugs(self) -> tuple[str, ...]:
        return (self.drug,) if self.drug else ()

    med_ids: tuple[int, ...] = ()
    allergen = None
    management = "Review the patient now."

    @property
    def why(self) -> str:
        v = self.value
        when = f" collected {v.collected_at:%Y-%m-%d %H:%M}" if v.collected_at else ""
        return f"{v.name} {v.value:g} {v.unit}{when}".strip()

    @property
    def rank(self) -> int:
        return severity_rank(self.severity) if self.severity != "critical" else -1  # before contraindicated

    def sort_key(self) -> tuple:
        return (self.rank, self.message.casefold(), self.key)

    def interrupts(self, severities=()) -> bool:
        """Only the practice's order severities stop an order; a critical value is shown by its own modal
        (information: Close only) where it arrives."""
        return self.severity in set(severities)

    @property
    def key(self) -> str:
        """What an override names: the rule and the result (or the drug and the rule)."""
        if self.kind == "drug-lab":
            return f"drug-lab|{self.rule_id}|{fold(self.drug)}|{self.value.result_id or ''}"
        return f"critical-lab|{self.rule_id}|{self.value.result_id or ''}"


@dataclass(frozen=True, slots=True)
class LabCheck:
    alerts: tuple[LabAlert, ...] = ()
    not_checked: tuple[str, ...] = ()  # sentences: what could not be checked and why

    @property
    def complete(self) -> bool:
        return not self.not_checked


def analyte_of(loinc: str, name: str = "") -> str:
    test = catalog().find(loinc, name)
    return test.analyte if test else ""


def _fmt(v: float) -> str:
    return f"{v:g}"


def check_critical(values: Iterable[LabValue]) -> LabCheck:
    """Critical values among newly arrived results. Never silent: a broken rule file is reported."""
    try:
        crit, _ = rules()
        by_analyte: dict[str, CriticalRule] = {r.analyte: r for r in crit}
    except KnowledgeBaseError as exc:
        return LabCheck(not_checked=(f"critical lab values not checked: {exc}",))
    alerts: list[LabAlert] = []
    missed: list[str] = []
    for v in values:
        try:
            analyte = analyte_of(v.loinc, v.name)
        except KnowledgeBaseError as exc:
            return LabCheck(not_checked=(f"critical lab values not checked: {exc}",))
        rule = by_analyte.get(analyte)
        if rule is None:
            continue
        try:
            x = lab_units.convert(analyte, v.value, v.unit, rule.unit)
        except lab_units.UnknownLabUnit:
            missed.append(f"{v.name} {_fmt(v.value)} {v.unit}: unit not convertible to {rule.unit}; "
                          "not checked for a critical value")
            continue
        shown = f"{_fmt(v.value)} {v.unit}".strip()
        if rule.low is not None and x <= rule.low:
            alerts.append(LabAlert("critical-lab", rule.id, "critical",
                                   f"Critical {rule.label.lower()} {shown} (critical at or below {_fmt(rule.low)} "
                                   f"{rule.unit})", rule.source, v))
        elif rule.high is not None and x >= rule.high:
            alerts.append(LabAlert("critical-lab", rule.id, "critical",
                                   f"Critical {rule.label.lower()} {shown} (critical at or above {_fmt(rule.high)} "
                                   f"{rule.unit})", rule.source, v))
    return LabCheck(tuple(alerts), tuple(missed))


def check_drug_labs(drugs: Iterable[tuple[str, Iterable[str]]], latest: dict[str, LabValue]) -> LabCheck:
    """Drug-lab rules for the drugs being ordered: (drug name, its lower-case ingredients) against the latest
    result of each analyte (analyte -> value). An absent result is not an alert; an unloadable rule file is
    reported."""
    try:
        _, drug_rules = rules()
    except KnowledgeBaseError as exc:
        return LabCheck(not_checked=(f"drug-lab checks not run: {exc}",))
    alerts: list[LabAlert] = []
    missed: list[str] = []
    for drug, ingredients in drugs:
        folded = {fold(i) for i in ingredients} | {fold(drug)}
        for rule in drug_rules:
            if not folded & set(rule.ingredients):
                continue
            v = latest.get(rule.analyte)
            if v is None:
                continue
            alert = _drug_rule(rule, drug, v, missed)
            if alert is not None:
                alerts.append(alert)
    return LabCheck(tuple(alerts), tuple(missed))


def _drug_rule(rule: DrugLabRule, drug: str, v: LabValue, missed: list[str]) -> LabAlert | None:
    try:
        x = lab_units.convert(rule.analyte, v.value, v.unit, rule.unit)
    except lab_units.UnknownLabUnit:
        missed.append(f"{drug}: the latest {v.name} is in {v.unit!r}; the {rule.analyte} rule was not checked")
        return None
    hit = (rule.at_or_above is not None and x >= rule.at_or_above) or (rule.below is not None and x < rule.below)
    if not hit:
        return None
    when = f" on {v.collected_at:%Y-%m-%d}" if v.collected_at else ""
    shown = f"{_fmt(v.value)} {v.unit}".strip() + when
    return LabAlert("drug-lab", rule.id, rule.severity, rule.message.format(drug=drug, value=shown), rule.source,
                    v, drug=drug)

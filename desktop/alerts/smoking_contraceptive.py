"""Rule: a current smoker over 35 on a combined hormonal contraceptive (the products' boxed warning).

A pure function of the patient's age, sex, current smoking status and medication lists; the data (age, the
estrogens and progestins that make a contraceptive "combined", the warning text and its source) comes from
resources/kb/smoking_contraceptive_rule.json. Returns the engine's Alert, so every path that shows alerts
(the medication and prescription checks, the PHR merge, the chart's alert bar) can present it the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from desktop.kb.histories import SmokingContraceptiveRule, smoking_contraceptive_rule

from .model import Alert, DrugRef

KIND = "interaction"  # drug and patient state, shown and overridden like a drug interaction


def is_combined_hormonal_contraceptive(drug: DrugRef, rule: SmokingContraceptiveRule) -> bool:
    """An estrogen together with a progestin in one product (pill, patch or ring). A product written as a kind
    ("OCP", checked as its ethinyl estradiol) carries the progestin as a class: its progestin is not named."""
    ingredients = set(drug.ingredients)
    return bool(ingredients & set(rule.estrogens)) and (bool(ingredients & set(rule.progestins))
                                                         or "progestin" in drug.classes)


def check(age_years: float | None, sex: str | None, smoking_group: str, drugs: Iterable[DrugRef],
          rule: SmokingContraceptiveRule | None = None) -> list[Alert]:
    """One alert per combined hormonal contraceptive when the patient is over the age and currently smokes.

    smoking_group: current | former | never | unknown | "" (the latest smoking-status statement's group).
    An unknown age or a non-current smoking status raises nothing; sex "male" raises nothing (a contraceptive
    on a man's list is another problem)."""
    rule = rule or smoking_contraceptive_rule()
    if age_years is None or age_years <= rule.min_age_exclusive:
        return []
    if smoking_group not in rule.smoking_groups or (sex or "").lower() == "male":
        return []
    out = []
    seen: set[str] = set()
    for drug in drugs:
        if not is_combined_hormonal_contraceptive(drug, rule):
            continue
        key = f"{rule.rule_id}:{'+'.join(sorted(drug.ingredients))}"
        if key in seen:
            continue
        seen.add(key)
        out.append(Alert(
            kind=KIND, severity=rule.severity,
            message=f"{drug.name}: current smoker over {rule.min_age_exclusive:g} — combined hormonal "
                    "contraceptives are contraindicated (boxed warning)",
            drugs=(drug.name,), values={"age": age_years, "smoking": smoking_group},
            management=rule.management, source=rule.source, key=key, why=rule.warning, rule_id=rule.rule_id,
            med_ids=(drug.med_id,) if drug.med_id is not None else ()))
    return out

"""The smoking / combined hormonal contraceptive rule (boxed warning) as a pure function."""

from __future__ import annotations

from desktop.alerts.model import DrugRef
from desktop.alerts.smoking_contraceptive import check
from desktop.kb.histories import smoking_contraceptive_rule

PILL = DrugRef("norgestimate 0.25 MG / ethinyl estradiol 0.035 MG Oral Tablet", ("norgestimate", "ethinyl estradiol"),
               med_id=7)
RING = DrugRef("NuvaRing", ("etonogestrel", "ethinyl estradiol"))
MINIPILL = DrugRef("norethindrone 0.35 MG Oral Tablet", ("norethindrone",))
ESTRADIOL = DrugRef("estradiol 1 MG Oral Tablet", ("estradiol",))


def test_current_smoker_over_35_on_a_combined_pill_or_ring():
    alerts = check(36, "female", "current", [PILL, RING, MINIPILL, ESTRADIOL])
    assert [a.drugs for a in alerts] == [(PILL.name,), (RING.name,)]
    a = alerts[0]
    assert a.severity == "contraindicated" and "boxed warning" in a.message and a.med_ids == (7,)
    assert "CIGARETTE SMOKING AND SERIOUS CARDIOVASCULAR EVENTS" in a.why and "labeling" in a.source
    assert a.key == "smoking-chc-boxed-warning:ethinyl estradiol+norgestimate"


def test_no_alert_at_35_or_younger_when_not_smoking_or_unknown_age():
    assert check(35, "female", "current", [PILL]) == []  # "over 35"
    assert check(35.01, "female", "current", [PILL]) != []
    for group in ("former", "never", "unknown", ""):
        assert check(50, "female", group, [PILL]) == []
    assert check(None, "female", "current", [PILL]) == []
    assert check(50, "female", "current", [MINIPILL, ESTRADIOL]) == []


def test_rule_data_is_sourced():
    rule = smoking_contraceptive_rule()
    assert rule.min_age_exclusive == 35 and "ethinyl estradiol" in rule.estrogens and rule.source


def test_adding_a_combined_pill_for_a_smoker_over_35_needs_a_decision(as_role, add_patient):
    """Through the one alert check: the medication service refuses the save until a physician overrides."""
    from datetime import date

    from desktop.services import alerts
    from desktop.services import social_history as sh
    from desktop.services.alert_decisions import Decision, NeedsDecision
    from desktop.services.medications import MedicationInput, add_medication

    patient = add_patient(given="Ann", family="Smoker", birth_date=date(1980, 2, 1), sex="female")
    pill = MedicationInput(formulary_id="norgestimate-ee-0_25-0_035-tab", sig="1 tablet daily")
    with as_role("nurse") as uow:
        sh.add_entry(uow, patient.id, sh.SocialInput(kind="smoking", value_code="428041000124106"))
    with as_role("physician") as uow:
        refused = add_medication(uow, patient.id, pill)
    assert isinstance(refused, NeedsDecision)
    (alert,) = [a for a in refused.pending if a.rule_id == "smoking-chc-boxed-warning"]
    assert alert.severity == "contraindicated"
    with as_role("physician") as uow:
        add_medication(uow, patient.id, pill, Decision(overrides=((alert, "Benefit outweighs risk",
                                                                         "counselled on cessation"),)))
    with as_role("physician") as uow:  # overridden: quiet on the chart's list, kept in the override record
        check = alerts.check_for_patient(uow, patient.id)
        assert alert.key in {a.key for a in check.suppressed}
    with as_role("nurse") as uow:  # she stopped smoking: nothing to say any more
        sh.add_entry(uow, patient.id, sh.SocialInput(kind="smoking", value_code="8517006",
                                                     observed_date=date.today()))
    with as_role("physician") as uow:
        check = alerts.check_for_patient(uow, patient.id)
        assert not [a for a in (*check.alerts, *check.suppressed) if a.rule_id == "smoking-chc-boxed-warning"]

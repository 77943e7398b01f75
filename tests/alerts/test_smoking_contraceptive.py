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

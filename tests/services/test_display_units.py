"""Issue 14.7: a US practice read metric only (100.4 °F / 181 lb / 64 in shown as 38.0 °C / 82.1 kg / 162.6 cm).
The practice chooses US or metric display (by default from its address), each user may override it; the
chart keeps canonical UCUM values."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from desktop.kb.vitals import BMI, HEIGHT, PAIN, SPO2, SYSTOLIC, TEMPERATURE, WEIGHT
from desktop.models import Practice, Setting, VitalSign
from desktop.models.audit import AuditEntry
from desktop.services import display_units as du
from desktop.services.errors import PermissionDenied, ValidationError
from desktop.services.vitals import VitalsInput, record_vitals, summary_text, vitals_text_for_day
from tests.conftest import earlier_today


def test_the_same_stored_values_read_in_either_system():
    assert du.text(TEMPERATURE, 38.0, du.US) == "100.4 °F"
    assert du.text(WEIGHT, 82.1, du.US) == "181 lb"
    assert du.text(HEIGHT, 162.6, du.US) == "64 in"
    assert du.text(TEMPERATURE, 38.0, du.METRIC) == "38.0 °C"
    assert du.text(WEIGHT, 82.1, du.METRIC) == "82.1 kg"
    assert du.text(HEIGHT, 162.6, du.METRIC) == "162.6 cm"
    assert du.text(WEIGHT, 7.0, du.US) == "15.4 lb"  # an infant's weight keeps its decimal
    # the systems agree on these: the same text either way
    for loinc, value, shown in ((SYSTOLIC, 128, "128 mmHg"), (SPO2, 97, "97%"), (BMI, 31.07, "31.1 kg/m²"),
                                (PAIN, 3, "3/10")):
        assert du.text(loinc, value, du.US) == du.text(loinc, value, du.METRIC) == shown


def test_paper_for_a_pharmacy_shows_both_units():
    assert du.both(WEIGHT, 82.1, du.METRIC) == "82.1 kg (181 lb)"
    assert du.both(WEIGHT, 82.1, du.US) == "181 lb (82.1 kg)"
    assert du.both(HEIGHT, 162.6, du.US) == "64 in (162.6 cm)"
    assert du.both(SYSTOLIC, 120, du.US) == "120 mmHg"


def test_note_line_in_us_units_and_metric_unchanged():
    values = {SYSTOLIC: 150, "8462-4": 88, TEMPERATURE: 38.0, WEIGHT: 82.1, HEIGHT: 162.6}
    assert summary_text(values, system=du.US) == "BP 150/88 mmHg, Temp 100.4 °F, Wt 181 lb, Ht 64 in"
    assert summary_text(values) == "BP 150/88 mmHg, Temp 38.0 °C, Wt 82.1 kg, Ht 162.6 cm"


@pytest.mark.parametrize(("state", "postal", "system"), [
    ("IL", "62701", du.US), ("Texas", "", du.US), ("", "02139-4307", du.US), ("", "", du.US),
    ("ON", "K1A 0B1", du.METRIC), ("Bayern", "80331", du.METRIC), ("", "SW1A 1AA", du.METRIC),
])
def test_the_practice_address_decides_by_default(db, as_role, state, postal, system):
    with db.uow() as uow:
        p = uow.session.execute(select(Practice)).scalar_one()
        p.state, p.postal_code = state, postal
    with as_role("nurse") as uow:
        assert du.unit_system(uow) == du.practice_system(uow) == system


def test_a_users_own_choice_overrides_the_practice(db, as_role):
    with as_role("nurse") as uow:
        assert du.unit_system(uow) == du.US  # the test practice is in Springfield, IL
    with as_role("admin") as uow:
        du.set_practice_system(uow, du.METRIC)
    with as_role("nurse") as uow:
        assert du.unit_system(uow) == du.METRIC
        du.set_user_choice(uow, du.US)
    with as_role("nurse") as uow:
        assert (du.user_choice(uow), du.unit_system(uow)) == (du.US, du.US)
    with as_role("physician") as uow:  # another user still reads the practice's units
        assert du.unit_system(uow) == du.METRIC
    with as_role("nurse") as uow:
        du.set_user_choice(uow, du.FOLLOW_PRACTICE)
    with as_role("nurse") as uow:
        assert (du.user_choice(uow), du.unit_system(uow)) == (du.FOLLOW_PRACTICE, du.METRIC)
    with db.uow() as uow:
        keys = set(uow.session.execute(select(Setting.key)).scalars())
        audited = list(uow.session.execute(select(AuditEntry).where(AuditEntry.entity == "setting")).scalars())
    assert du.PRACTICE_KEY in keys and du.USER_KEY.format(id=2) not in keys
    assert len(audited) == 3  # practice metric, nurse US, nurse back to the practice


def test_only_an_administrator_sets_the_practice_units(as_role):
    with pytest.raises(PermissionDenied), as_role("nurse") as uow:
        du.set_practice_system(uow, du.METRIC)
    with pytest.raises(ValidationError), as_role("admin") as uow:
        du.set_practice_system(uow, "imperial")
    with pytest.raises(ValidationError), as_role("nurse") as uow:
        du.set_user_choice(uow, "kelvin")


def test_storage_stays_ucum_and_the_note_reads_the_writers_units(db, as_role, add_patient):
    p = add_patient(birth_date=date(1970, 1, 1))
    with as_role("nurse") as uow:
        record_vitals(uow, p.id, VitalsInput(temperature=100.4, temperature_unit="[degF]", weight=181,
                                             weight_unit="[lb_av]", height=64, height_unit="[in_i]",
                                             taken_at=earlier_today()))
    with db.uow() as uow:
        stored = {r.loinc: (round(r.value, 1), r.unit) for r in uow.session.execute(select(VitalSign)).scalars()}
    assert stored[TEMPERATURE] == (38.0, "Cel") and stored[WEIGHT] == (82.1, "kg") and stored[HEIGHT] == (162.6, "cm")
    with as_role("physician") as uow:
        line = vitals_text_for_day(uow, p.id, system=du.unit_system(uow))
    assert "Temp 100.4 °F (H), Wt 181 lb, Ht 64 in" in line


def test_vital_alerts_quote_the_readers_units_and_keep_their_key(db, as_role, add_patient):
    from desktop.services.alerts import check_for_patient

    p = add_patient(birth_date=date(1970, 1, 1))
    with as_role("nurse") as uow:
        us = [a for a in check_for_patient(uow, p.id, vitals={TEMPERATURE: 40.0}).alerts if a.kind == "vital"]
    with as_role("nurse") as uow:
        du.set_user_choice(uow, du.METRIC)
    with as_role("nurse") as uow:
        metric = [a for a in check_for_patient(uow, p.id, vitals={TEMPERATURE: 40.0}).alerts if a.kind == "vital"]
    assert len(us) == len(metric) == 1
    assert us[0].message.startswith("Body temperature 104.0 °F: ") and us[0].message.endswith("(>= 102.4 °F)")
    assert metric[0].message.startswith("Body temperature 40 °C: ") and metric[0].message.endswith("(>= 39.1)")
    assert us[0].key == metric[0].key and us[0].values == metric[0].values  # overrides and JSON stay canonical

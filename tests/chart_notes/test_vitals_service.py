"""Vital signs in the nurse's words: typed in any unit, stored as LOINC + UCUM, slips refused, flags by age."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, insert, select

from desktop.models import AlertOverride, AuditEntry, VitalSign
from desktop.services import alerts, vitals
from desktop.services.alert_decisions import Decision, NeedsDecision
from desktop.services.errors import NotFound, PermissionDenied, ValidationError
from desktop.services.vitals import VitalsInput


def stored(db, patient_id):
    with db.uow() as uow:
        rows = uow.session.execute(
            select(VitalSign).where(VitalSign.patient_id == patient_id).order_by(VitalSign.loinc)).scalars().all()
        return {r.loinc: (r.value, r.unit, r.entered_unit, r.origin) for r in rows}


def test_intake_in_imperial_units_is_stored_canonical_with_loinc_and_ucum(db, as_role, add_patient):
    p = add_patient(birth_date=date(1970, 1, 1))
    with as_role("nurse") as uow:
        saved = vitals.record_vitals(uow, p.id, VitalsInput(
            systolic=128, diastolic=78, heart_rate=72, resp_rate=16, temperature=98.6, temperature_unit="[degF]",
            spo2=98, weight=180, weight_unit="[lb_av]", height=70, height_unit="[in_i]", pain=3))
    rows = stored(db, p.id)
    assert rows["8480-6"] == (128, "mm[Hg]", "mm[Hg]", "clinic")
    assert rows["8462-4"][:2] == (78, "mm[Hg]")
    assert rows["8867-4"][:2] == (72, "/min")
    assert rows["9279-1"][:2] == (16, "/min")
    assert rows["8310-5"] == (37.0, "Cel", "[degF]", "clinic")
    assert rows["2708-6"][:2] == (98, "%")
    assert rows["29463-7"][0] == pytest.approx(81.647, abs=0.001) and rows["29463-7"][1:3] == ("kg", "[lb_av]")
    assert rows["8302-2"][:3] == (177.8, "cm", "[in_i]")
    assert rows["39156-5"][:2] == (25.8, "kg/m2")  # computed: 81.647 / 1.778^2
    assert rows["72514-3"][:2] == (3, "{score}")
    assert saved.flags == {"39156-5": "high"}  # BMI 25.8 is overweight; everything else normal
    with db.uow() as uow:
        sets = uow.session.execute(select(func.count(func.distinct(VitalSign.set_id)))).scalar()
        audit = uow.session.execute(select(AuditEntry).where(AuditEntry.entity == "vital_sign")).scalars().all()
    assert sets == 1
    assert [a.action for a in audit] == ["create"] and "BP 128/78 mmHg" in audit[0].summary


@pytest.mark.parametrize(("inp", "field", "words"), [
    (VitalsInput(systolic=1200, diastolic=80), "systolic", "1200 mmHg is not plausible"),
    (VitalsInput(weight=7000), "weight", "7000 kg is not plausible"),
    (VitalsInput(weight=7000, weight_unit="[lb_av]"), "weight", "7000 lb is not plausible"),
    (VitalsInput(temperature=98.6), "temperature", "did you mean °F"),
    # the unit box remembers the workstation's last choice: a Celsius reading typed under °F, and back
    (VitalsInput(temperature=37.2, temperature_unit="[degF]"), "temperature", "did you mean °C"),
    (VitalsInput(height=172, height_unit="[in_i]"), "height", "did you mean cm"),
    (VitalsInput(spo2=101), "spo2", "not plausible"),
    (VitalsInput(systolic=80, diastolic=120), "diastolic", "lower than systolic"),
    (VitalsInput(systolic=120), "diastolic", "both"),
    (VitalsInput(pain=11), "pain", "not plausible"),
    (VitalsInput(pain=2.5), "pain", "whole number"),
    (VitalsInput(weight=80, height=2), "height", "not plausible"),
    (VitalsInput(weight=0.3, height=250), "height", "BMI would be"),
])
def test_typing_slips_are_refused_at_the_field_and_nothing_is_saved(db, as_role, add_patient, inp, field, words):
    p = add_patient()
    with as_role("nurse") as uow, pytest.raises(ValidationError) as err:
        vitals.record_vitals(uow, p.id, inp)
    assert field in err.value.errors and words in err.value.errors[field]
    assert stored(db, p.id) == {}
    with db.uow() as uow:
        assert uow.session.execute(select(func.count(AuditEntry.id)).where(AuditEntry.entity == "vital_sign")).scalar() == 0


def test_a_slip_in_one_field_saves_none_of_the_others(db, as_role, add_patient):
    p = add_patient()
    with as_role("nurse") as uow, pytest.raises(ValidationError) as err:
        vitals.record_vitals(uow, p.id, VitalsInput(systolic=120, diastolic=80, heart_rate=70, weight=7000))
    assert list(err.value.errors) == ["weight"]
    assert stored(db, p.id) == {}


def test_empty_form_is_refused(as_role, add_patient):
    p = add_patient()
    with as_role("nurse") as uow, pytest.raises(ValidationError):
        vitals.record_vitals(uow, p.id, VitalsInput())


def test_soft_flags_depend_on_age():
    adult, toddler, infant = 40.0, 2.0, 0.5
    assert vitals.flag(vitals.HEART_RATE, 130, adult) == "high"
    assert vitals.flag(vitals.HEART_RATE, 130, toddler) is None  # normal for a 2-year-old
    assert vitals.flag(vitals.RESP_RATE, 30, adult) == "high"
    assert vitals.flag(vitals.RESP_RATE, 30, infant) is None
    assert vitals.flag(vitals.RESP_RATE, 24, infant) == "low"
    assert vitals.flag(vitals.SYSTOLIC, 145, adult) == "high"
    assert vitals.flag(vitals.SYSTOLIC, 85, adult) == "low"
    assert vitals.flag(vitals.SYSTOLIC, 85, infant) is None
    assert vitals.flag(vitals.TEMPERATURE, 38.4, toddler) == "high"
    assert vitals.flag(vitals.SPO2, 91, adult) == "low"
    assert vitals.flag(vitals.BMI, 31, adult) == "high"
    assert vitals.flag(vitals.BMI, 31, 10.0) is None  # children: BMI needs percentiles, not flagged
    assert vitals.flag(vitals.WEIGHT, 150, adult) is None  # no range for weight itself


def test_every_limit_and_band_names_its_source():
    for lim in vitals.limits().values():
        assert lim.hard_source
        assert lim.hard_low < lim.hard_high
        for band in lim.bands:
            assert band.source and band.low < band.high


def test_form_check_parses_text_flags_as_you_type_and_computes_bmi():
    check = vitals.check_form({"systolic": "150", "diastolic": "95", "weight": "82,5", "height": "178"},
                              {"weight": "kg", "height": "cm"}, 50.0)
    assert check.errors == {}
    assert check.flags == {"systolic": "high", "diastolic": "high", "bmi": "high"}
    assert check.bmi == 26.0
    bad = vitals.check_form({"heart_rate": "7o"}, {}, 50.0)
    assert bad.errors == {"heart_rate": "Not a number"}


def test_adult_bmi_uses_the_last_height_when_not_remeasured(db, as_role, add_patient):
    p = add_patient(birth_date=date(1960, 1, 1))
    with as_role("nurse") as uow:
        vitals.record_vitals(uow, p.id, VitalsInput(weight=80, height=180))
    with as_role("nurse") as uow:
        ctx = vitals.intake_context(uow, p.id)
        assert ctx.last_height_cm == 180
        saved = vitals.record_vitals(uow, p.id, VitalsInput(weight=90))
    assert saved.values[vitals.BMI] == 27.8
    assert vitals.HEIGHT not in saved.values  # not stored again


def test_front_desk_cannot_record_vitals(as_role, add_patient):
    p = add_patient()
    with as_role("front_desk") as uow, pytest.raises(PermissionDenied):
        vitals.record_vitals(uow, p.id, VitalsInput(heart_rate=70))


def test_latest_vitals_is_one_query_with_flags(db, as_role, add_patient):
    p = add_patient(birth_date=date(1950, 1, 1))
    with as_role("nurse") as uow:
        vitals.record_vitals(uow, p.id, VitalsInput(systolic=120, diastolic=70, taken_at=datetime.now(UTC)
                                                    - timedelta(days=30)))
        vitals.record_vitals(uow, p.id, VitalsInput(systolic=162, diastolic=95, heart_rate=70))
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with as_role("physician") as uow:
            latest = vitals.latest_vitals(uow, p.id)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    # the unit of work's once-per-unit account check (a real, active user) is not the vitals query
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "FROM app_user" not in s]
    assert len(selects) == 1
    assert latest.values[vitals.SYSTOLIC].flag == "high"
    assert latest.values[vitals.HEART_RATE].flag is None
    assert latest.text == "BP 162/95 mmHg (H), HR 70 /min"


def test_latest_vitals_ignores_device_readings_and_errors(db, as_role, add_patient):
    p = add_patient()
    with as_role("nurse") as uow:
        assert vitals.latest_vitals(uow, p.id) is None
        first = vitals.record_vitals(uow, p.id, VitalsInput(heart_rate=60, taken_at=datetime.now(UTC) - timedelta(hours=2)))
        fast = VitalsInput(heart_rate=160, taken_at=datetime.now(UTC) - timedelta(hours=1))
        need = vitals.record_vitals(uow, p.id, fast)  # HR 160 in an adult: re-checked and acknowledged first
        wrong = vitals.record_vitals(uow, p.id, fast, Decision(acknowledged=tuple((a, "") for a in need.pending)))
    _insert_readings(db, p.id, [(datetime.now(UTC), vitals.HEART_RATE, 88.0, "device")])
    with as_role("nurse") as uow:
        assert vitals.mark_set_entered_in_error(uow, p.id, wrong.set_id, "wrong patient") == 1
    with as_role("nurse") as uow:
        latest = vitals.latest_vitals(uow, p.id)
        assert latest.set_id == first.set_id and latest.values[vitals.HEART_RATE].value == 60
        with pytest.raises(NotFound):
            vitals.mark_set_entered_in_error(uow, p.id, wrong.set_id, "again")
        with pytest.raises(ValidationError):
            vitals.mark_set_entered_in_error(uow, p.id, first.set_id, " ")
    with db.uow() as uow:
        row = uow.session.execute(select(VitalSign).where(VitalSign.set_id == wrong.set_id)).scalar_one()
        assert row.entered_in_error and row.error_reason == "wrong patient" and row.error_by_id == 2


def _insert_readings(db, patient_id, readings):
    import uuid

    with db.uow() as uow:
        uow.session.execute(insert(VitalSign), [
            {"patient_id": patient_id, "set_id": uuid.uuid4().hex, "taken_at": when, "loinc": loinc, "value": value,
             "unit": vitals.BY_LOINC[loinc].unit, "origin": origin, "version": 1}
            for when, loinc, value, origin in readings])


def _big_chart(db, patient_id, sets=500):
    """5,000 values: 500 clinic sets of ten values each, one every two weeks going back."""
    import uuid

    now = datetime.now(UTC).replace(microsecond=0)
    rows = []
    for i in range(sets):
        sid, when = uuid.uuid4().hex, now - timedelta(days=14 * i)
        for loinc, value in ((vitals.SYSTOLIC, 120 + i % 30), (vitals.DIASTOLIC, 75), (vitals.HEART_RATE, 70),
                             (vitals.RESP_RATE, 14), (vitals.TEMPERATURE, 36.8), (vitals.SPO2, 97),
                             (vitals.WEIGHT, 80), (vitals.HEIGHT, 178), (vitals.BMI, 25.2), (vitals.PAIN, 0)):
            rows.append({"patient_id": patient_id, "set_id": sid, "taken_at": when, "loinc": loinc,
                         "value": value, "unit": vitals.BY_LOINC[loinc].unit, "origin": "clinic", "version": 1})
    with db.uow() as uow:
        uow.session.execute(insert(VitalSign), rows)
    return len(rows)


def test_flowsheet_pages_through_5000_values_with_a_constant_number_of_queries(db, as_role, add_patient):
    p = add_patient(birth_date=date(1948, 3, 30))
    assert _big_chart(db, p.id) == 5000
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        with as_role("nurse") as uow:
            page = vitals.flowsheet(uow, p.id, limit=50)
            first_page_queries = len(statements)
            seen = list(page.columns)
            while page.has_more:
                page = vitals.flowsheet(uow, p.id, before=page.cursor, limit=50)
                seen.extend(page.columns)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert first_page_queries <= 5
    assert len(statements) <= 5 + 9 * 4  # ten pages, four queries each at most
    assert len(seen) == 500 and len({c.set_id for c in seen}) == 500
    assert seen[0].taken_at > seen[-1].taken_at  # newest first
    assert sum(len(c.values) for c in seen) == 5000
    assert seen[0].values[vitals.SYSTOLIC] == 120
    assert seen[25].flags.get(vitals.SYSTOLIC) == "high"  # 145 mmHg


def test_flowsheet_keeps_device_readings_out_unless_asked(db, as_role, add_patient):
    p = add_patient()
    with as_role("nurse") as uow:
        vitals.record_vitals(uow, p.id, VitalsInput(heart_rate=70))
    _insert_readings(db, p.id, [(datetime.now(UTC) - timedelta(hours=h), vitals.HEART_RATE, 80.0 + h, "device")
                                for h in range(1, 4)])
    with as_role("nurse") as uow:
        assert [c.origin for c in vitals.flowsheet(uow, p.id).columns] == ["clinic"]
        page = vitals.flowsheet(uow, p.id, include_readings=True)
        assert [c.origin for c in page.columns] == ["clinic", "device", "device", "device"]
        assert page.total_sets == 4


def test_trend_separates_clinic_from_patient_and_device_readings_within_the_range(db, as_role, add_patient):
    p = add_patient(birth_date=date(1950, 1, 1))
    now = datetime.now(UTC)
    with as_role("nurse") as uow:
        vitals.record_vitals(uow, p.id, VitalsInput(systolic=130, diastolic=85, taken_at=now - timedelta(days=400)))
        vitals.record_vitals(uow, p.id, VitalsInput(systolic=140, diastolic=90, taken_at=now - timedelta(days=10)))
    _insert_readings(db, p.id, [(now - timedelta(days=5), vitals.SYSTOLIC, 150.0, "patient"),
                                (now - timedelta(days=5), vitals.DIASTOLIC, 95.0, "patient")])
    with as_role("physician") as uow:
        t = vitals.trend(uow, p.id, "bp", start=date.today() - timedelta(days=365))
    sys_, dia = t.series
    assert [pt.value for pt in sys_.clinic] == [140] and [pt.value for pt in sys_.readings] == [150]
    assert [pt.value for pt in dia.clinic] == [90]
    assert sys_.normal == (90, 129)
    assert t.first == (now - timedelta(days=400)).astimezone().date()


def test_trend_reduces_thousands_of_device_readings_to_daily_means(db, as_role, add_patient):
    p = add_patient()
    now = datetime.now(UTC).replace(hour=12)
    _insert_readings(db, p.id, [(now - timedelta(days=d, minutes=m), vitals.HEART_RATE, 60.0 + m % 20, "device")
                                for d in range(10) for m in range(0, 600, 1)])
    with as_role("physician") as uow:
        t = vitals.trend(uow, p.id, "hr", max_points=1000)
    series = t.series[0]
    assert series.averaged and 10 <= len(series.readings) <= 11


def test_vitals_text_for_today_goes_into_the_note(db, as_role, add_patient):
    p = add_patient(birth_date=date(1950, 1, 1))
    with as_role("nurse") as uow:
        vitals.record_vitals(uow, p.id, VitalsInput(systolic=150, diastolic=88, heart_rate=64, temperature=36.8,
                                                    weight=82, height=178, pain=0))
        vitals.record_vitals(uow, p.id, VitalsInput(heart_rate=99, taken_at=datetime.now(UTC) - timedelta(days=3)))
    with as_role("physician") as uow:
        text = vitals.vitals_text_for_day(uow, p.id)
    assert text.startswith("Vitals ")
    assert "BP 150/88 mmHg (H), HR 64 /min, Temp 36.8 °C, Wt 82.0 kg, Ht 178 cm, BMI 25.9 kg/m² (H), Pain 0/10" in text
    assert "99" not in text


# ---------------------------------------------------------------- vital-sign alerts: the one decision protocol

def test_a_critical_value_needs_an_acknowledgement_before_it_is_saved(db, as_role, add_patient):
    """BP 192/104 in an adult: the vitals service answers NeedsDecision (nothing stored) with the engine's
    alert; the nurse re-checks, acknowledges, and the same call saves it with the acknowledgement record."""
    p = add_patient(birth_date=date(1960, 1, 1))
    inp = VitalsInput(systolic=192, diastolic=104, heart_rate=80)
    with as_role("nurse") as uow:
        need = vitals.record_vitals(uow, p.id, inp)
    assert isinstance(need, NeedsDecision) and stored(db, p.id) == {}
    assert [a.key for a in need.pending] == ["vital:adult-sbp-severe:192"]
    assert "Systolic blood pressure 192" in need.pending[0].message
    with as_role("nurse") as uow:  # a drug alert cannot be acknowledged past: it needs a physician's override
        with pytest.raises(ValidationError):
            alerts.record_acknowledgement(uow, p.id, type("A", (), {"kind": "interaction", "key": "x",
                                                                    "severity": "major", "message": ""})())
        assert isinstance(vitals.record_vitals(uow, p.id, inp, Decision(overrides=())), NeedsDecision)
    with as_role("nurse") as uow:
        saved = vitals.record_vitals(uow, p.id, inp, Decision(acknowledged=((need.pending[0], "cuff re-checked"),)))
    assert not isinstance(saved, NeedsDecision) and saved.values[vitals.SYSTOLIC] == 192
    with db.uow() as uow:
        ack = uow.session.execute(select(AlertOverride)).scalar_one()
        audit = uow.session.execute(select(AuditEntry.action, AuditEntry.summary)
                                    .where(AuditEntry.entity == "alert")).all()
    assert (ack.alert_key, ack.reason, ack.comment, ack.kind) == (
        "vital:adult-sbp-severe:192", alerts.ACKNOWLEDGED, "cuff re-checked", "vital")
    assert [a for a, _s in audit] == ["acknowledge"]
    with as_role("physician") as uow:  # the chart's list keeps it, marked acknowledged
        check = alerts.check_for_patient(uow, p.id)
    assert any("acknowledged by" in note for note in check.overridden.values())
    with as_role("nurse") as uow:  # a normal set goes straight through, with its check for the bar
        ok = vitals.record_vitals(uow, p.id, VitalsInput(systolic=128, diastolic=80))
    assert not isinstance(ok, NeedsDecision) and ok.check.kb_available and not ok.check.alerts


def test_merged_readings_follow_the_same_rule(db, as_role, add_patient):
    """Readings from outside (a PHR merge, a device): the newest set, when it becomes the chart's latest, is checked
    like a typed one; older readings are history and go in without a decision."""
    p = add_patient(birth_date=date(1960, 1, 1))
    now = datetime.now(UTC)
    low = [vitals.Reading(set_id="s1", taken_at=now - timedelta(hours=1), loinc=vitals.SPO2, value=84, unit="%")]
    with as_role("nurse") as uow:
        need = vitals.add_readings(uow, p.id, low)
    assert isinstance(need, NeedsDecision) and [a.rule_id for a in need.pending] == ["spo2-low"]
    with as_role("nurse") as uow:
        assert vitals.add_readings(uow, p.id, low, Decision(acknowledged=((need.pending[0], ""),))) == 1
        old = [vitals.Reading(set_id="s0", taken_at=now - timedelta(days=30), loinc=vitals.SPO2, value=83, unit="%")]
        assert vitals.add_readings(uow, p.id, old) == 1  # older than the chart's latest: history

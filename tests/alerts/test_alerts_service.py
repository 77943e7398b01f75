"""desktop.services.alerts against a real database: the chart's lists feed the engine, overrides are recorded,
audited and suppress the same alert, the setting is an administrator's, and a broken KB never raises."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from desktop.alerts import DrugRef, clear_cache
from desktop.models import AlertOverride, Allergy, AuditEntry, Medication, VitalSign
from desktop.services import alerts as service
from desktop.services.errors import PermissionDenied, ValidationError
from tests.conftest import user_for


@pytest.fixture
def patient_id(add_patient) -> int:
    return add_patient(given="Maria", family="Santos", birth_date=date(1950, 3, 4)).id


@pytest.fixture
def chart(db, patient_id):
    """chart.med(name, ingredients=..., **fields), chart.allergy(substance, **fields), chart.vitals({loinc: v})"""

    class Chart:
        def med(self, name: str, ingredients: str | None = None, **fields) -> int:
            with db.uow() as uow:
                m = Medication(patient_id=patient_id, drug_name=name,
                               ingredients=name.lower() if ingredients is None else ingredients, **fields)
                uow.session.add(m)
                uow.session.flush()
                return m.id

        def allergy(self, substance: str, **fields) -> int:
            with db.uow() as uow:
                a = Allergy(patient_id=patient_id, substance=substance, substance_key=substance.lower(), **fields)
                uow.session.add(a)
                uow.session.flush()
                return a.id

        def vitals(self, values: dict[str, float], when: datetime, set_id: str) -> None:
            with db.uow() as uow:
                for loinc, value in values.items():
                    uow.session.add(VitalSign(patient_id=patient_id, set_id=set_id, taken_at=when, loinc=loinc,
                                              value=value, unit="x"))

    return Chart()


def check(db, patient_id, role="physician", **kw):
    with db.uow(user_for(role)) as uow:
        return service.check_for_patient(uow, patient_id, **kw)


def test_chart_lists_feed_the_engine(db, patient_id, chart):
    chart.med("Warfarin")
    chart.med("Zestoretic", "lisinopril+hydrochlorothiazide")
    chart.med("Ibuprofen", status="stopped")  # not active
    chart.med("Naproxen", entered_in_error=True)  # wrong entry
    chart.allergy("Penicillin")
    chart.allergy("No known drug allergies", no_known_allergies=True)
    chart.allergy("Sulfa", status="inactive")
    result = check(db, patient_id)
    assert result.kb_available and result.error == ""
    assert result.alerts == ()  # warfarin + lisinopril/HCTZ: nothing; stopped/erroneous meds ignored

    result = check(db, patient_id, proposed=DrugRef("Ibuprofen", ("ibuprofen",)))
    assert [a.rule_id for a in result.alerts] == ["anticoagulant-nsaid", "raas-nsaid"]
    assert [a.severity for a in result.interrupting] == ["major"]
    assert [a.severity for a in result.passive] == ["moderate"]

    result = check(db, patient_id, proposed=DrugRef("Amoxicillin", ("amoxicillin",)))
    assert [(a.kind, a.severity) for a in result.alerts] == [("allergy", "major")]


def test_order_check_needs_chart_access(db, patient_id):
    with pytest.raises(PermissionDenied):
        check(db, patient_id, role="front_desk")
    assert check(db, patient_id, role="nurse").kb_available


def test_free_text_medication_is_recognised_or_reported_unchecked(db, patient_id, chart):
    chart.med("Coumadin 5 mg tablets", "")  # no ingredients stored: resolved by its leading words
    chart.med("grandma's herbal tea", "")
    result = check(db, patient_id, proposed=DrugRef("Ibuprofen", ("ibuprofen",)))
    assert [a.drugs for a in result.alerts if a.rule_id == "anticoagulant-nsaid"] == [
        ("Coumadin 5 mg tablets", "Ibuprofen")]
    assert result.unchecked == ("grandma's herbal tea",)


def test_latest_vitals_on_chart_open_but_not_in_order_checks(db, patient_id, chart):
    now = datetime.now(UTC)
    chart.vitals({"8480-6": 190, "8462-4": 100}, now - timedelta(days=30), "old")
    chart.vitals({"8480-6": 126, "2708-6": 87}, now, "new")
    result = check(db, patient_id)
    assert [a.rule_id for a in result.alerts] == ["spo2-low"]  # only the latest set
    assert check(db, patient_id, proposed=DrugRef("metformin", ("metformin",))).alerts == ()
    given = check(db, patient_id, vitals={"8867-4": 35}, kinds=("vital",))
    assert [a.rule_id for a in given.alerts] == ["adult-hr-low"]


def test_age_comes_from_the_birth_date(db, add_patient):
    child = add_patient(given="Tom", family="Small", birth_date=date.today() - timedelta(days=8 * 365)).id
    result = check(db, child, vitals={"8867-4": 130})
    assert [a.rule_id for a in result.alerts] == ["school-age-hr-high"]


def test_override_is_recorded_audited_and_suppresses_the_same_alert(db, patient_id, chart):
    med_id = chart.med("Warfarin")
    ibuprofen = DrugRef("Ibuprofen", ("ibuprofen",))
    (alert,) = check(db, patient_id, proposed=ibuprofen).interrupting
    with db.uow(user_for("physician")) as uow:
        override_id = service.record_override(uow, patient_id, alert, "Will monitor", "INR in 3 days",
                                              medication_id=med_id)
    with db.uow() as uow:
        row = uow.session.get(AlertOverride, override_id)
        assert (row.alert_key, row.severity, row.reason, row.comment, row.user_id, row.medication_id) == (
            alert.key, "major", "Will monitor", "INR in 3 days", 1, med_id)
        audit = uow.session.execute(select(AuditEntry).where(AuditEntry.entity == "alert")).scalars().one()
        assert (audit.action, audit.patient_id, audit.user_id) == ("override", patient_id, 1)
        assert "Will monitor" in audit.summary and "Ibuprofen" in audit.summary

    again = check(db, patient_id, proposed=ibuprofen)
    assert again.alerts == () and [a.key for a in again.suppressed] == [alert.key]
    # the same pair by brand name is the same alert
    assert check(db, patient_id, proposed=DrugRef("Advil", ("ibuprofen",))).alerts == ()
    with db.uow(user_for("nurse")) as uow:
        listed = service.list_overrides(uow, patient_id, medication_id=med_id)
    assert [(o.reason, o.user_name) for o in listed] == [("Will monitor", "Dr. Ana Lima")]


def test_overridden_alert_returns_when_its_severity_rises(db, patient_id, chart):
    allergy_id = chart.allergy("Penicillin", kind="intolerance")
    amoxicillin = DrugRef("Amoxicillin", ("amoxicillin",))
    (soft,) = check(db, patient_id, proposed=amoxicillin).alerts
    assert soft.severity == "moderate"
    with db.uow(user_for("physician")) as uow:
        service.record_override(uow, patient_id, soft, "Patient has tolerated this combination")
    assert check(db, patient_id, proposed=amoxicillin).alerts == ()
    with db.uow() as uow:
        uow.session.get(Allergy, allergy_id).kind = "allergy"  # now a true allergy: more severe, same key
    (hard,) = check(db, patient_id, proposed=amoxicillin).alerts
    assert (hard.key, hard.severity) == (soft.key, "major")


@pytest.mark.parametrize("role", ["nurse", "front_desk", "admin"])
def test_only_physicians_override(db, patient_id, chart, role):
    chart.med("Warfarin")
    (alert,) = check(db, patient_id, proposed=DrugRef("Ibuprofen", ("ibuprofen",))).alerts
    with pytest.raises(PermissionDenied), db.uow(user_for(role)) as uow:
        service.record_override(uow, patient_id, alert, "Will monitor")
    with db.uow() as uow:
        assert uow.session.execute(select(AlertOverride)).first() is None


@pytest.mark.parametrize(("reason", "comment", "field"), [("", "", "reason"), ("Because", "", "reason"),
                                                          ("Other", "  ", "comment")])
def test_override_needs_a_listed_reason(db, patient_id, chart, reason, comment, field):
    chart.med("Warfarin")
    (alert,) = check(db, patient_id, proposed=DrugRef("Ibuprofen", ("ibuprofen",))).alerts
    with pytest.raises(ValidationError) as err, db.uow(user_for("physician")) as uow:
        service.record_override(uow, patient_id, alert, reason, comment)
    assert field in err.value.errors


def test_other_reason_with_comment_is_accepted(db, patient_id, chart):
    chart.med("Warfarin")
    (alert,) = check(db, patient_id, proposed=DrugRef("Ibuprofen", ("ibuprofen",))).alerts
    with db.uow(user_for("physician")) as uow:
        assert service.record_override(uow, patient_id, alert, "Other", "hematology agreed")


def test_override_reasons_list():
    assert "Other" in service.OVERRIDE_REASONS and "Benefit outweighs risk" in service.OVERRIDE_REASONS


def test_interrupting_severities_setting(db):
    with db.uow(user_for("nurse")) as uow:
        assert service.interrupting_severities(uow) == ("contraindicated", "major")
    with pytest.raises(PermissionDenied), db.uow(user_for("physician")) as uow:
        service.set_interrupting_severities(uow, ["contraindicated"])
    with db.uow(user_for("admin")) as uow:
        assert service.set_interrupting_severities(uow, ["moderate", "contraindicated", "major"]) == (
            "contraindicated", "major", "moderate")
    with db.uow(user_for("physician")) as uow:
        assert service.interrupting_severities(uow) == ("contraindicated", "major", "moderate")
    with db.uow() as uow:
        audit = uow.session.execute(select(AuditEntry).where(AuditEntry.entity == "setting")).scalars().all()
        assert audit and "moderate" in audit[-1].summary


@pytest.mark.parametrize("values", [["major"], ["contraindicated", "severe"], "major"])
def test_interrupting_severities_are_validated(db, values):
    with pytest.raises(ValidationError), db.uow(user_for("admin")) as uow:
        service.set_interrupting_severities(uow, values)


def test_interrupting_setting_drives_the_check(db, patient_id, chart):
    chart.med("Lisinopril")
    with db.uow(user_for("admin")) as uow:
        service.set_interrupting_severities(uow, ["contraindicated", "major", "moderate"])
    result = check(db, patient_id, proposed=DrugRef("Enalapril", ("enalapril",)))
    assert [a.severity for a in result.interrupting] == ["moderate"]


def test_broken_knowledge_base_is_reported_not_raised(db, patient_id, chart, kb_copy, monkeypatch):
    chart.med("Warfarin")
    (kb_copy / "allergy_classes.json").write_text('{"schema": "allergy_classes/1", "classes": ', encoding="utf-8")
    monkeypatch.setattr("desktop.alerts.kb.default_dir", lambda: kb_copy)
    clear_cache()
    result = check(db, patient_id, proposed=DrugRef("Aspirin", ("aspirin",)))
    assert result.kb_available is False
    assert "allergy_classes.json" in result.error
    assert result.alerts == () and result.interrupting == ()


def test_uncoded_order_is_recognised_by_name_or_reported_unchecked(db, patient_id, chart):
    chart.med("Warfarin")
    # an uncoded prescription carries its name as the only 'ingredient'
    named = check(db, patient_id, proposed=DrugRef("Advil 200 mg", ("advil 200 mg",)))
    assert [a.rule_id for a in named.alerts] == ["anticoagulant-nsaid"] and named.unchecked == ()
    unknown = check(db, patient_id, proposed=DrugRef("Dr Smith's tonic", ("dr smith's tonic",)))
    assert unknown.alerts == () and unknown.unchecked == ("Dr Smith's tonic",)
    coded = check(db, patient_id, proposed=DrugRef("Glucophage", ("metformin",)))  # formulary-only ingredient
    assert coded.unchecked == ()


def test_saving_vitals_checks_only_the_vitals(db, patient_id, chart):
    chart.med("Warfarin")
    chart.med("Ibuprofen")
    result = check(db, patient_id, vitals={"2708-6": 85})
    assert [a.kind for a in result.alerts] == ["vital"]
    assert {a.kind for a in check(db, patient_id).alerts} == {"interaction"}

"""PHR test helpers: the shared sample files, a chart for a sample's patient, and a row-for-row database dump."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, user_for

SYNTHEA = "synthea"
FLETCHER = "synthea/Fletcher_Hyatt_fe0562b5-f517-4951-8366-32fdab088930.json"
REYNA = "synthea/Reyna_Ziemann_08f8bfce-34cf-4b5a-a398-8e49650c6e3c.json"
JORGE = "synthea/Jorge_Brekke_ac7921e0-c949-4b42-97f2-fad5d171cd01.json"
CLEMENTE = "synthea/Clemente_Kreiger_1484a42d-0eaf-4654-9cbf-6b050a5cd73b.json"
MIGUEL = "synthea/Miguel_Ángel_Garica_f6d15182-f6ac-46cf-8cbd-afacd43be763.json"
LAWRENCE = "synthea/Lawrence741_Hammes673_6d44fe03-2478-a82d-7495-3a7c433ed921.json"
IPS_MINIMAL = "ips/bundle-minimal.json"
IPS_EPIC = "ips/US_Epic_Connectathon_Sept.json"
IPS_EU = "ips/EU_IPS_wylem_bars.json"
CCD1 = "ccda/CCD-1/CCD.XML"
CCD2 = "ccda/CCD-2/CCD.xml"
APPLE_HYDAWO = "apple-health/hydawo-local-health-agent/export.xml"
APPLE_DOGSHEEP = "apple-health/dogsheep-healthkit-to-sqlite/export.xml"
APPLE_TDDA = "apple-health/tdda-applehealthdata/export6s3sample.xml"
WEARABLE = "wearable/openmhealth-shimmer"

# the patient each sample names (MANIFEST.md), for charts that should match
PATIENTS = {
    CLEMENTE: ("Clemente", "Kreiger", date(1984, 7, 2), "male"),
    FLETCHER: ("Fletcher", "Hyatt", date(1915, 7, 3), "male"),
    REYNA: ("Reyna", "Ziemann", date(1974, 2, 28), "female"),
    JORGE: ("Jorge", "Brekke", date(2012, 11, 11), "male"),
    MIGUEL: ("Miguel", "Garica", date(1936, 8, 18), "male"),
    LAWRENCE: ("Lawrence", "Hammes", date(1929, 12, 4), "female"),
    IPS_MINIMAL: ("Martha", "DeLarosa", date(1972, 5, 1), "female"),
    IPS_EPIC: ("Sept", "Connectathon", date(2004, 5, 18), "female"),
    IPS_EU: ("Abdul", "Koepp", date(1956, 8, 3), "male"),
    CCD1: ("Eve", "Betterhalf", date(1975, 5, 1), "female"),
    CCD2: ("Isabella", "Jones", date(1950, 12, 19), "female"),
    APPLE_HYDAWO: ("Hanna", "Fixture", date(1990, 1, 1), "female"),
    APPLE_DOGSHEEP: ("Simon", "Dogsheep", date(1990, 2, 2), "male"),
    APPLE_TDDA: ("Nick", "Radcliffe", date(1965, 7, 31), "male"),
}


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


def all_sample_files() -> list[str]:
    return sorted(str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*")
                  if p.is_file() and p.suffix.lower() in (".json", ".xml"))


@pytest.fixture
def chart_for(add_patient):
    """chart_for(sample) -> the registered patient (PatientDetails) whose demographics match that sample."""

    def make(sample: str, **more):
        given, family, born, sex = PATIENTS[sample]
        return add_patient(given=given, family=family, birth_date=born, sex=sex, **more)

    return make


def dump(db) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order: equal dumps mean an unchanged database."""
    from sqlalchemy import select

    from desktop.models import Base

    out: dict[str, list[tuple]] = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
    return out


def physician_uow(db):
    return db.uow(user_for("physician"))


def everything(plan):
    """Decisions that take every NEW item of the file, history (stopped medications, unticked by default)
    included: what a round trip through an export needs."""
    from desktop.phr import Decision, ItemStatus

    return {**plan.default_decisions("new"),
            **{i.key: Decision.ADD for i in plan.items if i.status is ItemStatus.NEW and Decision.ADD in i.choices}}


def apply_reviewed(uow, patient_id, plan, decisions=None, **kw):
    """Apply as a physician who read the alert modal: every interrupting alert overridden with a reason
    (the patient already takes these medicines elsewhere)."""
    from desktop.services import phr_import as svc
    from desktop.services.alert_decisions import Decision, NeedsDecision

    decisions = plan.default_decisions("new") if decisions is None else decisions
    decision = Decision()
    for _round in range(5):  # each answer may let another medication through, with alerts of its own
        outcome = svc.apply_import(uow, patient_id, plan, decisions, plan.info, decision=decision, **kw)
        if not isinstance(outcome, NeedsDecision):
            return outcome
        decision = decision.then(Decision(
            overrides=tuple((a, "Patient has tolerated this combination", "") for a in outcome.pending),
            acknowledged_no_checking=not outcome.kb_available))
    raise AssertionError("the merge kept asking for alert decisions")


def readings_bundle(when: str, readings) -> bytes:
    """A FHIR Bundle for Ruth Oxley (born 1950-03-04) with one Observation per (id, LOINC, value, unit[, time])
    reading, each taken `when` unless it names its own time: a PHR file's readings, one set per reading."""
    import json

    obs = [{"resource": {"resourceType": "Observation", "id": oid, "status": "final",
                         "subject": {"reference": "Patient/p1"},
                         "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
                         "effectiveDateTime": own[0] if own else when,
                         "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org",
                                           "code": unit}}} for oid, loinc, value, unit, *own in readings]
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "Oxley", "given": ["Ruth"]}],
                      "gender": "female", "birthDate": "1950-03-04"}}, *obs]}).encode()

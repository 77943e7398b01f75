"""An allergy written by brand on the chart and by its generic in a PHR file (or the other way) is one allergy."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import select

from desktop.models import Allergy
from desktop.phr import read_bytes
from desktop.services import phr_import as svc
from desktop.services.allergies import AllergyInput, add_allergy

from .conftest import CLEMENTE, apply_reviewed

PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Kreiger", "given": ["Clemente"]}],
           "gender": "male", "birthDate": "1984-07-02"}


def _user(role):
    from tests.conftest import user_for

    return user_for(role)


def _bundle_with_allergy(text: str) -> bytes:
    allergy = {"resourceType": "AllergyIntolerance", "id": "a1", "patient": {"reference": "Patient/p1"},
               "clinicalStatus": {"coding": [{"code": "active"}]}, "code": {"text": text},
               "category": ["medication"], "reaction": [{"manifestation": [{"text": "hives"}]}]}
    entries = [{"fullUrl": f"urn:uuid:{n}", "resource": r} for n, r in enumerate((PATIENT, allergy))]
    return orjson.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})


@pytest.mark.parametrize(("on_chart", "in_file"), [("Zithromax", "azithromycin"), ("azithromycin", "Zithromax"),
                                                   ("Keflex", "cephalexin")])
def test_a_brand_and_its_generic_stay_one_allergy_after_an_import(db, chart_for, on_chart, in_file):
    patient = chart_for(CLEMENTE)
    with db.uow(_user("physician")) as uow:
        add_allergy(uow, patient.id, AllergyInput(substance=on_chart, reaction="rash"))
    parsed = read_bytes(_bundle_with_allergy(in_file), "allergy.json")
    with db.uow(_user("physician")) as uow:
        plan = svc.plan_import(uow, patient.id, parsed)
    (item,) = [i for i in plan.items if i.category == "allergies"]
    assert item.status.name != "NEW"  # the file's entry is the chart's allergy, not another one
    with db.uow(_user("physician")) as uow:
        apply_reviewed(uow, patient.id, plan, None)
    with db.uow(_user("physician")) as uow:
        rows = uow.session.scalars(select(Allergy).where(Allergy.patient_id == patient.id)).all()
    assert [r.substance for r in rows if not r.no_known_allergies] == [on_chart]

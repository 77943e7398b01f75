"""Allergies: one entry per substance however typed, NKDA rules, entered-in-error, roles, conflicts, audit."""

from __future__ import annotations

import pytest

from desktop.services import patients
from desktop.services.allergies import (
    AllergyInput,
    add_allergy,
    list_allergies,
    mark_allergy_in_error,
    record_nkda,
    substance_options,
    update_allergy,
)
from desktop.services.errors import ConflictError, PermissionDenied, ValidationError


def _banner(db, patient_id: int) -> tuple[str, bool]:
    with db.uow() as uow:
        return patients.allergy_status(uow.session, patient_id)


@pytest.mark.parametrize("again", ["penicillin ", "PENICILLIN", "Pénicillin", "Penicillins", "penicillin class",
                                   "  penicillin\t"])
def test_same_substance_however_typed_is_one_entry(as_role, patient, again):
    with as_role("nurse") as uow:
        first = add_allergy(uow, patient.id, AllergyInput(substance="Penicillin", reaction="hives"))
    assert not first.merged
    with as_role("nurse") as uow:
        second = add_allergy(uow, patient.id, AllergyInput(substance=again, reaction="anaphylaxis",
                                                           severity="severe", criticality="high"))
        rows = list_allergies(uow, patient.id)
    assert second.merged and second.row.id == first.row.id
    assert len(rows) == 1
    assert (rows[0].reaction, rows[0].severity, rows[0].version) == ("anaphylaxis", "severe", first.row.version + 1)


def test_class_picked_from_the_list_and_typed_name_share_one_entry(as_role, patient):
    with as_role("nurse") as uow:
        picked = add_allergy(uow, patient.id, AllergyInput(class_id="penicillin", reaction="rash"))
        typed = add_allergy(uow, patient.id, AllergyInput(substance="penicillins", reaction="hives"))
        rows = list_allergies(uow, patient.id)
    assert typed.merged and [r.id for r in rows] == [picked.row.id]
    assert (rows[0].code_system, rows[0].code, rows[0].substance_key) == ("class", "penicillin", "penicillin")


def test_class_and_a_member_ingredient_are_separate_entries(as_role, patient):
    with as_role("nurse") as uow:
        cls = add_allergy(uow, patient.id, AllergyInput(substance="NSAIDs", reaction="bronchospasm"))
        ing = add_allergy(uow, patient.id, AllergyInput(substance="Ibuprofen", reaction="rash"))
        again = add_allergy(uow, patient.id, AllergyInput(ingredient="ibuprofen", reaction="urticaria"))
        rows = list_allergies(uow, patient.id)
    assert cls.row.code_system == "class" and cls.row.substance_key == "nsaid"
    assert (ing.row.code_system, ing.row.code, ing.row.substance_key) == ("rxnorm", "5640", "ibuprofen")
    assert again.merged and again.row.id == ing.row.id
    assert len(rows) == 2


def test_free_text_food_is_folded(as_role, patient):
    with as_role("nurse") as uow:
        a = add_allergy(uow, patient.id, AllergyInput(substance="Peanut", category="food", reaction="swelling"))
        b = add_allergy(uow, patient.id, AllergyInput(substance="PEANUT ", category="food"))
    assert b.merged and a.row.id == b.row.id and a.row.substance_key == "peanut" and a.row.code_system == ""


def test_banner_nkda_then_real_allergy_inactivates_it(db, as_role, patient, audit_rows):
    assert _banner(db, patient.id) == ("Allergies not recorded", False)
    with as_role("nurse") as uow:
        nkda = record_nkda(uow, patient.id)
    assert nkda.row.no_known_allergies and _banner(db, patient.id) == ("NKDA", False)
    with as_role("nurse") as uow:
        saved = add_allergy(uow, patient.id, AllergyInput(substance="Sulfa", reaction="rash"))
        rows = {r.id: r for r in list_allergies(uow, patient.id)}
    assert saved.nkda_inactivated and rows[nkda.row.id].status == "inactive"
    assert _banner(db, patient.id) == (saved.row.substance, True)
    assert any("No known drug allergies inactivated" in r[3] for r in audit_rows("allergy"))


def test_nkda_refused_while_an_active_drug_allergy_exists(as_role, patient):
    with as_role("nurse") as uow:
        add_allergy(uow, patient.id, AllergyInput(substance="Penicillin"))
    with pytest.raises(ValidationError) as err, as_role("nurse") as uow:
        record_nkda(uow, patient.id)
    assert "active drug allergies" in err.value.errors["substance"]


def test_nkda_allowed_with_only_food_allergies_and_not_duplicated(as_role, patient):
    with as_role("nurse") as uow:
        add_allergy(uow, patient.id, AllergyInput(substance="Shellfish", category="food"))
        first = record_nkda(uow, patient.id)
        second = record_nkda(uow, patient.id)
        rows = list_allergies(uow, patient.id)
    assert second.merged and first.row.id == second.row.id
    assert sorted(r.substance for r in rows) == ["No known drug allergies", "Shellfish"]


def test_typing_nkda_as_a_substance_is_refused(as_role, patient):
    with pytest.raises(ValidationError) as err, as_role("nurse") as uow:
        add_allergy(uow, patient.id, AllergyInput(substance="NKDA"))
    assert "No known drug allergies" in err.value.errors["substance"]


def test_edit_to_an_already_listed_substance_is_refused(as_role, patient):
    with as_role("nurse") as uow:
        add_allergy(uow, patient.id, AllergyInput(substance="Latex", category="environment"))
        egg = add_allergy(uow, patient.id, AllergyInput(substance="Egg", category="food")).row
    with pytest.raises(ValidationError) as err, as_role("nurse") as uow:
        update_allergy(uow, egg.id, AllergyInput(substance="latex", category="environment"), egg.version)
    assert "already listed" in err.value.errors["substance"]


def test_stale_edit_raises_conflict_with_both_versions(as_role, patient):
    with as_role("nurse") as uow:
        row = add_allergy(uow, patient.id, AllergyInput(substance="Latex", category="environment")).row
    with as_role("physician") as uow:
        update_allergy(uow, row.id, AllergyInput(substance="Latex", category="environment", reaction="contact rash"),
                       row.version)
    with pytest.raises(ConflictError) as err, as_role("nurse") as uow:
        update_allergy(uow, row.id, AllergyInput(substance="Latex", category="environment", reaction="itching"),
                       row.version)
    assert err.value.mine["reaction"] == "itching" and err.value.theirs["reaction"] == "contact rash"
    assert err.value.changed_by == "Dr. Ana Lima"


def test_entered_in_error_frees_the_substance_and_updates_the_banner(db, as_role, patient, audit_rows):
    with as_role("nurse") as uow:
        row = add_allergy(uow, patient.id, AllergyInput(substance="Penicillin")).row
    with pytest.raises(ValidationError), as_role("nurse") as uow:
        mark_allergy_in_error(uow, row.id, "", row.version)
    with as_role("nurse") as uow:
        mark_allergy_in_error(uow, row.id, "recorded on the wrong chart", row.version)
    assert _banner(db, patient.id) == ("Allergies not recorded", False)
    with as_role("nurse") as uow:
        again = add_allergy(uow, patient.id, AllergyInput(substance="Penicillin"))
        shown = list_allergies(uow, patient.id, include_errors=True)
    assert not again.merged and len(shown) == 2 and shown[-1].entered_in_error
    assert [r[0] for r in audit_rows("allergy")] == ["create", "error", "create"]


def test_validation_messages_per_field(as_role, patient):
    with pytest.raises(ValidationError) as err, as_role("nurse") as uow:
        add_allergy(uow, patient.id, AllergyInput(substance="", severity="extreme", status="gone"))
    assert set(err.value.errors) == {"substance", "severity", "status"}


def test_substance_options_offer_classes_ingredients_and_foods():
    labels = [o.label for o in substance_options("pen")]
    assert any(o.class_id == "penicillin" for o in substance_options("pen"))
    assert "Peanut" not in labels  # 'pen' is not inside 'peanut'
    assert any(o.label == "Peanut" and o.category == "food" for o in substance_options("pea"))
    assert any(o.ingredient == "ibuprofen" for o in substance_options("ibup"))


@pytest.mark.parametrize("role", ["front_desk", "admin"])
def test_non_clinical_roles_refused(as_role, patient, role):
    with pytest.raises(PermissionDenied), as_role(role) as uow:
        add_allergy(uow, patient.id, AllergyInput(substance="Latex", category="environment"))
    with pytest.raises(PermissionDenied), as_role(role) as uow:
        record_nkda(uow, patient.id)
    with pytest.raises(PermissionDenied), as_role(role) as uow:
        list_allergies(uow, patient.id)


def test_knowledge_base_synonyms_merge(as_role, patient):
    with as_role("nurse") as uow:
        latex = add_allergy(uow, patient.id, AllergyInput(substance="Latex", category="environment"))
        rubber = add_allergy(uow, patient.id, AllergyInput(substance="natural rubber latex"))
        pcn = add_allergy(uow, patient.id, AllergyInput(substance="PCN"))
        pen = add_allergy(uow, patient.id, AllergyInput(substance="Penicillin allergy"))
    assert rubber.merged and rubber.row.id == latex.row.id and latex.row.substance == "Latex"
    assert latex.row.substance_key == "latex" and latex.row.category == "environment"
    assert pen.merged and pen.row.id == pcn.row.id and pcn.row.substance == "Penicillins"


def test_entering_again_without_details_keeps_the_known_ones(as_role, patient):
    with as_role("nurse") as uow:
        add_allergy(uow, patient.id, AllergyInput(substance="Penicillin", reaction="hives", severity="moderate"))
        again = add_allergy(uow, patient.id, AllergyInput(substance="penicillin", criticality="high"))
    assert again.merged
    assert (again.row.reaction, again.row.severity, again.row.criticality) == ("hives", "moderate", "high")


def test_allergy_to_an_uncoded_formulary_ingredient_is_stored_by_name_without_a_code(as_role, patient):
    """Issue 16: clarithromycin is prescribable without a verified RXCUI; an allergy to it carries no code."""
    with as_role("nurse") as uow:
        typed = add_allergy(uow, patient.id, AllergyInput(substance="Clarithromycin", reaction="rash"))
        picked = add_allergy(uow, patient.id, AllergyInput(ingredient="clarithromycin", reaction="hives"))
    assert typed.row.substance_key == "clarithromycin"
    assert not typed.row.code_system and not typed.row.code  # not "rxnorm" with an empty code
    assert picked.merged and picked.row.id == typed.row.id

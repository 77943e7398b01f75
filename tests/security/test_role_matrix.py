"""Roles are enforced in the services: every public service function, called as each role that may not use it,
is refused with PermissionDenied (DESIGN.md's matrix, desktop.services.permissions.MATRIX).

The table below names every public function of desktop/services/*.py that takes a unit of work. A new
function fails `test_every_service_function_is_in_the_matrix` until it is classified here: by the permission
it needs, as open to every logged-in user (with the reason), or as an internal helper.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

import desktop.services as services_pkg
from desktop.services.errors import PermissionDenied
from desktop.services.permissions import MATRIX, Permission, Role

P = Permission
ROLES = [r.value for r in Role]


@dataclass(frozen=True)
class Needs:
    """Refused to every role lacking one of `any_of` (or lacking any of `all_of`)."""

    any_of: tuple[Permission, ...] = ()
    all_of: tuple[Permission, ...] = ()

    def wrong_roles(self) -> list[str]:
        out = []
        for role in Role:
            have = MATRIX[role]
            ok = (not self.any_of or any(p in have for p in self.any_of)) and all(p in have for p in self.all_of)
            if not ok:
                out.append(role.value)
        return out


@dataclass(frozen=True)
class Everyone:
    """No permission needed: any logged-in user (or nobody yet: login) may call it."""

    reason: str

    def wrong_roles(self) -> list[str]:
        return []


@dataclass(frozen=True)
class Helper:
    """Public only so sibling service modules can share it; the view layer never calls it."""

    reason: str

    def wrong_roles(self) -> list[str]:
        return []


@dataclass(frozen=True)
class NobodyLoggedIn:
    """Setup and demo functions: every human role is refused (only the system user, or first run)."""

    reason: str

    def wrong_roles(self) -> list[str]:
        return list(ROLES)


def needs(*perms: Permission) -> Needs:
    return Needs(any_of=perms)


def needs_all(*perms: Permission) -> Needs:
    return Needs(all_of=perms)


MATRIX_TABLE: dict[str, object] = {
    # alerts
    "alerts.check_for_patient": needs(P.VIEW_CHART),
    "alerts.patient_context": needs(P.VIEW_CHART),
    "alerts.record_override": needs(P.OVERRIDE_ALERT),
    "alerts.record_acknowledgement": needs(P.EDIT_CHART),
    "alerts.check_vital_sets": needs(P.VIEW_CHART),
    "alerts.list_overrides": needs(P.VIEW_CHART),
    "alerts.interrupting_severities": Everyone("a practice setting the prescribing screens read"),
    "alerts.set_interrupting_severities": needs(P.MANAGE_SETTINGS),
    # allergies
    "allergies.list_allergies": needs(P.VIEW_CHART),
    "allergies.get_allergy": needs(P.VIEW_CHART),
    "allergies.add_allergy": needs(P.EDIT_CHART),
    "allergies.record_nkda": needs(P.EDIT_CHART),
    "allergies.update_allergy": needs(P.EDIT_CHART),
    "allergies.mark_allergy_in_error": needs(P.EDIT_CHART),
    # audit report
    "audit_report.search_audit": needs(P.VIEW_AUDIT),
    "audit_report.audit_usernames": needs(P.VIEW_AUDIT),
    "audit_report.audit_actions": needs(P.VIEW_AUDIT),
    "audit_report.export_csv": needs(P.VIEW_AUDIT),
    "audit_report.export_csv_text": needs(P.VIEW_AUDIT),
    # auth (before anyone is logged in)
    "auth.login": Everyone("logging in"),
    "auth.verify_password": Everyone("unlocking after idle"),
    "auth.any_users": Everyone("start-up decides whether to run the first-run wizard"),
    # demo data: the command line's system user only
    "demo.create_practice_and_users": NobodyLoggedIn("demo generator"),
    "demo.add_patients": NobodyLoggedIn("demo generator"),
    "demo.ensure_named_demo_patients": NobodyLoggedIn("demo generator"),
    "demo_chart.fill_demo_charts": NobodyLoggedIn("demo generator"),
    # documents (printing)
    "documents.printed_before": needs(P.PRINT),
    "documents.prepare_rx_print": needs(P.PRINT),
    "documents.record_print": needs(P.PRINT),
    "documents.practice_info": Everyone("the practice header on every printed page"),
    "display_units.practice_default": Everyone("every screen showing vitals reads the practice's units"),
    "display_units.practice_system": Everyone("every screen showing vitals reads the practice's units"),
    "display_units.set_practice_system": needs(P.MANAGE_SETTINGS),
    "display_units.user_choice": Everyone("each user reads their own preference"),
    "display_units.set_user_choice": Everyone("each user sets their own preference, not the chart"),
    "display_units.unit_system": Everyone("every screen showing vitals reads the units"),
    "display_units.localise_alerts": Helper("alerts.check_for_patient words vital alerts in the reader's units"),
    "documents.prescription_documents": needs(P.PRINT),
    "documents.summary_document": needs(P.PRINT),
    "documents.summary_data": needs(P.PRINT),
    "documents.note_data": needs_all(P.PRINT, P.VIEW_CHART),
    "documents.note_document": needs_all(P.PRINT, P.VIEW_CHART),
    # encounters (notes)
    "encounters.list_providers": needs(P.VIEW_CHART),
    "encounters.list_encounters": needs(P.VIEW_CHART),
    "encounters.get_encounter": needs(P.VIEW_CHART),
    "encounters.problem_choices": needs(P.VIEW_CHART),
    "encounters.vitals_for_encounter": needs(P.VIEW_CHART),
    "encounters.create_encounter": needs(P.DRAFT_NOTE),
    "encounters.save_draft": needs(P.DRAFT_NOTE),
    "encounters.update_visit": needs(P.DRAFT_NOTE),
    "encounters.sign": needs(P.SIGN_NOTE),
    "encounters.add_addendum": needs(P.DRAFT_NOTE),
    "encounters.mark_encounter_in_error": needs(P.SIGN_NOTE),  # called with a signed note
    "encounters.add_problem_for_note": needs(P.EDIT_CHART),
    "encounters.autosave": needs(P.DRAFT_NOTE),
    "encounters.recover_autosave": needs(P.DRAFT_NOTE),
    "encounters.discard_autosave": needs(P.DRAFT_NOTE),
    # FHIR export
    "fhir_export.export_patient": needs(P.VIEW_CHART),
    # immunizations
    "immunizations.list_immunizations": needs(P.VIEW_CHART),
    "immunizations.get_immunization": needs(P.VIEW_CHART),
    "immunizations.add_immunization": needs(P.EDIT_CHART),
    "immunizations.update_immunization": needs(P.EDIT_CHART),
    "immunizations.mark_immunization_in_error": needs(P.EDIT_CHART),
    # medications
    "medications.list_medications": needs(P.VIEW_CHART),
    "medications.get_medication": needs(P.VIEW_CHART),
    "medications.check_medication": needs(P.VIEW_CHART),
    "medications.add_medication": needs(P.EDIT_CHART),
    "medications.update_medication": needs(P.EDIT_CHART),
    "medications.stop_medication": needs(P.EDIT_CHART),
    "medications.mark_medication_in_error": needs(P.EDIT_CHART),
    # patients (every role has VIEW_DEMOGRAPHICS; admin may not edit)
    "patients.search_patients": needs(P.VIEW_DEMOGRAPHICS),
    "patients.find_possible_duplicates": needs(P.VIEW_DEMOGRAPHICS),
    "patients.get_patient": needs(P.VIEW_DEMOGRAPHICS),
    "patients.get_patient_by_mrn": needs(P.VIEW_DEMOGRAPHICS),
    "patients.register_patient": needs(P.EDIT_DEMOGRAPHICS),
    "patients.update_patient": needs(P.EDIT_DEMOGRAPHICS),
    "patients.record_chart_open": needs(P.VIEW_DEMOGRAPHICS),
    "patients.recent_patients": needs(P.VIEW_DEMOGRAPHICS),
    # PHR import
    "backups.backup_database": needs(P.MANAGE_SETTINGS),
    "backup_check.describe_backup": needs(P.MANAGE_SETTINGS),
    "database_key.database_key": needs(P.MANAGE_SETTINGS),
    "phr_import.chart_patient": needs(P.VIEW_DEMOGRAPHICS),
    "phr_import.snapshot": needs(P.VIEW_CHART),
    "phr_import.plan_import": needs(P.IMPORT_PHR_CLINICAL, P.IMPORT_PHR_VITALS),
    "phr_import.preview_alerts": needs(P.IMPORT_PHR_CLINICAL, P.IMPORT_PHR_VITALS),
    "phr_import.apply_import": needs(P.IMPORT_PHR_CLINICAL, P.IMPORT_PHR_VITALS),
    "phr_import.undo_import": needs(P.IMPORT_PHR_CLINICAL),  # called with an import that wrote clinical rows
    "phr_import.import_history": needs(P.VIEW_CHART),
    "phr_rejections.mark_rejected": Helper("plan_import marks items rejected before (its permission check covers it)"),
    "phr_rejections.record_rejections": Helper("apply_import stores what the reviewer left out (its checks cover it)"),
    "phr_rejections.rejections": Helper("read by mark_rejected inside plan_import"),
    # practice, prescribers, page size
    "practice.practice_name": Everyone("shown on the login page before anyone logs in"),
    "prescribers.list_prescribers": Everyone("prescriber names and numbers are printed on every prescription"),
    "prescribers.get_prescriber": Everyone("printed on every prescription"),
    "prescribers.prescriber_for_user": Everyone("printed on every prescription"),
    "prescribers.save_prescriber": needs(P.MANAGE_USERS, P.MANAGE_SETTINGS),
    "prescribers.get_practice": Everyone("the practice header on every printed page"),
    "prescribers.get_page_size": Everyone("a practice setting every printout reads"),
    "prescribers.set_page_size": needs(P.MANAGE_SETTINGS),
    # prescriptions
    "prescriptions.find_prescription_id": Everyone("turns a typed prescription number into an id, nothing more"),
    "prescriptions.create_draft": needs(P.PRESCRIBE),
    "prescriptions.update_draft": needs(P.PRESCRIBE),
    "prescriptions.discard_draft": needs(P.PRESCRIBE),
    "prescriptions.get_prescription": needs(P.VIEW_CHART, P.PRINT),
    "prescriptions.history": needs(P.VIEW_CHART, P.PRINT),
    "prescriptions.active_prescriptions": needs(P.VIEW_CHART, P.PRINT),
    "prescriptions.check_before_signing": needs(P.PRESCRIBE),
    "prescriptions.sign": needs(P.PRESCRIBE),
    "prescriptions.renew": needs(P.PRESCRIBE),
    "prescriptions.modify": needs(P.PRESCRIBE),
    "prescriptions.discontinue": needs(P.PRESCRIBE),
    "demo_chart.add_demo_prescriptions": NobodyLoggedIn("demo generator"),
    # laboratory results (issue 15): nurses and physicians enter paper results, front desk sees none
    "results.record_results": needs(P.EDIT_CHART),
    "results.bulk_add_results": needs(P.EDIT_CHART),
    "results.mark_result_in_error": needs(P.EDIT_CHART),
    "results.mark_panel_in_error": needs(P.EDIT_CHART),
    "results.results_view": needs(P.VIEW_CHART),
    "results.trend": needs(P.VIEW_CHART),
    "results.latest_key_results": needs(P.VIEW_CHART),
    "results.latest_values": needs(P.VIEW_CHART),
    "results.recent_results_text": needs(P.VIEW_CHART),
    "results.entry_context": needs(P.VIEW_CHART),
    "results.recent_for_print": needs(P.PRINT),
    "lab_alerts.drug_lab_alerts": needs(P.VIEW_CHART),
    "demo_labs.add_demo_results": NobodyLoggedIn("demo generator"),
    # histories (issue 18): physicians record procedures and family history, nurses social history too
    "procedure_history.list_procedures": needs(P.VIEW_CHART),
    "procedure_history.get_procedure": needs(P.VIEW_CHART),
    "social_history.get_entry": needs(P.VIEW_CHART),
    "family_history.get_entry": needs(P.VIEW_CHART),
    "procedure_history.create_procedure": needs(P.RECORD_HISTORY),
    "procedure_history.add_procedure": needs(P.RECORD_HISTORY),
    "procedure_history.update_procedure": needs(P.RECORD_HISTORY),
    "procedure_history.mark_procedure_in_error": needs(P.RECORD_HISTORY),
    "social_history.list_social_history": needs(P.VIEW_CHART),
    "social_history.smoking_status": needs(P.VIEW_CHART),
    "social_history.create_entry": needs(P.EDIT_CHART),
    "social_history.add_entry": needs(P.EDIT_CHART),
    "social_history.update_entry": needs(P.EDIT_CHART),
    "social_history.mark_entry_in_error": needs(P.EDIT_CHART),
    "family_history.list_family_history": needs(P.VIEW_CHART),
    "family_history.create_entry": needs(P.RECORD_HISTORY),
    "family_history.add_entry": needs(P.RECORD_HISTORY),
    "family_history.update_entry": needs(P.RECORD_HISTORY),
    "family_history.mark_entry_in_error": needs(P.RECORD_HISTORY),
    "outside_encounters.list_outside_encounters": needs(P.VIEW_CHART),
    "history_summary.history_brief": needs(P.VIEW_CHART),
    "history_alerts.smoking_contraceptive_alerts": needs(P.VIEW_CHART),
    "history_summary.brief_for_print": needs(P.PRINT),
    "history_summary.social_history_text": needs(P.VIEW_CHART),
    "outside_encounters.create_encounter": needs(P.IMPORT_PHR_CLINICAL),
    "outside_encounters.mark_outside_encounter_in_error": needs(P.RECORD_HISTORY),
    # problems
    "chart_rows.require_patient": Helper("shared by the chart list services"),
    "demo.require_system": Helper("the check itself: refuses anyone logged in"),
    "chart_rows.refuse_before_birth": Helper("shared by the chart list services"),
    "chart_rows.load_row": Helper("shared by the chart list services"),
    "chart_rows.user_name": Helper("shared by the chart list services"),
    "chart_rows.check_version": Helper("shared by the chart list services"),
    "chart_rows.flush": Helper("shared by the chart list services"),
    "chart_rows.apply_changes": Helper("shared by the chart list services"),
    "chart_rows.mark_in_error": needs(P.EDIT_CHART),
    # the one alert-decision protocol: called by the services that raise alerts, with their own permission
    "alert_decisions.gate": Helper("the alert gate of every service that raises alerts"),
    "alert_decisions.record": Helper("stores a decision through alerts.record_override (OVERRIDE_ALERT)"),
    "problems.list_problems": needs(P.VIEW_CHART),
    "problems.get_problem": needs(P.VIEW_CHART),
    "problems.add_problem": needs(P.EDIT_CHART),
    "problems.update_problem": needs(P.EDIT_CHART),
    "problems.mark_problem_in_error": needs(P.EDIT_CHART),
    # settings
    "settings.read_value": Everyone("practice settings are read by every workstation"),
    "settings.write_value": needs(P.MANAGE_SETTINGS),
    "settings.get_idle_lock_minutes": Everyone("every workstation's idle lock reads it"),
    "settings.set_idle_lock_minutes": needs(P.MANAGE_SETTINGS),
    "settings.get_practice_form": needs(P.MANAGE_SETTINGS),
    "settings.save_practice": needs(P.MANAGE_SETTINGS),
    # chart summary
    "summary.chart_summary": needs(P.VIEW_CHART),
    # users
    "users.list_users": needs(P.MANAGE_USERS),
    "users.get_user": needs(P.MANAGE_USERS),
    "users.add_user": needs(P.MANAGE_USERS),
    "users.set_active": needs(P.MANAGE_USERS),
    "users.disable_user": needs(P.MANAGE_USERS),
    "users.enable_user": needs(P.MANAGE_USERS),
    "users.set_role": needs(P.MANAGE_USERS),
    "users.reset_password": needs(P.MANAGE_USERS),
    "users.unlock_user": needs(P.MANAGE_USERS),
    "users.change_own_password": Everyone("each user changes their own password"),
    "users.setup_practice": NobodyLoggedIn("first run only: refused once any user exists"),
    # vitals
    "vitals.intake_context": needs(P.VIEW_CHART),
    "vitals.record_vitals": needs(P.EDIT_CHART),
    "vitals.add_readings": needs(P.EDIT_CHART),
    "vitals.record_vitals_sets": needs(P.EDIT_CHART),
    "vitals.mark_set_entered_in_error": needs(P.EDIT_CHART),
    "vitals.latest_vitals": needs(P.VIEW_CHART),
    "vitals.vitals_text_for_day": needs(P.VIEW_CHART),
    "vitals.flowsheet": needs(P.VIEW_CHART),
    "vitals.trend": needs(P.VIEW_CHART),
}

# Refusals that are missing today: reported to the lead. Each stays an expected failure (strict: when it is
# fixed the test says so, and the entry must be removed from here).
KNOWN_GAPS: dict[str, str] = {
}


# ---------------------------------------------------------------- discovery

def public_service_functions() -> dict[str, object]:
    """module.function -> function, for every public function taking a unit of work (first parameter `uow`)."""
    found: dict[str, object] = {}
    for info in pkgutil.iter_modules(services_pkg.__path__):
        module = importlib.import_module(f"desktop.services.{info.name}")
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != module.__name__:
                continue
            params = list(inspect.signature(fn).parameters)
            if params and params[0] in ("uow", "db"):
                found[f"{info.name}.{name}"] = fn
    return found


FUNCTIONS = public_service_functions()


def test_every_service_function_is_in_the_matrix():
    missing = sorted(set(FUNCTIONS) - set(MATRIX_TABLE))
    assert not missing, f"classify these service functions in MATRIX_TABLE: {missing}"
    stale = sorted(set(MATRIX_TABLE) - set(FUNCTIONS))
    assert not stale, f"these functions no longer exist; remove them from MATRIX_TABLE: {stale}"


def test_matrix_follows_design():
    """DESIGN.md: front desk no clinical entries, nurse no signing or prescribing, admin no clinical entries."""
    assert "nurse" in MATRIX_TABLE["encounters.sign"].wrong_roles()
    assert "nurse" in MATRIX_TABLE["prescriptions.sign"].wrong_roles()
    assert set(MATRIX_TABLE["vitals.record_vitals"].wrong_roles()) == {"front_desk", "admin"}
    assert set(MATRIX_TABLE["users.add_user"].wrong_roles()) == {"physician", "nurse", "front_desk"}
    assert MATRIX_TABLE["patients.register_patient"].wrong_roles() == ["admin"]


# ---------------------------------------------------------------- a practice with a full chart

class Anything:
    """Stands for an argument the service must not look at before checking the role."""

    def __repr__(self) -> str:
        return "<anything>"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One SQLite practice (module-wide): test users, demo charts, a prescriber, a prescription, a draft note,
    an applied PHR import. Refused calls roll back, so the data stays as built."""
    from desktop.models import (
        Allergy,
        Encounter,
        Immunization,
        Medication,
        Patient,
        PhrImport,
        Prescription,
        Problem,
    )
    from desktop.services import demo, demo_chart, prescribers
    from desktop.services.database import Database
    from desktop.services.demo_chart import fill_demo_charts
    from tests.conftest import _seed

    path = tmp_path_factory.mktemp("matrix") / "matrix.db"
    db = Database.open(f"sqlite:///{path}", create=True)
    _seed(db)
    with db.uow() as uow:
        demo.ensure_named_demo_patients(uow)
    with db.uow() as uow:
        fill_demo_charts(uow, [], cap=0)
    with db.uow() as uow:
        from desktop.models import Prescriber

        prescriber = Prescriber(user_id=1, full_name="Ana Lima", credentials="MD",
                                npi="123456789" + prescribers.npi_check_digit("123456789"), dea_number=None, state_licence="IL 1",
                                specialty="Family Medicine")
        uow.session.add(prescriber)
        uow.session.flush()
        s = uow.session
        pid = s.execute(select(Patient.id).where(Patient.family_name == "Müller")).scalar()
        demo_chart.add_demo_prescriptions(uow, [pid], prescriber.id, random.Random(1))
        draft = Encounter(patient_id=pid, encounter_date=datetime.now(UTC), status="draft", provider_id=1,
                          reason="cough")
        s.add(draft)
        s.add(PhrImport(patient_id=pid, file_name="phr.json", sha256="0" * 64, user_id=1, status="applied",
                        counts_json=json.dumps({"written": {"problems": {"new": 1}}})))
        s.flush()

        def first(model, **where):
            stmt = select(model.id)
            for k, v in where.items():
                stmt = stmt.where(getattr(model, k) == v)
            return s.execute(stmt.order_by(model.id).limit(1)).scalar()

        ids = {
            "patient_id": pid,
            "mrn": s.get(Patient, pid).mrn,
            "problem_id": first(Problem),
            "allergy_id": first(Allergy),
            "medication_id": first(Medication),
            "immunization_id": first(Immunization),
            "signed_encounter_id": first(Encounter, status="signed"),
            "draft_encounter_id": draft.id,
            "rx_id": first(Prescription),
            "prescriber_id": prescriber.id,
            "import_id": first(PhrImport),
            "user_id": 2,
        }
    assert all(v is not None for v in ids.values()), ids
    yield db, ids
    db.dispose()


DRAFT_NOTE_FUNCTIONS = {"encounters.save_draft", "encounters.autosave", "encounters.recover_autosave",
                        "encounters.discard_autosave", "encounters.sign", "encounters.vitals_for_encounter"}


def arguments(key: str, fn, ids: dict) -> list:
    """Positional arguments after uow: real ids where the service looks a row up, placeholders elsewhere."""
    from desktop.services.settings import PracticeInput
    from desktop.services.users import NewUser

    special = {
        "users.setup_practice": [PracticeInput(name="Takeover"), NewUser("boss", "Boss", "admin", "long enough",
                                                                         "long enough")],
        "settings.write_value": ["security.idle_lock_minutes", 1],
        "encounters.add_problem_for_note": [ids["patient_id"], "Migraine", "G43.909"],
        "prescriptions.find_prescription_id": ["1"],
        "documents.printed_before": ["summary", [ids["mrn"]], ids["patient_id"]],
        "vitals.vitals_text_for_day": [ids["patient_id"], date.today()],
        "demo.add_patients": [2],
        "demo_chart.add_demo_prescriptions": [[ids["patient_id"]], ids["prescriber_id"], random.Random(2)],
        "demo_chart.fill_demo_charts": [[ids["patient_id"]]],
    }
    if key in special:
        return special[key]
    args = []
    for name, param in list(inspect.signature(fn).parameters.items())[1:]:
        if param.default is not inspect.Parameter.empty or param.kind in (param.KEYWORD_ONLY, param.VAR_KEYWORD,
                                                                          param.VAR_POSITIONAL):
            continue
        if name == "encounter_id":
            args.append(ids["draft_encounter_id"] if key in DRAFT_NOTE_FUNCTIONS else ids["signed_encounter_id"])
        elif name in ids:
            args.append(ids[name])
        elif name == "rx_ids":
            args.append([ids["rx_id"]])
        elif name in ("expected_version", "base_version"):
            args.append(1)
        elif name in ("reason", "description", "text", "password", "username"):
            args.append("because")
        else:
            args.append(Anything())
    return args


CASES = [pytest.param(key, role, id=f"{key}-as-{role}",
                      marks=[pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[key])] if key in KNOWN_GAPS else [])
         for key, rule in sorted(MATRIX_TABLE.items()) for role in rule.wrong_roles()]


@pytest.mark.parametrize(("key", "role"), CASES)
def test_wrong_role_is_refused(world, key, role):
    from tests.conftest import user_for

    db, ids = world
    fn = FUNCTIONS[key]
    args = arguments(key, fn, ids)
    user = user_for(role)
    if next(iter(inspect.signature(fn).parameters)) == "db":
        pytest.fail(f"{key} takes a Database, not a unit of work: it cannot know who calls it")
    with pytest.raises(PermissionDenied):
        with db.uow(user) as uow:
            fn(uow, *args)


def test_refusals_name_the_reason(world):
    db, ids = world
    from desktop.services import encounters, users
    from tests.conftest import user_for

    with db.uow(user_for("nurse")) as uow, pytest.raises(PermissionDenied, match="only a physician may sign"):
        encounters.sign(uow, ids["draft_encounter_id"], 1)
    with db.uow(user_for("physician")) as uow, pytest.raises(PermissionDenied, match="administrator"):
        users.list_users(uow)

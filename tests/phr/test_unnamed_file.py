"""A PHR file that names no patient is never merged silently (issue 13 point 1).

The files are real samples with their patient taken out, as a hostile tester made them: a Synthea bundle whose
Patient lost name, birth date and gender (its identifiers, from Synthea's own systems, stay), and a C-CDA
without its <recordTarget>. The command line runs as a real process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from sqlalchemy import func, select

from desktop.models import AuditEntry, PhrImport, Problem
from desktop.phr import ChartPatient, PhrPatient, Verdict, match_identity, read_file
from desktop.phr.identity import CONFIRMATION
from desktop.services import phr_import as svc
from tests.conftest import user_for

from .conftest import APPLE_HYDAWO, CCD2, CLEMENTE, dump

ROOT = Path(__file__).resolve().parents[2]
CHART = ChartPatient(id=1, mrn="00000070", given_name="Zoe", family_name="Muller", birth_date=date(1980, 1, 2),
                     sex="female")


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "EMR_DB_URL"}
    return subprocess.run([sys.executable, "-m", "desktop", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=180)


@pytest.fixture
def anonymous_synthea(samples, tmp_path) -> Path:
    bundle = json.loads((samples / CLEMENTE).read_text(encoding="utf-8"))
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Patient":
            for key in ("name", "birthDate", "gender"):
                entry["resource"].pop(key)
    out = tmp_path / "no-patient.json"
    out.write_text(json.dumps(bundle), encoding="utf-8")
    return out


@pytest.fixture
def ccda_without_record_target(samples, tmp_path) -> Path:
    text = (samples / CCD2).read_text(encoding="utf-8")
    stripped, n = re.subn(r"<recordTarget>.*?</recordTarget>", "", text, flags=re.S)
    assert n == 1
    out = tmp_path / "no-record-target.xml"
    out.write_text(stripped, encoding="utf-8")
    return out


# ------------------------------------------------------------------ the verdict

def test_nothing_that_names_a_person_needs_confirmation():
    assert match_identity(PhrPatient(ref="p"), CHART).verdict is Verdict.NO_DEMOGRAPHICS
    assert match_identity(None, CHART).verdict.needs_confirmation
    assert match_identity(PhrPatient(ref="p", sex="unknown"), CHART).verdict is Verdict.NO_DEMOGRAPHICS
    # identifiers from another system tie the file to nobody in this chart
    foreign = match_identity(PhrPatient(ref="p", identifiers=(("urn:synthea", "1484a42d"),)), CHART)
    assert foreign.verdict is Verdict.NO_DEMOGRAPHICS and foreign.evidence[0].field == "identifier"
    # the chart's own MRN is evidence; a birth date and sex (Apple Health) are partial evidence, as before
    assert match_identity(PhrPatient(ref="p", identifiers=(("mrn", "00000070"),)), CHART).verdict is Verdict.PARTIAL
    apple = match_identity(PhrPatient(ref="me", birth_date=date(1980, 1, 2), sex="female"), CHART)
    assert apple.verdict is Verdict.PARTIAL and not apple.verdict.needs_confirmation


def test_the_samples_with_their_patient_removed_name_nobody(anonymous_synthea, ccda_without_record_target):
    for path in (anonymous_synthea, ccda_without_record_target):
        parsed = read_file(path)
        assert any(parsed.counts.values())
        assert match_identity(parsed.patient(), CHART).verdict is Verdict.NO_DEMOGRAPHICS


def test_the_service_refuses_without_the_users_confirmation(db, add_patient, anonymous_synthea):
    patient = add_patient(given="Zoe", family="Muller", birth_date=date(1980, 1, 2))
    parsed = read_file(anonymous_synthea)
    with db.uow(user_for("physician")) as uow:
        plan = svc.plan_import(uow, patient.id, parsed)
    assert plan.identity.verdict is Verdict.NO_DEMOGRAPHICS
    before = dump(db)
    with pytest.raises(svc.IdentityUnconfirmed, match="names no patient"), db.uow(user_for("physician")) as uow:
        svc.apply_import(uow, patient.id, plan, plan.default_decisions("new"), plan.info)
    assert dump(db) == before


# ------------------------------------------------------------------ the command line

def test_cli_refuses_a_file_that_names_no_patient_then_records_the_confirmation(
        db, db_url, add_patient, anonymous_synthea):
    unrelated = add_patient(given="Zoe", family="Muller", birth_date=date(1980, 1, 2))
    before = dump(db)
    refused = cli("import-phr", str(anonymous_synthea), "--patient", unrelated.mrn, "--db", db_url, "--json")
    assert refused.returncode == 3, refused.stderr
    assert refused.stderr.count("\n") == 1 and "names no patient" in refused.stderr
    assert "--confirm-identity" in refused.stderr and "Traceback" not in refused.stderr
    out = json.loads(refused.stdout)  # the usual report, nothing applied
    assert out["applied"] is False and out["import_id"] is None
    assert out["patient"]["identity"] == "no-demographics" and out["categories"]["problems"]["new"] == 1
    assert dump(db) == before

    confirmed = cli("import-phr", str(anonymous_synthea), "--patient", unrelated.mrn, "--db", db_url, "--json",
                    "--confirm-identity")
    assert confirmed.returncode == 0, confirmed.stderr
    out = json.loads(confirmed.stdout)
    assert out["applied"] is True and isinstance(out["import_id"], int)
    with db.uow() as uow:
        imp = uow.session.get(PhrImport, out["import_id"])
        assert CONFIRMATION in imp.identity_override_reason
        row = uow.session.execute(select(AuditEntry).where(AuditEntry.action == "phr_import")).scalar_one()
        assert row.username.startswith("cli:") and CONFIRMATION in row.summary and "names no patient" in row.summary


def test_cli_refuses_a_ccda_without_record_target_even_in_a_dry_run(db, db_url, add_patient,
                                                                     ccda_without_record_target):
    patient = add_patient(given="Zoe", family="Muller", birth_date=date(1980, 1, 2))
    before = dump(db)
    result = cli("import-phr", str(ccda_without_record_target), "--patient", patient.mrn, "--db", db_url,
                 "--dry-run")
    assert result.returncode == 3 and "names no patient" in result.stderr
    assert "nothing applied" in result.stdout
    assert dump(db) == before


def test_cli_partial_evidence_with_no_contradiction_merges_as_before(db, db_url, add_patient, samples):
    patient = add_patient(given="Hanna", family="Fixture", birth_date=date(1990, 1, 1))
    result = cli("import-phr", str(samples / APPLE_HYDAWO), "--patient", patient.mrn, "--db", db_url, "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["patient"]["identity"] == "partial" and out["applied"] is True
    with db.uow() as uow:
        assert uow.session.get(PhrImport, out["import_id"]).identity_override_reason == ""


# ------------------------------------------------------------------ the dialog

@pytest.mark.gui
def test_dialog_needs_the_users_confirmation_and_records_their_name(qtbot, app_ctx, db, add_patient,
                                                                    anonymous_synthea, messages):
    from desktop.views.phr_import_dialog import PhrImportDialog

    patient = add_patient(given="Zoe", family="Muller", birth_date=date(1980, 1, 2))
    dialog = PhrImportDialog(app_ctx("nurse"), patient.id, anonymous_synthea)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 2, timeout=20000)
    assert "names no patient" in dialog.identity_label.text()
    assert dialog.confirm_identity.isVisible() and dialog.confirm_identity.isEnabled()
    assert dialog.confirm_identity.text() == "I confirmed with the patient that this file is theirs"
    assert not dialog.identity_reason.isVisible()
    assert dialog.book.selected_count("observations") > 0  # a nurse may merge the readings
    assert not dialog.apply_button.isEnabled() and "Confirm the patient" in dialog.summary.text()
    box = dialog.confirm_identity
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))  # on the tick box
    assert box.isChecked()
    assert dialog.apply_button.isEnabled()
    with qtbot.waitSignal(dialog.sig_applied, timeout=20000):
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    nurse = user_for("nurse")
    with db.uow() as uow:
        reason = uow.session.execute(select(PhrImport.identity_override_reason)).scalar_one()
        assert nurse.display_name in reason and CONFIRMATION in reason
        row = uow.session.execute(select(AuditEntry).where(AuditEntry.action == "phr_import")).scalar_one()
        assert row.user_id == nurse.id and CONFIRMATION in row.summary
        assert uow.session.execute(select(func.count()).select_from(Problem)).scalar_one() == 0  # nurse: readings


@pytest.mark.gui
def test_dialog_unconfirmed_file_cannot_be_merged(qtbot, app_ctx, db, add_patient, ccda_without_record_target,
                                                  messages):
    from desktop.views.phr_import_dialog import PhrImportDialog

    patient = add_patient(given="Zoe", family="Muller", birth_date=date(1980, 1, 2))
    before = dump(db)
    dialog = PhrImportDialog(app_ctx("physician"), patient.id, ccda_without_record_target)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == 2, timeout=20000)
    assert dialog.book.selected_count() > 0 and not dialog.apply_button.isEnabled()
    dialog.apply()  # the keyboard shortcut path: refused while unconfirmed
    assert dump(db) == before

"""Apply checks the reviewed plan against the chart as it is now, and diffs again only the lists that changed
(each list's mark: row count, highest id, sum of versions): an unchanged chart is not diffed twice."""

from __future__ import annotations

from sqlalchemy import func, select

from desktop.models import Problem, VitalSign
from desktop.phr import ItemStatus, read_file
from desktop.services import phr_import as svc
from desktop.services import vitals
from desktop.services.chart_rows import Provenance
from desktop.services.vitals import Reading

from .conftest import MIGUEL, apply_reviewed


def _spy_build_plan(monkeypatch) -> list[dict[str, int]]:
    """Each call of build_plan made by the merge: how many file items of each list it was given."""
    calls: list[dict[str, int]] = []
    real = svc.build_plan

    def spy(parsed, *a, **k):
        calls.append({c: n for c, n in parsed.counts.items() if n})
        return real(parsed, *a, **k)

    monkeypatch.setattr(svc, "build_plan", spy)
    return calls


def _plan(db, physician, patient_id):
    with db.uow(physician) as uow:
        return svc.plan_import(uow, patient_id, read_file(_samples() / MIGUEL))


def _samples():
    from tests.conftest import SAMPLES

    return SAMPLES


def test_an_unchanged_chart_takes_the_reviewed_plan_as_it_is(db, chart_for, physician, monkeypatch):
    patient = chart_for(MIGUEL)
    plan = _plan(db, physician, patient.id)
    assert dict(plan.chart_marks).keys() >= {"problems", "observations", "results"}
    calls = _spy_build_plan(monkeypatch)
    with db.uow(physician) as uow:
        result = apply_reviewed(uow, patient.id, plan)
    assert calls == []
    assert result.applied
    new = plan.counts()
    assert result.written["problems"]["added"] == new["problems"]["new"]
    assert result.written["observations"]["added"] == sum(
        1 for i in plan.items if i.category == "observations" and i.status is ItemStatus.NEW)


def test_a_reading_entered_meanwhile_rediffs_the_readings_only(db, chart_for, physician, nurse, monkeypatch):
    patient = chart_for(MIGUEL)
    plan = _plan(db, physician, patient.id)
    readings = [i for i in plan.items if i.category == "observations" and i.status is ItemStatus.NEW]
    clash = readings[0].file_item
    with db.uow(nurse) as uow:  # another workstation: the same kind, the same minute, another value
        vitals.add_readings(uow, patient.id, [Reading(
            set_id="meanwhile", taken_at=clash.taken_at, loinc=clash.loinc, value=clash.value + 7, unit=clash.unit,
            origin="device", provenance=Provenance())])
    calls = _spy_build_plan(monkeypatch)
    with db.uow(physician) as uow:
        result = apply_reviewed(uow, patient.id, plan)
    # each round of the alert decision writes again: every one diffed the readings alone
    assert calls and all(c == {"observations": sum(1 for i in plan.items if i.category == "observations")}
                         for c in calls)
    assert any("changed since the review" in n for n in result.notes)
    assert result.written["observations"]["added"] == len(readings) - 1
    with db.uow() as uow:
        s = uow.session
        assert s.execute(select(func.count()).select_from(VitalSign)
                         .where(VitalSign.patient_id == patient.id)).scalar_one() == len(readings)
        assert s.execute(select(func.count()).select_from(Problem)
                         .where(Problem.patient_id == patient.id)).scalar_one() == result.written["problems"]["added"]


def test_an_edited_problem_rediffs_the_problems_only(db, chart_for, physician, monkeypatch):
    patient = chart_for(MIGUEL)
    plan = _plan(db, physician, patient.id)
    with db.uow(physician) as uow:  # the plan's problems were diffed against a chart without this one
        from desktop.services.problems import ProblemInput, add_problem

        add_problem(uow, patient.id, ProblemInput(description="Seasonal allergic rhinitis"))
    calls = _spy_build_plan(monkeypatch)
    with db.uow(physician) as uow:
        result = apply_reviewed(uow, patient.id, plan)
    assert calls and all(c == {"problems": sum(1 for i in plan.items if i.category == "problems")} for c in calls)
    assert result.applied


def test_the_merge_reports_progress_and_cancel_leaves_the_chart_unchanged(db, chart_for, physician):
    import pytest

    from desktop.services.errors import Cancelled

    from .conftest import dump

    patient = chart_for(MIGUEL)
    plan = _plan(db, physician, patient.id)
    before = dump(db)
    seen: list[tuple[int, int, str]] = []
    with pytest.raises(Cancelled), db.uow(physician) as uow:
        apply_reviewed(uow, patient.id, plan, progress=lambda d, t, s: seen.append((d, t, s)),
                       cancelled=lambda: any(s == "writing readings" for *_, s in seen))
    assert seen[0][2] == "merging" and seen[-1][2] == "writing readings"
    assert dump(db) == before  # the problems, medications... written before Cancel went with the rollback
    stages: list[str] = []
    with db.uow(physician) as uow:
        result = apply_reviewed(uow, patient.id, plan, progress=lambda d, t, s: stages.append(s))
    assert result.applied and {"merging", "writing readings"} <= set(stages)

"""`apple_import`: the whole `import-phr` of a generated Apple Health export.xml (250,000 records), beside the
reference "stdlib iterparse of the same file + one executemany insert of the same number of readings".

Both run as their own process, so the peak memory (max RSS) of each is measured too. The file is generated once
(deterministic) and kept in the bench cache: heart rate, steps, weight, blood pressure correlations (with their
top-level duplicates, as the iPhone writes them) and active energy, under the DTD the iPhone puts on top.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from . import CaseCannotRun, CaseResult, median_p95
from .context import BenchContext

N_RECORDS = 250_000
SEED = 20261204

_HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate value CDATA #REQUIRED>
<!ELEMENT Me EMPTY>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record type CDATA #REQUIRED unit CDATA #IMPLIED value CDATA #IMPLIED sourceName CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED device CDATA #IMPLIED creationDate CDATA #IMPLIED startDate CDATA #REQUIRED
  endDate CDATA #REQUIRED>
<!ELEMENT Correlation ((MetadataEntry|Record)*)>
<!ATTLIST Correlation type CDATA #REQUIRED sourceName CDATA #REQUIRED startDate CDATA #REQUIRED
  endDate CDATA #REQUIRED>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry key CDATA #REQUIRED value CDATA #REQUIRED>
]>
<HealthData locale="en_US">
 <ExportDate value="2026-11-30 08:00:00 -0500"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="1961-04-12" HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale" HKCharacteristicTypeIdentifierBloodType="HKBloodTypeNotSet" HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet" HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse="None"/>
"""
_DEVICE = ('&lt;&lt;HKDevice: 0x283c5e300&gt;, name:Apple Watch, manufacturer:Apple Inc., model:Watch, '
           'hardware:Watch6,2, software:10.1&gt;')


def _ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S -0500")


def _record(rtype: str, unit: str, value: str, source: str, t: datetime, minutes: int = 0, device: str = "") -> str:
    start, end = _ts(t), _ts(t + timedelta(minutes=minutes))
    dev = f' device="{device}"' if device else ""
    return (f' <Record type="HKQuantityTypeIdentifier{rtype}" sourceName="{source}" sourceVersion="10.1"{dev} '
            f'unit="{unit}" creationDate="{end}" startDate="{start}" endDate="{end}" value="{value}"/>\n')


def generate(path: Path, n_records: int = N_RECORDS) -> int:
    """Write an export.xml of n_records top-level records; returns how many readings the reference inserts."""
    rng = random.Random(SEED)
    t = datetime(2023, 1, 1, 6, 0)
    written = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write(_HEADER)
        while written < n_records:
            t += timedelta(minutes=rng.randint(3, 9))
            roll = rng.random()
            if roll < 0.55:
                f.write(_record("HeartRate", "count/min", str(rng.randint(52, 118)), "Ana's Apple Watch", t,
                                device=_DEVICE))
                written += 1
            elif roll < 0.80:
                f.write(_record("StepCount", "count", str(rng.randint(10, 900)), "Ana's iPhone", t, minutes=5))
                written += 1
            elif roll < 0.95:
                f.write(_record("ActiveEnergyBurned", "kcal", f"{rng.uniform(0.5, 30):.3f}", "Ana's Apple Watch", t,
                                minutes=5, device=_DEVICE))
                written += 1
            elif roll < 0.98:
                sys_v, dia_v = rng.randint(112, 158), rng.randint(68, 98)
                s = _record("BloodPressureSystolic", "mmHg", str(sys_v), "Omron Connect", t)
                d = _record("BloodPressureDiastolic", "mmHg", str(dia_v), "Omron Connect", t)
                f.write(f' <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Omron Connect" '
                        f'startDate="{_ts(t)}" endDate="{_ts(t)}">\n {s} {d} </Correlation>\n')
                f.write(s + d)  # the iPhone repeats a correlation's records at the top level
                written += 2
            else:
                f.write(_record("BodyMass", "lb", f"{rng.uniform(150, 168):.1f}", "Withings", t))
                written += 1
        f.write("</HealthData>\n")
    return written


REFERENCE = r"""
import sqlite3, sys
from xml.etree.ElementTree import iterparse
path, db = sys.argv[1], sys.argv[2]
rows = []
depth = 0
root = None
for event, elem in iterparse(path, events=("start", "end")):
    if event == "start":
        depth += 1
        if depth == 1:
            root = elem
        continue
    depth -= 1
    if elem.tag == "Record" and depth == 1:
        a = elem.attrib
        rows.append((a.get("type"), a.get("startDate"), float(a.get("value") or 0), a.get("unit"), a.get("sourceName")))
    if depth == 1:
        root.clear()
con = sqlite3.connect(db)
con.execute("CREATE TABLE reading (type TEXT, taken TEXT, value REAL, unit TEXT, source TEXT)")
con.executemany("INSERT INTO reading VALUES (?, ?, ?, ?, ?)", rows)
con.commit()
print(len(rows))
"""


def _child(cmd: list[str], env: dict) -> tuple[float, float, float, str]:
    """Run one process; its wall time (ms), its own peak RSS (MB), its CPU time (ms: user + system, steadier than
    the wall time on a shared machine) and its stdout."""
    t0 = time.perf_counter()
    wrapper = ("import resource, subprocess, sys\n"
               "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
               "sys.stderr.write(p.stderr)\n"
               "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
               "print(u.ru_maxrss)\n"
               "print(p.returncode)\n"
               "print((u.ru_utime + u.ru_stime) * 1000)\n"
               "sys.stdout.write(p.stdout)\n")
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], env=env, capture_output=True, text=True)
    ms = (time.perf_counter() - t0) * 1000
    lines = out.stdout.split("\n", 3)
    if len(lines) < 3 or lines[1].strip() != "0":
        raise CaseCannotRun(f"{' '.join(cmd[:4])} … failed: {(out.stderr or out.stdout).strip()[-400:]}")
    return ms, int(lines[0]) / 1024, float(lines[2]), lines[3] if len(lines) > 3 else ""


def _make_practice(path: Path) -> str:
    """The practice, its users and the patient whose export this is (born 1961-04-12, female, as in <Me>)."""
    from datetime import date

    from desktop.services import demo
    from desktop.services.database import Database
    from desktop.services.patients import PatientInput, register_patient
    from desktop.services.uow import CurrentUser

    path.unlink(missing_ok=True)
    db = Database.open(f"sqlite:///{path}", create=True)
    try:
        with db.uow() as uow:
            demo.create_practice_and_users(uow)
        with db.uow(CurrentUser(id=None, username="bench", display_name="Bench", role="system",
                                system=True)) as uow:
            return register_patient(uow, PatientInput(given_name="Ana", family_name="Appleton", sex="female",
                                                      birth_date=date(1961, 4, 12))).mrn
    finally:
        db.dispose()


def run(ctx: BenchContext) -> CaseResult:
    cache = Path(ctx.cache_dir)
    export = cache / f"apple-export-{N_RECORDS}-{SEED}.xml"
    if not export.exists():
        partial = export.with_suffix(".partial")
        generate(partial)
        partial.rename(export)
    env = {**os.environ, "EMR_DATA_DIR": str(cache / "apple-data")}
    from desktop.models.schema import head_revision

    # a practice with its users, made once per schema version (not timed): a template of an older schema would
    # have every timed import upgrade (and back up) its copy first
    template = cache / f"apple-practice-{head_revision()}.db"
    mrn_file = template.with_suffix(".mrn")
    if not (template.exists() and mrn_file.exists()):
        mrn_file.write_text(_make_practice(Path(f"{template}.tmp")), encoding="utf-8")
        Path(f"{template}.tmp").rename(template)
    mrn = mrn_file.read_text(encoding="utf-8")
    app_ms, ref_ms, app_mb, ref_mb, app_cpu, ref_cpu = [], [], [], [], [], []
    counts: dict = {}
    for _ in range(max(1, min(3, ctx.repeat // 5))):
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            db = Path(tmp) / "import.db"
            shutil.copyfile(template, db)
            ms, mb, cpu, out = _child([sys.executable, "-m", "desktop", "import-phr", str(export), "--patient", mrn,
                                       "--accept", "new", "--db", f"sqlite:///{db}", "--json"], env)
            app_ms.append(ms)
            app_mb.append(mb)
            app_cpu.append(cpu)
            counts = json.loads(out).get("categories", {}).get("observations", counts)
            ms, mb, cpu, _ = _child([sys.executable, "-c", REFERENCE, str(export), str(Path(tmp) / "ref.db")], env)
            ref_ms.append(ms)
            ref_mb.append(mb)
            ref_cpu.append(cpu)
    ms, p95 = median_p95(app_ms)
    ref, _ = median_p95(ref_ms)
    cpu, _ = median_p95(app_cpu)
    ref_cpu_ms, _ = median_p95(ref_cpu)
    return CaseResult(ms, p95, ref, {
        "reference": "stdlib iterparse of the same file + one executemany insert of its records (own process)",
        "records": N_RECORDS, "file_mb": round(export.stat().st_size / 1e6, 1),
        "peak_mb": round(max(app_mb), 1), "reference_peak_mb": round(max(ref_mb), 1), "readings": counts,
        "samples": len(app_ms), "cpu_ms": round(cpu), "reference_cpu_ms": round(ref_cpu_ms),
        "cpu_ratio": round(cpu / ref_cpu_ms, 3) if ref_cpu_ms else None,
    })



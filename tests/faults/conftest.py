"""The fault suite: real processes killed with SIGKILL at random points, two writers, restore under a live
connection. Runs on SQLite, and on PostgreSQL when EMR_TEST_PG_URL is set (the root conftest's `db_url`).
Each case records how many times it was tried and how many held; the totals are printed at the end of the run
(the README's Reliability table comes from them)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIGURES: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # case -> [tried, held]


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = str(ROOT)  # this checkout's `desktop`, whatever is installed
    out.pop("EMR_DB_URL", None)
    return out


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "desktop", *args], cwd=ROOT, env=env(), capture_output=True,
                          text=True, timeout=timeout)


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "desktop", *args], cwd=ROOT, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def script(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def kill_at_random(proc: subprocess.Popen, rng: random.Random, low: float, high: float) -> bool:
    """SIGKILL the process at a random moment in [low, high) s; False when it had already finished."""
    deadline = time.monotonic() + rng.uniform(low, high)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        time.sleep(0.01)
    proc.kill()  # SIGKILL: no handler, no cleanup, as a power cut looks to the database
    proc.wait(timeout=30)
    return True


@pytest.fixture
def rng(request) -> random.Random:
    seed = int(os.environ.get("EMR_FAULT_SEED", "0")) or random.randrange(1, 10**6)
    print(f"fault seed {seed} (repeat with EMR_FAULT_SEED={seed})")
    return random.Random(seed)


@pytest.fixture
def record():
    """record(case, held: bool) counts one attempt of a case."""
    def add(case: str, held: bool) -> None:
        FIGURES[case][0] += 1
        FIGURES[case][1] += int(bool(held))
    return add


def pytest_terminal_summary(terminalreporter) -> None:
    if not FIGURES:
        return
    from tests.conftest import PG_URL

    terminalreporter.section(f"fault suite ({'PostgreSQL' if PG_URL else 'SQLite'}): tried / held")
    for case, (tried, held) in sorted(FIGURES.items()):
        terminalreporter.write_line(f"{case:48s} {tried:4d} / {held:4d}")

"""A command whose reader goes away ("python -m desktop alerts ... | head") exits as a piped Unix tool does,
without an "unexpected error" message or a crash log."""

from __future__ import annotations

import subprocess
import sys


def test_a_closed_pipe_is_not_reported_as_a_crash(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.Popen([sys.executable, "-m", "desktop", "alerts", "--drug", "warfarin", "--drug", "ibuprofen",
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.close()  # the reader is gone before the command prints a line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert "unexpected" not in err and "Traceback" not in err
    assert not list(tmp_path.rglob("error.log"))

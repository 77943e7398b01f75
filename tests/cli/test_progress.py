"""Long commands draw a progress bar on a terminal's stderr, and nothing at all into a pipe or a log."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from tests.conftest import SAMPLES

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = SAMPLES / "synthea" / "Fletcher_Hyatt_fe0562b5-f517-4951-8366-32fdab088930.json"


def _on_terminal(args: list[str], env: dict) -> str:
    """Run a command with a 120-column pseudo-terminal as stdin/stdout/stderr; everything it drew."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec at once, nothing else
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, *args], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    chunks = []
    try:
        while data := os.read(fd, 65536):
            chunks.append(data)
    except OSError:  # EIO: the child closed the terminal
        pass
    os.waitpid(pid, 0)
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_import_phr_shows_reading_progress_on_a_terminal_only(db_url, tmp_path):
    env = {**os.environ, "EMR_DATA_DIR": str(tmp_path)}
    args = ["-m", "desktop", "import-phr", str(SAMPLE), "--create-patient", "--dry-run", "--db", db_url]
    drawn = _on_terminal(args, env)
    assert "Fletcher_Hyatt" in drawn and "reading:" in drawn and "%|" in drawn, drawn[-800:]
    piped = subprocess.run([sys.executable, *args, "--json"], env=env, capture_output=True, text=True, cwd=ROOT)
    assert piped.returncode == 0, piped.stderr
    assert "%|" not in piped.stderr and "reading:" not in piped.stderr
    assert piped.stdout.lstrip().startswith("{")


def test_import_phr_shows_the_merge_on_a_terminal_only(db_url, tmp_path):
    env = {**os.environ, "EMR_DATA_DIR": str(tmp_path)}
    piped = subprocess.run([sys.executable, "-m", "desktop", "import-phr", str(SAMPLE), "--create-patient",
                            "--db", db_url, "--json"], env=env, capture_output=True, text=True, cwd=ROOT)
    assert piped.returncode == 0, piped.stderr
    assert '"applied": true' in piped.stdout
    assert "%|" not in piped.stderr and "merging" not in piped.stderr
    other = SAMPLES / "synthea" / "Reyna_Ziemann_08f8bfce-34cf-4b5a-a398-8e49650c6e3c.json"
    drawn = _on_terminal(["-m", "desktop", "import-phr", str(other), "--create-patient", "--db", db_url], env)
    assert "merging" in drawn and "writing readings" in drawn and "applied as import #" in drawn, drawn[-800:]


def _demo_db(tmp_path) -> tuple[str, dict]:
    env = {**os.environ, "EMR_DATA_DIR": str(tmp_path / "data")}
    return f"sqlite:///{tmp_path / 'demo.db'}", env


def test_demo_shows_patients_and_charts_progress_on_a_terminal_only(tmp_path):
    url, env = _demo_db(tmp_path)
    drawn = _on_terminal(["-m", "desktop", "demo", "--patients", "20", "--db", url], env)
    assert "demo: patients" in drawn and "demo: charts: visits" in drawn and "%|" in drawn, drawn[-800:]
    assert "demo practice ready" in drawn
    piped_url = f"sqlite:///{tmp_path / 'piped.db'}"
    piped = subprocess.run([sys.executable, "-m", "desktop", "demo", "--patients", "20", "--no-charts",
                            "--db", piped_url], env=env, capture_output=True, text=True, cwd=ROOT)
    assert piped.returncode == 0, piped.stderr
    assert "%|" not in piped.stderr and "demo:" not in piped.stderr


def test_backup_and_restore_show_progress_on_a_terminal_only(db_url, tmp_path):
    if not db_url.startswith("sqlite"):
        return  # PostgreSQL is backed up with the server's tools
    env = {**os.environ, "EMR_DATA_DIR": str(tmp_path / "data")}
    drawn = _on_terminal(["-m", "desktop", "backup", "--db", db_url, "--out", str(tmp_path / "b1.db")], env)
    assert "backup to b1.db: copying" in drawn and "%|" in drawn, drawn[-800:]
    assert (tmp_path / "b1.db").is_file()
    drawn = _on_terminal(["-m", "desktop", "restore", "--db", db_url, str(tmp_path / "b1.db")], env)
    assert "restore b1.db: copying the backup" in drawn and "%|" in drawn, drawn[-800:]
    assert "restored" in drawn
    for args in (["backup", "--db", db_url, "--out", str(tmp_path / "b2.db")],
                 ["restore", "--db", db_url, str(tmp_path / "b2.db")]):
        piped = subprocess.run([sys.executable, "-m", "desktop", *args], env=env, capture_output=True, text=True,
                               cwd=ROOT)
        assert piped.returncode == 0, piped.stderr
        assert "%|" not in piped.stderr and "copying" not in piped.stderr, piped.stderr

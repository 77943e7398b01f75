#!/usr/bin/env bash
# Set up (virtualenv + packages) and open the app on the embedded, encrypted database with demo patients.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e .
  touch .venv/.installed
fi
# demo practice on first run (does nothing if the database already holds patients)
.venv/bin/python -m desktop demo "$@"
exec .venv/bin/python -m desktop "$@"

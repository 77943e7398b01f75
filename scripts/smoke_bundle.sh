#!/usr/bin/env bash
# Smoke-test the built one-folder app (dist/ClinicEMR) as an office workstation would run it: every command a
# user runs, on a scratch database, and the GUI until its login window shows. Non-zero on the first failure.
#   scripts/smoke_bundle.sh [DIST_DIR]      (default: dist/ClinicEMR)
set -euo pipefail
DIST=${1:-dist/ClinicEMR}
APP="$DIST/ClinicEMR"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$APP" ] || { echo "smoke: no built app at $APP (run pyinstaller build.spec)" >&2; exit 2; }
WORK=$(mktemp -d /tmp/emr-smoke.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export EMR_DATA_DIR="$WORK/data" QT_QPA_PLATFORM=offscreen
DB="sqlite:///$WORK/smoke.db"
step() { echo "== smoke: $*"; }

step "demo"
"$APP" demo --db "$DB" --patients 20
step "check-db"
"$APP" check-db --db "$DB"
step "alerts --json"
"$APP" alerts --drug warfarin --drug aspirin --json > "$WORK/alerts.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert 'warfarin' in json.dumps(d).lower(), d" "$WORK/alerts.json"
step "print rx"
"$APP" print rx 1 --out "$WORK/rx.pdf" --db "$DB"
pdftotext "$WORK/rx.pdf" - | grep -qi "refill" || { echo "smoke: the prescription PDF lacks its text" >&2; exit 1; }
step "import-phr"
"$APP" import-phr "$ROOT/tests/data/phr-samples/synthea/Clemente_Kreiger_1484a42d-0eaf-4654-9cbf-6b050a5cd73b.json" \
  --create-patient --accept new --db "$DB" --json > "$WORK/import.json"
MRN=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['patient']['mrn'])" "$WORK/import.json")
step "export-fhir ($MRN)"
"$APP" export-fhir --patient "$MRN" --out "$WORK/export.json" --db "$DB"
python3 -c "import json,sys; b=json.load(open(sys.argv[1])); assert b['resourceType']=='Bundle' and b['entry']" "$WORK/export.json"
step "GUI to its login window"
timeout 60 "$APP" --db "$DB" --quit-after-shown
step "all passed"

#!/usr/bin/env bash
# The one test command: lint, wheel checks, every package alone, and the integration
# suites on both backends (the default nox sessions).  Arguments go to nox, e.g.
#   bash scripts/test.sh -s tests-layers                 one session
#   bash scripts/test.sh -s tests-core -- -x -k dense    pytest options after --
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"

rm -rf "$ROOT/.reports"
mkdir -p "$ROOT/.reports"
status=0
"$NOX" --report "$ROOT/.reports/nox.json" "$@" || status=$?

# The closing block: each session's duration (a slow one shows), then one line over
# every pytest run (a test that runs in two sessions counts twice).
"$BOOTSTRAP/bin/python" - "$ROOT/.reports" <<'PY'
import json, pathlib, sys, xml.etree.ElementTree as ET
folder = pathlib.Path(sys.argv[1])
if (folder / "nox.json").exists():
    sessions = json.loads((folder / "nox.json").read_text())["sessions"]
    if sessions:
        width = max(len(s["name"]) for s in sessions)
        for s in sessions:
            minutes, seconds = divmod(int(round(s.get("duration") or 0)), 60)
            print(f"{s['name']:<{width}}  {minutes:3d} min {seconds:02d} s  {s['result']}")
        total = sum(s.get("duration") or 0 for s in sessions)
        print(f"{'all sessions':<{width}}  {int(total // 60):3d} min {int(total % 60):02d} s")
reports = sorted(folder.glob("*.xml"))
if not reports:
    sys.exit(0)  # no pytest ran (nox -l, lint only, ...)
totals = dict(tests=0, failures=0, errors=0, skipped=0)
for report in reports:
    root = ET.parse(report).getroot()
    for suite in ([root] if root.tag == "testsuite" else root.iter("testsuite")):
        for key in totals:
            totals[key] += int(suite.get(key, 0))
failed = totals["failures"] + totals["errors"]
passed = totals["tests"] - failed - totals["skipped"]
print(f"total: {passed} passed, {failed} failed, {totals['skipped']} skipped")
PY
exit "$status"

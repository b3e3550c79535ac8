#!/usr/bin/env bash
# The one test command: lint, wheel checks, every package alone, and the integration
# suites on both backends (the default nox sessions).  Arguments go to nox, e.g.
#   bash scripts/test.sh -s tests-layers                 one session
#   bash scripts/test.sh -s tests-core -- -x -k dense    pytest options after --
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"

rm -rf "$ROOT/.reports"
status=0
"$NOX" "$@" || status=$?

# One closing line over every pytest run (a test that runs in two sessions counts twice).
"$BOOTSTRAP/bin/python" - "$ROOT/.reports" <<'PY'
import pathlib, sys, xml.etree.ElementTree as ET
reports = sorted(pathlib.Path(sys.argv[1]).glob("*.xml"))
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

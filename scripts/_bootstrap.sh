# Sourced by scripts/test.sh and scripts/demo.sh: a small venv with nox (and hatchling,
# which builds the wheels) pinned by constraints.txt.  Re-installs only when
# constraints.txt changes.  Override the interpreter with PYTHON=python3.X.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PIP_DISABLE_PIP_VERSION_CHECK=1
BOOTSTRAP="$ROOT/.nox-bootstrap"
if [ ! -x "$BOOTSTRAP/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$BOOTSTRAP"
fi
_stamp="$BOOTSTRAP/.constraints.sha256"
_want="$(sha256sum constraints.txt | cut -d' ' -f1)"
if [ ! -x "$BOOTSTRAP/bin/nox" ] || [ "$(cat "$_stamp" 2>/dev/null)" != "$_want" ]; then
    "$BOOTSTRAP/bin/python" -m pip install --quiet -c constraints.txt nox hatchling
    echo "$_want" > "$_stamp"
fi
NOX="$BOOTSTRAP/bin/nox"

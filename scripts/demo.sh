#!/usr/bin/env bash
# Run the demo, examples/fashion_mnist.py, in a nox-managed venv.  Arguments go to the
# script, e.g. `bash scripts/demo.sh --epochs 3`; CORNU_BACKEND=tensorflow picks the
# TensorFlow backend (default torch).  ../shared/data/fashion-mnist is used as an offline
# mirror when present (CORNU_DATASETS_MIRROR overrides it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"
exec "$NOX" -s demo -- "$@"

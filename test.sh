#!/usr/bin/env bash
# Set up (once) and run the whole test suite: bash test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -r requirements-dev.txt
export GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 NO_PROXY=127.0.0.1,localhost
exec .venv/bin/python -m pytest -q "$@"

#!/usr/bin/env bash
# Set up (once) and launch the playground on the bundled models: bash run.sh [--port 7860] [--model shapes-32|DIR] ...
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import gradio, diffusers" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -r requirements.txt
fi
exec .venv/bin/python app.py "$@"

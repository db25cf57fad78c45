#!/usr/bin/env bash
# Set up (once) and run the whole test suite: bash test.sh [pytest args]
# One pytest worker per core (pytest-xdist; each test process keeps torch to one thread): TEST_WORKERS=0 runs
# them in this process. A module's tests stay on one worker (--dist loadscope): its module-scoped fixtures (a
# browser page, a trained tiny model) are made once, and its browser tests run in order on the one page.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -r requirements-dev.txt
# The browser tests drive Debian's Chromium (never `playwright install`: it cannot download here).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
export GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 NO_PROXY=127.0.0.1,localhost
exec .venv/bin/python -m pytest -q -n "${TEST_WORKERS:-$(nproc)}" --dist loadscope "$@"

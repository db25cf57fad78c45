#!/usr/bin/env bash
# Download, on this machine, the wheels the GPU machine lacks into .whl/ (Python 3.12, manylinux x86-64), for
# bench/gpu_session.sh to install there. .whl/ is never committed: /.whl/ goes into .git/info/exclude.
#
#   bash bench/gpu_wheels.sh          # then a GPU session carries .whl (see docs/performance.md)
#
# The GPU image (/work/.library/device/KINDS.md) already holds torch 2.11, transformers 5.17, tokenizers 0.23.2,
# huggingface_hub 1.33, safetensors 0.8.0, accelerate 1.15.0, numpy, scipy, pillow, regex, requests and tqdm; it lacks
# diffusers and torchsde (DPM++ SDE in the Compare grid), and torchsde's trampoline. Those are pinned to
# requirements.txt here. transformers 5.23 / huggingface_hub 2.4 / tokenizers 0.23.3 (the venv's) are not carried:
# the whole working tree that travels to the GPU machine must stay under 64 MiB and the tracked files alone are
# ~57 MB, while transformers' wheel is 13 MB; diffusers 0.42.1 runs on the image's huggingface_hub (>= 1.32).
set -euo pipefail
cd "$(dirname "$0")/.."

pin() {  # NAME==VERSION as requirements.txt pins it, else the venv's version, else $2
  local line
  line=$(grep -i "^$1==" requirements.txt || true)
  if [ -n "$line" ]; then echo "$line"; return; fi
  local version
  version=$(.venv/bin/python -c "import importlib.metadata as m; print(m.version('$1'))" 2>/dev/null || true)
  echo "$1==${version:-$2}"
}

WHEELS=("$(pin diffusers 0.42.1)" "$(pin torchsde 0.2.6)" "$(pin trampoline 0.1.2)")

exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")"
grep -qx '/.whl/' "$exclude" 2>/dev/null || echo '/.whl/' >>"$exclude"

rm -rf .whl
mkdir -p .whl
PY=${PYTHON:-python3}
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl "${WHEELS[@]}"

ls -l .whl
wheels=$(du -cb .whl/*.whl | tail -1 | cut -f1)
# What travels: tracked files, untracked files git does not ignore, and the carried .whl.
tree=$( (git ls-files -z; git ls-files -z -o --exclude-standard) | du -cb --files0-from=- 2>/dev/null |
  tail -1 | cut -f1)
limit=$((64 * 1024 * 1024))
echo "wheels: $((wheels / 1024)) KiB (${WHEELS[*]})"
echo "working tree + wheels: $(((tree + wheels) / 1024 / 1024)) MiB of the 64 that travel"
if [ $((tree + wheels)) -ge $limit ]; then
  echo "too big to travel: the working tree and .whl must stay under 64 MiB" >&2
  exit 1
fi

#!/usr/bin/env bash
# The GPU session's one command (issue 34), run from the repo root with $OUT set, carrying .whl (bench/gpu_wheels.sh):
#
#   bash bench/gpu_session.sh                       # BENCH_ARGS="--repeats 3" for the full bench instead of --quick
#   STEPS=sd bash bench/gpu_session.sh; STEPS="bench compile" bash bench/gpu_session.sh   # in two device calls
#
# A dry run on a CPU: OUT=/tmp/gs DEVICE=cpu SD_ARGS="--size tiny --device cpu --dtype fp32 --repeats 1" \
#   BENCH_ARGS="--quick --model tiny" bash bench/gpu_session.sh
#
# Every step is guarded: one that fails or runs out of time leaves the others' files. What comes back, 7 files at
# most 2 folders down:
#   $OUT/session.txt           nvidia-smi, the Python packages used, each step's exit status and seconds
#   $OUT/sd/sd_compare.json    python -m bench.sd_compare: playground vs diffusers on SD-1.5-shaped fp16 512x512
#   $OUT/sd/sd_compare.md      the same as a markdown table
#   $OUT/sd/sd_compare.log     its progress and any traceback
#   $OUT/bench.md              python -m bench --device cuda --quick: the bundled model's tables
#   $OUT/bench.log             its progress
#   $OUT/compile.jsonl         torch.compile probes: default and reduce-overhead (CUDA graphs), UNet and whole image
# The random SD model (2 GB in fp16) is built in /tmp/sd15, outside $OUT, and removed after its step.
set -u -o pipefail
: "${OUT:?set OUT to the folder whose files come back}"
cd "$(dirname "$0")/.."
mkdir -p "$OUT/sd"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 GRADIO_ANALYTICS_ENABLED=False
PY=${PYTHON:-python3}
SESSION="$OUT/session.txt"
SD_TIMEOUT=${SD_TIMEOUT:-300}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-180}
DEVICE=${DEVICE:-cuda}
SD_ARGS=${SD_ARGS:---device $DEVICE --dtype fp16}
BENCH_ARGS=${BENCH_ARGS:---quick}
COMPILE_TIMEOUT=${COMPILE_TIMEOUT:-150}
COMPILE_MODEL=${COMPILE_MODEL:-bundled}
# which steps run: all three fit 10 minutes only just (300 + 180 + 2 x 150 s at most); a device call runs at most
# 10 minutes, so a session may run STEPS=sd, then STEPS="bench compile"
STEPS=${STEPS:-sd bench compile}

source bench/gpu_steps.sh  # note, step, install_wheels

note "gpu_session.sh at $(date -Is) in $(pwd), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
install_wheels .whl
{
  nvidia-smi
  "$PY" - <<'EOF'
import importlib.metadata as m, platform, sys
print("python", platform.python_version(), sys.executable)
for name in ("torch", "diffusers", "transformers", "tokenizers", "huggingface_hub", "safetensors", "accelerate",
             "torchsde", "numpy", "scipy", "pillow", "gradio"):
    try:
        print(f"{name} {m.version(name)}")
    except m.PackageNotFoundError:
        print(f"{name} missing")
EOF
} >>"$SESSION" 2>&1
cat "$SESSION"

wanted() { case " $STEPS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# 1. Playground vs diffusers on an SD-1.5-shaped model (the json and md are written even when a row fails)
if wanted sd; then
  step sd_compare timeout -k 10 "$SD_TIMEOUT" "$PY" -m bench.sd_compare --out "$OUT/sd" --model-dir /tmp/sd15 \
    $SD_ARGS 2>&1 | tee "$OUT/sd/sd_compare.log"
  rm -rf /tmp/sd15
fi

# 2. The project's own bench on the bundled model (tables on stdout, progress on stderr)
bench() {
  timeout -k 10 "$BENCH_TIMEOUT" "$PY" -m bench --device "$DEVICE" $BENCH_ARGS "$@" 2>"$OUT/bench.log" |
    tee "$OUT/bench.md"
}
if wanted bench && ! step bench bench; then
  tail -n 30 "$OUT/bench.log"
  if ! grep -q '^|' "$OUT/bench.md" 2>/dev/null; then  # no table at all: try once more without the cold start
    note "bench gave no table; again with --no-cold-start"
    BENCH_TIMEOUT=$((BENCH_TIMEOUT / 2)) step bench_no_cold_start bench --no-cold-start
    tail -n 30 "$OUT/bench.log"
  fi
fi
# 3. torch.compile on the bundled model's UNet, plain and with CUDA graphs (mode reduce-overhead): the UNet's calls
#    and one whole 25-step image, eager against compiled, the pixels compared; one JSON line a mode
if wanted compile; then
  for mode in reduce-overhead default; do
    step "compile_$mode" timeout -k 10 "$COMPILE_TIMEOUT" "$PY" -m bench.subprocs compile --model "$COMPILE_MODEL" \
      --device "$DEVICE" --mode "$mode" --calls 10 --repeats 3 >>"$OUT/compile.jsonl" 2>>"$OUT/bench.log"
  done
  cat "$OUT/compile.jsonl"
fi
note "done at $(date -Is); files: $(cd "$OUT" && find . -type f | sort | tr '\n' ' ')"

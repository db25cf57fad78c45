#!/usr/bin/env bash
# The v2 model's next UNet phase on a GPU machine (issue 33): the text encoder and UNet of a model folder (default
# assets/v2) continued for as many steps as fit MINUTES, the training pictures rendered on the machine's CPU cores
# (--workers), in one device call of at most 10 minutes. The CPU recipe (training/recipes/v2.sh) has spent the
# issue's 8 CPU-hours; this is where the model trains further (docs/world-v2.md, "What is left").
#
# On the GPU machine, from the repository root with $OUT set, carrying .whl (bash bench/gpu_wheels.sh makes it):
#
#     bash training/recipes/v2_gpu.sh
#
# It imports the model (its text encoder + UNet become the run's last stage), runs stage $NAME's first PROBE_STEPS
# steps to time them, then resumes it for the steps that fit MINUTES at that pace (--minutes stops it if it runs
# slower; it is then finished where it stopped), exports, and leaves in $OUT (7 files): session.txt (the machine, each step's exit status, seconds and
# pace), unet.safetensors + unet_config.json, text_encoder.safetensors + text_encoder_config.json (fp16, as
# exported), and the stage's log.csv and args.json.
#
# Back here, with those files in a folder FILES (the device tool's files_at):
#
#     bash training/recipes/v2_gpu.sh unpack FILES [run-folder [model-folder]]
#
# imports the same model into run-folder (default runs/gpu), puts the stage's log there, and makes model-folder
# (default <run-folder>/model): the model's autoencoder, tokenizer and scheduler with the new text encoder and UNet;
# then its card: python -m training.model_card_v2 --run <run-folder> --model <model-folder> --unet-batch $BATCH.
#
# A dry run on a CPU (a few minutes): OUT=/tmp/v2gpu-out DEVICE=cpu MINUTES=0.5 BATCH=4 PROBE_STEPS=2 WORKERS=1 \
#     bash training/recipes/v2_gpu.sh
set -u -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] && [ -z "${PYTHON:-}" ] && PY=.venv/bin/python
MODEL=${MODEL:-assets/v2}
NAME=${NAME:-}  # the stage trained: by default the one after the model's last (tune6 after tune5)
BATCH=${BATCH:-256}
LR=${LR:-4e-4}
MINUTES=${MINUTES:-7}  # the training's share of the call's 10 minutes (start-up, import, probe, export: ~1.5)
PROBE_STEPS=${PROBE_STEPS:-60}
DEVICE=${DEVICE:-auto}
WORKERS=${WORKERS:-$(($(nproc) - 2))}
# the sixth model's mix (v2.sh, step 3f: the one the shipped model trained on last)
MIX=${MIX:-single=0.13,count=0.15,pair=0.10,text=0.02,object=0.16,relation=0.16,group=0.06,trio=0.03,hand=0.03,character=0.04,sign=0.03,lean=0.09}
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 PYTHONPATH=.${PYTHONPATH:+:$PYTHONPATH}

stage_of() { "$PY" -c "import json, sys; print(json.load(open(sys.argv[1]))['stage'])" "$1/imported.json"; }
next_of() { "$PY" -c "import sys; from training.stages import next_tune; print(next_tune(sys.argv[1]))" "$1"; }

if [ "${1:-}" = unpack ]; then
  files=${2:?unpack FILES [run-folder [model-folder]]}
  run=${3:-runs/gpu}
  model=${4:-$run/model}
  set -e
  "$PY" -m training.train --phase import --model "$MODEL" --out "$run"
  NAME=${NAME:-$(next_of "$(stage_of "$run")")}
  mkdir -p "$run/$NAME" "$model"
  cp "$files/log.csv" "$files/args.json" "$run/$NAME/"
  cp -r "$MODEL"/. "$model"/
  rm -f "$model"/{README.md,evaluation.json,limits.json,coarse_to_fine.json,samples.png,training.json}
  cp "$files/unet.safetensors" "$model/unet/diffusion_pytorch_model.safetensors"
  cp "$files/unet_config.json" "$model/unet/config.json"
  cp "$files/text_encoder.safetensors" "$model/text_encoder/model.safetensors"
  cp "$files/text_encoder_config.json" "$model/text_encoder/config.json"
  echo "$model: $(stage_of "$run") continued as $NAME on the GPU; next:"
  echo "  $PY -m training.model_card_v2 --run $run --model $model --unet-batch $BATCH"
  exit 0
fi

: "${OUT:?set OUT to the folder whose files come back}"
RUN=${RUN:-/tmp/v2gpu-run}
SESSION="$OUT/session.txt"
mkdir -p "$OUT"
rm -rf "$RUN"
source bench/gpu_steps.sh  # note, step, install_wheels
train() {
  "$PY" -m training.train --out "$RUN" --device "$DEVICE" --threads 2 "$@" ${TRAIN_FLAGS:-}
}
pace() {  # seconds a step, from a stage's log.csv (its first and last rows: the start-up left out)
  "$PY" - "$1" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
first, last = rows[0], rows[-1]
steps = int(last["step"]) - int(first["step"])
print(f"{60 * (float(last['minutes']) - float(first['minutes'])) / steps:.4f}" if steps > 0 else "0")
EOF
}

note "v2_gpu.sh at $(date -Is), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores"
install_wheels "${WHEELS:-.whl}"  # what the GPU machine lacks (diffusers); WHEELS=none installs nothing
{ nvidia-smi -L 2>/dev/null || echo "no nvidia-smi"; "$PY" -c "import torch; print('torch', torch.__version__,
  'cuda', torch.cuda.is_available())"; } >>"$SESSION" 2>&1

step import train --phase import --model "$MODEL" || exit 1
init=$(stage_of "$RUN")
NAME=${NAME:-$(next_of "$init")}
common=(--phase tune --init "$init" --batch "$BATCH" --lr "$LR" --loss-weight uniform --mix "$MIX" --workers "$WORKERS")
# the probe: the stage's first steps (in its warm-up, the same whatever its length), then resumed for the rest
step probe train "${common[@]}" --name "$NAME" --steps 1000000 --stop-after "$PROBE_STEPS" || exit 1
per_step=$(pace "$RUN/$NAME/log.csv")
steps=$("$PY" -c "import sys; s = float(sys.argv[1]); print(max(int(60 * float(sys.argv[2]) * 0.92 / s), 1) if s > 0 \
  else 1)" "$per_step" "$MINUTES")
steps=$((steps + PROBE_STEPS))
note "probe: $per_step s a step of $BATCH with $WORKERS workers; $NAME: $steps steps, $MINUTES minutes at most"
step "$NAME" train "${common[@]}" --name "$NAME" --steps "$steps" --minutes "$MINUTES" --resume
if [ ! -d "$RUN/$NAME/final" ]; then  # out of time: ship the weights where it stopped (its lr not yet annealed)
  at=$("$PY" -c "import json, sys; print(json.load(open(sys.argv[1]))['step'])" "$RUN/$NAME/checkpoint/step.json")
  note "$NAME stopped by --minutes at step $at of $steps: finished there"
  step finish train "${common[@]}" --name "$NAME" --steps "$at" --resume
fi
step export train --phase export --export-to "$RUN/model" || exit 1
cp "$RUN/model/unet/diffusion_pytorch_model.safetensors" "$OUT/unet.safetensors"
cp "$RUN/model/unet/config.json" "$OUT/unet_config.json"
cp "$RUN/model/text_encoder/model.safetensors" "$OUT/text_encoder.safetensors"
cp "$RUN/model/text_encoder/config.json" "$OUT/text_encoder_config.json"
cp "$RUN/$NAME/log.csv" "$RUN/$NAME/args.json" "$OUT/"
note "done at $(date -Is); last row of $NAME's log: $(tail -n 1 "$RUN/$NAME/log.csv")"

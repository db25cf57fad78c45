#!/usr/bin/env bash
# The recipe that made the shipped model (assets/bundled): every training command, in order, with the flags it ran
# with (assets/bundled/training.json and its model card record the same). From the repository root:
#
#     bash training/recipes/bundled.sh [out-folder [model-folder]]
#
# out-folder (default runs/bundled) holds the run: checkpoints, logs, each stage's weights. model-folder (default
# <out-folder>/model) receives the exported pipeline and its model card; give assets/bundled to replace the shipped
# model. About 4.4 hours on 2 CPU cores, 2.3 of them the UNet phase (on one GPU that phase takes minutes).
# A phase stopped part-way continues where it stopped when its line is run again with --resume.
#
# Extra flags go in TRAIN_FLAGS (every training command) and CARD_FLAGS (the model card), e.g. a smoke test of the
# whole chain in a few minutes:
#     TRAIN_FLAGS="--tiny --steps 2 --batch 4" CARD_FLAGS="--prompts 1 --seeds 1" \
#         bash training/recipes/bundled.sh /tmp/recipe-check
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(realpath -m "${1:-runs/bundled}")"
model="$(realpath -m "${2:-$out/model}")"
python="${PYTHON:-$root/.venv/bin/python}"
[ -x "$python" ] || python=python3
read -r -a extra <<< "${TRAIN_FLAGS:-}"
read -r -a card_extra <<< "${CARD_FLAGS:-}"
cd "$root"

train() {
    echo "+ python -m training.train $* ${extra[*]}" >&2
    "$python" -m training.train --out "$out" --threads 2 "$@" "${extra[@]}"
}

# 1. The autoencoder (AutoencoderKL, two levels: 32x32 pictures -> 16x16x4 latents), L1 + MSE + edge loss + KL,
#    lr 2e-3 (the default). About 8 minutes on 2 CPU cores.
train --phase vae --steps 1200 --batch 32 --vae-channels 32,64

# 2. The decoder sharpened with the encoder frozen, so the latents the UNet learns stay the same. About 6 minutes.
train --phase decoder --steps 1300 --batch 32 --lr-vae 5e-4

# 3. The CLIP text encoder and the UNet, jointly from scratch: v-prediction, the plain squared error at every noise
#    level, a noise schedule that ends in pure noise, attention in the two lower levels only. The shipped UNet ran
#    this phase on a GPU (one NVIDIA H200, 6.5 minutes; --device auto takes a GPU when there is one, so the same line
#    runs there unchanged); on 2 CPU cores it takes about 2.3 hours (3.7 s a step), and a GPU's arithmetic gives
#    slightly different weights than a CPU's.
train --phase unet --steps 2195 --batch 256 --loss-weight uniform --zero-terminal-snr \
    --unet-channels 32,64,128 --unet-attention-levels 2

# 4. tune: the UNet continued with min-SNR-5 weighting (colour and shape) at a lower learning rate. About 18 minutes.
train --phase tune --steps 1800 --batch 32 --lr 3e-4 --loss-weight min-snr

# 5. tune2: counts. Only the noisy timesteps (400-999), half of each batch in twin count scenes (N and N + 1 objects,
#    otherwise alike) noised alike. About 23 minutes.
train --phase tune --init tune --name tune2 --steps 2400 --batch 32 --lr 1e-4 --loss-weight uniform \
    --t-min 400 --count-pairs 0.5

# 6. tune3: the same again, continued from tune2. About 31 minutes. (It first ran in a run folder made by
#    --phase import --model assets/bundled on another machine; continuing tune2 here gives the same start.)
train --phase tune --init tune2 --name tune3 --steps 2400 --batch 32 --lr 1e-4 --loss-weight uniform \
    --t-min 400 --count-pairs 0.5

# 7. tune7: faded twins (each twin's noisy input holds up to half of the other's extra object) on the timesteps from
#    150, continued from tune3. About 41 minutes. Named tune7 because tune4-6 were tried and not shipped: a stage's
#    number also picks its pictures, so this name is what repeats the shipped stage.
train --phase tune --init tune3 --name tune7 --steps 2400 --batch 32 --lr 1e-4 --loss-weight uniform \
    --t-min 150 --count-pairs 0.5 --count-fade 0.5

# 8. Export: the newest stage's EMA weights (tune7), the sharpened decoder, the tokenizer and the noise schedule as a
#    diffusers pipeline folder. Under a minute.
train --phase export --export-to "$model"

# 9. The model card (README.md, evaluation.json, training.json, samples.png in the model folder), measured by the
#    judge on 24 prompts x 4 seeds per category. About 12 minutes.
echo "+ python -m training.model_card --run $out --model $model --prompts 24 --loss-weight uniform ${card_extra[*]}" >&2
"$python" -m training.model_card --run "$out" --model "$model" --prompts 24 --loss-weight uniform "${card_extra[@]}"

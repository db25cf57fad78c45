"""Train the bundled model from scratch: an autoencoder, then a text encoder + latent UNet.

The recipe is Stable Diffusion's, scaled down to the synthetic world (32x32 pixels -> 8x8x4 latents):

    python -m training.train --phase vae  --steps 1500      # AutoencoderKL on world images
    python -m training.train --phase unet --steps 5000      # CLIP text encoder + UNet, joint, v-prediction
    python -m training.train --phase decoder --steps 1000   # optional: sharpen the decoder, encoder frozen
    python -m training.train --phase tune --steps 1800 --lr 3e-4 --loss-weight min-snr
                                                            # optional: continue the UNet, another weighting
    python -m training.train --phase export                 # EMA weights -> assets/bundled (diffusers format)
    python -m training.train --phase import --model assets/bundled --out runs/more
                                                            # a new run folder from a saved model, to tune it on

Built on accelerate, so ``accelerate launch -m training.train ...`` runs the same script on one CPU,
one GPU or many. Data are rendered on the fly from a per-step seed, so ``--resume`` continues the exact
run (weights, optimizer, EMA, learning-rate schedule and data stream). Checkpoints go to
``<out>/<phase>/checkpoint`` every ``--checkpoint-minutes``; a loss log to ``<out>/<phase>/log.csv``.
This module is the command line alone (flags, their checks, and which phase runs): the phases live in
``training/phases/``, export and import in ``training/export.py``; ``training/recipes/bundled.sh`` is the
sequence of commands that made the shipped model.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from dataclasses import replace

import torch

import world
from training.export import export, import_model
from training.models import ModelConfig
from training.phases.autoencoder import train_decoder, train_vae
from training.phases.clip import train_clip
from training.phases.tune import train_tune
from training.phases.unet import train_unet
from training.worlds import WORLDS, chosen_world, scene_shares

PHASES_ON_PICTURES = ("vae", "decoder", "clip", "unet", "tune", "export")  # those that read the run's world
PHASES = {"vae": train_vae, "decoder": train_decoder, "clip": train_clip, "unet": train_unet, "tune": train_tune,
          "export": export, "import": import_model}


def parse_mix(text: str) -> dict[str, float]:
    """"single=0.4,count=0.4,pair=0.15,text=0.05" -> shares (kinds left out get none; which kinds a world has is
    checked in parse_args, once the world is known)."""
    try:
        return {kind.strip(): float(share) for kind, _, share in (part.partition("=") for part in text.split(","))}
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: write kind=share,..., e.g. count=0.4,single=0.6") from None


def _widths(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(w) for w in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: write widths as whole numbers, e.g. 32,64") from None
    if not widths or min(widths) < 8 or any(w % 8 for w in widths):
        raise argparse.ArgumentTypeError(f"{text!r}: every width must be a multiple of 8 (group norm), at least 8")
    return widths


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phase", choices=list(PHASES), required=True)
    ap.add_argument("--world", choices=list(WORLDS), default=None,
                    help="the pictures to learn: shapes (32 x 32, the bundled model's; the default) or v2 (64 x 64, "
                         "issue 33). Chosen by a run's first phase; the later ones keep it")
    ap.add_argument("--out", default="runs/bundled", help="run folder: checkpoints, logs, intermediate weights")
    ap.add_argument("--export-to", default="assets/bundled")
    ap.add_argument("--model", default=None, metavar="FOLDER",
                    help="import: the saved model (e.g. assets/bundled) whose weights start the run folder --out")
    ap.add_argument("--steps", type=int, default=None, help="total optimizer steps of this phase")
    ap.add_argument("--minutes", type=float, default=0, help="stop (with a checkpoint) after this long; 0 = no limit")
    ap.add_argument("--stop-after", type=int, default=0, help="stop (with a checkpoint) after this many steps")
    ap.add_argument("--checkpoint-minutes", type=float, default=5)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-vae", type=float, default=2e-3)
    ap.add_argument("--loss-weight", choices=["min-snr", "uniform"], default="uniform",
                    help="UNet loss weighting over noise levels (see loss_weights)")
    ap.add_argument("--timesteps", choices=["uniform", "lognormal"], default="uniform",
                    help="how training timesteps are drawn (see sample_timesteps)")
    ap.add_argument("--t-min", type=int, default=0, metavar="T",
                    help="unet/tune: train only timesteps T and up (uniform timesteps): e.g. a tune of the noisy "
                         "steps where the layout and the count are decided, leaving the rest to the stages before")
    ap.add_argument("--text-aux", type=float, default=0.0, metavar="WEIGHT",
                    help="weight of the text encoder's keep-the-words loss (see TextKeepsWords); 0 = off")
    ap.add_argument("--text-aux-bag", action=argparse.BooleanOptionalAction, default=True,
                    help="with --text-aux: the pooled output must also name the caption's words (--no-text-aux-bag: "
                         "only each word's own output is held to its token)")
    ap.add_argument("--pooled-text", action=argparse.BooleanOptionalAction, default=True,
                    help="unet: the pooled text embedding joins the UNet's time embedding (--no-pooled-text: the "
                         "UNet reads the caption through cross-attention only, as Stable Diffusion 1.x does)")
    ap.add_argument("--text-aux-tokens", action=argparse.BooleanOptionalAction, default=True,
                    help="with --text-aux: each word's own output must name its token (--no-text-aux-tokens: only "
                         "the pooled output's bag of words)")
    ap.add_argument("--text-aux-bag-words", type=lambda s: [w.strip() for w in s.split(",") if w.strip()],
                    default=None, metavar="WORD,...",
                    help="with --text-aux: the pooled output names only these words (e.g. "
                         "circle,circles,square,squares,triangle,triangles); default: all of the caption's words")
    ap.add_argument("--text-encoder", default=None, metavar="FOLDER",
                    help="unet: start the text encoder from these weights (a CLIPTextModel folder, e.g. "
                         "runs/bundled/clip/final/text_encoder from --phase clip) instead of from scratch")
    ap.add_argument("--freeze-text", action="store_true",
                    help="unet / tune: keep the text encoder fixed and train the UNet alone (with --text-encoder: those "
                         "weights; without it: the random initial encoder of --seed)")
    ap.add_argument("--mix", type=parse_mix, default=None, metavar="KIND=SHARE,...",
                    help=f"scene kinds in the UNet's data, e.g. single=0.4,count=0.4,pair=0.15,text=0.05 "
                         f"(default {','.join(f'{k}={v}' for k, v in world.SCENE_MIX.items())})")
    ap.add_argument("--count-pairs", type=float, default=0.0, metavar="SHARE",
                    help="share of each batch given to twin count scenes (N and N + 1 objects, otherwise alike) "
                         "noised alike: minimal pairs for the number word")
    ap.add_argument("--count-fade", type=float, default=0.0, metavar="SHARE",
                    help="with --count-pairs: each twin's noisy input holds up to this share of the other twin's "
                         "difference (the N twin a faint extra object, the N + 1 twin its extra object faded), its "
                         "target its own clean picture: the number word, not a leftover blob, decides the count")
    ap.add_argument("--init", default="unet", help="tune: the stage whose final weights it continues")
    ap.add_argument("--name", default=None,
                    help="tune / decoder: the stage's folder under --out (tune, tune2, ...; decoder, decoder2, ...)")
    ap.add_argument("--latent-channels", type=int, default=4,
                    help="vae: channels of the 8x8 latents (more keep finer detail); later phases read the vae's")
    ap.add_argument("--vae-channels", type=_widths, default=None, metavar="W,W,...",
                    help="vae: widths per level; n levels make latents 32 / 2^(n-1) pixels a side (default 32,64,64: "
                         "8x8; 32,64: 16x16). Later phases read the vae's")
    ap.add_argument("--unet-channels", type=_widths, default=None, metavar="W,W,...",
                    help="unet: widths per level, from the latent's resolution down (default 64,128)")
    ap.add_argument("--unet-attention-levels", type=int, default=None, metavar="N",
                    help="unet: self- and cross-attention in the lowest N levels only (default: every level; "
                         "SDXL leaves its highest-resolution level without)")
    ap.add_argument("--zero-terminal-snr", action=argparse.BooleanOptionalAction, default=None,
                    help="unet: rescale the noise schedule so its last step is pure noise, as sampling starts (Lin et "
                         "al. 2024); tune stages and export keep the UNet's")
    ap.add_argument("--snr-shift", type=float, default=None, metavar="S",
                    help="unet: divide the noise schedule's signal-to-noise ratio by S at every step (default 1; "
                         "4 suits 16x16 latents as 1 suits 8x8); tune stages and export keep the UNet's")
    ap.add_argument("--guidance", type=float, default=4.0, help="default guidance scale written into the model")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=0, metavar="N",
                    help="render the training pictures ahead in N processes (e.g. a GPU machine's spare cores); 0 "
                         "renders them in the training process. The batches are the same either way")
    ap.add_argument("--device", default="auto", choices=["auto", "cpu"])
    ap.add_argument("--tiny", action="store_true", help="a tiny model config, for tests")
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args(argv)
    if args.mix is not None:
        try:
            scene_shares(chosen_world(args, Path(args.out)), args.mix)  # the run's world, kept in world.json
        except ValueError as e:
            ap.error(f"argument --mix: {e}")
    if args.steps is None:
        args.steps = {"vae": 1500, "decoder": 1000, "clip": 600, "unet": 6000, "tune": 1800, "export": 0,
                      "import": 0}[args.phase]
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = ModelConfig.tiny() if args.tiny else ModelConfig()
    if args.latent_channels < 1 or args.latent_channels > 16:
        raise SystemExit(f"--latent-channels must be between 1 and 16, not {args.latent_channels}")
    if args.phase in PHASES_ON_PICTURES:
        source = WORLDS[chosen_world(args, Path(args.out))]
        if source is not world and (args.count_pairs or args.phase == "clip"):
            raise SystemExit("--count-pairs and the clip phase are for the shapes world alone, for now")
        cfg = replace(cfg, image_size=source.SIZE)
    cfg = replace(cfg, latent_channels=args.latent_channels, pooled_text=args.pooled_text)
    if args.vae_channels:
        cfg = replace(cfg, vae_channels=args.vae_channels)
    if args.unet_channels:
        cfg = replace(cfg, unet_channels=args.unet_channels)
    if args.snr_shift is not None and not 0.01 <= args.snr_shift <= 100:
        raise SystemExit(f"--snr-shift must be between 0.01 and 100, not {args.snr_shift}")
    if args.unet_attention_levels is not None:
        if not 0 <= args.unet_attention_levels <= len(cfg.unet_channels):
            raise SystemExit(f"--unet-attention-levels must be 0 to {len(cfg.unet_channels)} (the UNet's levels), "
                             f"not {args.unet_attention_levels}")
        cfg = replace(cfg, unet_attention_levels=args.unet_attention_levels)
    if args.t_min and (args.phase not in ("unet", "tune") or args.timesteps != "uniform" or not 0 < args.t_min < 1000):
        raise SystemExit("--t-min is for the unet and tune phases with uniform timesteps, from 1 to 999")
    if args.workers < 0:
        raise SystemExit(f"--workers is a number of processes, 0 or more, not {args.workers}")
    if not 0 <= args.count_fade <= 1:
        raise SystemExit(f"--count-fade is a share of the twins' difference, 0 to 1, not {args.count_fade}")
    if args.count_fade and not args.count_pairs:
        raise SystemExit("--count-fade fades between twin count scenes: it needs --count-pairs")
    if not 0 <= args.text_aux <= 10:
        raise SystemExit(f"--text-aux must be between 0 (off) and 10, not {args.text_aux}")
    if args.text_aux and not (args.text_aux_tokens or args.text_aux_bag):
        raise SystemExit("--no-text-aux-tokens with --no-text-aux-bag leaves the keep-the-words loss nothing to do")
    if args.text_aux and args.freeze_text:
        raise SystemExit("--text-aux trains the text encoder; --freeze-text keeps it fixed: choose one")
    return PHASES[args.phase](args, cfg)


if __name__ == "__main__":
    main()

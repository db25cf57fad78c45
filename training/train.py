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
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import re
import shutil
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from accelerate import Accelerator
from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
from diffusers.training_utils import EMAModel
from tqdm.auto import tqdm
from transformers import CLIPTextModel, CLIPTokenizer

import world
from training.models import (ModelConfig, make_clip, make_scheduler, make_text_encoder, make_unet, make_vae,
                             schedule_of)
from training.tokenizer import build_tokenizer

CFG_DROPOUT = 0.1  # share of empty captions, so the model also learns the unconditional score


def to_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def cosine_lr(step: int, total: int, warmup: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def image_gradients(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return x[..., :, 1:] - x[..., :, :-1], x[..., 1:, :] - x[..., :-1, :]


def reconstruction_loss(recon: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """L1 + MSE + L1 on the image gradients (edges), the autoencoder's loss without its KL term."""
    gx, gy = image_gradients(recon)
    tx, ty = image_gradients(x)
    return F.l1_loss(recon, x) + F.mse_loss(recon, x) + 0.5 * (F.l1_loss(gx, tx) + F.l1_loss(gy, ty))


def device_name(device: torch.device) -> str:
    """What a phase trained on, for the model card: "cpu", or the GPU's own name ("NVIDIA H200")."""
    return torch.cuda.get_device_name(device) if device.type == "cuda" else device.type


class Run:
    """Book-keeping shared by the phases: step counter, checkpoints, log, time budget."""

    def __init__(self, args, phase: str, accelerator: Accelerator):
        self.args, self.phase, self.acc = args, phase, accelerator
        self.dir = Path(args.out) / phase
        self.dir.mkdir(parents=True, exist_ok=True)
        if accelerator.is_main_process:  # what this phase ran with, for the model card
            ran = {k: getattr(args, k) for k in ("steps", "lr", "lr_vae", "loss_weight", "timesteps", "text_aux", "seed",
                                                "mix")}
            if args.t_min:
                ran["t_min"] = args.t_min
            if args.count_pairs:
                ran["count_pairs"] = args.count_pairs
            if args.count_fade:
                ran["count_fade"] = args.count_fade
            if args.text_aux:
                ran["text_aux_bag"] = args.text_aux_bag
                if args.text_aux_bag and args.text_aux_bag_words:
                    ran["text_aux_bag_words"] = args.text_aux_bag_words
                if not args.text_aux_tokens:
                    ran["text_aux_tokens"] = False
            if phase.startswith("tune"):
                ran["init"] = args.init
            if phase == "vae":
                ran["latent_channels"] = args.latent_channels
                if args.vae_channels:
                    ran["vae_channels"] = list(args.vae_channels)
            if phase == "unet" and args.unet_channels:
                ran["unet_channels"] = list(args.unet_channels)
            if phase == "unet" and args.unet_attention_levels is not None:
                ran["unet_attention_levels"] = args.unet_attention_levels
            if phase == "unet" and not args.pooled_text:
                ran["pooled_text"] = False
            if phase == "unet" and args.text_encoder:
                ran["text_encoder"] = str(args.text_encoder)
            if args.freeze_text:
                ran["freeze_text"] = True
            # --batch is per process (accelerate launch --num_processes N): the card reports the global batch
            ran.update(batch=args.batch * accelerator.num_processes, processes=accelerator.num_processes,
                       device=device_name(accelerator.device))
            (self.dir / "args.json").write_text(json.dumps(ran))
        self.ckpt = self.dir / "checkpoint"
        self.step = 0
        self.t_start = time.time()
        self.t_ckpt = time.time()
        self.start_step = 0
        self.losses: list[float] = []

    def resume(self) -> None:
        if self.args.resume and (self.ckpt / "step.json").exists():
            self.acc.load_state(str(self.ckpt))
            self.step = self.start_step = json.loads((self.ckpt / "step.json").read_text())["step"]
            self.acc.print(f"[{self.phase}] resumed at step {self.step}")

    def save(self) -> None:
        self.acc.save_state(str(self.ckpt))
        (self.ckpt / "step.json").write_text(json.dumps({"step": self.step}))
        self.t_ckpt = time.time()

    def log(self, **row) -> None:
        if not self.acc.is_main_process:  # one log per run, however many processes train it
            return
        path = self.dir / "log.csv"
        new = not path.exists()
        with path.open("a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(row))
            if new:
                w.writeheader()
            w.writerow(row)

    def after_step(self, loss: float) -> bool:
        """Checkpoint when due; True when the time budget (or --stop-after) says stop now."""
        self.step += 1
        self.losses.append(loss)
        out_of_time = bool(self.args.minutes and (time.time() - self.t_start) > self.args.minutes * 60)
        out_of_time |= bool(self.args.stop_after and self.step - self.start_step >= self.args.stop_after)
        if out_of_time or time.time() - self.t_ckpt > self.args.checkpoint_minutes * 60:
            self.save()
        return bool(out_of_time)


def batch_seed(args, step: int, rank: int, world_size: int) -> int:
    return args.seed * 1_000_003 + step * world_size + rank


# --------------------------------------------------------------------------- phase 1: autoencoder

def train_vae(args, cfg: ModelConfig) -> None:
    acc = Accelerator(cpu=args.device == "cpu")
    run = Run(args, "vae", acc)
    torch.manual_seed(args.seed)
    vae = make_vae(cfg)
    opt = torch.optim.AdamW(vae.parameters(), lr=args.lr_vae, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: cosine_lr(s, args.steps, 100))
    vae, opt, sched = acc.prepare(vae, opt, sched)
    run.resume()

    def batch_loss(step: int):
        images, _, _ = world.sample_batch(batch_seed(args, step, acc.process_index, acc.num_processes), args.batch)
        x = to_tensor(images).to(acc.device)
        posterior = acc.unwrap_model(vae).encode(x).latent_dist
        z = posterior.sample(generator=None)
        recon = acc.unwrap_model(vae).decode(z).sample
        return reconstruction_loss(recon, x) + 1e-6 * posterior.kl().mean(), recon, x

    return _autoencoder_loop(args, acc, run, vae, opt, sched, list(vae.parameters()), batch_loss)


def train_decoder(args, cfg: ModelConfig) -> None:
    """Fine-tune the autoencoder's decoder with its encoder frozen: the latents (and so a UNet trained on them)
    stay valid while pictures come out sharper. Reads <out>/vae/final, writes <out>/decoder/final; a later stage
    (``--name decoder2``, ...) continues the newest finished stage before it with a fresh optimizer and schedule
    (it sees the same stream of pictures again: the decoder has only the world's pictures to learn)."""
    name = args.name or "decoder"
    number = stage_number(name, "decoder")
    before = [d for d in decoder_stages(args.out) if stage_number(d.name, "decoder") < number]
    acc = Accelerator(cpu=args.device == "cpu")
    run = Run(args, name, acc)
    torch.manual_seed(args.seed)
    vae = AutoencoderKL.from_pretrained(before[-1] / "final" if before else Path(args.out) / "vae" / "final")
    vae.requires_grad_(False)
    trainable = list(vae.decoder.parameters()) + list(vae.post_quant_conv.parameters())
    for p in trainable:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(trainable, lr=args.lr_vae, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: cosine_lr(s, args.steps, 50))
    vae, opt, sched = acc.prepare(vae, opt, sched)
    run.resume()
    model = acc.unwrap_model(vae)

    def batch_loss(step: int):
        seed = batch_seed(args, step, acc.process_index, acc.num_processes)
        images, _, _ = world.sample_batch(seed + 7_777_777, args.batch)  # other pictures than the vae phase saw
        x = to_tensor(images).to(acc.device)
        with torch.no_grad():
            posterior = model.encode(x).latent_dist
            z = posterior.mean + posterior.std * torch.randn(posterior.mean.shape,
                                                             generator=torch.Generator().manual_seed(seed))
        recon = model.decode(z).sample
        return reconstruction_loss(recon, x), recon, x

    return _autoencoder_loop(args, acc, run, vae, opt, sched, trainable, batch_loss)


def _autoencoder_loop(args, acc, run: Run, vae, opt, sched, params, batch_loss) -> list[float]:
    """The optimisation loop of the vae and decoder phases: batch_loss(step) -> (loss, reconstruction, target)."""
    bar = tqdm(total=args.steps, initial=run.step, desc=run.phase, disable=not acc.is_local_main_process)
    while run.step < args.steps:
        loss, recon, x = batch_loss(run.step)
        acc.backward(loss)
        acc.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        bar.update(1)
        if run.step % 25 == 0:
            psnr = -10 * torch.log10(F.mse_loss(recon.clamp(-1, 1), x) / 4).item()
            bar.set_postfix(loss=f"{loss.item():.4f}", psnr=f"{psnr:.1f}")
            run.log(step=run.step, loss=round(loss.item(), 5), psnr=round(psnr, 2), lr=sched.get_last_lr()[0],
                    minutes=round((time.time() - run.t_start) / 60, 2))
        if run.after_step(loss.item()):
            acc.print(f"[{run.phase}] time budget reached at step {run.step}; continue with --resume")
            return run.losses
    run.save()
    if acc.is_main_process:
        acc.unwrap_model(vae).save_pretrained(run.dir / "final")
        acc.print(f"[{run.phase}] done: {run.dir / 'final'}")
    return run.losses


# --------------------------------------------------------------------------- phase 2a (optional): CLIP

def train_clip(args, cfg: ModelConfig) -> list[float]:
    """CLIP's contrastive pre-training on the world: a text encoder and a small vision transformer learn to pick
    each picture's caption out of the batch and out of hard negatives (``world.hard_negative``: the caption with one
    word changed or two colours swapped, NegCLIP's remedy for CLIP's bag-of-words habit). The text tower then conditions
    the UNet (``--phase unet --text-encoder <out>/clip/final/text_encoder``), as Stable Diffusion's frozen CLIP
    does: its words are kept apart by what the pictures show, not by what the UNet's loss happens to need.
    Writes <out>/clip/final/text_encoder (a CLIPTextModel) and <out>/clip/final/clip (the whole CLIPModel)."""
    acc = Accelerator(cpu=args.device == "cpu")
    run = Run(args, "clip", acc)
    out = Path(args.out)
    tokenizer = load_or_build_tokenizer(out)
    torch.manual_seed(args.seed)
    model = make_clip(cfg, tokenizer)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: cosine_lr(s, args.steps, 100))
    model, opt, sched = acc.prepare(model, opt, sched)
    run.resume()
    bar = tqdm(total=args.steps, initial=run.step, desc="clip", disable=not acc.is_local_main_process)
    while run.step < args.steps:
        seed = batch_seed(args, run.step, acc.process_index, acc.num_processes) + 7_777_777  # not the UNet's pictures
        images, _, scenes = world.sample_batch(seed, args.batch, args.mix)
        captions, negatives = [], []
        for i, scene in enumerate(scenes):  # each caption and its hard negative in the same phrasing
            negative = world.hard_negative(scene, np.random.default_rng([seed, i, 0]))
            captions.append(world.caption(scene, np.random.default_rng([seed, i, 1])))
            negatives.append(world.caption(negative, np.random.default_rng([seed, i, 1])))
        # the pooled output is read at the end of the caption, and attention is causal: padding to the batch's
        # longest caption gives the same outputs as the UNet's max_length padding, faster
        ids = tokenizer(captions + negatives, padding="longest", truncation=True,
                        return_tensors="pt").input_ids.to(acc.device)
        result = model(input_ids=ids, pixel_values=to_tensor(images).to(acc.device))
        # CLIP's symmetric loss; each picture also has to rank its caption above every hard negative
        labels = torch.arange(len(captions), device=acc.device)
        loss = (F.cross_entropy(result.logits_per_image, labels)
                + F.cross_entropy(result.logits_per_text[:len(captions)], labels)) / 2
        acc.backward(loss)
        acc.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        bar.update(1)
        if run.step % 25 == 0:
            with torch.no_grad():  # in-batch retrieval: the right caption ranked first for its picture
                acc1 = (result.logits_per_image.argmax(1) == labels).float()
                beats = (result.logits_per_image[labels, labels] > result.logits_per_image[labels, labels + len(labels)])
            bar.set_postfix(loss=f"{loss.item():.3f}", top1=f"{acc1.mean().item():.2f}")
            run.log(step=run.step, loss=round(loss.item(), 5), top1=round(acc1.mean().item(), 4),
                    beats_negative=round(beats.float().mean().item(), 4),
                    lr=sched.get_last_lr()[0], minutes=round((time.time() - run.t_start) / 60, 2))
        if run.after_step(loss.item()):
            acc.print(f"[clip] time budget reached at step {run.step}; continue with --resume")
            return run.losses
    run.save()
    if acc.is_main_process:
        clip = acc.unwrap_model(model)
        clip.save_pretrained(run.dir / "final" / "clip")
        clip.text_model.save_pretrained(run.dir / "final" / "text_encoder")  # a CLIPTextModel
        acc.print(f"[clip] done: {run.dir / 'final'}")
    return run.losses


# --------------------------------------------------------------------------- phase 2: text encoder + UNet

@torch.no_grad()
def latent_stats(vae: AutoencoderKL, seed: int, n: int = 4096) -> tuple[list[float], list[float]]:
    """Per-channel mean and std of the autoencoder's latents over world images."""
    images, _, _ = world.sample_batch(seed, n)
    zs = torch.cat([vae.encode(to_tensor(images[i:i + 256])).latent_dist.mean for i in range(0, n, 256)])
    return zs.mean((0, 2, 3)).tolist(), zs.std((0, 2, 3)).tolist()


def loss_weights(alpha_bar: torch.Tensor, kind: str, prediction_type: str) -> torch.Tensor:
    """Per-sample weight of the squared error on the model's output.

    ``min-snr``: min-SNR-5 (Hang et al. 2023): the clean-image error weighted by min(SNR, 5), which for
    v-prediction leaves the noisiest steps (SNR -> 0, where the layout of the picture is decided) almost no
    weight. ``uniform``: the plain squared error on the prediction (Stable Diffusion 2's v-loss), which keeps
    the noisy steps weighted like the rest.
    """
    if kind == "uniform":
        return torch.ones_like(alpha_bar)
    snr = alpha_bar / (1 - alpha_bar)
    return torch.clamp(snr, max=5.0) / (snr + 1 if prediction_type == "v_prediction" else snr)


def sample_timesteps(kind: str, alpha_bar: torch.Tensor, n: int, generator: torch.Generator,
                     t_min: int = 0) -> torch.Tensor:
    """Training timesteps for a batch of ``n``.

    ``uniform``: every one of the schedule's timesteps from ``t_min`` up equally often (DDPM, Stable Diffusion;
    ``t_min`` > 0 trains only the noisier steps, where a picture's layout and its number of objects are decided).
    ``lognormal``: the noise-to-signal ratio sigma = sqrt((1 - alpha_bar) / alpha_bar) drawn log-normally,
    ln sigma ~ N(-1.2, 1.2^2) (Karras et al. 2022, "EDM"), then the timestep nearest it: about half the
    samples fall at sigma < 0.3 (timesteps below ~90), where the fine detail of a shape (a square's corners)
    is decided, against 9 % under uniform sampling.
    """
    steps = alpha_bar.shape[0]
    if not 0 <= t_min < steps:
        raise ValueError(f"t_min must be 0 to {steps - 1}, not {t_min}")
    if kind == "uniform":
        return torch.randint(t_min, steps, (n,), generator=generator)
    if kind != "lognormal":
        raise ValueError(f"unknown timestep sampling {kind!r}")
    if t_min:
        raise ValueError("t_min applies to uniform timesteps only")
    sigmas = ((1 - alpha_bar) / alpha_bar).sqrt().cpu()  # increasing with t
    want = torch.exp(-1.2 + 1.2 * torch.randn(n, generator=generator))
    hi = torch.searchsorted(sigmas, want).clamp(1, steps - 1)
    lo = hi - 1
    return torch.where((want - sigmas[lo]).abs() <= (sigmas[hi] - want).abs(), lo, hi)


class TextKeepsWords(torch.nn.Module):
    """Auxiliary heads that make the text encoder keep what a caption says (``--text-aux``).

    Trained only through the UNet, the text encoder keeps a word apart from another only as far as the images
    reward it: a square and a circle of one size differ by their corners, a small change in the latents, and the
    first model's encoder mapped "square" and "circle" to nearly the same output (pooled embeddings 1.7 % apart,
    "square" and "triangle" 15 %), so no amount of UNet training could draw the one asked for. Linear heads
    read the encoder's output: (``tokens``) each word's hidden state must name its own token, and (``bag``) the
    pooled embedding must name the caption's bag of words (cross-entropy on both, averaged when both are on).
    Only words, not the world's scene specs, are supervised. The heads are dropped at export: the pipeline is the same.
    A bag of words has no order, so the bag head pulls "a red circle and a blue square" and its colour swap
    together in the pooled output; ``bag=False`` leaves the pooled output to the UNet alone, and ``bag_ids`` limits
    the bag to those tokens (e.g. the shape words): the pooled output must say which of them the caption holds,
    and captions with none of them add nothing to that part.
    """

    def __init__(self, hidden_size: int, vocab_size: int, special_ids: list[int], bag: bool = True,
                 bag_ids: list[int] | None = None, tokens: bool = True):
        super().__init__()
        if not (tokens or bag):
            raise ValueError("TextKeepsWords needs the per-word part, the bag, or both")
        self.tokens = torch.nn.Linear(hidden_size, vocab_size) if tokens else None
        self.bag = torch.nn.Linear(hidden_size, len(bag_ids) if bag_ids else vocab_size) if bag else None
        self.register_buffer("special", torch.tensor(sorted(set(special_ids))), persistent=False)
        self.register_buffer("bag_ids", torch.tensor(bag_ids) if bag and bag_ids else None, persistent=False)

    def forward(self, hidden: torch.Tensor, pooled: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        words = ~torch.isin(ids, self.special)
        if not words.any():  # a batch of empty captions
            return hidden.sum() * 0
        token_loss = F.cross_entropy(self.tokens(hidden[words]), ids[words]) if self.tokens is not None else None
        if self.bag is None:
            return token_loss
        if self.bag_ids is None:
            bag = torch.zeros(ids.shape[0], self.bag.out_features, device=ids.device)
            bag.scatter_add_(1, ids, words.float())
        else:
            bag = (ids.unsqueeze(-1) == self.bag_ids).sum(1).float()
        has = bag.sum(1) > 0
        if has.any():
            bag = bag[has] / bag[has].sum(1, keepdim=True)
            bag_loss = -(bag * F.log_softmax(self.bag(pooled[has]), dim=-1)).sum(1).mean()
        else:  # none of the bag's words in this batch
            bag_loss = self.bag(pooled).sum() * 0
        return bag_loss if token_loss is None else (token_loss + bag_loss) / 2


def bag_token_ids(tokenizer: CLIPTokenizer, words: list[str] | None) -> list[int] | None:
    """--text-aux-bag-words: each word's token id (each must be one token of the vocabulary)."""
    if not words:
        return None
    ids = []
    for w in words:
        tokens = tokenizer.tokenize(w)
        if len(tokens) != 1 or tokenizer.convert_tokens_to_ids(tokens[0]) == tokenizer.unk_token_id:
            raise SystemExit(f"--text-aux-bag-words: {w!r} is not one word of the tokenizer's vocabulary")
        ids.append(tokenizer.convert_tokens_to_ids(tokens[0]))
    return ids


def load_or_build_tokenizer(out: Path) -> CLIPTokenizer:
    tdir = out / "tokenizer"
    if not (tdir / "vocab.json").exists():
        build_tokenizer(tdir)
    return CLIPTokenizer.from_pretrained(tdir)


def _stage_match(name: str, kind: str) -> re.Match | None:
    return re.fullmatch(kind + r"([2-9]|[1-9][0-9]+)?", name)


def stage_number(name: str, kind: str = "tune") -> int:
    """tune -> 1, tune2 -> 2, ... (decoder, decoder2, ... for kind "decoder"): a stage's place in its chain."""
    m = _stage_match(name, kind)
    if not m:
        raise SystemExit(f"--name must be {kind}, {kind}2, {kind}3, ... (export and the model card look for them), "
                         f"got {name!r}")
    return int(m.group(1) or 1)


def noise_schedule(args, out: Path, write: bool = False) -> dict:
    """The noise schedule the UNet phase trained with: chosen there (``--snr-shift``, ``--zero-terminal-snr``),
    kept in unet/noise_schedule.json for the tune stages and export, which must use the same schedule.
    Returns ModelConfig fields (snr_shift, zero_terminal_snr)."""
    path = out / "unet" / "noise_schedule.json"
    if write and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"snr_shift": 1.0 if args.snr_shift is None else args.snr_shift,
                                    "zero_terminal_snr": bool(args.zero_terminal_snr)}))
    kept = json.loads(path.read_text()) if path.exists() else {}
    shift, zero = kept.get("snr_shift", 1.0), kept.get("zero_terminal_snr", False)
    if args.snr_shift is not None and args.snr_shift != shift:
        raise SystemExit(f"--snr-shift {args.snr_shift}: this run's UNet was trained with {shift} "
                         f"({path}); a UNet continues on the schedule it was trained on")
    if args.zero_terminal_snr is not None and args.zero_terminal_snr != zero:
        flag = "--zero-terminal-snr" if args.zero_terminal_snr else "--no-zero-terminal-snr"
        raise SystemExit(f"{flag}: this run's UNet was trained {'with' if zero else 'without'} it ({path}); "
                         f"a UNet continues on the schedule it was trained on")
    return {"snr_shift": shift, "zero_terminal_snr": zero}


def count_pairs(share: float, batch: int) -> int:
    """How many twin pairs (``world.count_twins``) a batch holds for ``--count-pairs share``."""
    if not 0 <= share <= 1:
        raise ValueError(f"--count-pairs is a share of the batch, 0 to 1, not {share}")
    return int(round(share * batch / 2))


def with_count_twins(images: np.ndarray, captions: list[str], pairs: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """The batch with its last 2 * ``pairs`` pictures replaced by twin pairs: rows (i, i + 1) hold N and N + 1
    objects that are otherwise alike."""
    images, captions = images.copy(), list(captions)
    rng = np.random.default_rng([seed, 31])
    for i in range(len(captions) - 2 * pairs, len(captions), 2):
        (a, caption_a), (b, caption_b) = world.count_twins(rng)
        images[i], images[i + 1] = world.render(a), world.render(b)
        captions[i], captions[i + 1] = caption_a, caption_b
    return images, captions


def share_within_pairs(x: torch.Tensor, pairs: int) -> torch.Tensor:
    """The last 2 * ``pairs`` rows are pairs (i, i + 1); the second of each takes the first's row, so twins are
    noised alike (same noise, same timestep) and keep or drop their captions together."""
    if not pairs:
        return x
    x = x.clone()
    start = len(x) - 2 * pairs
    x[start + 1::2] = x[start::2]
    return x


def fade_twins(z: torch.Tensor, noise: torch.Tensor, alphas_t: torch.Tensor, pairs: int, most: float,
               generator: torch.Generator) -> torch.Tensor:
    """Noise for twin pairs (rows (i, i + 1): N and N + 1 objects, ``with_count_twins``) under which each twin's noisy
    input holds part of the other's picture: the N twin a faint extra object (a share up to ``most`` of the
    difference), the N + 1 twin its extra object faded by as much. The targets stay the twins' own clean pictures, so
    the model learns that the number word, not a faint blob left in the picture, decides whether that object is
    drawn: a sampler leaves such blobs in its early steps, and an untaught model grows them into an N + 1st object.
    Written as noise (x_t = sqrt(a) z + sqrt(1 - a) noise), so ``add_noise`` and ``get_velocity`` need no change."""
    if not pairs or not most:
        return noise
    noise = noise.clone()
    start = len(z) - 2 * pairs
    diff = z[start + 1::2] - z[start::2]  # the extra object, in latents
    share = most * torch.rand(pairs, 2, generator=generator).to(z.device)
    a = alphas_t.view(-1, 1, 1, 1).to(z.dtype)
    scale = (a / (1 - a).clamp(min=1e-8)).sqrt()  # a change in x_0, as noise at this timestep
    noise[start::2] += scale[start::2] * share[:, 0].view(-1, 1, 1, 1) * diff
    noise[start + 1::2] -= scale[start + 1::2] * share[:, 1].view(-1, 1, 1, 1) * diff
    return noise


def train_unet(args, cfg: ModelConfig, phase: str = "unet", init: Path | None = None) -> None:
    """Text encoder + UNet, jointly: from scratch, or (``init``) from saved weights, e.g. phase "tune"."""
    acc = Accelerator(cpu=args.device == "cpu")
    run = Run(args, phase, acc)
    out = Path(args.out)
    vae = AutoencoderKL.from_pretrained(out / "vae" / "final").to(acc.device).eval().requires_grad_(False)
    cfg = replace(cfg, latent_channels=vae.config.latent_channels)  # the UNet denoises this vae's latents
    cfg = replace(cfg, **noise_schedule(args, out, write=init is None))
    stats_file = out / "unet" / "latent_stats.json"
    if not stats_file.exists():
        mean, std = latent_stats(vae, seed=12345)
        stats_file.write_text(json.dumps({"latents_mean": mean, "latents_std": std}))
    stats = json.loads(stats_file.read_text())
    l_mean = torch.tensor(stats["latents_mean"], device=acc.device).view(1, -1, 1, 1)
    l_std = torch.tensor(stats["latents_std"], device=acc.device).view(1, -1, 1, 1)
    tokenizer = load_or_build_tokenizer(out)
    torch.manual_seed(args.seed)
    if init is None and args.text_encoder:
        text_encoder = CLIPTextModel.from_pretrained(args.text_encoder)
        unet = make_unet(cfg, latent_size=vae.config.sample_size // 2 ** (len(vae.config.block_out_channels) - 1))
    elif init is None:
        text_encoder = make_text_encoder(cfg, tokenizer)
        unet = make_unet(cfg, latent_size=vae.config.sample_size // 2 ** (len(vae.config.block_out_channels) - 1))
    else:
        text_encoder = CLIPTextModel.from_pretrained(init / "text_encoder")
        unet = UNet2DConditionModel.from_pretrained(init / "unet")
    noise_scheduler = make_scheduler(cfg)
    if args.freeze_text:  # Stable Diffusion's way: the UNet learns to read a fixed text encoder
        text_encoder.requires_grad_(False).eval()
        params = list(unet.parameters())
    else:
        params = list(text_encoder.parameters()) + list(unet.parameters())
    ema = EMAModel(params, decay=0.999, use_ema_warmup=True, power=0.75)
    aux = None
    if args.text_aux:
        aux = TextKeepsWords(text_encoder.config.hidden_size, text_encoder.config.vocab_size,
                             [tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id],
                             bag=args.text_aux_bag, bag_ids=bag_token_ids(tokenizer, args.text_aux_bag_words),
                             tokens=args.text_aux_tokens)
    opt = torch.optim.AdamW(params + (list(aux.parameters()) if aux else []), lr=args.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: cosine_lr(s, args.steps, 200))
    text_encoder, unet, opt, sched = acc.prepare(text_encoder, unet, opt, sched)
    ema.to(acc.device)  # its shadow copies were made on the CPU, before prepare moved the models
    if aux is not None:
        aux = acc.prepare(aux)  # after the others, so checkpoints without it keep their order
    acc.register_for_checkpointing(ema)
    run.resume()
    alphas = noise_scheduler.alphas_cumprod.to(acc.device)
    data_offset = 0 if init is None else 5_555_555 * stage_number(phase)
    bar = tqdm(total=args.steps, initial=run.step, desc=phase, disable=not acc.is_local_main_process)
    t_last, n_last = time.time(), run.step
    while run.step < args.steps:
        # each tune stage sees other pictures than the stages before it
        seed = batch_seed(args, run.step, acc.process_index, acc.num_processes) + data_offset
        images, captions, _ = world.sample_batch(seed, args.batch, args.mix)
        pairs = count_pairs(args.count_pairs, args.batch)
        if pairs:
            images, captions = with_count_twins(images, captions, pairs, seed)
        g = torch.Generator().manual_seed(seed)
        drop = share_within_pairs(torch.rand(len(captions), generator=g) < CFG_DROPOUT, pairs)
        captions = ["" if d else c for c, d in zip(captions, drop.tolist())]
        ids = tokenizer(captions, padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                        return_tensors="pt").input_ids.to(acc.device)
        with torch.no_grad():
            posterior = vae.encode(to_tensor(images).to(acc.device)).latent_dist
            z = (posterior.mean + posterior.std * torch.randn(posterior.mean.shape, generator=g).to(acc.device))
            z = (z - l_mean) / l_std
        noise = share_within_pairs(torch.randn(z.shape, generator=g), pairs).to(acc.device)
        t = share_within_pairs(sample_timesteps(args.timesteps, alphas, z.shape[0], g, args.t_min), pairs).to(acc.device)
        if args.count_fade:
            noise = fade_twins(z, noise, alphas[t], pairs, args.count_fade, g)
        noisy = noise_scheduler.add_noise(z, noise, t)
        target = noise_scheduler.get_velocity(z, noise, t) if cfg.prediction_type == "v_prediction" else noise
        with torch.set_grad_enabled(not args.freeze_text):
            enc = text_encoder(ids)
        pred = unet(noisy, t, encoder_hidden_states=enc.last_hidden_state, class_labels=enc.pooler_output).sample
        weight = loss_weights(alphas[t], args.loss_weight, cfg.prediction_type)
        loss = (weight * ((pred - target) ** 2).mean((1, 2, 3))).mean()
        extra = {}
        if aux is not None:
            aux_loss = aux(enc.last_hidden_state, enc.pooler_output, ids)
            extra["text_aux_loss"] = round(aux_loss.item(), 5)
            acc.backward(loss + args.text_aux * aux_loss)
        else:
            acc.backward(loss)
        acc.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        ema.step(params)
        bar.update(1)
        if run.step % 25 == 0:
            rate = (run.step + 1 - n_last) * args.batch / max(1e-6, time.time() - t_last)
            t_last, n_last = time.time(), run.step + 1
            bar.set_postfix(loss=f"{loss.item():.4f}", img_s=f"{rate:.0f}")
            run.log(step=run.step, loss=round(loss.item(), 5), lr=sched.get_last_lr()[0], img_per_s=round(rate, 1),
                    minutes=round((time.time() - run.t_start) / 60, 2), **extra)
        if run.step % 500 == 0 and run.step > 0 and acc.is_main_process:
            save_weights(acc, text_encoder, unet, ema, params, run.dir / "latest")
        if run.after_step(loss.item()):
            acc.print(f"[{phase}] time budget reached at step {run.step}; continue with --resume")
            save_weights(acc, text_encoder, unet, ema, params, run.dir / "latest")
            return run.losses
    run.save()
    if acc.is_main_process:
        save_weights(acc, text_encoder, unet, ema, params, run.dir / "final")
        acc.print(f"[{phase}] done: {run.dir / 'final'}")
    return run.losses


def train_tune(args, cfg: ModelConfig) -> None:
    """Continue the text encoder + UNet from <out>/<init>/final (EMA weights; init "unet" by default) with a fresh
    optimizer, its own learning-rate schedule and, typically, another loss weighting or scene mix: e.g. the plain
    v-loss first (the layout, which is decided at the noisiest steps), then min-SNR (colour and shape, decided at
    middle noise levels). Writes <out>/<name>/final (name "tune" by default); export ships the newest stage."""
    name = args.name or "tune"
    stage_number(name)  # refuses other names before any work
    if args.init == name:
        raise SystemExit("--init names the stage to continue from; it cannot be the stage being written")
    return train_unet(args, cfg, phase=name, init=Path(args.out) / args.init / "final")


def save_weights(acc, text_encoder, unet, ema: EMAModel, params, where: Path) -> None:
    """EMA weights of the text encoder and UNet, in diffusers/transformers folders (safetensors)."""
    ema.store(params)
    ema.copy_to(params)
    acc.unwrap_model(text_encoder).save_pretrained(where / "text_encoder")
    acc.unwrap_model(unet).save_pretrained(where / "unet")
    ema.restore(params)


# --------------------------------------------------------------------------- phase 3: export

@torch.no_grad()
def latent_rgb_factors(vae: AutoencoderKL, mean, std, seed: int = 777, n: int = 2048) -> list[list[float]]:
    """Least-squares linear map from normalised latents (+1 bias row) to the mean RGB of each latent cell."""
    images, _, _ = world.sample_batch(seed, n)
    x = to_tensor(images)
    z = (vae.encode(x).latent_dist.mean - torch.tensor(mean).view(1, -1, 1, 1)) / torch.tensor(std).view(1, -1, 1, 1)
    f = x.shape[-1] // z.shape[-1]
    rgb = F.avg_pool2d(x, f)
    a = torch.cat([z, torch.ones_like(z[:, :1])], 1).permute(0, 2, 3, 1).reshape(-1, z.shape[1] + 1)
    b = rgb.permute(0, 2, 3, 1).reshape(-1, 3)
    sol = torch.linalg.lstsq(a, b).solution
    return sol.tolist()


def decoder_stages(out: Path) -> list[Path]:
    """The finished decoder stages of a run (decoder/, decoder2/, ...), in their chain's order."""
    stages = [d for d in Path(out).glob("decoder*") if _stage_match(d.name, "decoder")
              and (d / "final" / "config.json").exists()]
    return sorted(stages, key=lambda d: stage_number(d.name, "decoder"))


def tune_stages(out: Path) -> list[Path]:
    """The finished tune stages of a run (tune/, tune2/, ...), oldest first."""
    stages = [d for d in Path(out).glob("tune*") if _stage_match(d.name, "tune")
              and (d / "final" / "unet" / "config.json").exists()]
    return sorted(stages, key=lambda d: _mtime(d / "final"))


def _mtime(weights: Path) -> float:
    return (weights / "unet" / "config.json").stat().st_mtime


def export(args, cfg: ModelConfig) -> None:
    from pipelines import PlaygroundPipeline

    out = Path(args.out)
    source = next((c for c in (out / "unet" / "final", out / "unet" / "latest") if c.exists()), None)
    # tune stages continued it: ship the newest finished one, unless the UNet was trained again since
    for tuned in tune_stages(out):
        if source is None or _mtime(tuned / "final") >= _mtime(source):
            source = tuned / "final"
    if source is None:
        raise SystemExit(f"--out {out}: no UNet weights to export (train --phase unet, or --phase import a model)")
    stats = json.loads((out / "unet" / "latent_stats.json").read_text())
    # same encoder, fine-tuned decoder (phase "decoder"): the last stage of the chain, if it was run
    decoders = decoder_stages(out)
    decoder = decoders[-1] / "final" if decoders else out / "vae" / "final"
    vae = AutoencoderKL.from_pretrained(decoder)
    vae.register_to_config(latents_mean=stats["latents_mean"], latents_std=stats["latents_std"], scaling_factor=1.0)
    pipe = PlaygroundPipeline(
        tokenizer=CLIPTokenizer.from_pretrained(out / "tokenizer"),
        text_encoder=CLIPTextModel.from_pretrained(source / "text_encoder"),
        unet=UNet2DConditionModel.from_pretrained(source / "unet"),
        scheduler=make_scheduler(replace(cfg, **noise_schedule(args, out))),
        vae=vae,
        default_guidance_scale=args.guidance,
        default_sampler="DPM++ 2M",
        latent_rgb_factors=latent_rgb_factors(vae, stats["latents_mean"], stats["latents_std"]),
        model_description="Shapes world, trained from scratch by training/train.py",
    )
    dest = Path(args.export_to)
    pipe.save_pretrained(dest, safe_serialization=True)
    print(f"[export] {source} + {decoder.parent.name}/final -> {dest}")


def import_model(args, cfg: ModelConfig) -> None:
    """Start a run folder from a saved model (e.g. assets/bundled), so that a tune stage can continue it on a
    machine that does not hold the run that made it: its tokenizer, its autoencoder (as vae/final), the latent
    statistics and noise schedule kept in its configs (unet/latent_stats.json, unet/noise_schedule.json), and its
    text encoder + UNet as the last stage its training.json names (tune2/final, say; unet/final for an untuned
    model). Then ``--phase tune --init tune2 --name tune3`` continues it; export and the model card work as on the
    original run, the card keeping the model's summaries of the stages trained elsewhere."""
    if not args.model:
        raise SystemExit("--phase import needs --model FOLDER: the saved model to start the run from")
    src, out = Path(args.model), Path(args.out)
    for part in ("tokenizer", "text_encoder", "unet", "vae", "scheduler"):
        if not (src / part).is_dir():
            raise SystemExit(f"--model {src}: no {part}/ folder there; give a model saved by --phase export")
    if (out / "vae").exists() or (out / "unet").exists():
        raise SystemExit(f"--out {out} already holds a run; import into a new folder")
    vae = AutoencoderKL.from_pretrained(src / "vae")
    if vae.config.get("latents_mean") is None or vae.config.get("latents_std") is None:
        raise SystemExit(f"--model {src}: its vae config keeps no latents_mean / latents_std (not exported by train.py)")
    kept = schedule_of(DDPMScheduler.from_pretrained(src / "scheduler"))
    if kept is None:
        raise SystemExit(f"--model {src}: its noise schedule is not one --snr-shift / --zero-terminal-snr make")
    training = json.loads((src / "training.json").read_text()) if (src / "training.json").exists() else {}
    tunes = sorted((k for k in training if _stage_match(k, "tune")), key=stage_number)
    stage = tunes[-1] if tunes else "unet"
    shutil.copytree(src / "tokenizer", out / "tokenizer")
    vae.save_pretrained(out / "vae" / "final")
    (out / "unet").mkdir(parents=True)
    (out / "unet" / "latent_stats.json").write_text(json.dumps({"latents_mean": list(vae.config.latents_mean),
                                                                "latents_std": list(vae.config.latents_std)}))
    (out / "unet" / "noise_schedule.json").write_text(json.dumps({"snr_shift": kept[0], "zero_terminal_snr": kept[1]}))
    CLIPTextModel.from_pretrained(src / "text_encoder").save_pretrained(out / stage / "final" / "text_encoder")
    UNet2DConditionModel.from_pretrained(src / "unet").save_pretrained(out / stage / "final" / "unet")
    (out / "imported.json").write_text(json.dumps({"model": str(src), "stage": stage, "training": training}, indent=1))
    print(f"[import] {src} -> {out} (text encoder + UNet as {stage}/final); continue with "
          f"--phase tune --init {stage} --name {'tune' if stage == 'unet' else f'tune{stage_number(stage) + 1}'}")


def parse_mix(text: str) -> dict[str, float]:
    """"single=0.4,count=0.4,pair=0.15,text=0.05" -> shares (kinds left out get none)."""
    try:
        mix = {kind.strip(): float(share) for kind, _, share in (part.partition("=") for part in text.split(","))}
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: write kind=share,..., e.g. count=0.4,single=0.6") from None
    try:
        world.scene_shares(mix)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return mix


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
    ap.add_argument("--phase", choices=["vae", "decoder", "clip", "unet", "tune", "export", "import"], required=True)
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
    ap.add_argument("--device", default="auto", choices=["auto", "cpu"])
    ap.add_argument("--tiny", action="store_true", help="a tiny model config, for tests")
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args(argv)
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
    phases = {"vae": train_vae, "decoder": train_decoder, "clip": train_clip, "unet": train_unet, "tune": train_tune,
              "export": export, "import": import_model}
    return phases[args.phase](args, cfg)


if __name__ == "__main__":
    main()

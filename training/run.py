"""A phase's book-keeping: its accelerator, its log (log.csv) and record of what it ran with (args.json) through an
accelerate tracker, the learning-rate schedule, checkpoints, ``--resume`` and the time budget."""
from __future__ import annotations

import csv
import json
import math
import time
from pathlib import Path
from typing import Callable

import torch
from accelerate import Accelerator
from accelerate.tracking import GeneralTracker, on_main_process


class CSVTracker(GeneralTracker):
    """An accelerate tracker that keeps a phase's folder readable without any tracking service: ``init_trackers``'
    config goes to args.json, each ``accelerator.log`` to a row of log.csv (the step first). Both are written at
    once, so a run stopped by its time budget keeps its log."""

    name = "csv"
    requires_logging_directory = False
    main_process_only = True  # one log per run, however many processes train it

    def __init__(self, folder: str | Path):
        super().__init__()
        self.folder = Path(folder)

    @property
    def tracker(self) -> Path:
        return self.folder

    @on_main_process
    def store_init_configuration(self, values: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "args.json").write_text(json.dumps(values))

    @on_main_process
    def log(self, values: dict, step: int | None = None, **kwargs) -> None:
        row = {"step": step, **values}
        path = self.folder / "log.csv"
        new = not path.exists()
        with path.open("a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(row))
            if new:
                w.writeheader()
            w.writerow(row)


def device_name(device: torch.device) -> str:
    """What a phase trained on, for the model card: "cpu", or the GPU's own name ("NVIDIA H200")."""
    return torch.cuda.get_device_name(device) if device.type == "cuda" else device.type


def phase_config(args, phase: str, accelerator: Accelerator) -> dict:
    """What a phase ran with, for the model card (args.json): the flags that change what it learns, defaults of
    optional features left out."""
    ran = {k: getattr(args, k) for k in ("steps", "lr", "lr_vae", "loss_weight", "timesteps", "text_aux", "seed",
                                        "mix")}
    for key in ("t_min", "count_pairs", "count_fade"):
        if getattr(args, key):
            ran[key] = getattr(args, key)
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
    if phase == "unet":
        if args.unet_channels:
            ran["unet_channels"] = list(args.unet_channels)
        if args.unet_attention_levels is not None:
            ran["unet_attention_levels"] = args.unet_attention_levels
        if not args.pooled_text:
            ran["pooled_text"] = False
        if args.text_encoder:
            ran["text_encoder"] = str(args.text_encoder)
    if args.freeze_text:
        ran["freeze_text"] = True
    # --batch is per process (accelerate launch --num_processes N): the card reports the global batch
    ran.update(batch=args.batch * accelerator.num_processes, processes=accelerator.num_processes,
               device=device_name(accelerator.device))
    return ran


def cosine_lr(step: int, total: int, warmup: int) -> float:
    """The learning-rate factor at ``step``: linear warm-up from 1 / warmup, then cosine decay to a 0.05 floor.
    (Neither diffusers' nor transformers' cosine schedules give this curve to the step; see lr_schedule.)"""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def lr_schedule(optimizer: torch.optim.Optimizer, total: int, warmup: int) -> torch.optim.lr_scheduler.LambdaLR:
    """``cosine_lr`` as a scheduler. Kept by hand so that a recipe repeats the run that made a shipped model:
    transformers' "cosine_with_min_lr" starts its warm-up one step lower (0 instead of 1 / warmup), its
    "cosine_warmup_with_min_lr" decays one step early, and diffusers' cosine has no floor."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: cosine_lr(s, total, warmup))


class Run:
    """Book-keeping shared by the phases: step counter, checkpoints, log, time budget."""

    def __init__(self, args, phase: str, accelerator: Accelerator):
        self.args, self.phase, self.acc = args, phase, accelerator
        self.dir = Path(args.out) / phase
        self.dir.mkdir(parents=True, exist_ok=True)
        accelerator.init_trackers(phase, config=phase_config(args, phase, accelerator))
        self.ckpt = self.dir / "checkpoint"
        self.step = 0
        self.t_start = time.time()
        self.t_ckpt = time.time()
        self.start_step = 0
        self.losses: list[float] = []

    @property
    def minutes(self) -> float:
        """Minutes since this process started the phase (a resumed run starts again from 0: the card adds them)."""
        return round((time.time() - self.t_start) / 60, 2)

    def resume(self) -> None:
        if self.args.resume and (self.ckpt / "step.json").exists():
            self.acc.load_state(str(self.ckpt))
            self.step = self.start_step = json.loads((self.ckpt / "step.json").read_text())["step"]
            self.acc.print(f"[{self.phase}] resumed at step {self.step}")

    def save(self) -> None:
        self.acc.save_state(str(self.ckpt))
        (self.ckpt / "step.json").write_text(json.dumps({"step": self.step}))
        self.t_ckpt = time.time()

    def after_step(self, loss: float) -> bool:
        """Checkpoint when due; True when the time budget (or --stop-after) says stop now."""
        self.step += 1
        self.losses.append(loss)
        out_of_time = bool(self.args.minutes and (time.time() - self.t_start) > self.args.minutes * 60)
        out_of_time |= bool(self.args.stop_after and self.step - self.start_step >= self.args.stop_after)
        if out_of_time or time.time() - self.t_ckpt > self.args.checkpoint_minutes * 60:
            self.save()
        if out_of_time:
            self.acc.print(f"[{self.phase}] time budget reached at step {self.step}; continue with --resume")
        return bool(out_of_time)

    def finish(self, save_final: Callable[[Path], None]) -> list[float]:
        """The last checkpoint, then (main process) the phase's weights, written by save_final(<out>/<phase>/final).
        Returns the loss of every step this process ran."""
        self.save()
        if self.acc.is_main_process:
            save_final(self.dir / "final")
            self.acc.print(f"[{self.phase}] done: {self.dir / 'final'}")
        return self.losses


def start(args, phase: str) -> tuple[Accelerator, Run]:
    """The accelerator of one phase (its log in <out>/<phase>) and the phase's Run."""
    accelerator = Accelerator(cpu=args.device == "cpu", log_with=CSVTracker(Path(args.out) / phase))
    return accelerator, Run(args, phase, accelerator)

"""Phase tune: a stage (tune, tune2, ...) that continues the text encoder + UNet of an earlier stage."""
from __future__ import annotations

from pathlib import Path

from training.models import ModelConfig
from training.phases.unet import train_unet
from training.stages import stage_number


def train_tune(args, cfg: ModelConfig) -> list[float]:
    """Continue the text encoder + UNet from <out>/<init>/final (EMA weights; init "unet" by default) with a fresh
    optimizer, its own learning-rate schedule and, typically, another loss weighting or scene mix: e.g. the plain
    v-loss first (the layout, which is decided at the noisiest steps), then min-SNR (colour and shape, decided at
    middle noise levels). Writes <out>/<name>/final (name "tune" by default); export ships the newest stage."""
    name = args.name or "tune"
    stage_number(name)  # refuses other names before any work
    if args.init == name:
        raise SystemExit("--init names the stage to continue from; it cannot be the stage being written")
    return train_unet(args, cfg, phase=name, init=Path(args.out) / args.init / "final")

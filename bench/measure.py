"""Timers, the model under test, and the floor: the bare UNet calls a generation needs."""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "three red circles on a blue background"
NEGATIVE = ""
SEED = 7


def load_model(model: str, device: str):
    """'tiny' (the random test pipeline from tests/tiny_models.py), 'bundled', or a model folder."""
    if model == "tiny":
        sys.path.insert(0, str(ROOT / "tests"))
        import tiny_models

        pipe = tiny_models.build_latent_pipeline(tempfile.mkdtemp(prefix="bench-tiny-"))
        pipe = pipe.to(device)
    else:
        from pipelines import load_pipeline

        pipe = load_pipeline(model, device=device)
    pipe.set_progress_bar_config(disable=True)  # as the app runs it (playground/registry.py)
    return pipe


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def interleaved(fns: dict[str, Callable[[], object]], repeats: int, device: torch.device) -> dict[str, float]:
    """Median milliseconds of each function, timed in turn (a, b, a, b, ...) so drift hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            sync(device)
            start = time.perf_counter()
            fn()
            sync(device)
            times[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(ts) for name, ts in times.items()}


def peak_rss_mib() -> float:
    """This process's peak resident memory so far."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


@dataclass
class UNetFloor:
    """The UNet alone, called like the pipeline calls it: cond and uncond in one batch, inference_mode."""

    pipe: object
    unet: object = None  # default: pipe.unet

    def __post_init__(self):
        pipe = self.pipe
        self.unet = unet = self.unet if self.unet is not None else pipe.unet
        embeds = pipe.encode_prompt_pair(PROMPT, NEGATIVE)
        height, width = pipe.default_size
        f = pipe.vae_scale_factor
        noise = torch.randn(1, unet.config.in_channels, height // f, width // f,
                            generator=torch.Generator().manual_seed(0))
        self.x = noise.to(unet.device, unet.dtype)
        self.t = torch.tensor(500, device=unet.device)
        self.hidden_uncond, self.hidden_cond = (h.to(unet.device, unet.dtype) for h in (embeds.uncond, embeds.cond))
        self.pooled = None
        if unet.config.class_embed_type == "projection":
            self.pooled = [p.to(unet.device, unet.dtype) for p in (embeds.uncond_pooled, embeds.cond_pooled)]

    def _call(self, x, hidden, pooled):
        return self.unet(x, self.t, encoder_hidden_states=hidden, class_labels=pooled).sample

    def output(self) -> torch.Tensor:
        """One batched call's output (to see whether a change alters the numbers)."""
        with torch.inference_mode():
            return self._call(torch.cat([self.x, self.x]), torch.cat([self.hidden_uncond, self.hidden_cond]),
                              None if self.pooled is None else torch.cat(self.pooled))

    def loop(self, n_calls: int, grad_mode=torch.inference_mode) -> Callable[[], None]:
        """n_calls batched (cond + uncond) UNet calls."""
        x = torch.cat([self.x, self.x])
        hidden = torch.cat([self.hidden_uncond, self.hidden_cond])
        pooled = None if self.pooled is None else torch.cat(self.pooled)

        def run():
            with grad_mode():
                for _ in range(n_calls):
                    self._call(x, hidden, pooled)

        return run

    def loop_unbatched(self, n_calls: int) -> Callable[[], None]:
        """n_calls evaluations with cond and uncond as two separate batch-1 calls."""
        pooled = [None, None] if self.pooled is None else self.pooled

        def run():
            with torch.inference_mode():
                for _ in range(n_calls):
                    self._call(self.x, self.hidden_uncond, pooled[0])
                    self._call(self.x, self.hidden_cond, pooled[1])

        return run


def machine_line(device: torch.device) -> str:
    """CPU model and core count, or the GPU's name."""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda})"
    name = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        import platform

        name = platform.processor() or name
    return f"{name}, {os.cpu_count()} logical cores"

"""A run folder's stages: their names and numbering (tune, tune2, ...; decoder, decoder2, ...), the finished ones in
their chain's order, and what the first phases leave there for the later ones (the tokenizer, the noise schedule)."""
from __future__ import annotations

import json
import re
from pathlib import Path

from transformers import CLIPTokenizer

from training.tokenizer import build_tokenizer


def stage_match(name: str, kind: str) -> re.Match | None:
    """A match when ``name`` is a stage of ``kind``'s chain (kind, kind2, kind3, ...), its number in group 1."""
    return re.fullmatch(kind + r"([2-9]|[1-9][0-9]+)?", name)


def stage_number(name: str, kind: str = "tune") -> int:
    """tune -> 1, tune2 -> 2, ... (decoder, decoder2, ... for kind "decoder"): a stage's place in its chain."""
    m = stage_match(name, kind)
    if not m:
        raise SystemExit(f"--name must be {kind}, {kind}2, {kind}3, ... (export and the model card look for them), "
                         f"got {name!r}")
    return int(m.group(1) or 1)


def next_tune(stage: str) -> str:
    """The tune stage that continues ``stage``: tune after unet, tune2 after tune, tune3 after tune2, ..."""
    return "tune" if stage == "unet" else f"tune{stage_number(stage) + 1}"


def weights_mtime(weights: Path) -> float:
    """When a text encoder + UNet folder (<stage>/final, unet/latest) was written: export ships the newest."""
    return (weights / "unet" / "config.json").stat().st_mtime


def decoder_stages(out: Path) -> list[Path]:
    """The finished decoder stages of a run (decoder/, decoder2/, ...), in their chain's order."""
    stages = [d for d in Path(out).glob("decoder*") if stage_match(d.name, "decoder")
              and (d / "final" / "config.json").exists()]
    return sorted(stages, key=lambda d: stage_number(d.name, "decoder"))


def tune_stages(out: Path) -> list[Path]:
    """The finished tune stages of a run (tune/, tune2/, ...), oldest first."""
    stages = [d for d in Path(out).glob("tune*") if stage_match(d.name, "tune")
              and (d / "final" / "unet" / "config.json").exists()]
    return sorted(stages, key=lambda d: weights_mtime(d / "final"))


def load_or_build_tokenizer(out: Path, source=None) -> CLIPTokenizer:
    """The run's tokenizer (<out>/tokenizer), built from the captions of its world (``source``: a world module,
    today's by default) by the first phase that needs it. One already there is kept, whichever files it is saved as:
    an imported model's (``--phase import``) is a tokenizer.json alone, and one built again from today's captions can
    number its tokens otherwise (the world's draws change), which the model's text encoder was not trained on."""
    tdir = out / "tokenizer"
    if not (tdir / "vocab.json").exists() and not (tdir / "tokenizer.json").exists():
        build_tokenizer(tdir, **({"source": source} if source is not None else {}))
    return CLIPTokenizer.from_pretrained(tdir)


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

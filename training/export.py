"""Phase export (a run folder's EMA weights -> a diffusers pipeline folder, e.g. assets/bundled) and phase import
(a run folder started from such a saved model, for tune stages to continue it)."""
from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
from transformers import CLIPTextModel, CLIPTokenizer

import world
from training.data import to_tensor
from training.models import ModelConfig, make_scheduler, schedule_of
from training.stages import (decoder_stages, next_tune, noise_schedule, stage_match, stage_number, tune_stages,
                             weights_mtime)
from training.worlds import keep_world, run_world, world_of_size


@torch.no_grad()
def latent_rgb_factors(vae: AutoencoderKL, mean, std, seed: int = 777, n: int = 2048,
                       source=world, sampled: bool = False) -> list[list[float]]:
    """Least-squares linear map from normalised latents (+1 bias row) to the mean RGB of each latent cell, over
    pictures of the world ``source``: of the posterior's means, or (``sampled``) of latents drawn from it, as a UNet
    trained on sampled latents makes them (a nearly unused channel is noise there, and a map fit on the means gives
    it a large weight: the preview turned to coloured squares)."""
    images, _, _ = source.sample_batch(seed, n)
    x = to_tensor(images)
    d = vae.encode(x).latent_dist
    z = d.mean + d.std * torch.randn(d.mean.shape, generator=torch.Generator().manual_seed(seed)) if sampled else d.mean
    z = (z - torch.tensor(mean).view(1, -1, 1, 1)) / torch.tensor(std).view(1, -1, 1, 1)
    f = x.shape[-1] // z.shape[-1]
    rgb = F.avg_pool2d(x, f)
    a = torch.cat([z, torch.ones_like(z[:, :1])], 1).permute(0, 2, 3, 1).reshape(-1, z.shape[1] + 1)
    b = rgb.permute(0, 2, 3, 1).reshape(-1, 3)
    sol = torch.linalg.lstsq(a, b).solution
    return sol.tolist()


def imported_preview(out: Path):
    """The preview decoder (training/preview_vae.py) of the model the run in ``out`` was imported from, or None: its
    autoencoder is the run's while no decoder stage trained it further, so the preview goes with it (a run without
    one, or whose model is not where it was, gets its own by training/preview_vae.py after the export)."""
    from diffusers import AutoencoderTiny

    imported = out / "imported.json"
    if not imported.exists():
        return None
    folder = Path(json.loads(imported.read_text())["model"]) / "preview_vae"
    return AutoencoderTiny.from_pretrained(folder, torch_dtype=torch.float16) if folder.is_dir() else None  # as shipped


def imported_rgb_factors(out: Path) -> list[list[float]] | None:
    """The latent-to-RGB map of the model the run in ``out`` was imported from, or None: fit on its autoencoder,
    which is the run's while no decoder stage trained it further (fit again, on the same pictures, it differs by
    less than 1e-4: a GPU run's export need not spend 20 s of CPU on it)."""
    imported = out / "imported.json"
    if not imported.exists():
        return None
    index = Path(json.loads(imported.read_text())["model"]) / "model_index.json"
    return json.loads(index.read_text()).get("latent_rgb_factors") if index.exists() else None


def export(args, cfg: ModelConfig) -> None:
    from pipelines import PlaygroundPipeline

    out = Path(args.out)
    pictures = run_world(args, out)  # the world the run trained on
    source = next((c for c in (out / "unet" / "final", out / "unet" / "latest") if c.exists()), None)
    # tune stages continued it: ship the newest finished one, unless the UNet was trained again since
    for tuned in tune_stages(out):
        if source is None or weights_mtime(tuned / "final") >= weights_mtime(source):
            source = tuned / "final"
    if source is None:
        raise SystemExit(f"--out {out}: no UNet weights to export (train --phase unet, or --phase import a model)")
    stats = json.loads((out / "unet" / "latent_stats.json").read_text())
    # same encoder, fine-tuned decoder (phase "decoder"): the last stage of the chain, if it was run
    decoders = decoder_stages(out)
    decoder = decoders[-1] / "final" if decoders else out / "vae" / "final"
    vae = AutoencoderKL.from_pretrained(decoder)
    vae.register_to_config(latents_mean=stats["latents_mean"], latents_std=stats["latents_std"], scaling_factor=1.0)
    preview = imported_preview(out) if not decoders else None
    factors = imported_rgb_factors(out) if not decoders else None
    if factors is None:  # as the UNet phase saw the latents; a tiny run's (tests'): on fewer pictures
        factors = latent_rgb_factors(vae, stats["latents_mean"], stats["latents_std"], n=256 if args.tiny else 2048,
                                     source=pictures, sampled=pictures is not world)
    pipe = PlaygroundPipeline(
        tokenizer=CLIPTokenizer.from_pretrained(out / "tokenizer"),
        text_encoder=CLIPTextModel.from_pretrained(source / "text_encoder"),
        unet=UNet2DConditionModel.from_pretrained(source / "unet"),
        scheduler=make_scheduler(replace(cfg, **noise_schedule(args, out))),
        vae=vae,
        preview_vae=preview,
        default_guidance_scale=args.guidance,
        default_sampler="DPM++ 2M",
        latent_rgb_factors=factors,
        model_description=f"{'Shapes world' if pictures is world else 'The 64 x 64 world (v2)'}, trained from scratch "
                          f"by training/train.py",
    )
    dest = Path(args.export_to)
    if pictures is not world:  # the v2 world's model ships fp16 weights, which load_pipeline upcasts (issue 33)
        for module in (pipe.text_encoder, pipe.unet, pipe.vae, pipe.preview_vae):
            if module is not None:
                module.to(torch.float16)
    pipe.save_pretrained(dest, safe_serialization=True)
    if preview is not None:
        from training.preview_vae import drop_registered_only

        drop_registered_only(dest / "preview_vae")
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
    vae = AutoencoderKL.from_pretrained(src / "vae", torch_dtype=torch.float32)  # fp32 whatever it ships
    if vae.config.get("latents_mean") is None or vae.config.get("latents_std") is None:
        raise SystemExit(f"--model {src}: its vae config keeps no latents_mean / latents_std (not exported by train.py)")
    kept = schedule_of(DDPMScheduler.from_pretrained(src / "scheduler"))
    if kept is None:
        raise SystemExit(f"--model {src}: its noise schedule is not one --snr-shift / --zero-terminal-snr make")
    training = json.loads((src / "training.json").read_text()) if (src / "training.json").exists() else {}
    tunes = sorted((k for k in training if stage_match(k, "tune")), key=stage_number)
    stage = tunes[-1] if tunes else "unet"
    shutil.copytree(src / "tokenizer", out / "tokenizer")
    keep_world(out, world_of_size(vae.config.sample_size))  # the tune draws the pictures the model was trained on
    vae.save_pretrained(out / "vae" / "final")
    (out / "unet").mkdir(parents=True)
    (out / "unet" / "latent_stats.json").write_text(json.dumps({"latents_mean": list(vae.config.latents_mean),
                                                                "latents_std": list(vae.config.latents_std)}))
    (out / "unet" / "noise_schedule.json").write_text(json.dumps({"snr_shift": kept[0], "zero_terminal_snr": kept[1]}))
    CLIPTextModel.from_pretrained(src / "text_encoder", torch_dtype=torch.float32).save_pretrained(out / stage / "final" / "text_encoder")
    UNet2DConditionModel.from_pretrained(src / "unet", torch_dtype=torch.float32).save_pretrained(out / stage / "final" / "unet")
    (out / "imported.json").write_text(json.dumps({"model": str(src), "stage": stage, "training": training}, indent=1))
    print(f"[import] {src} -> {out} (text encoder + UNet as {stage}/final); continue with "
          f"--phase tune --init {stage} --name {next_tune(stage)}")

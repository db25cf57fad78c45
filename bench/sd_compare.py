"""The playground's pipeline against diffusers' own StableDiffusionPipeline on a Stable-Diffusion-1.5-shaped model
with random weights (issue 34), every figure written to files.

    python -m bench.sd_compare --out DIR                                   # SD 1.5 shape, cuda fp16 if there is a GPU
    python -m bench.sd_compare --out DIR --size tiny --device cpu --dtype fp32 --repeats 1   # the CPU smoke run

It builds (seeded, random weights, no Hub access) a diffusers folder of SD 1.5's shape in DIR/model (or
--model-dir): UNet 320/640/1280/1280, cross-attention 768, 8 heads, 2 layers per block, 64 x 64 latents; SD's
AutoencoderKL (128/256/512/512); a 12-layer CLIP text encoder of width 768; the repo's own CLIP tokenizer
(assets/v2/tokenizer, its 1,200-token vocabulary, at SD's 77 tokens); SD 1.5's PNDM scheduler config. `--size tiny`
makes one of the same structure small enough for a CPU test. Then it loads the folder twice, with diffusers'
`StableDiffusionPipeline.from_pretrained` and with the playground's `load_pipeline`, on --device in --dtype, and
times (median of --repeats, after a warm-up, synchronised on CUDA) DPM++ 2M, 25 steps, guidance 7.5, one image,
the same seed:

* diffusers and playground with latents out (output_type="latent") and with PIL out;
* the floor: 25 bare UNet calls at batch 2 (cond + uncond) on diffusers' UNet, and the same on the playground's
  UNet (its batch-invariant layers in place);
* the playground's 8-sampler Compare grid at 20 steps (generate_grid, as `python -m bench` runs it);

plus the pixel difference between the two pipelines' images (from the seed, and from one shared starting noise)
and, on CUDA, a torch.profiler count of kernel launches and CPU against GPU time for one call of each pipeline.
It writes DIR/sd_compare.json and DIR/sd_compare.md (also when a step fails: the error is recorded in its row).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import shutil
import signal
import statistics
import sys
import time
import traceback
from pathlib import Path
from typing import Callable

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from .measure import NEGATIVE, PROMPT, ROOT, UNetFloor, machine_line, sync  # noqa: E402

TOKENIZER_DIR = ROOT / "assets" / "v2" / "tokenizer"
SAMPLER = "DPM++ 2M"
STEPS = 25
GUIDANCE = 7.5
SEED = 7
MAX_TOKENS = 77  # SD's text window
DTYPES = {"fp16": torch.float16, "fp32": torch.float32, "bf16": torch.bfloat16}

# Each size's parts. sd15 is Stable Diffusion 1.5's configuration; tiny keeps its structure (4 UNet levels, 3 with
# cross-attention, a 4-block VAE that downscales by 8, a CLIP text encoder) at widths a CPU test runs in seconds.
SIZES = {
    "sd15": dict(
        unet=dict(block_out_channels=(320, 640, 1280, 1280), layers_per_block=2, attention_head_dim=8,
                  cross_attention_dim=768, sample_size=64, norm_num_groups=32),
        vae=dict(block_out_channels=(128, 256, 512, 512), layers_per_block=2, norm_num_groups=32, sample_size=512),
        text=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                  projection_dim=768, vocab_size=49408),
    ),
    "tiny": dict(
        unet=dict(block_out_channels=(16, 16, 32, 32), layers_per_block=1, attention_head_dim=2,
                  cross_attention_dim=32, sample_size=8, norm_num_groups=8),
        vae=dict(block_out_channels=(8, 8, 16, 16), layers_per_block=1, norm_num_groups=4, sample_size=64),
        text=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                  projection_dim=32, vocab_size=None),  # None: the tokenizer's own vocabulary size
    ),
}

# The rows, in table order: key -> label. Ratios: "vs_diffusers" names the diffusers row a playground row is
# compared with; every row but the grid is also divided by the floor.
ROWS = {
    "diffusers_latent": "diffusers `StableDiffusionPipeline`, latents out",
    "playground_latent": "playground pipeline, latents out",
    "diffusers_pil": "diffusers, PIL out",
    "playground_pil": "playground, PIL out",
    "floor": f"{STEPS} bare UNet calls (batch 2, diffusers' UNet): the floor",
    "floor_playground_unet": f"{STEPS} bare UNet calls (batch 2) on the playground's UNet (batch-invariant layers)",
    "grid": "playground, 8-sampler Compare grid, 20 steps",
}
VS_DIFFUSERS = {"playground_latent": "diffusers_latent", "playground_pil": "diffusers_pil"}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.sd_compare", description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="folder for sd_compare.json and sd_compare.md (made if missing)")
    ap.add_argument("--size", choices=sorted(SIZES), default="sd15", help="sd15 (default) or tiny (CPU tests)")
    ap.add_argument("--device", default=None, help="cuda or cpu (default: cuda when there is one)")
    ap.add_argument("--dtype", choices=sorted(DTYPES), default=None, help="default fp16 on cuda, fp32 on cpu")
    ap.add_argument("--repeats", type=int, default=3, help="timed calls per row, median reported (default 3)")
    ap.add_argument("--model-dir", default=None,
                    help="where the random model folder is built (default OUT/model; it is GBs at sd15 fp16)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random weights (default 0)")
    ap.add_argument("--no-grid", action="store_true", help="skip the Compare grid row")
    return ap.parse_args(argv)


# ---------------------------------------------------------------------------------------------------- the model


def sd_tokenizer():
    """A CLIP tokenizer with SD's 77-token window, from the repo's own files (nothing is downloaded)."""
    from transformers import CLIPTokenizer

    return CLIPTokenizer.from_pretrained(str(TOKENIZER_DIR), model_max_length=MAX_TOKENS)


def build_sd_parts(size: str = "sd15", seed: int = 0, device: str | torch.device = "cpu") -> dict:
    """The parts of an SD-1.5-shaped StableDiffusionPipeline with seeded random weights (built on `device`)."""
    from diffusers import AutoencoderKL, PNDMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    spec = SIZES[size]
    tokenizer = sd_tokenizer()
    torch.manual_seed(seed)
    with torch.device(device):
        text = dict(spec["text"])
        text["vocab_size"] = text["vocab_size"] or len(tokenizer)
        text_encoder = CLIPTextModel(CLIPTextConfig(
            **text, max_position_embeddings=MAX_TOKENS, hidden_act="quick_gelu", bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)).eval()
        unet = UNet2DConditionModel(
            in_channels=4, out_channels=4,
            down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
            up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
            **spec["unet"]).eval()
        vae = AutoencoderKL(
            in_channels=3, out_channels=3, latent_channels=4, scaling_factor=0.18215,
            down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
            **spec["vae"]).eval()
    # SD 1.5's scheduler_config.json (the sampling scheduler is made from it: DPM++ 2M in both pipelines).
    scheduler = PNDMScheduler(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012,
                              beta_schedule="scaled_linear", set_alpha_to_one=False, skip_prk_steps=True,
                              steps_offset=1)
    return dict(tokenizer=tokenizer, text_encoder=text_encoder, unet=unet, vae=vae, scheduler=scheduler)


def build_sd_folder(folder: str | Path, size: str = "sd15", dtype: torch.dtype = torch.float32, seed: int = 0,
                    device: str | torch.device = "cpu") -> Path:
    """Save an SD-1.5-shaped StableDiffusionPipeline with seeded random weights (in `dtype`) to `folder`, replacing
    what was there; returns the folder. Builds on `device` (random init of 860 M parameters is faster on a GPU)."""
    from diffusers import StableDiffusionPipeline

    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    parts = build_sd_parts(size, seed, device)
    for name in ("text_encoder", "unet", "vae"):
        parts[name] = parts[name].to(dtype)
    pipe = StableDiffusionPipeline(**parts, safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


# ---------------------------------------------------------------------------------------------------- timing


def time_rows(fns: dict[str, Callable[[], object]], repeats: int, device: torch.device,
              errors: dict[str, str]) -> dict[str, list[float]]:
    """Milliseconds of each function, `repeats` times, in turn (a, b, a, b, ...) so drift hits all alike. A function
    that raises is dropped, its error kept in `errors`."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            if name in errors:
                continue
            try:
                sync(device)
                start = time.perf_counter()
                fn()
                sync(device)
                times[name].append((time.perf_counter() - start) * 1000)
            except Exception as error:  # keep the other rows
                errors[name] = f"{type(error).__name__}: {error}"
    return times


def image_difference(a, b) -> dict:
    """Max and mean absolute difference (0-255) and PSNR (dB; None when identical) between two PIL images."""
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    diff = np.abs(x - y)
    mse = float((diff ** 2).mean())
    return {"max_abs": float(diff.max()), "mean_abs": float(diff.mean()), "identical": mse == 0.0,
            "psnr_db": None if mse == 0.0 else 10 * math.log10(255.0 ** 2 / mse)}


def profile_call(fn: Callable[[], object], device: torch.device) -> dict:
    """One call under torch.profiler: its wall time, CPU time of the ops, device kernel time and kernel launches."""
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    sync(device)
    with profile(activities=activities) as prof:
        start = time.perf_counter()
        fn()
        sync(device)
        wall_ms = (time.perf_counter() - start) * 1000
    events = prof.events()
    on_device = [e for e in events if e.device_type == DeviceType.CUDA]
    launches = [e for e in events if "LaunchKernel" in e.name or "cudaGraphLaunch" in e.name]
    syncs = [e for e in events if e.name in ("cudaStreamSynchronize", "cudaDeviceSynchronize", "cudaMemcpyAsync",
                                             "cudaEventSynchronize")]
    averages = prof.key_averages()

    def device_us(a) -> float:
        return getattr(a, "self_device_time_total", 0) or 0

    cpu_us = sum(a.self_cpu_time_total for a in averages)
    top = sorted((a for a in averages if device_us(a) > 0), key=device_us, reverse=True)[:8]
    return {"wall_ms": wall_ms, "kernel_launches": len(launches), "device_events": len(on_device),
            "host_syncs_and_copies": len(syncs), "cpu_ms": cpu_us / 1000,
            "device_ms": sum(device_us(a) for a in averages) / 1000,
            "top_device_ops": [{"name": a.key[:60], "device_ms": device_us(a) / 1000, "count": a.count} for a in top]}


# ---------------------------------------------------------------------------------------------------- the run


class Run:
    """The figures of one run, filled in step by step and written out whatever happens."""

    def __init__(self, args):
        self.args = args
        self.out = Path(args.out)
        self.began = time.perf_counter()
        self.result: dict = {"rows": {}, "errors": {}, "notes": []}

    def log(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.began:6.1f} s] {message}", file=sys.stderr, flush=True)

    def step(self, name: str, fn: Callable[[], object]):
        """Run one step; on failure record its error (and traceback) and go on."""
        self.log(name)
        try:
            return fn()
        except Exception as error:
            self.result["errors"][name] = f"{type(error).__name__}: {error}"
            traceback.print_exc()
            return None

    def write(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self.result["took_s"] = time.perf_counter() - self.began
        (self.out / "sd_compare.json").write_text(json.dumps(self.result, indent=2, default=str) + "\n",
                                                  encoding="utf-8")
        (self.out / "sd_compare.md").write_text(markdown(self.result), encoding="utf-8")
        self.log(f"wrote {self.out / 'sd_compare.json'} and {self.out / 'sd_compare.md'}")


def versions() -> dict:
    import diffusers
    import transformers

    return {"python": platform.python_version(), "torch": torch.__version__, "cuda": torch.version.cuda,
            "diffusers": diffusers.__version__, "transformers": transformers.__version__}


def run(args) -> dict:
    this = Run(args)
    res = this.result
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    dtype = DTYPES[args.dtype or ("fp16" if device.type == "cuda" else "fp32")]
    res.update({
        "size": args.size, "device": str(device), "dtype": str(dtype).replace("torch.", ""),
        "date": datetime.datetime.now().isoformat(timespec="seconds"), "repeats": args.repeats,
        "weights_seed": args.seed, "sampler": SAMPLER, "steps": STEPS, "guidance": GUIDANCE, "seed": SEED,
        "prompt": PROMPT,
    })
    try:  # from here on, whatever fails is recorded and the files are still written
        import diffusers
        import transformers
        from diffusers import DPMSolverMultistepScheduler, StableDiffusionPipeline

        from pipelines import load_pipeline, make_scheduler

        from .__main__ import GRID_SAMPLERS, GRID_STEPS

        diffusers.utils.logging.disable_progress_bar()  # keep the log to the run's own lines
        transformers.utils.logging.disable_progress_bar()
        res.update({"machine": machine_line(device), "versions": versions(),
                    "grid": {"samplers": GRID_SAMPLERS, "steps": GRID_STEPS}})

        # 1. The model folder
        folder = Path(args.model_dir) if args.model_dir else this.out / "model"
        start = time.perf_counter()
        this.log(f"building the {args.size} model in {folder} ({res['dtype']}, weights seeded {args.seed})")
        try:
            build_sd_folder(folder, args.size, dtype, args.seed, device)
        except Exception as error:  # a build on the device that fails: build on the CPU instead
            if device.type == "cpu":
                raise
            res["notes"].append(f"building on {device} failed ({type(error).__name__}: {error}); built on the CPU")
            build_sd_folder(folder, args.size, dtype, args.seed, "cpu")
        res["model"] = {"folder": str(folder), "build_s": time.perf_counter() - start,
                        "bytes": sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())}

        # 2. Both pipelines on the device, DPM++ 2M made from the folder's scheduler config
        start = time.perf_counter()
        sd = StableDiffusionPipeline.from_pretrained(str(folder), dtype=dtype, safety_checker=None,
                                                     requires_safety_checker=False).to(device)
        sd.scheduler = DPMSolverMultistepScheduler.from_config(sd.scheduler.config)
        sd.set_progress_bar_config(disable=True)
        load_sd = time.perf_counter() - start
        start = time.perf_counter()
        pg = load_pipeline(folder, device=device, torch_dtype=dtype)
        pg.set_progress_bar_config(disable=True)  # as the app runs it
        load_pg = time.perf_counter() - start
        ours = make_scheduler(SAMPLER, pg.scheduler.config)
        keys = sorted(set(sd.scheduler.config) | set(ours.config))
        differ = {k: [sd.scheduler.config.get(k), ours.config.get(k)] for k in keys
                  if not k.startswith("_") and sd.scheduler.config.get(k) != ours.config.get(k)}
        res["model"].update({
            "load_s": {"diffusers": load_sd, "playground": load_pg},
            "unet_params_m": sum(p.numel() for p in sd.unet.parameters()) / 1e6,
            "vae_params_m": sum(p.numel() for p in sd.vae.parameters()) / 1e6,
            "text_encoder_params_m": sum(p.numel() for p in sd.text_encoder.parameters()) / 1e6,
            "scheduler": type(sd.scheduler).__name__, "scheduler_configs_differ": differ,
        })
        height, width = pg.default_size
        res["height"], res["width"] = height, width
        this.log(f"UNet {res['model']['unet_params_m']:.4g} M parameters, {width}x{height}, {device} {res['dtype']}")

        def sd_call(output_type, latents=None):
            generator = torch.Generator("cpu").manual_seed(SEED)
            return sd(PROMPT, negative_prompt=NEGATIVE, num_inference_steps=STEPS, guidance_scale=GUIDANCE,
                      height=height, width=width, generator=generator, latents=latents,
                      output_type=output_type).images

        def pg_call(output_type, latents=None):
            return pg(PROMPT, NEGATIVE, sampler=SAMPLER, num_inference_steps=STEPS, guidance_scale=GUIDANCE,
                      seed=SEED, height=height, width=width, output_type=output_type, latents=latents).images

        floor = UNetFloor(pg, unet=sd.unet)
        fns = {
            "diffusers_latent": lambda: sd_call("latent"),
            "playground_latent": lambda: pg_call("latent"),
            "diffusers_pil": lambda: sd_call("pil"),
            "playground_pil": lambda: pg_call("pil"),
            "floor": floor.loop(STEPS),
            "floor_playground_unet": UNetFloor(pg).loop(STEPS),
        }
        cells = [(name, GRID_STEPS) for name in GRID_SAMPLERS]
        if not args.no_grid:
            fns["grid"] = lambda: pg.generate_grid(PROMPT, NEGATIVE, cells, GUIDANCE, seed=SEED, height=height,
                                                   width=width)

        # 3. Warm-up (one call each); the warm-up's outputs are the comparison "from the seed"
        errors: dict[str, str] = {}
        warm: dict[str, object] = {}
        for name, fn in fns.items():
            this.log(f"warm-up: {name}")
            try:
                warm[name] = fn()
            except Exception as error:
                errors[name] = f"{type(error).__name__}: {error}"
                traceback.print_exc()
        sync(device)

        # 4. The timings, interleaved
        this.log(f"timing {len(fns)} rows x {args.repeats}")
        times = time_rows(fns, args.repeats, device, errors)
        floor_ms = statistics.median(times["floor"]) if times.get("floor") else None
        for name in fns:
            row: dict = {"label": ROWS[name]}
            if name in errors:
                row["error"] = errors[name]
            if times.get(name):
                ms = statistics.median(times[name])
                row.update(ms=ms, samples_ms=times[name])
                other = VS_DIFFUSERS.get(name)
                if other and times.get(other):
                    row["vs_diffusers"] = ms / statistics.median(times[other])
                if floor_ms and name != "grid":
                    row["vs_floor"] = ms / floor_ms
            res["rows"][name] = row
        if args.no_grid:
            res["rows"]["grid"] = {"label": ROWS["grid"], "skipped": "--no-grid"}
        res["notes"].append(
            "Latents out: both pipelines give their denoised latents (output_type=\"latent\"), before the VAE. "
            "The playground caches prompt embeddings between calls; diffusers encodes the prompt every call.")

        # 5. Pixels: the two pipelines' images for the same seed, and from one shared starting noise
        def pixels():
            out: dict = {}
            if "diffusers_pil" in warm and "playground_pil" in warm:
                out["from_seed"] = image_difference(warm["diffusers_pil"][0], warm["playground_pil"][0])
            if "diffusers_latent" in warm and "playground_latent" in warm:
                a, b = (warm[k].float().cpu() for k in ("diffusers_latent", "playground_latent"))
                out["latents_from_seed_max_abs"] = float((a - b).abs().max())
                out["latents_finite"] = {"diffusers": bool(torch.isfinite(a).all()),
                                         "playground": bool(torch.isfinite(b).all())}
            f = pg.vae_scale_factor
            noise = torch.randn(1, 4, height // f, width // f, generator=torch.Generator("cpu").manual_seed(SEED))
            noise = noise.to(device, dtype)
            out["from_shared_noise"] = image_difference(sd_call("pil", noise.clone())[0],
                                                        pg_call("pil", noise.clone())[0])
            return out

        res["pixels"] = this.step("pixel difference", pixels)

        # 6. A profile of one call of each (CUDA only)
        if device.type == "cuda":
            res["profile"] = {
                "playground_latent": this.step("profile: playground", lambda: profile_call(fns["playground_latent"],
                                                                                           device)),
                "diffusers_latent": this.step("profile: diffusers", lambda: profile_call(fns["diffusers_latent"],
                                                                                         device)),
            }
            res["peak_gpu_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
        else:
            res["profile"] = {"skipped": "on CPU: kernel launches and device time are a GPU figure (run with "
                                         "--device cuda)"}
    except Exception as error:
        res["errors"]["run"] = f"{type(error).__name__}: {error}"
        traceback.print_exc()
    finally:
        this.write()
    return res


# ---------------------------------------------------------------------------------------------------- markdown


def _ratio(value) -> str:
    return "–" if value is None else f"{value:.2f}"


def markdown(res: dict) -> str:
    v = res.get("versions", {})
    model = res.get("model", {})
    size = f"{res.get('width', '?')} × {res.get('height', '?')}"
    cuda = f" (CUDA {v['cuda']})" if v.get("cuda") else ""
    where = f"{res.get('device')} ({res.get('dtype')})"
    out = [f"## Playground vs diffusers: {res.get('size')} random model on {where}", "",
           f"{res.get('machine')} · torch {v.get('torch')}{cuda} · diffusers {v.get('diffusers')} · "
           f"transformers {v.get('transformers')} · Python {v.get('python')} · {res.get('date')} · "
           f"median of {res.get('repeats')} after a warm-up · took {res.get('took_s', 0):.0f} s", "",
           f"{res.get('sampler')}, {res.get('steps')} steps, guidance {res.get('guidance')}, one image, {size} px, "
           f"seed {res.get('seed')}, prompt \"{res.get('prompt')}\". UNet {model.get('unet_params_m', 0):.4g} M "
           f"parameters, VAE {model.get('vae_params_m', 0):.4g} M, text encoder "
           f"{model.get('text_encoder_params_m', 0):.4g} M (random weights, seed {res.get('weights_seed')}).", "",
           "| | ms | playground / diffusers | / floor |", "|---|---:|---:|---:|"]
    for key, label in ROWS.items():
        row = res.get("rows", {}).get(key)
        if row is None:
            out.append(f"| {label} | not run | | |")
        elif "ms" in row:
            samples = row["samples_ms"]
            spread = f" ({min(samples):.0f}-{max(samples):.0f})" if len(samples) > 1 else ""
            out.append(f"| {label} | {row['ms']:.1f}{spread} | {_ratio(row.get('vs_diffusers'))} "
                       f"| {_ratio(row.get('vs_floor'))} |")
        else:
            out.append(f"| {label} | {row.get('error') or row.get('skipped') or 'failed'} | | |")
    out += ["", "Floor: the same UNet calls made directly in a loop (cond + uncond in one batch of 2, inference_mode). "
            "Grid: " + ", ".join(res.get("grid", {}).get("samplers", [])) + f" at {res.get('grid', {}).get('steps')} "
            "steps, as generate_grid batches them.", ""]

    px = res.get("pixels") or {}
    if px:
        out += ["### Same picture?", "", "| diffusers vs playground | max abs (0-255) | mean abs | PSNR dB |",
                "|---|---:|---:|---:|"]
        for key, label in (("from_seed", "from the same seed"),
                           ("from_shared_noise", "from one shared starting noise")):
            d = px.get(key)
            if d:
                psnr = "identical" if d["identical"] else f"{d['psnr_db']:.1f}"
                out.append(f"| {label} | {d['max_abs']:.0f} | {d['mean_abs']:.3f} | {psnr} |")
        if "latents_from_seed_max_abs" in px:
            finite = px.get("latents_finite", {})
            out += ["", f"Latents from the same seed: max abs difference {px['latents_from_seed_max_abs']:.3g}; "
                        f"all finite: diffusers {finite.get('diffusers')}, playground {finite.get('playground')}."]
        out.append("")

    prof = res.get("profile") or {}
    if prof:
        out += ["### Profile of one call (latents out)", ""]
    if "skipped" in prof:
        out += [f"Skipped {prof['skipped']}.", ""]
    elif prof:
        out += ["| | wall ms | CPU ms (ops) | GPU kernel ms | kernel launches | syncs + copies |",
                "|---|---:|---:|---:|---:|---:|"]
        for key in ("diffusers_latent", "playground_latent"):
            p = prof.get(key)
            if p:
                out.append(f"| {ROWS[key]} | {p['wall_ms']:.0f} | {p['cpu_ms']:.0f} | {p['device_ms']:.0f} | "
                           f"{p['kernel_launches']} | {p['host_syncs_and_copies']} |")
        if res.get("peak_gpu_mib"):
            out += ["", f"Peak GPU memory (both pipelines loaded): {res['peak_gpu_mib']:.0f} MiB."]
        out.append("")

    if model:
        load = model.get("load_s", {})
        out += [f"Model folder: {model.get('folder')} ({model.get('bytes', 0) / 2**20:.0f} MiB, built in "
                f"{model.get('build_s', 0):.1f} s); loaded by diffusers in {load.get('diffusers', 0):.1f} s, by the "
                f"playground in {load.get('playground', 0):.1f} s. Scheduler configs that differ between diffusers' "
                f"DPMSolverMultistepScheduler.from_config and the playground's \"{res.get('sampler')}\": "
                f"{model.get('scheduler_configs_differ') or 'none'}.", ""]
    for note in res.get("notes", []):
        out.append(f"- {note}")
    if res.get("errors"):
        out += ["", "### Errors", ""] + [f"- {k}: {e}" for k, e in res["errors"].items()]
    return "\n".join(out) + "\n"


def main(argv=None) -> None:
    args = parse_args(argv)
    # `timeout` stops a run with SIGTERM: exit through run()'s finally, which writes what was measured so far
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    res = run(args)
    print(markdown(res))
    if res.get("errors"):
        sys.exit(1)


if __name__ == "__main__":
    main()

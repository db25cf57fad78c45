"""Write the bundled model's card (assets/bundled/README.md) from measurements, never by hand.

    python -m training.model_card --run runs/bundled --model assets/bundled

It evaluates the model (training/evaluate.py), scores the autoencoder's reconstructions (the ceiling),
reads the training logs for steps, time and hardware, draws a sample grid, and writes the card.
"""
from __future__ import annotations

import argparse
import csv
import json
import platform
import time
from pathlib import Path

import torch

from training.check_vae import reconstruction_scores
from training.evaluate import evaluate, sample_grid, table
from training.stages import decoder_stages, stage_number, tune_stages


def _log_summary(path: Path) -> dict:
    if not path.exists():
        return {}
    rows = list(csv.DictReader(path.open()))
    if not rows:
        return {}
    # resumed runs restart the minutes column; add up each stretch
    minutes, last = 0.0, 0.0
    for r in rows:
        m = float(r["minutes"])
        if m < last:
            minutes += last
        last = m
    minutes += last
    summary = {"steps": int(rows[-1]["step"]) + 1, "minutes": round(minutes, 1), "last_loss": float(rows[-1]["loss"])}
    if "psnr" in rows[0]:
        summary["first_psnr"], summary["last_psnr"] = float(rows[0]["psnr"]), float(rows[-1]["psnr"])
    return summary


def phase_summaries(run: Path, model: Path) -> dict:
    """Steps, minutes and losses of each training phase, from the run's logs; kept in <model>/training.json.

    A phase whose log is not in this run folder (trained in an earlier session, on another machine, and its
    weights reused) keeps the summary that training.json already holds for it.
    """
    kept_file = model / "training.json"
    imported = run / "imported.json"  # a run started from a saved model (train.py --phase import): its summaries
    kept = (json.loads(kept_file.read_text()) if kept_file.exists() else
            json.loads(imported.read_text())["training"] if imported.exists() else {})
    out = {}
    # tune, tune2, ...: each continued the one before. Those trained before (kept, in the chain's order: also a
    # run started from the model by train.py --phase import holds the last of them) come first, then this run's own
    stages = [k for k in kept if k.startswith("tune")]
    stages += [d.name for d in tune_stages(run) if d.name not in stages]
    decoders = [d.name for d in decoder_stages(run)]  # decoder, decoder2, ...: likewise
    decoders = sorted(set(decoders) | {k for k in kept if k.startswith("decoder")},
                      key=lambda k: stage_number(k, "decoder"))
    for phase in ("vae", *(decoders or ["decoder"]), "unet", *stages):
        summary = _log_summary(run / phase / "log.csv")
        if phase.startswith(("decoder", "tune")) and not (run / phase / "final").exists():
            summary = {}  # optional phases count only when they finished (export uses them only then)
        if summary and (run / phase / "args.json").exists():  # what the phase ran with (train.py writes it)
            ran = json.loads((run / phase / "args.json").read_text())
            keys = (("batch", "lr_vae") if phase.startswith(("vae", "decoder")) else
                    ("batch", "lr", "loss_weight", "mix", "init", "text_aux"))
            summary.update({k: ran[k] for k in keys if ran.get(k)})
            if ran.get("text_aux"):  # the defaults (per-word part and a bag of every word) go unsaid
                summary.update({k: ran[k] for k in ("text_aux_bag", "text_aux_tokens") if ran.get(k) is False})
                if ran.get("text_aux_bag_words"):
                    summary["text_aux_bag_words"] = ran["text_aux_bag_words"]
            if ran.get("timesteps", "uniform") != "uniform":  # the default goes unsaid
                summary["timesteps"] = ran["timesteps"]
            for key in ("t_min", "count_pairs", "count_fade"):
                if ran.get(key):
                    summary[key] = ran[key]
            if ran.get("device", "cpu") != "cpu":  # a GPU's name: the card says which phases ran on one
                summary["device"] = ran["device"]
            if (run / phase / "final").exists() and "steps" in ran:
                summary["steps"] = ran["steps"]  # it ran them all (the log keeps every 25th step only)
        out[phase] = summary or kept.get(phase, {})
    # the preview decoder is distilled into the model folder after the export (training/preview_vae.py), which
    # keeps its summary there: a model folder made from another keeps it while its autoencoder is the same
    preview = kept.get("preview_vae") or (json.loads(imported.read_text())["training"].get("preview_vae", {})
                                          if imported.exists() else {})
    out["preview_vae"] = preview if (model / "preview_vae").is_dir() else {}
    out = {k: v for k, v in out.items() if v}
    kept_file.write_text(json.dumps(out, indent=1))
    return out


def text_aux_words(log: dict) -> str:
    """The card's words for a stage trained with --text-aux ("" without it)."""
    if not log.get("text_aux"):
        return ""
    flags, parts = "", []
    if log.get("text_aux_tokens", True):
        parts.append("each word's output must name its token")
    else:
        flags += " --no-text-aux-tokens"
    if not log.get("text_aux_bag", True):
        flags += " --no-text-aux-bag"
    elif log.get("text_aux_bag_words"):
        words = ",".join(log["text_aux_bag_words"])
        flags += f" --text-aux-bag-words {words}"
        parts.append(f"the pooled output must name which of {words.replace(',', ', ')} the caption holds")
    else:
        parts.append("the pooled output must name the caption's words")
    return (f", plus a keep-the-words loss on the text encoder at weight {log['text_aux']:g} (`--text-aux{flags}`: "
            f"{'; '.join(parts)})")


def decoder_line(name: str, log: dict, vae_batch: int) -> str:
    start = ("Decoder fine-tune, encoder frozen (so the UNet's latents do not move)" if name == "decoder" else
             f"Then the decoder continued (`--phase decoder --name {name}`, a fresh AdamW and schedule)")
    lr = f" at lr {log['lr_vae']:g}" if log.get("lr_vae") else ""
    return (f"\n- {start}: {log['steps']} steps of {log.get('batch', vae_batch)} images{lr}, the same loss without KL; "
            f"{log['minutes']} minutes; PSNR of its batch (fresh pictures each step) {log.get('first_psnr', '?')} dB "
            f"at the first step, {log.get('last_psnr', '?')} dB at the last logged one.")


def tune_line(name: str, log: dict, unet_batch: int, weightings: dict) -> str:
    init = log.get("init", "unet")
    start = "the UNet's" if init == "unet" else f"stage {init}'s"
    mix = log.get("mix")
    data = ("a scene mix of " + ", ".join(f"{k} {v:g}" for k, v in mix.items()) if mix
            else "the usual scene mix")
    extras = {"lognormal": ", timesteps drawn log-normally in noise level (`--timesteps lognormal`, EDM's "
                              "ln sigma ~ N(-1.2, 1.2^2): half of them at low noise, where shapes get their edges)"
                 }.get(log.get("timesteps"), "")
    if log.get("t_min"):
        extras += (f", only timesteps {log['t_min']} to 999 (`--t-min {log['t_min']}`: the noisy steps, where the "
                   f"layout and the number of objects are decided)")
    if log.get("count_pairs"):
        extras += (f", {log['count_pairs']:.0%} of each batch in twin count scenes noised alike (`--count-pairs "
                   f"{log['count_pairs']:g}`: N and N + 1 objects, otherwise the same picture and caption)")
    if log.get("count_fade"):
        extras += (f", each twin's noisy input holding up to {log['count_fade']:.0%} of the other's extra object "
                   f"(`--count-fade {log['count_fade']:g}`: a faint extra object to drop, a faded one to draw, as "
                   f"its number word says)")
    extras += text_aux_words(log)
    return (f"\n- Then continued from {start} EMA weights (`--phase tune --name {name}`): {log['steps']} steps of "
            f"{log.get('batch', unet_batch)} images, a fresh AdamW at lr {log.get('lr', '?')} with warm-up and cosine "
            f"decay, {weightings.get(log.get('loss_weight'), '?')}{extras}, {data}, other pictures than the stages "
            f"before saw; "
            f"{log['minutes']} minutes; last logged loss {log['last_loss']}.")


def shift_words(scheduler) -> str:
    """The card's words for a schedule other than Stable Diffusion's: ", its signal-to-noise ratio divided by 4
    (`--snr-shift 4`)", ", rescaled so its last step is pure noise (`--zero-terminal-snr`)", both, or ""."""
    if scheduler.config.get("trained_betas") is None:
        return ""
    from training.models import schedule_of

    kept = schedule_of(scheduler)
    if kept is None:
        return ", then given its own betas"
    shift, zero = kept
    words = f", its signal-to-noise ratio divided by {shift:g} (`--snr-shift {shift:g}`)" if shift != 1 else ""
    return words + (", rescaled so its last step is pure noise (`--zero-terminal-snr`)" if zero else "")


def attention_words(config) -> str:
    """Where the UNet attends, in words: every level, or only the lower ones (level 0 is the latent grid)."""
    kinds = ["CrossAttn" in t for t in config.down_block_types]
    if all(kinds):
        return "cross-attention at every level"
    size = config.sample_size if isinstance(config.sample_size, int) else config.sample_size[0]
    plain = [f"{size // 2 ** i}×{size // 2 ** i}" for i, k in enumerate(kinds) if not k]
    return f"cross-attention in the lower levels only (none at {', '.join(plain)}, as in SDXL)"


_PHASE_WORDS = {"vae": "autoencoder", "unet": "text encoder + UNet", "preview_vae": "preview decoder"}


def hardware_line(logs: dict) -> str:
    """The card's hardware line: the CPU, and the GPU for any phase that ran on one (its args.json says so)."""
    cpu = {k: v for k, v in logs.items() if not v.get("device")}
    gpu = {k: v for k, v in logs.items() if v.get("device")}
    cpu_hours = sum(v.get("minutes", 0) for v in cpu.values()) / 60
    if not gpu:
        return (f"- Hardware: {platform.machine()} CPU, 2 cores (1–2 torch threads), no GPU. Total\n"
                f"  {cpu_hours:.2f} CPU-hours of wall time.")
    names = lambda phases: ", ".join(_PHASE_WORDS.get(k, k) for k in phases)  # noqa: E731
    devices = " and ".join(sorted({v["device"] for v in gpu.values()}))
    return (f"- Hardware: {platform.machine()} CPU, 2 cores (1–2 torch threads), for {names(cpu) or 'none'}: "
            f"{cpu_hours:.2f} hours of wall time;\n  one {devices} GPU for {names(gpu)}: "
            f"{sum(v.get('minutes', 0) for v in gpu.values()):.1f} minutes (the same commands run on a CPU, slower).")


def parts_table(pipe) -> str:
    """The card's table of the pipeline's parts (tokenizer, text encoder, UNet, autoencoder, scheduler)."""
    pooled = ('pooled text into the time embedding (`class_embed_type="projection"`)'
              if pipe.unet.config.class_embed_type == "projection" else
              "no pooled text (the caption enters through cross-attention only: `--no-pooled-text`)")
    attention = attention_words(pipe.unet.config)
    params = {n: sum(p.numel() for p in getattr(pipe, n).parameters()) / 1e6 for n in ("text_encoder", "unet", "vae")}
    size = pipe.vae.config.sample_size
    return f"""| part | what | parameters |
|---|---|---|
| tokenizer | CLIP BPE (vocab.json + merges.txt), {len(pipe.tokenizer)} tokens, window {pipe.tokenizer.model_max_length} | – |
| text_encoder | `CLIPTextModel`, {pipe.text_encoder.config.num_hidden_layers} layers, width {pipe.text_encoder.config.hidden_size} | {params['text_encoder']:.2f} M |
| unet | `UNet2DConditionModel`, widths {list(pipe.unet.config.block_out_channels)}, {attention}, {pooled}, {pipe.scheduler.config.prediction_type} | {params['unet']:.2f} M |
| vae | `AutoencoderKL`, {size}×{size}×3 → {pipe.unet.config.sample_size}×{pipe.unet.config.sample_size}×{pipe.unet.config.in_channels}, per-channel latent mean/std in its config | {params['vae']:.2f} M |
| scheduler | DDPM training schedule, 1000 steps, scaled-linear betas{shift_words(pipe.scheduler)}; every sampler is derived from it | – |{preview_row(pipe)}"""


def preview_row(pipe) -> str:
    """The parts table's row for the preview decoder, "" where the model has none."""
    tiny = getattr(pipe, "preview_vae", None)
    if tiny is None:
        return ""
    params = sum(p.numel() for p in tiny.parameters()) / 1e6
    return (f"\n| preview_vae | `AutoencoderTiny` (TAESD's design) distilled from the vae: the cheap pictures of x_t "
            f"while a run streams | {params:.2f} M |")


WEIGHTINGS = {"min-snr": "min-SNR-5 weighting",
              "uniform": "the plain squared error on v at every noise level (no min-SNR weighting)"}


def preview_line(logs: dict) -> str:
    """The card's line for the preview decoder (training/preview_vae.py), "" where the model has none."""
    p = logs.get("preview_vae")
    if not p:
        return ""
    return (f"\n- Preview decoder (the pictures of x_t while a run streams): `AutoencoderTiny` distilled from the "
            f"autoencoder, {p['steps']} steps of {p['batch']} over {p['pictures']} pictures; {p['minutes']} minutes; "
            f"its pictures differ from the autoencoder's own decode by {p['tiny_difference']} of 255 on average "
            f"(a linear map of the latents: {p['linear_difference']}).")


def training_section(recipe: str, logs: dict, vae_batch: int = 32, unet_batch: int = 32, schedule: str = "",
                     loss_weight: str = "uniform") -> str:
    """The card's Training section from the phases' summaries (phase_summaries): each phase's steps, batch,
    minutes and losses, the hardware, and the recipe file that reruns them."""
    vae_log, unet_log = logs.get("vae", {}), logs.get("unet", {})
    tune_logs = {k: v for k, v in logs.items() if k.startswith("tune")}
    dec_logs = {k: v for k, v in logs.items() if k.startswith("decoder")}
    unet_batch, loss_weight = unet_log.get("batch", unet_batch), unet_log.get("loss_weight", loss_weight)
    decoder_lines = "".join(decoder_line(name, log, vae_batch) for name, log in dec_logs.items())
    schedule = f" ({schedule})" if schedule else ""
    tune_lines = "".join(tune_line(name, log, unet_batch, WEIGHTINGS) for name, log in tune_logs.items())
    return f"""## Training (reproducible: `{recipe}`, docs/training.md)
- Autoencoder: {vae_log.get('steps', '?')} steps of {vae_batch} images, L1 + MSE + edge (image-gradient) loss + 1e-6 KL;
  {vae_log.get('minutes', '?')} minutes.{decoder_lines}
- Text encoder + UNet, jointly from scratch: {unet_log.get('steps', '?')} steps of {unet_batch} images, AdamW lr 1e-3 with
  warm-up and cosine decay{schedule}, v-prediction with {WEIGHTINGS[loss_weight]}{text_aux_words(unet_log)}, EMA of the weights (the EMA is what ships);
  {unet_log.get('minutes', '?')} minutes; last logged loss {unet_log.get('last_loss', '?')}.{tune_lines}{preview_line(logs)}
{hardware_line(logs)}
- Data: rendered on the fly from a per-step seed (nothing downloaded, nothing stored)."""


def limits_words(results: dict, below: float = 0.8) -> str:
    """The categories the model gets wrong (model score under `below`), each with its score and the ceiling."""
    scores = {k: r for k, r in results.items() if k != "_meta"}
    weak = [k for k, r in scores.items() if r["model"] < below]
    if not weak:
        return f"Every category scores {below:.1f} or more here."
    ceilings = [scores[k]["autoencoder"] for k in weak if scores[k].get("autoencoder") is not None]
    ceiling = f" (the autoencoder's ceiling on them: {min(ceilings):.2f} or more)" if ceilings else ""
    strong = [k for k, r in scores.items() if r["model"] >= 0.9]
    return (f"Below {below:.1f} here{ceiling}: " + ", ".join(f"{k} {scores[k]['model']:.2f}" for k in weak) + "; "
            + (f"0.9 or more: {', '.join(strong)}." if strong else "nothing scores 0.9 or more."))


def write_card(run: Path, model: Path, prompts: int, seeds: int, threads: int,
               vae_batch: int = 32, unet_batch: int = 32, schedule: str = "", loss_weight: str = "uniform") -> str:
    from pipelines import load_pipeline

    torch.set_num_threads(threads)
    pipe = load_pipeline(str(model))
    t0 = time.time()
    results = evaluate(pipe, prompts=prompts, seeds=seeds)
    ae = reconstruction_scores(pipe.vae, n=512)
    sample_grid(pipe, model / "samples.png")
    (model / "evaluation.json").write_text(json.dumps({"model": results, "autoencoder_reconstructions": ae}, indent=1))
    logs = phase_summaries(run, model)
    meta = results["_meta"]
    targets = {"single: colour": 0.95, "single: shape": 0.9, "single: background": 0.95, "position": 0.8,
               "count 1": 0.8, "count 2": 0.8, "count 3": 0.8}
    target_rows = "\n".join(
        f"| {k} | {results[k]['model']:.2f} | {v:.2f} | {'met' if results[k]['model'] >= v else 'not met'} |"
        for k, v in targets.items())
    ceiling = {k: r["autoencoder"] for k, r in results.items() if k != "_meta" and r.get("autoencoder") is not None}
    if ceiling:
        low = min(ceiling, key=ceiling.get)
        target_rows += (f"\n| autoencoder, every category (lowest: {low}) | {ceiling[low]:.2f} | 0.97 | "
                        f"{'met' if ceiling[low] >= 0.97 else 'not met'} |")
    ae_rows = "\n".join(f"| {k} | {v:.3f} |" for k, v in ae.items())
    on_cpu = " on CPU" if not any(v.get("device") for v in logs.values()) else ""
    card = f"""# Shapes world: a text-to-image diffusion model trained from scratch{on_cpu}

A small latent diffusion model in the Stable Diffusion recipe (CLIP text encoder → UNet with cross-attention
denoising autoencoder latents → autoencoder decoder), trained by `training/train.py` (the recipe: `training/recipes/bundled.sh`) on pictures rendered by
the `world` package. It exists so the playground has a model that runs offline on a laptop CPU and whose every output
can be *judged*: the world knows what each prompt asks for.

## What it knows
32×32 pictures: plain backgrounds (red, green, blue, yellow, purple, orange, white, black, gray); circles,
squares and triangles in eight colours, small or big; one to nine objects ("three red circles", "7 green
triangles"); positions (left, right, top, bottom, centre); two objects with a relation ("a red circle left of a
blue square", "above", "below", "and"); white signs with two- or three-letter words ('a sign that says "HI"').
Captions vary in phrasing; 10 % are empty during training so classifier-free guidance works. Prompts outside
this vocabulary still tokenize (byte-level BPE) but mean nothing to the model: that is the "rare words" limit.

## Samples
![samples](samples.png)

Rows: a red circle on a blue background · a big yellow square on the left, black background · three green
triangles on a white background · a purple circle above an orange square · two blue squares, yellow
background · a white triangle at the top on a red background · a sign that says "HI" on a green background ·
six black circles on an orange background (4 seeds each, DPM++ 2M, 20 steps).

## Limits (what the Limits tab shows)
{limits_words(results)} The model
denoises by learned local patterns and global colour statistics; it never builds a scene plan, so "how many"
and "which colour goes with which shape" are not represented anywhere it could check. Real models share these
failures (GenEval: SD 1.5 scores 0.35 on counting, 0.04 on position, 0.06 on colour binding).

## Measured (GenEval-style, judged by `world.judge`)
{meta['prompts']} prompts × {meta['seeds']} seeds per category, {meta['sampler']}, {meta['steps']} steps, guidance
{meta['guidance']:g}, {meta['images']} images in {meta['seconds']:.0f} s. "Autoencoder" is the same judge on the
autoencoder's reconstructions of as many true pictures of each prompt as the model drew (the prompt's own layout and
others its words allow): the ceiling the denoiser could reach.

{table(results)}

Targets set for this model:

| category | measured | target | |
|---|---|---|---|
{target_rows}

Autoencoder reconstructions of 512 random world pictures (PSNR in dB, then judge accuracy per scene kind):

| measure | value |
|---|---|
{ae_rows}

## Parts
{parts_table(pipe)}

{training_section("training/recipes/bundled.sh", logs, vae_batch, unet_batch, schedule, loss_weight)}

Card written by `training/model_card.py` in {time.time() - t0:.0f} s.
"""
    (model / "README.md").write_text(card)
    return card


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="runs/bundled")
    ap.add_argument("--model", default="assets/bundled")
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--vae-batch", type=int, default=32, help="the --batch the autoencoder was trained with")
    ap.add_argument("--unet-batch", type=int, default=32, help="the --batch the UNet was trained with")
    ap.add_argument("--loss-weight", choices=["min-snr", "uniform"], default="uniform", help="the UNet's --loss-weight")
    ap.add_argument("--schedule", default="", help="how the UNet's lr schedule ran, if not in one go (a phrase)")
    args = ap.parse_args()
    print(write_card(Path(args.run), Path(args.model), args.prompts, args.seeds, args.threads,
                     args.vae_batch, args.unet_batch, args.schedule, args.loss_weight))


if __name__ == "__main__":
    main()

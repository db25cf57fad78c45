"""python -m bench.train_step: where one step of the recipe's UNet phase spends its time on this machine's CPU.

    python -m bench.train_step                    # the v2 model, batch 64, 2 threads, 5 repeats
    python -m bench.train_step --quick            # smoke run: batch 4, 1 repeat

A step of `training.phases.unet` renders its batch of the model's world, encodes it with the frozen autoencoder,
runs the text encoder and the UNet (v-loss, `training.losses.denoising_loss`), backpropagates, steps AdamW and the
EMA. This times each part on the shipped model's weights (median of the repeats, one run, so the shares compare),
then the whole step again with the levers a CPU offers: bf16 autocast (oneDNN; fast only where the CPU has bf16
instructions), channels-last memory, the autoencoder's encode in bf16. Prints a markdown table.
"""
from __future__ import annotations

import argparse
import copy
import os
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.train_step", description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="v2", help="'v2' (default), 'shapes-32' or a model folder")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="batch 4, 1 repeat")
    return ap.parse_args(argv)


STEP = "**a recipe step** (render + encode + train)"
RENDER, ENCODE = "render the batch (numpy)", "autoencoder encode (frozen)"
TRAIN = "text encoder + UNet forward, backward, AdamW, EMA"
FORWARD = "(their forward alone, no grad)"
LEVER_STEP_BF16 = "lever: bf16 autocast, text encoder + UNet step"
LEVER_CHANNELS_LAST = "lever: channels-last UNet step"
LEVER_ENCODE_BF16 = "lever: bf16 autocast, autoencoder encode"


def _median_ms(fn, repeats: int) -> float:
    fn()  # warm-up: first calls allocate and pick kernels
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(model: str = "v2", batch: int = 64, threads: int = 2, repeats: int = 5) -> list[tuple[str, float]]:
    """(part, median ms) for one training step's parts, then whole steps with each lever."""
    import torch
    from diffusers import DDPMScheduler
    from diffusers.training_utils import EMAModel

    from pipelines.loading import load_pipeline
    from training.data import to_tensor
    from training.losses import denoising_loss
    from training.worlds import WORLDS, world_of_size

    torch.set_num_threads(threads)
    pipe = load_pipeline(model)
    world = WORLDS[world_of_size(pipe.default_size[0])]
    vae, tokenizer = pipe.vae, pipe.tokenizer
    scheduler = DDPMScheduler.from_config(pipe.scheduler.config)
    prediction = scheduler.config.prediction_type
    g = torch.Generator().manual_seed(0)
    images, captions, _ = world.sample_batch(0, batch)
    ids = tokenizer(list(captions), padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                    return_tensors="pt").input_ids
    x = to_tensor(images)
    with torch.no_grad():
        posterior = vae.encode(x).latent_dist
    z = posterior.mean + posterior.std * torch.randn(posterior.mean.shape, generator=g)
    noise = torch.randn(z.shape, generator=g)
    t = torch.randint(0, scheduler.config.num_train_timesteps, (batch,), generator=g)

    def trainable():
        text_encoder = copy.deepcopy(pipe.text_encoder).float().train().requires_grad_(True)
        unet = copy.deepcopy(pipe.unet).float().train().requires_grad_(True)
        params = list(text_encoder.parameters()) + list(unet.parameters())
        return text_encoder, unet, params, torch.optim.AdamW(params, lr=1e-6), EMAModel(params)

    def step_fn(autocast: bool = False, channels_last: bool = False):
        text_encoder, unet, params, opt, ema = trainable()
        latents = z
        if channels_last:
            unet.to(memory_format=torch.channels_last)
            latents = z.contiguous(memory_format=torch.channels_last)

        def step():
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                loss = denoising_loss(unet, scheduler, latents, noise, t, text_encoder(ids), "uniform",
                                      prediction).loss.float()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            ema.step(params)
        return step

    def encode(autocast: bool = False):
        def run():
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                vae.encode(x)
        return run

    def forward():
        text_encoder, unet, *_ = trainable()
        with torch.no_grad():
            denoising_loss(unet, scheduler, z, noise, t, text_encoder(ids), "uniform", prediction)

    render = _median_ms(lambda: world.sample_batch(1, batch), repeats)
    encoded = _median_ms(encode(), repeats)
    step = _median_ms(step_fn(), repeats)
    return [
        (RENDER, render),
        (ENCODE, encoded),
        (FORWARD, _median_ms(forward, repeats)),
        (TRAIN, step),
        (STEP, render + encoded + step),
        (LEVER_STEP_BF16, _median_ms(step_fn(autocast=True), repeats)),
        (LEVER_CHANNELS_LAST, _median_ms(step_fn(channels_last=True), repeats)),
        (LEVER_ENCODE_BF16, _median_ms(encode(autocast=True), repeats)),
    ]


def table(rows: list[tuple[str, float]], batch: int) -> str:
    """A markdown table: each part's share of a recipe step; each lever against the part it would replace."""
    ms = dict(rows)
    whole = ms[STEP]
    replaces = {LEVER_STEP_BF16: TRAIN, LEVER_CHANNELS_LAST: TRAIN, LEVER_ENCODE_BF16: ENCODE}
    lines = ["| part | ms | of a recipe step | against the part it would replace |", "|---|---|---|---|"]
    for name, t in rows:
        share = f"{t / whole:.2f}" if name not in replaces and name != FORWARD else ""
        against = f"{t / ms[replaces[name]]:.2f} × {ms[replaces[name]]:.0f} ms" if name in replaces else ""
        lines.append(f"| {name} | {t:.0f} | {share} | {against} |")
    lines.append(f"\nA recipe step at this pace: {batch / (whole / 1000):.0f} pictures/s.")
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.quick:
        args.batch, args.repeats = 4, 1
    import platform
    rows = measure(args.model, args.batch, args.threads, args.repeats)
    print(f"{args.model}, batch {args.batch}, {args.threads} torch threads, median of {args.repeats}, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(table(rows, args.batch))


if __name__ == "__main__":
    main()

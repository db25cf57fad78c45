"""A latent model's autoencoder distilled into a tiny one, for cheap pictures of what the sampler holds.

    python -m training.preview_vae --model assets/v2            # adds assets/v2/preview_vae (~0.4 MB)

The Generate tab shows x_t, the latent the sampler holds, at every step. Decoding it with the model's own
autoencoder costs as much as the final picture (v2: ~21 ms a picture on two threads), so it was shown through a
fitted linear map of the latent channels (AUTOMATIC1111's "Approx cheap"): on the v2 model the map cannot undo its
autoencoder (a brick wall came out as a checkerboard of orange and blue squares, even at the last step). This trains
diffusers' ``AutoencoderTiny`` (TAESD's design, AUTOMATIC1111's and ComfyUI's preview decoder) on pictures of the
model's own world: its decoder from the UNet's latents (drawn from the autoencoder's posterior, as the UNet learned
them) to the pictures, its encoder from the pictures to the latents' means. It is saved in the model folder as the
pipeline's optional ``preview_vae`` (fp16; ``load_pipeline`` upcasts) and ``pipelines.preview`` uses it for x_t.

It is part of the model's recipe (``training/recipes/v2.sh``, after the export): on two threads it renders and
encodes 3,072 pictures and trains 240 steps of 32, about a minute and a half in all, kept in the model's
training.json for its card.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import AutoencoderTiny

from training.data import to_tensor
from training.worlds import WORLDS, world_of_size

CHANNELS = 32  # every block's width (AutoencoderTiny's blocks share one)
ENCODER_BLOCKS = (0, 1, 2)  # tiny blocks per stage; the decoder does its work on the latent grid, not at full size
DECODER_BLOCKS = (2, 1, 0)


def tiny_for(pipe) -> AutoencoderTiny:
    """An untrained AutoencoderTiny for the latents of ``pipe``: its channels, and one upsampling per factor of 2
    between the latent grid and the picture."""
    stages = int(np.log2(pipe.vae_scale_factor)) + 1
    return AutoencoderTiny(latent_channels=pipe.vae.config.latent_channels,
                           encoder_block_out_channels=(CHANNELS,) * stages,
                           decoder_block_out_channels=(CHANNELS,) * stages,
                           num_encoder_blocks=ENCODER_BLOCKS[-stages:], num_decoder_blocks=DECODER_BLOCKS[:stages])


@torch.no_grad()
def latent_pairs(pipe, images: np.ndarray, batch: int = 128) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(pictures in [-1, 1], the posterior's means and standard deviations in the UNet's latent space)."""
    x = to_tensor(images)
    means, stds = [], []
    for part in x.split(batch):
        dist = pipe.vae.encode(part.to(pipe.vae.dtype)).latent_dist
        shift, scale = pipe.latent_stats(dist.mean)
        means.append((dist.mean - shift) * scale)
        stds.append(dist.std * scale)
    return x, torch.cat(means).float(), torch.cat(stds).float()


def distil(pipe, pictures: int = 3072, steps: int = 240, batch: int = 32, lr: float = 2e-3, seed: int = 0,
           log=print) -> tuple[AutoencoderTiny, dict]:
    """A trained AutoencoderTiny for ``pipe`` and its summary: ``pictures`` of its world, ``steps`` batches of
    ``batch`` drawn from them, Adam at ``lr`` falling to a tenth of it by the last step (the same seed, the same
    weights)."""
    started = time.monotonic()
    world = WORLDS[world_of_size(pipe.default_size[0])]
    images, _, _ = world.sample_batch(seed, pictures)
    x, mean, std = latent_pairs(pipe, images)
    torch.manual_seed(seed)
    tiny = tiny_for(pipe).train()
    opt = torch.optim.Adam(tiny.parameters(), lr)
    gen = torch.Generator().manual_seed(seed)
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = lr * 10 ** -(step / max(steps - 1, 1))
        pick = torch.randint(0, len(x), (batch,), generator=gen)
        z = mean[pick] + std[pick] * torch.randn(mean[pick].shape, generator=gen)  # as the UNet learned them
        pixels = F.l1_loss(tiny.decoder(z), x[pick])
        latents = F.mse_loss(tiny.encoder(x[pick]), mean[pick])
        opt.zero_grad()
        (pixels + latents).backward()
        opt.step()
        if step % 50 == 0 or step == steps - 1:
            log(f"[preview_vae] step {step}: pixels L1 {pixels.item():.4f}, latents MSE {latents.item():.4f}")
    summary = {"steps": steps, "batch": batch, "pictures": pictures, "lr": lr,
               "last_pixel_l1": round(pixels.item(), 4), "minutes": round((time.monotonic() - started) / 60, 1)}
    return tiny.eval().requires_grad_(False), summary


@torch.no_grad()
def compare(pipe, tiny: AutoencoderTiny, pictures: int = 128, seed: int = 1) -> dict[str, float]:
    """On pictures of the world held out of training: the mean absolute difference (0-255) from the model's own
    decode of the same latents (the posterior's means), of the tiny decoder's and of the linear map's pictures."""
    from pipelines.preview import linear_pixels

    world = WORLDS[world_of_size(pipe.default_size[0])]
    images, _, _ = world.sample_batch(seed, pictures)
    _, mean, _ = latent_pairs(pipe, images)
    exact = pipe.decode(mean, output_type="pt") * 255
    tiny_px = (tiny.decode(mean.to(tiny.dtype)).sample.float() / 2 + 0.5).clamp(0, 1) * 255
    linear_px = (linear_pixels(pipe, mean) / 2 + 0.5).clamp(0, 1) * 255
    return {"tiny": float((tiny_px - exact).abs().mean()), "linear": float((linear_px - exact).abs().mean())}


def drop_registered_only(folder: Path) -> None:
    """Take out of a saved AutoencoderTiny's config.json what it registers itself and takes no argument for:
    ``block_out_channels`` (its decoder's widths, for pipelines that read them), which every load would otherwise
    warn about ("were passed to AutoencoderTiny, but are not expected") - the app's start included."""
    path = folder / "config.json"
    config = json.loads(path.read_text())
    if config.pop("block_out_channels", None) is not None:
        path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def save(tiny: AutoencoderTiny, model: Path, summary: dict) -> None:
    """``tiny`` in fp16 as ``model``'s optional ``preview_vae`` component (its folder and model_index.json), and
    its ``summary`` in the model's training.json, whose phases the model card lists and adds up."""
    tiny.to(torch.float16).save_pretrained(model / "preview_vae", safe_serialization=True)
    drop_registered_only(model / "preview_vae")
    index_path = model / "model_index.json"
    index = json.loads(index_path.read_text())
    index["preview_vae"] = ["diffusers", "AutoencoderTiny"]
    index_path.write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    logs_path = model / "training.json"
    logs = json.loads(logs_path.read_text()) if logs_path.exists() else {}
    logs["preview_vae"] = summary
    logs_path.write_text(json.dumps(logs, indent=1))


def main(argv=None) -> None:
    from pipelines import load_pipeline

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="a latent model's folder: its preview_vae is written there")
    ap.add_argument("--pictures", type=int, default=3072)
    ap.add_argument("--steps", type=int, default=240)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = Path(args.model)
    started = time.monotonic()
    pipe = load_pipeline(model)
    if not pipe.is_latent:
        raise SystemExit(f"--model {model}: a pixel model's samples are pictures already; it needs no preview_vae")
    tiny, summary = distil(pipe, args.pictures, args.steps, args.batch, seed=args.seed)
    summary.update({f"{k}_difference": round(v, 1) for k, v in compare(pipe, tiny).items()})
    summary["minutes"] = round((time.monotonic() - started) / 60, 1)  # all of it: loading, pictures, training
    save(tiny, model, summary)
    print(f"[preview_vae] {model / 'preview_vae'} in {summary['minutes']} minutes; mean |difference| from the "
          f"model's own decode on 128 held-out pictures: tiny {summary['tiny_difference']}, linear map "
          f"{summary['linear_difference']} (0-255)")


if __name__ == "__main__":
    main()

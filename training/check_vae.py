"""How well the autoencoder keeps what the judge reads: the ceiling for the whole model.

    python -m training.check_vae --vae runs/bundled/vae/final
"""
import argparse
from collections import defaultdict

import numpy as np
import torch
from diffusers import AutoencoderKL

import world
from training.data import to_tensor


@torch.no_grad()
def reconstruction_scores(vae: AutoencoderKL, n: int = 512, seed: int = 99) -> dict:
    images, _, scenes = world.sample_batch(seed, n)
    x = to_tensor(images)
    recon = torch.cat([vae.decode(vae.encode(x[i:i + 128]).latent_dist.mean).sample for i in range(0, n, 128)])
    recon = ((recon.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    psnr = float(10 * np.log10(255**2 / ((recon.astype(np.float32) - images) ** 2).mean()))
    acc = defaultdict(list)
    for im, s in zip(recon, scenes):
        for k, v in world.judge(im, s).items():
            acc[f"{s.kind}: {k}"].append(v)
    return {"psnr": psnr, **{k: float(np.mean(v)) for k, v in sorted(acc.items())}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vae", default="runs/bundled/vae/final")
    ap.add_argument("--n", type=int, default=512)
    args = ap.parse_args()
    torch.set_num_threads(1)
    vae = AutoencoderKL.from_pretrained(args.vae).eval()
    for k, v in reconstruction_scores(vae, args.n).items():
        print(f"{k:24s} {v:.3f}")


if __name__ == "__main__":
    main()

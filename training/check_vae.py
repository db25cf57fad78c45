"""How well the autoencoder keeps what the judge reads: the ceiling for the whole model.

    python -m training.check_vae --vae runs/bundled/vae/final
    python -m training.check_vae --vae runs/v2/vae/final --world v2    # the 64 x 64 world and its judge

Prints the reconstructions' PSNR and, per category the judge reads, the share of reconstructions it accepts next
to the share of the true pictures it accepts (the judge's own ceiling), so a drop is the autoencoder's.
"""
import argparse
from collections import defaultdict

import numpy as np
import torch
from diffusers import AutoencoderKL

import world
from training.data import to_tensor
from training.worlds import WORLDS


def judge_of(source):
    """The judge of a world module (world.judge, or world.v2's, which loads its classifier lazily)."""
    if source is world:
        return world.judge
    from world.v2.judge import judge
    return judge


@torch.no_grad()
def reconstructions(vae: AutoencoderKL, images: np.ndarray, batch: int = 128) -> np.ndarray:
    """uint8 pictures through the autoencoder (the posterior's mean), as uint8 pictures."""
    x = to_tensor(images)
    recon = torch.cat([vae.decode(vae.encode(x[i:i + batch]).latent_dist.mean).sample
                       for i in range(0, len(x), batch)])
    return ((recon.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()


def _rates(pictures, scenes, judge) -> dict:
    acc = defaultdict(list)
    for im, s in zip(pictures, scenes):
        for k, v in judge(im, s).items():
            acc[f"{s.kind}: {k}"].append(v)
    return {k: float(np.mean(v)) for k, v in sorted(acc.items())}


def reconstruction_scores(vae: AutoencoderKL, n: int = 512, seed: int = 99, source=world,
                          truth: bool = False) -> dict:
    """{"psnr": dB, "<scene kind>: <judge key>": the share of reconstructions the judge accepts, ...}; with
    ``truth``, also {"true pictures": {same keys: the share of the true pictures it accepts}}."""
    images, _, scenes = source.sample_batch(seed, n)
    recon = reconstructions(vae, images)
    psnr = float(10 * np.log10(255**2 / ((recon.astype(np.float32) - images) ** 2).mean()))
    judge = judge_of(source)
    scores = {"psnr": psnr, **_rates(recon, scenes, judge)}
    if truth:
        scores["true pictures"] = _rates(images, scenes, judge)
    return scores


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vae", default="runs/bundled/vae/final")
    ap.add_argument("--world", choices=sorted(WORLDS), default="shapes")
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    vae = AutoencoderKL.from_pretrained(args.vae, torch_dtype=torch.float32).eval()
    scores = reconstruction_scores(vae, args.n, source=WORLDS[args.world], truth=True)
    true = scores.pop("true pictures")
    print(f"PSNR {scores.pop('psnr'):.2f} dB")
    print(f"{'scene kind: category':28s} reconstructions  true pictures")
    for k, rate in scores.items():
        print(f"{k:28s} {rate:15.3f}  {true.get(k, float('nan')):13.3f}")


if __name__ == "__main__":
    main()

"""Training data: batches rendered from the world on the fly (one seed per step), pictures as tensors, and the twin
count scenes (``--count-pairs``, ``--count-fade``) that the tune stages mix into a batch."""
from __future__ import annotations

import numpy as np
import torch

import world

CFG_DROPOUT = 0.1  # share of empty captions, so the model also learns the unconditional score


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 pictures (N, H, W, 3) -> floats in [-1, 1], channels first, as the autoencoder reads them."""
    return torch.from_numpy(images).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def batch_seed(args, step: int, rank: int, world_size: int) -> int:
    """The seed of one process's batch at one step: ``--resume`` and ``accelerate launch`` see the same stream."""
    return args.seed * 1_000_003 + step * world_size + rank


def count_pairs(share: float, batch: int) -> int:
    """How many twin pairs (``world.count_twins``) a batch holds for ``--count-pairs share``."""
    if not 0 <= share <= 1:
        raise ValueError(f"--count-pairs is a share of the batch, 0 to 1, not {share}")
    return int(round(share * batch / 2))


def with_count_twins(images: np.ndarray, captions: list[str], pairs: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """The batch with its last 2 * ``pairs`` pictures replaced by twin pairs: rows (i, i + 1) hold N and N + 1
    objects that are otherwise alike."""
    images, captions = images.copy(), list(captions)
    rng = np.random.default_rng([seed, 31])
    for i in range(len(captions) - 2 * pairs, len(captions), 2):
        (a, caption_a), (b, caption_b) = world.count_twins(rng)
        images[i], images[i + 1] = world.render(a), world.render(b)
        captions[i], captions[i + 1] = caption_a, caption_b
    return images, captions


def share_within_pairs(x: torch.Tensor, pairs: int) -> torch.Tensor:
    """The last 2 * ``pairs`` rows are pairs (i, i + 1); the second of each takes the first's row, so twins are
    noised alike (same noise, same timestep) and keep or drop their captions together."""
    if not pairs:
        return x
    x = x.clone()
    start = len(x) - 2 * pairs
    x[start + 1::2] = x[start::2]
    return x


def fade_twins(z: torch.Tensor, noise: torch.Tensor, alphas_t: torch.Tensor, pairs: int, most: float,
               generator: torch.Generator) -> torch.Tensor:
    """Noise for twin pairs (rows (i, i + 1): N and N + 1 objects, ``with_count_twins``) under which each twin's noisy
    input holds part of the other's picture: the N twin a faint extra object (a share up to ``most`` of the
    difference), the N + 1 twin its extra object faded by as much. The targets stay the twins' own clean pictures, so
    the model learns that the number word, not a faint blob left in the picture, decides whether that object is
    drawn: a sampler leaves such blobs in its early steps, and an untaught model grows them into an N + 1st object.
    Written as noise (x_t = sqrt(a) z + sqrt(1 - a) noise), so ``add_noise`` and ``get_velocity`` need no change."""
    if not pairs or not most:
        return noise
    noise = noise.clone()
    start = len(z) - 2 * pairs
    diff = z[start + 1::2] - z[start::2]  # the extra object, in latents
    share = most * torch.rand(pairs, 2, generator=generator).to(z.device)
    a = alphas_t.view(-1, 1, 1, 1).to(z.dtype)
    scale = (a / (1 - a).clamp(min=1e-8)).sqrt()  # a change in x_0, as noise at this timestep
    noise[start::2] += scale[start::2] * share[:, 0].view(-1, 1, 1, 1) * diff
    noise[start + 1::2] -= scale[start + 1::2] * share[:, 1].view(-1, 1, 1, 1) * diff
    return noise


def captioned_batch(seed: int, batch: int, mix: dict[str, float] | None, pairs_share: float, draw=None
                    ) -> tuple[np.ndarray, list[str], int, torch.Generator]:
    """The text encoder + UNet's batch at one step: world pictures and captions, its last rows twin count scenes
    (``pairs_share``), 10 % of captions emptied for classifier-free guidance (twins together). Returns the pictures,
    captions, the number of twin pairs and the step's generator, which the caller draws the rest of its noise from.
    ``draw(seed, n)`` draws the scenes instead of the whole world (the Train tab's slices), as world.sample_batch."""
    images, captions, _ = (draw or (lambda s, n: world.sample_batch(s, n, mix)))(seed, batch)
    pairs = count_pairs(pairs_share, batch)
    if pairs:
        images, captions = with_count_twins(images, captions, pairs, seed)
    generator = torch.Generator().manual_seed(seed)
    drop = share_within_pairs(torch.rand(len(captions), generator=generator) < CFG_DROPOUT, pairs)
    return images, ["" if d else c for c, d in zip(captions, drop.tolist())], pairs, generator

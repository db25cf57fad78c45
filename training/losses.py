"""What the phases minimise: the autoencoder's reconstruction loss, the UNet's weighting over noise levels and its
timestep sampling, and the text encoder's keep-the-words auxiliary loss (``--text-aux``)."""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers.training_utils import compute_snr
from transformers import CLIPTokenizer


def image_gradients(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return x[..., :, 1:] - x[..., :, :-1], x[..., 1:, :] - x[..., :-1, :]


def reconstruction_loss(recon: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """L1 + MSE + L1 on the image gradients (edges), the autoencoder's loss without its KL term."""
    gx, gy = image_gradients(recon)
    tx, ty = image_gradients(x)
    return F.l1_loss(recon, x) + F.mse_loss(recon, x) + 0.5 * (F.l1_loss(gx, tx) + F.l1_loss(gy, ty))


def loss_weights(noise_scheduler, timesteps: torch.Tensor, kind: str, prediction_type: str) -> torch.Tensor:
    """Per-sample weight of the squared error on the model's output at ``timesteps`` of ``noise_scheduler``.

    ``min-snr``: min-SNR-5 (Hang et al. 2023): the clean-image error weighted by min(SNR, 5), which for
    v-prediction leaves the noisiest steps (SNR -> 0, where the layout of the picture is decided) almost no
    weight. ``uniform``: the plain squared error on the prediction (Stable Diffusion 2's v-loss), which keeps
    the noisy steps weighted like the rest.
    """
    if kind == "uniform":
        return torch.ones(timesteps.shape, device=timesteps.device)
    snr = compute_snr(noise_scheduler, timesteps)
    return torch.clamp(snr, max=5.0) / (snr + 1 if prediction_type == "v_prediction" else snr)


@dataclass
class DenoisingLoss:
    """One batch's denoising loss and what went into it (the Train tab shows the pieces)."""

    loss: torch.Tensor  # the weighted mean over the batch: what the optimizer minimises
    per_example: torch.Tensor  # each example's plain squared error (no graph): the loss curve by noise level
    noisy: torch.Tensor  # x_t, the model's input
    pred: torch.Tensor  # the model's output
    target: torch.Tensor  # what it should have been (v or the noise, per the prediction type)


def denoising_loss(unet, noise_scheduler, z: torch.Tensor, noise: torch.Tensor, t: torch.Tensor, text,
                   weighting: str, prediction_type: str) -> DenoisingLoss:
    """The UNet's loss on clean latents (or pixels) ``z`` noised with ``noise`` to timesteps ``t``, conditioned on
    the text encoder's output ``text``: the squared error on v (or on the noise), weighted over noise levels by
    ``loss_weights``. The recipe's phases and the Train tab both call this."""
    noisy = noise_scheduler.add_noise(z, noise, t)
    target = noise_scheduler.get_velocity(z, noise, t) if prediction_type == "v_prediction" else noise
    pred = unet(noisy, t, encoder_hidden_states=text.last_hidden_state, class_labels=text.pooler_output).sample
    error = ((pred - target) ** 2).mean((1, 2, 3))
    weight = loss_weights(noise_scheduler, t, weighting, prediction_type)
    return DenoisingLoss((weight * error).mean(), error.detach(), noisy, pred, target)


def sample_timesteps(kind: str, alpha_bar: torch.Tensor, n: int, generator: torch.Generator,
                     t_min: int = 0) -> torch.Tensor:
    """Training timesteps for a batch of ``n``.

    ``uniform``: every one of the schedule's timesteps from ``t_min`` up equally often (DDPM, Stable Diffusion;
    ``t_min`` > 0 trains only the noisier steps, where a picture's layout and its number of objects are decided).
    ``lognormal``: the noise-to-signal ratio sigma = sqrt((1 - alpha_bar) / alpha_bar) drawn log-normally,
    ln sigma ~ N(-1.2, 1.2^2) (Karras et al. 2022, "EDM"), then the timestep nearest it: about half the
    samples fall at sigma < 0.3 (timesteps below ~90), where the fine detail of a shape (a square's corners)
    is decided, against 9 % under uniform sampling.
    """
    steps = alpha_bar.shape[0]
    if not 0 <= t_min < steps:
        raise ValueError(f"t_min must be 0 to {steps - 1}, not {t_min}")
    if kind == "uniform":
        return torch.randint(t_min, steps, (n,), generator=generator)
    if kind != "lognormal":
        raise ValueError(f"unknown timestep sampling {kind!r}")
    if t_min:
        raise ValueError("t_min applies to uniform timesteps only")
    sigmas = ((1 - alpha_bar) / alpha_bar).sqrt().cpu()  # increasing with t
    want = torch.exp(-1.2 + 1.2 * torch.randn(n, generator=generator))
    hi = torch.searchsorted(sigmas, want).clamp(1, steps - 1)
    lo = hi - 1
    return torch.where((want - sigmas[lo]).abs() <= (sigmas[hi] - want).abs(), lo, hi)


class TextKeepsWords(torch.nn.Module):
    """Auxiliary heads that make the text encoder keep what a caption says (``--text-aux``).

    Trained only through the UNet, the text encoder keeps a word apart from another only as far as the images
    reward it: a square and a circle of one size differ by their corners, a small change in the latents, and the
    first model's encoder mapped "square" and "circle" to nearly the same output (pooled embeddings 1.7 % apart,
    "square" and "triangle" 15 %), so no amount of UNet training could draw the one asked for. Linear heads
    read the encoder's output: (``tokens``) each word's hidden state must name its own token, and (``bag``) the
    pooled embedding must name the caption's bag of words (cross-entropy on both, averaged when both are on).
    Only words, not the world's scene specs, are supervised. The heads are dropped at export: the pipeline is the same.
    A bag of words has no order, so the bag head pulls "a red circle and a blue square" and its colour swap
    together in the pooled output; ``bag=False`` leaves the pooled output to the UNet alone, and ``bag_ids`` limits
    the bag to those tokens (e.g. the shape words): the pooled output must say which of them the caption holds,
    and captions with none of them add nothing to that part.
    """

    def __init__(self, hidden_size: int, vocab_size: int, special_ids: list[int], bag: bool = True,
                 bag_ids: list[int] | None = None, tokens: bool = True):
        super().__init__()
        if not (tokens or bag):
            raise ValueError("TextKeepsWords needs the per-word part, the bag, or both")
        self.tokens = torch.nn.Linear(hidden_size, vocab_size) if tokens else None
        self.bag = torch.nn.Linear(hidden_size, len(bag_ids) if bag_ids else vocab_size) if bag else None
        self.register_buffer("special", torch.tensor(sorted(set(special_ids))), persistent=False)
        self.register_buffer("bag_ids", torch.tensor(bag_ids) if bag and bag_ids else None, persistent=False)

    def forward(self, hidden: torch.Tensor, pooled: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        words = ~torch.isin(ids, self.special)
        if not words.any():  # a batch of empty captions
            return hidden.sum() * 0
        token_loss = F.cross_entropy(self.tokens(hidden[words]), ids[words]) if self.tokens is not None else None
        if self.bag is None:
            return token_loss
        if self.bag_ids is None:
            bag = torch.zeros(ids.shape[0], self.bag.out_features, device=ids.device)
            bag.scatter_add_(1, ids, words.float())
        else:
            bag = (ids.unsqueeze(-1) == self.bag_ids).sum(1).float()
        has = bag.sum(1) > 0
        if has.any():
            bag = bag[has] / bag[has].sum(1, keepdim=True)
            bag_loss = -(bag * F.log_softmax(self.bag(pooled[has]), dim=-1)).sum(1).mean()
        else:  # none of the bag's words in this batch
            bag_loss = self.bag(pooled).sum() * 0
        return bag_loss if token_loss is None else (token_loss + bag_loss) / 2


def bag_token_ids(tokenizer: CLIPTokenizer, words: list[str] | None) -> list[int] | None:
    """--text-aux-bag-words: each word's token id (each must be one token of the vocabulary)."""
    if not words:
        return None
    ids = []
    for w in words:
        tokens = tokenizer.tokenize(w)
        if len(tokens) != 1 or tokenizer.convert_tokens_to_ids(tokens[0]) == tokenizer.unk_token_id:
            raise SystemExit(f"--text-aux-bag-words: {w!r} is not one word of the tokenizer's vocabulary")
        ids.append(tokenizer.convert_tokens_to_ids(tokens[0]))
    return ids

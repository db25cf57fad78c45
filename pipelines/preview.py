"""Cheap pictures of what the sampler holds, for streaming previews.

For pixel models a sample already is a picture: [-1, 1] is mapped to 0..255.
For latent models there are two ways:

* "approx": a fixed linear map from latent channels to RGB, like
  AUTOMATIC1111's "Approx cheap" preview, then a nearest-neighbour upsample
  to image size. It costs almost nothing.
* "tiny": the model's preview_vae (an AutoencoderTiny distilled from its VAE,
  training/preview_vae.py, like AUTOMATIC1111's and ComfyUI's TAESD previews):
  close to the VAE's picture at a sixth of its cost.
* "vae": the full VAE decode; exact but as slow as the final decode.

"auto" takes "tiny" where the model has a preview_vae and "approx" elsewhere.
"""

from __future__ import annotations

import PIL.Image
import torch
import torch.nn.functional as F

# AUTOMATIC1111's "Approx cheap" factors for Stable Diffusion 1.x/2.x latents
# (modules/sd_vae_approx.py, cheap_approximation): rows are latent channels.
SD_LATENT_RGB_FACTORS = [
    [0.298, 0.207, 0.208],
    [0.187, 0.286, 0.173],
    [-0.158, 0.189, 0.264],
    [-0.184, -0.271, -0.473],
]


def to_pil(pipe, tensor_batch: torch.Tensor, method: str = "auto") -> list[PIL.Image.Image]:
    """Turn UNet-space samples (N, C, h, w) or (C, h, w) into PIL images.

    method: "auto" (the cheapest good way: "tiny" where the model has a
    preview_vae, else "approx"), "approx" (linear latent -> RGB), "tiny" (the
    preview_vae) or "vae" (full decode). Pixel models ignore it.
    """
    x = tensor_batch if tensor_batch.ndim == 4 else tensor_batch.unsqueeze(0)
    if method not in ("auto", "approx", "tiny", "vae"):
        raise ValueError(f"Unknown preview method {method!r}; use 'auto', 'approx', 'tiny' or 'vae'.")
    if not pipe.is_latent:
        return _pixels_to_pil(x)
    tiny = getattr(pipe, "preview_vae", None)
    if method == "tiny" and tiny is None:
        raise ValueError("This model has no preview_vae (training/preview_vae.py makes one); use 'approx' or 'vae'.")
    if method == "vae":
        return pipe.decode(x.to(pipe.unet.device, pipe.unet.dtype), output_type="pil")
    if tiny is not None and method in ("auto", "tiny"):
        with torch.inference_mode():
            return _pixels_to_pil(tiny.decode(x.to(tiny.device, tiny.dtype)).sample.float())
    return _pixels_to_pil(linear_pixels(pipe, x))


def linear_pixels(pipe, latents: torch.Tensor) -> torch.Tensor:
    """The "approx" preview as pixels in [-1, 1] at image size: the model's linear map, nearest-neighbour upsampled."""
    rgb = latents_to_rgb(latents.float().cpu(), pipe.config.latent_rgb_factors)
    return F.interpolate(rgb, scale_factor=pipe.vae_scale_factor, mode="nearest")


def preview_words(pipe) -> str:
    """What the cheap preview ("auto") of this model's samples is, in words for the UI."""
    if not pipe.is_latent:
        return "the pixels themselves"
    if getattr(pipe, "preview_vae", None) is not None:
        return "a tiny decoder distilled from the VAE"
    return "a linear map of the latent channels"


def latents_to_rgb(latents: torch.Tensor, factors=None) -> torch.Tensor:
    """Linear latent -> RGB in [-1, 1] at latent resolution.

    factors: the model's own C x 3 matrix (optionally followed by a bias row,
    or a dict {"factors": ..., "bias": ...}); without one, 4-channel latents
    use the Stable Diffusion factors and anything else shows its first three
    channels, each stretched to its own range.
    """
    channels = latents.shape[1]
    matrix, bias = _parse_factors(factors, channels)
    if matrix is None and channels == 4:
        matrix = torch.tensor(SD_LATENT_RGB_FACTORS)
    if matrix is None:
        return _first_channels(latents)
    rgb = torch.einsum("nchw,cr->nrhw", latents, matrix)
    if bias is not None:
        rgb = rgb + bias.view(1, 3, 1, 1)
    return rgb


def trajectory_images(pipe, records, which: str = "x0", method: str = "auto", index: int | None = 0):
    """Pictures of a trajectory: one per StepRecord.

    which: "x0" (the model's guess of the clean picture) or "x_t" (the noisy
    sample). index: which image of the batch; None gives every image, as a
    list per record.
    """
    if which not in ("x0", "x_t"):
        raise ValueError(f"which must be 'x0' or 'x_t' (got {which!r}).")
    pictures = []
    for record in records:
        batch = getattr(record, which)
        if index is None:
            pictures.append(to_pil(pipe, batch, method))
        else:
            pictures.append(to_pil(pipe, batch[index : index + 1], method)[0])
    return pictures


def upscale_nearest(image: PIL.Image.Image, min_side: int = 256) -> PIL.Image.Image:
    """Enlarge a small image by a whole factor with crisp pixels until its short side is at least min_side."""
    short = min(image.size)
    factor = -(-min_side // short) if short < min_side else 1
    if factor == 1:
        return image
    return image.resize((image.width * factor, image.height * factor), PIL.Image.NEAREST)


def _pixels_to_pil(x: torch.Tensor) -> list[PIL.Image.Image]:
    array = ((x.detach().float().cpu() / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8)
    return [PIL.Image.fromarray(a.numpy()) for a in array.permute(0, 2, 3, 1)]


def _parse_factors(factors, channels: int):
    """(matrix C x 3, bias 3 or None) from the config value, or (None, None) when unset."""
    if factors is None:
        return None, None
    if isinstance(factors, dict):
        matrix, bias = factors.get("factors"), factors.get("bias")
    else:
        rows = list(factors)
        matrix, bias = (rows[:-1], rows[-1]) if len(rows) == channels + 1 else (rows, None)
    matrix = torch.tensor(matrix, dtype=torch.float32)
    if matrix.shape != (channels, 3):
        shape = tuple(matrix.shape)
        raise ValueError(f"latent_rgb_factors must have {channels} rows of 3 numbers (got shape {shape}).")
    return matrix, None if bias is None else torch.tensor(bias, dtype=torch.float32)


def _first_channels(latents: torch.Tensor) -> torch.Tensor:
    x = latents[:, :3]
    if x.shape[1] < 3:
        x = x.repeat(1, 3, 1, 1)[:, :3]
    mean = x.mean(dim=(2, 3), keepdim=True)
    std = x.std(dim=(2, 3), keepdim=True, correction=0).clamp_min(1e-6)
    return ((x - mean) / (2 * std)).clamp(-1, 1)

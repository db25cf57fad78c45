"""Forward diffusion: what noising a picture to step t looks like, and the noise schedule. No gradio here.

The forward process q(x_t | x_0) = N(sqrt(ᾱ_t) x_0, (1 - ᾱ_t) I) is the model's own training schedule
(its scheduler config's betas); for latent models it runs on the VAE latents of the picture, as in
training, and the result is shown both through the VAE (exact) and through the cheap preview the step
gallery uses (``pipelines.preview``: the model's tiny decoder, or a linear map of the latents). Denoising from a
noised picture is ``playground.lab.denoise``.

The example pictures are per world (``WORLD_EXAMPLES``): a model's tab shows its own world's (32 x 32 shapes for
shapes-32, 64 x 64 v2 scenes for v2), each named by its caption, which is also the prompt "denoise from t" is judged
against.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

import world
import world.v2
from pipelines import PlaygroundInputError
from pipelines.limits import MAX_SEED
from pipelines.preview import to_pil
from playground.bounds import MAX_STRIP
from playground.lab.judging import SHAPES, V2
from playground.parsing import parse_number_list, whole_number
from playground.pictures import fit_to_size

DEFAULT_STRIP = (0, 100, 250, 500, 750, 999)
DEFAULT_DENOISE_STRIP = (200, 400, 600, 800, 999)

EXAMPLES: dict[str, world.Scene] = {  # the shapes world's (32 x 32)
    world.caption(s): s for s in (
        world.make_single(None, "circle", "red", "white", size="big"),
        world.make_count(None, 3, "square", "blue", "yellow"),
        world.make_pair(None, ("circle", "red"), ("triangle", "green"), "left of", "white"),
        world.make_text(None, "HI", "purple"),
        world.make_single(None, "triangle", "orange", "black", size="small", position="top"),
    )
}
EXAMPLES_V2: dict[str, world.v2.Scene] = {  # the v2 world's (64 x 64): the lesson's scene first, as v2 reads its words
    caption: world.v2.read_caption(caption) for caption in (
        world.v2.caption(world.v2.lesson_scene()),  # "a red bicycle leaning against a brick wall"
        "a yellow house with a red roof on grass",
        "a hand with three fingers in front of a wooden wall",
        'a red sign that says "PARK" on the beach',
        "a blue car on grass, at sunset",
        "three red circles on a blue background",  # today's words, in the new world
    )
}
WORLD_EXAMPLES = {SHAPES: EXAMPLES, V2: EXAMPLES_V2}


# --------------------------------------------------------------------------- example pictures

def example_names(world_name: str | None = SHAPES) -> list[str]:
    """The example pictures' names (their captions) of a world; a model of no world of ours gets the shapes world's."""
    return list(WORLD_EXAMPLES.get(world_name, EXAMPLES))


def example_world(name) -> str | None:
    """The world an example picture is from (SHAPES or V2), or None for a name that is no example."""
    return next((w for w, examples in WORLD_EXAMPLES.items() if isinstance(name, str) and name in examples), None)


def example_scene(name):
    """The scene an example picture shows (a shapes or a v2 scene: what the judge reads it against), or None."""
    world_name = example_world(name)
    return None if world_name is None else WORLD_EXAMPLES[world_name][name]


def example_image(name: str) -> Image.Image:
    """One of the bundled example pictures, rendered from its world (32 x 32 shapes, or 64 x 64 v2)."""
    scene = example_scene(name)
    if scene is None:
        raise PlaygroundInputError(f"Unknown example {str(name)[:60]!r}; choose one of the examples.")
    return Image.fromarray(world.render(scene) if isinstance(scene, world.Scene) else world.v2.render(scene))


# --------------------------------------------------------------------------- the schedule

def num_train_timesteps(pipe) -> int:
    return int(pipe.scheduler.config.get("num_train_timesteps", 1000))


def check_t(t, pipe) -> int:
    return whole_number(t, "t", 0, num_train_timesteps(pipe) - 1)


def check_seed(seed) -> int:
    return whole_number(seed, "Seed", 0, MAX_SEED)


def parse_timesteps(text, pipe, limit: int = MAX_STRIP) -> list[int]:
    """'0, 250, 500' -> [0, 250, 500]: whole numbers in the model's range, at most ``limit`` of them."""
    return parse_number_list(text, 0, num_train_timesteps(pipe) - 1, limit, name="Noise levels t", one="noise level t",
                             many="noise levels", example="0, 250, 500, 999")


@dataclass(frozen=True)
class NoiseLevel:
    t: int
    alpha_bar: float

    @property
    def snr(self) -> float:
        return self.alpha_bar / max(1.0 - self.alpha_bar, 1e-12)

    @property
    def sigma(self) -> float:
        return math.sqrt(max(1.0 - self.alpha_bar, 0.0) / self.alpha_bar)

    def caption(self) -> str:
        return f"t={self.t} · ᾱ={self.alpha_bar:.3g} · SNR {self.snr:.3g}"

    def describe(self) -> str:
        signal = math.sqrt(self.alpha_bar)
        noise = math.sqrt(max(1.0 - self.alpha_bar, 0.0))
        return (f"**t = {self.t}**: x_t = {signal:.3f} · x_0 + {noise:.3f} · noise. ᾱ_t = {self.alpha_bar:.4f}, "
                f"signal-to-noise ratio {self.snr:.3g}, σ = {self.sigma:.3g}.")


def noise_level(pipe, t: int) -> NoiseLevel:
    return NoiseLevel(int(t), float(pipe.training_schedule().alphas_cumprod[int(t)]))


def schedule_arrays(pipe) -> dict[str, np.ndarray]:
    ab = pipe.training_schedule().alphas_cumprod.double().numpy()
    return {"t": np.arange(len(ab)), "alpha_bar": ab, "snr": ab / np.clip(1 - ab, 1e-12, None),
            "sigma": np.sqrt((1 - ab) / ab)}


# --------------------------------------------------------------------------- q(x_t | x_0)

def add_noise(pipe, x0: torch.Tensor, t: int, seed: int = 0) -> torch.Tensor:
    """x_t ~ q(x_t | x_0) with the model's own schedule and seeded noise (same seed, same noise at every t)."""
    return pipe.add_noise(x0, t, seed)


@dataclass
class ForwardView:
    original: Image.Image
    decoded: Image.Image  # x_t through the VAE (or the pixels themselves)
    preview: Image.Image  # x_t through the cheap preview the step gallery uses
    level: NoiseLevel
    latent: bool


def forward_view(pipe, image: Image.Image, t, seed=0) -> ForwardView:
    t, seed = check_t(t, pipe), check_seed(seed)
    original = fit_to_size(image, pipe.default_size)
    x0 = pipe.encode_images(original)
    x_t = add_noise(pipe, x0, t, seed)
    decoded = pipe.decode(x_t)[0]
    preview = to_pil(pipe, x_t)[0] if pipe.is_latent else decoded
    return ForwardView(original, decoded, preview, noise_level(pipe, t), pipe.is_latent)


def forward_strip(pipe, image: Image.Image, timesteps, seed=0, method: str = "vae") -> list[tuple[Image.Image, str]]:
    """x_t at several t, all with the same noise. method: "vae" (decoded) or "approx" (cheap preview)."""
    seed = check_seed(seed)
    ts = [check_t(t, pipe) for t in timesteps]
    if not 1 <= len(ts) <= MAX_STRIP:
        raise PlaygroundInputError(f"Give 1 to {MAX_STRIP} noise levels (got {len(ts)}).")
    x0 = pipe.encode_images(fit_to_size(image, pipe.default_size))
    out = []
    for t in ts:
        x_t = add_noise(pipe, x0, t, seed)
        picture = pipe.decode(x_t)[0] if method == "vae" or not pipe.is_latent else to_pil(pipe, x_t)[0]
        out.append((picture, noise_level(pipe, t).caption()))
    return out

"""Training you can watch: a small text encoder + UNet learns a slice of the world in a minute or two, and reports
what it sees to a callback (the app's Train tab draws it).

It is the recipe's own training, not a second trainer: the world's batches with empty captions for guidance
(``training.data.captioned_batch``), the UNet phase's v-prediction loss (``training.losses.denoising_loss``), its
noise schedule and timestep sampling, AdamW, gradient clipping and EMA weights as ``training.phases.unet``; the
pictures go through the bundled model's autoencoder (or stay pixels) and its tokenizer reads the captions. What
differs is the size: a slice of the world (``SLICES``), a small model (``SIZES``), a budget in seconds, and a
constant learning rate after the warm-up (a time budget gives no step count to decay over).

    run = LiveTraining(TrainSettings(slice="colours", seconds=60))
    while not run.out_of_time():
        report = run.step()                  # one optimizer step: its loss, by example and timestep
    run.sample()                             # fixed prompts and seeds, judged by the world's judge
    run.save("my-model")                     # a diffusers folder that pipelines.load_pipeline reads

Same settings and seed, same machine: the same loss at every step (data, noise and timesteps come from the seed).
"""
from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from diffusers.training_utils import EMAModel

import world
from pipelines import PlaygroundPipeline, load_pipeline
from training.data import captioned_batch, to_tensor
from training.losses import denoising_loss, sample_timesteps
from training.models import ModelConfig, make_scheduler, make_text_encoder, make_unet


@dataclass(frozen=True)
class Slice:
    """A small part of the world to learn: how its scenes are drawn, and the prompts its samples are judged on."""

    label: str
    description: str
    draw: Callable[[np.random.Generator], world.Scene]
    prompts: tuple[tuple[str, world.Scene], ...]  # fixed sample prompts with the scene each asks for
    checks: tuple[str, ...]  # the judge's attributes a sample must get right


PLAIN = "white"  # every slice's backdrop: one plain background, never named in its captions
PRIMARY = ("red", "green", "blue")


def _colours(rng) -> world.Scene:
    return world.make_single(rng, "circle", world.pick(rng, PRIMARY), PLAIN, mention_background=False)


def _counts(rng) -> world.Scene:
    return world.make_count(rng, int(rng.integers(1, 4)), "circle", "red", PLAIN, mention_background=False)


def _shapes(rng) -> world.Scene:
    return world.make_single(rng, world.pick(rng, world.SHAPES), world.pick(rng, PRIMARY), PLAIN,
                             mention_background=False)


def _asked(scene: world.Scene) -> tuple[str, world.Scene]:
    return world.caption(scene), scene


SLICES: dict[str, Slice] = {
    "colours": Slice(
        "one shape, three colours", "a circle in red, green or blue, anywhere on a white background", _colours,
        tuple(_asked(world.make_single(None, "circle", c, PLAIN, mention_background=False)) for c in PRIMARY),
        ("colour",)),
    "counts": Slice(
        "counts 1-3", "one, two or three small red circles on a white background", _counts,
        tuple(_asked(world.make_count(None, n, "circle", "red", PLAIN, mention_background=False)) for n in (1, 2, 3)),
        ("count",)),
    "shapes": Slice(
        "three shapes, three colours", "a circle, square or triangle in red, green or blue on a white background",
        _shapes,
        tuple(_asked(world.make_single(None, s, c, PLAIN, mention_background=False))
              for s, c in (("circle", "red"), ("square", "green"), ("triangle", "blue"))),
        ("colour", "shape")),
}

# Model sizes: (UNet widths, layers per level, levels with attention, text encoder width, its layers). "tiny" reads
# the caption through the pooled text embedding and one cross-attention layer, in its middle block at the coarsest
# grid (a step costs a fraction); "small" is the bundled model's UNet with cross-attention at its lower level too.
SIZES = {"tiny": ((32, 64), 1, 0, 64, 2), "small": ((64, 128), 2, 1, 128, 4)}
SPACES = {"latent": "the bundled autoencoder's 16 × 16 × 4 latents", "pixel": "32 × 32 pixels, no autoencoder"}
SAMPLE_SEEDS = (0, 1, 2, 3)
SAMPLE_STEPS = 20
MIN_SECONDS, MAX_SECONDS = 10, 300  # the Train tab offers 30 s to 5 min; tests train for less
BATCH = 32
LR = 4e-3
WARMUP = 50



@dataclass(frozen=True)
class TrainSettings:
    slice: str = "colours"
    size: str = "tiny"
    space: str = "latent"
    seconds: float = 60.0
    seed: int = 0

    def checked(self) -> "TrainSettings":
        """These settings, or a ValueError that says in plain words which one is out of bounds."""
        if self.slice not in SLICES:
            raise ValueError(f"Unknown slice of the world {self.slice!r}; choose one of: {', '.join(SLICES)}.")
        if self.size not in SIZES:
            raise ValueError(f"Unknown model size {self.size!r}; choose one of: {', '.join(SIZES)}.")
        if self.space not in SPACES:
            raise ValueError(f"Unknown space {self.space!r}; choose one of: {', '.join(SPACES)}.")
        try:
            seconds = float(self.seconds)
        except (TypeError, ValueError):
            raise ValueError(f"The time budget must be a number of seconds, not {self.seconds!r}.") from None
        if not MIN_SECONDS <= seconds <= MAX_SECONDS:
            raise ValueError(f"The time budget must be {MIN_SECONDS} to {MAX_SECONDS} seconds, not {self.seconds:g}.")
        if not isinstance(self.seed, (int, np.integer)) or isinstance(self.seed, bool) or not 0 <= self.seed < 2**31:
            raise ValueError(f"The seed must be a whole number from 0 to {2**31 - 1}, not {self.seed!r}.")
        return replace(self, seconds=seconds, seed=int(self.seed))


@dataclass
class StepReport:
    """One optimizer step, and the first examples of its batch as the model saw them (tensors on the CPU)."""

    step: int
    seconds: float  # training time so far
    loss: float  # the step's loss (what the optimizer minimised)
    timesteps: list[int]  # each example's t
    errors: list[float]  # each example's squared error
    examples: dict[str, torch.Tensor] = field(default_factory=dict)  # x0, noise, noisy, pred, target: first few


@dataclass
class Samples:
    """The EMA model's pictures for the slice's prompts and SAMPLE_SEEDS at one step, with the judge's verdicts."""

    step: int
    seconds: float
    images: list[list[np.ndarray]]  # [prompt][seed] uint8 (32, 32, 3)
    right: list[list[bool]]  # [prompt][seed]: every check of the slice right

    @property
    def score(self) -> tuple[int, int]:
        return sum(map(sum, self.right)), sum(map(len, self.right))


class LiveTraining:
    """A text encoder + UNet learning one slice of the world, a step at a time (see the module's docstring)."""

    def __init__(self, settings: TrainSettings, base: str = "shapes-32", threads: int | None = None):
        self.settings = s = settings.checked()
        self.slice = SLICES[s.slice]
        parent = load_pipeline(base)  # the world's tokenizer and autoencoder
        self.tokenizer, self.vae = parent.tokenizer, parent.vae if s.space == "latent" else None
        self.latent_stats = parent.latent_stats if self.vae is not None else None
        widths, layers, attention, text_width, text_layers = SIZES[s.size]
        self.cfg = replace(ModelConfig(), unet_channels=widths, unet_layers=layers, unet_attention_levels=attention,
                           text_hidden=text_width,
                           text_layers=text_layers, latent_channels=self.vae.config.latent_channels if self.vae else 3)
        torch.manual_seed(s.seed)
        self.text_encoder = make_text_encoder(self.cfg, self.tokenizer)
        self.unet = make_unet(self.cfg, latent_size=world.SIZE // (parent.vae_scale_factor if self.vae else 1))
        self.scheduler = make_scheduler(self.cfg)
        self.params = list(self.text_encoder.parameters()) + list(self.unet.parameters())
        self.ema = EMAModel(self.params, decay=0.999, use_ema_warmup=True, power=0.75)
        self.opt = torch.optim.AdamW(self.params, lr=LR, weight_decay=0.01)
        self.lr = torch.optim.lr_scheduler.LambdaLR(self.opt, lambda i: min(1.0, (i + 1) / WARMUP))
        self.alphas = self.scheduler.alphas_cumprod
        self.step_count = 0
        self.seconds = 0.0  # training time (steps only; sampling is not counted)
        self.losses: list[float] = []
        self.parent = parent

    # ------------------------------------------------------------------ data

    def draw(self, seed: int, n: int):
        """``n`` scenes of the slice from ``seed``: (pictures, captions, scenes), as world.sample_batch."""
        rng = np.random.default_rng(seed)
        scenes = [self.slice.draw(rng) for _ in range(n)]
        return np.stack([world.render(sc) for sc in scenes]), [world.caption(sc, rng) for sc in scenes], scenes

    @torch.no_grad()
    def encode(self, images: np.ndarray, g: torch.Generator) -> torch.Tensor:
        """Pictures -> what the UNet denoises: normalised latents (a sample of the posterior) or pixels."""
        x = to_tensor(images)
        if self.vae is None:
            return x
        posterior = self.vae.encode(x).latent_dist
        z = posterior.mean + posterior.std * torch.randn(posterior.mean.shape, generator=g)
        shift, scale = self.latent_stats(z)
        return (z - shift) * scale

    # ------------------------------------------------------------------ training

    def step(self, keep: int = 4) -> StepReport:
        """One optimizer step on a fresh batch; ``keep`` examples of it come back for the picture of the batch."""
        started = time.perf_counter()
        seed = self.settings.seed * 1_000_003 + self.step_count
        images, captions, _, g = captioned_batch(seed, BATCH, None, 0.0, draw=self.draw)
        ids = self.tokenizer(captions, padding="max_length", max_length=self.tokenizer.model_max_length,
                             truncation=True, return_tensors="pt").input_ids
        z = self.encode(images, g)
        noise = torch.randn(z.shape, generator=g)
        t = sample_timesteps("uniform", self.alphas, z.shape[0], g)
        self.text_encoder.train(), self.unet.train()
        text = self.text_encoder(ids)
        out = denoising_loss(self.unet, self.scheduler, z, noise, t, text, "uniform",
                             self.cfg.prediction_type)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.opt.step()
        self.lr.step()
        self.opt.zero_grad(set_to_none=True)
        self.ema.step(self.params)
        self.step_count += 1
        self.seconds += time.perf_counter() - started
        self.losses.append(out.loss.item())
        examples = {"x0": z[:keep], "noise": noise[:keep], "noisy": out.noisy[:keep].detach(),
                    "pred": out.pred[:keep].detach(), "target": out.target[:keep]}
        return StepReport(self.step_count, self.seconds, self.losses[-1], t.tolist(), out.per_example.tolist(),
                          {k: v.clone() for k, v in examples.items()} | {"captions": captions[:keep]})

    @torch.no_grad()
    def batch_pictures(self, report: StepReport) -> dict[str, list[np.ndarray]]:
        """The kept examples of a step as pictures (uint8, 32 x 32): the clean picture x0, the noise ε, the noisy
        input x_t, the target and the model's prediction of it, and the clean picture that prediction implies (x̂0).
        Pictures in latent space are decoded by the autoencoder; noise-like tensors (ε, target, prediction) are
        shown by their first three channels, each scaled by its own spread (grey is 0)."""
        ex = report.examples
        t = torch.tensor(report.timesteps[:len(ex["x0"])])
        a = self.alphas[t].view(-1, 1, 1, 1)
        if self.cfg.prediction_type == "v_prediction":
            x0_hat = a.sqrt() * ex["noisy"] - (1 - a).sqrt() * ex["pred"]
        else:
            x0_hat = (ex["noisy"] - (1 - a).sqrt() * ex["pred"]) / a.sqrt()
        pictures = {"x0": self._decoded(ex["x0"]), "noise": self._spread(ex["noise"]), "noisy": self._decoded(ex["noisy"]),
                    "target": self._spread(ex["target"]), "pred": self._spread(ex["pred"]),
                    "x0_hat": self._decoded(x0_hat)}
        return pictures

    def _decoded(self, z: torch.Tensor) -> list[np.ndarray]:
        if self.vae is None:
            pixels = (z.clamp(-1, 1) + 1) / 2
        else:
            shift, scale = self.latent_stats(z)
            pixels = torch.cat([self.vae.decode(one).sample for one in (z / scale + shift).split(1)])
            pixels = ((pixels.clamp(-1, 1) + 1) / 2)
            if pixels.shape[-1] != world.SIZE:
                pixels = torch.nn.functional.interpolate(pixels, size=world.SIZE, mode="nearest")
        return [(p.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8) for p in pixels]

    @staticmethod
    def _spread(x: torch.Tensor) -> list[np.ndarray]:
        x = x[:, :3] / (3 * x[:, :3].std((2, 3), keepdim=True).clamp(min=1e-6))
        x = torch.nn.functional.interpolate((x.clamp(-1, 1) + 1) / 2, size=world.SIZE, mode="nearest")
        return [(p.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8) for p in x]

    def out_of_time(self) -> bool:
        return self.seconds >= self.settings.seconds

    # ------------------------------------------------------------------ the model so far

    def pipeline(self) -> PlaygroundPipeline:
        """The model so far (its EMA weights), as a pipeline of its own: copies, so training goes on untouched."""
        text_encoder, unet = copy.deepcopy(self.text_encoder).eval(), copy.deepcopy(self.unet).eval()
        self.ema.copy_to(list(text_encoder.parameters()) + list(unet.parameters()))
        pipe = PlaygroundPipeline(tokenizer=self.tokenizer, text_encoder=text_encoder.requires_grad_(False),
                                  unet=unet.requires_grad_(False), scheduler=self.scheduler, vae=self.vae,
                                  default_guidance_scale=4.0, default_sampler="DPM++ 2M",
                                  latent_rgb_factors=self.parent.config.latent_rgb_factors if self.vae else None,
                                  model_description=self.description())
        pipe.set_progress_bar_config(disable=True)
        return pipe

    def description(self) -> str:
        s = self.settings
        return (f"Trained in the Train tab: {self.slice.label} ({self.slice.description}), a {s.size} model in "
                f"{SPACES[s.space]}, {self.step_count} steps of {BATCH} in {self.seconds:.0f} s, seed {s.seed}.")

    @torch.no_grad()
    def sample(self) -> Samples:
        """The model so far on the slice's prompts at SAMPLE_SEEDS (DPM++ 2M, SAMPLE_STEPS steps), judged."""
        pipe = self.pipeline()
        images, right = [], []
        for prompt, scene in self.slice.prompts:
            out = pipe(prompt, seed=SAMPLE_SEEDS[0], num_images_per_prompt=len(SAMPLE_SEEDS),
                       num_inference_steps=SAMPLE_STEPS, output_type="np")
            row = [(np.clip(im, 0, 1) * 255).round().astype(np.uint8) for im in out.images]
            images.append(row)
            right.append([all(world.judge(im, scene).get(c, False) for c in self.slice.checks) for im in row])
        return Samples(self.step_count, self.seconds, images, right)

    def save(self, folder: str | Path) -> Path:
        """The model so far as a diffusers folder (safetensors + configs) that ``load_pipeline`` reads."""
        folder = Path(folder)
        self.pipeline().save_pretrained(folder, safe_serialization=True)
        return folder

    def settings_dict(self) -> dict:
        return asdict(self.settings)


# ---------------------------------------------------------------------- a whole run, reported as it goes

REPORT_EVERY = 1.0  # seconds of training between two progress reports
CHECKPOINTS = 10  # samples at 0 %, 10 %, ..., 100 % of the budget


@dataclass
class Progress:
    """The steps since the last report (loss, and each example's timestep and error) and the last step's batch."""

    step: int
    seconds: float
    losses: list[float]  # one per step since the last report
    timesteps: list[int]  # every example of those steps
    errors: list[float]
    pictures: dict[str, list[np.ndarray]]  # the last step's kept examples (LiveTraining.batch_pictures)
    captions: list[str]
    example_timesteps: list[int]


@dataclass
class Finished:
    folder: str  # the saved model (a diffusers folder)
    step: int
    seconds: float
    stopped: bool  # stopped by the user before the budget was spent
    description: str


def train_live(settings: TrainSettings, folder: str | Path, send: Callable[[object], None],
               should_stop: Callable[[], bool] = lambda: False, base: str = "shapes-32") -> Finished:
    """Train one slice for ``settings.seconds`` (or until ``should_stop()``), sending Progress about every
    REPORT_EVERY seconds and Samples at every tenth of the budget (the first before any step: the untrained model),
    then save the model to ``folder`` and send (and return) Finished."""
    run = LiveTraining(settings, base=base)
    send(run.sample())
    budget = run.settings.seconds
    next_samples, next_report = budget / CHECKPOINTS, REPORT_EVERY
    losses, timesteps, errors = [], [], []
    report, sampled_at = None, 0

    def progress():
        t_kept = report.timesteps[:len(report.examples["x0"])]
        send(Progress(report.step, report.seconds, losses, timesteps, errors, run.batch_pictures(report),
                      list(report.examples["captions"]), t_kept))

    while not run.out_of_time() and not should_stop():
        report = run.step()
        losses.append(report.loss)
        timesteps += report.timesteps
        errors += report.errors
        if run.seconds >= next_report or run.out_of_time():
            progress()
            losses, timesteps, errors = [], [], []
            next_report = run.seconds + REPORT_EVERY
        if run.seconds >= next_samples - 1e-9:
            send(run.sample())
            sampled_at = run.step_count
            next_samples += budget / CHECKPOINTS
    if losses:  # stopped between two reports: the steps since the last one
        progress()
    if sampled_at != run.step_count:  # stopped between two checkpoints: the model as it is now
        send(run.sample())
    run.save(folder)
    done = Finished(str(folder), run.step_count, run.seconds, should_stop(), run.description())
    send(done)
    return done

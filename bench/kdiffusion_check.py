"""Outside check: the playground's samplers against k-diffusion, the code AUTOMATIC1111 runs for these names.

    .venv/bin/pip install --no-deps --target /tmp/kdiff k-diffusion     # not a project dependency
    .venv/bin/python -m bench.kdiffusion_check --kdiffusion /tmp/kdiff  # prints markdown (docs/samplers.md)

For every sampler of pipelines/samplers.py that k-diffusion has, the bundled model runs once through the
playground pipeline and once through k-diffusion's sampling function, on the same sigmas (read from the
pipeline's scheduler after set_timesteps), the same starting noise, the same prompt and guidance. The model is
wrapped for k-diffusion as A1111 wraps a v-prediction model: k-diffusion's own DiscreteVDDPMDenoiser over the
model's alphas_cumprod (x0 = x / (1 + sigma^2) - sigma / sqrt(1 + sigma^2) * v, the UNet fed x / sqrt(1 +
sigma^2) at the timestep found by interpolating the log-sigma table), classifier-free guidance on its output.
Stochastic samplers get a noise_sampler that replays, in order, the noise the diffusers scheduler drew in the
pipeline run, so they are compared exactly too. DDIM is Euler and DDPM is Euler a in sigma space (same sigmas),
which is how they are compared. Reported: max |difference| of the final latents and the PSNR of the decoded
pictures (inf: identical).

Extra columns, where they apply: k-diffusion with the pipeline's first step (one Euler call from pure noise, see
`first_step_in_first_order`), once by k-diffusion's sample_euler and once in the pipeline's own arithmetic; the
UNet fed the nearest whole timestep at every call (k-diffusion's quantize, A1111's "Enable quantization in K
samplers") or only at each step's first call (what diffusers' KDPM2 schedulers do with Karras sigmas);
k-diffusion's own seeded Brownian-tree noise for the SDE samplers (what A1111 uses); and a yardstick: the
matching configuration against itself with the starting noise moved by float32 rounding (relative 1e-7), how
much the sampler amplifies rounding. A second table lists the schedules and runs k-diffusion on A1111's default
ones (deterministic samplers), to show how far the spacing alone moves the picture.

k-diffusion is imported from its files (sampling.py and external.py only), so its other dependencies
(torchvision, torchdiffeq, ...) are not needed; without k-diffusion the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import time
import types
from contextlib import contextmanager
from pathlib import Path

import torch

PROMPT = "three red circles on a blue background"
SEED = 7
STEPS = (10, 20)
# playground name -> the k-diffusion function A1111 runs for it
COUNTERPARTS = {
    "Euler": "sample_euler",
    "Euler a": "sample_euler_ancestral",
    "Heun": "sample_heun",
    "DPM2": "sample_dpm_2",
    "DPM2 Karras": "sample_dpm_2",
    "DPM2 a": "sample_dpm_2_ancestral",
    "DPM2 a Karras": "sample_dpm_2_ancestral",
    "LMS": "sample_lms",
    "LMS Karras": "sample_lms",
    "DPM++ 2M": "sample_dpmpp_2m",
    "DPM++ 2M Karras": "sample_dpmpp_2m",
    "DPM++ 2M SDE": "sample_dpmpp_2m_sde",
    "DPM++ 2M SDE Karras": "sample_dpmpp_2m_sde",
    "DPM++ SDE": "sample_dpmpp_sde",
    "DPM++ SDE Karras": "sample_dpmpp_sde",
    "DDIM": "sample_euler",  # DDIM (eta 0) is Euler's method in sigma space
    "DDPM": "sample_euler_ancestral",  # DDPM's posterior step is Euler a's step in sigma space
}
# How diffusers feeds the UNet its timestep with Karras sigmas: the KDPM2 schedulers round each step's timestep
# but not the midpoint's, DPMSolverMultistep rounds every one; the others (LMS, DPM++ SDE) do not round.
ROUNDING_IN_DIFFUSERS = {"sample_dpm_2": "step sigmas", "sample_dpm_2_ancestral": "step sigmas",
                         "sample_dpmpp_2m": "every call", "sample_dpmpp_2m_sde": "every call"}
STOCHASTIC_KD = {"sample_euler_ancestral", "sample_dpm_2_ancestral", "sample_dpmpp_2m_sde", "sample_dpmpp_sde"}


# ---------------------------------------------------------------------------------------------- k-diffusion


def _append_dims(x, target_dims):
    """k_diffusion.utils.append_dims (the one utils function sampling.py and external.py use)."""
    dims_to_append = target_dims - x.ndim
    if dims_to_append < 0:
        raise ValueError(f"input has {x.ndim} dims but target_dims is {target_dims}, which is less")
    return x[(...,) + (None,) * dims_to_append]


def _find_kdiffusion_dir(path: str | None) -> Path | None:
    candidates = []
    if path:
        candidates += [Path(path) / "k_diffusion", Path(path)]
    spec = importlib.util.find_spec("k_diffusion")  # finds the package without running its __init__
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(p) for p in spec.submodule_search_locations]
    return next((c for c in candidates if (c / "sampling.py").is_file() and (c / "external.py").is_file()), None)


def load_kdiffusion(path: str | None):
    """(sampling, external, where) from k-diffusion's files, or (None, None, why)."""
    folder = _find_kdiffusion_dir(path)
    if folder is None:
        return None, None, "k-diffusion not found"
    for needed in ("scipy", "torchsde", "tqdm"):
        if importlib.util.find_spec(needed) is None:
            return None, None, f"k-diffusion's sampling.py needs {needed}, which is not installed"
    package = types.ModuleType("_kdiff")
    package.__path__ = [str(folder)]
    utils = types.ModuleType("_kdiff.utils")
    utils.append_dims = _append_dims
    sys.modules.update({"_kdiff": package, "_kdiff.utils": utils})
    package.utils = utils
    if importlib.util.find_spec("torchdiffeq") is None:  # used only by sampling.log_likelihood
        stub = types.ModuleType("torchdiffeq")

        def odeint(*args, **kwargs):
            raise RuntimeError("torchdiffeq is not installed")

        stub.odeint = odeint
        sys.modules["torchdiffeq"] = stub
    modules = []
    for name in ("sampling", "external"):
        spec = importlib.util.spec_from_file_location(f"_kdiff.{name}", folder / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        setattr(package, name, module)
        modules.append(module)
    version = next(iter(sorted(folder.parent.glob("k_diffusion-*.dist-info"))), None)
    where = str(folder) + (f" ({version.name.removesuffix('.dist-info').replace('_', '-')})" if version else "")
    return modules[0], modules[1], where


# ---------------------------------------------------------------------------------------------- noise


class NoiseRecorder:
    """Records the noise the diffusers schedulers draw while stepping (randn_tensor, DPM++ SDE's Brownian tree)."""

    MODULES = ("scheduling_euler_ancestral_discrete", "scheduling_k_dpm_2_ancestral_discrete",
               "scheduling_dpmsolver_multistep", "scheduling_ddpm")

    def __init__(self):
        self.draws: list[torch.Tensor] = []

    @contextmanager
    def recording(self):
        import importlib

        self.draws = []
        patched = []
        for name in self.MODULES:
            module = importlib.import_module(f"diffusers.schedulers.{name}")
            original = module.randn_tensor

            def recorder(*args, _original=original, **kwargs):
                out = _original(*args, **kwargs)
                self.draws.append(out.detach().clone())
                return out

            module.randn_tensor = recorder
            patched.append((module, "randn_tensor", original))
        sde = importlib.import_module("diffusers.schedulers.scheduling_dpmsolver_sde")
        original_call = sde.BrownianTreeNoiseSampler.__call__

        def call(tree, sigma, sigma_next, _original=original_call):
            out = _original(tree, sigma, sigma_next)
            self.draws.append(out.detach().clone())
            return out

        sde.BrownianTreeNoiseSampler.__call__ = call
        patched.append((sde.BrownianTreeNoiseSampler, "__call__", original_call))
        try:
            yield self
        finally:
            for owner, attr, original in patched:
                setattr(owner, attr, original)


class Replay:
    """A k-diffusion noise_sampler giving back recorded draws in order (zeros once they run out: k-diffusion asks
    for noise at steps whose noise level is 0, where diffusers draws none). `first` goes before the draws."""

    def __init__(self, draws, like: torch.Tensor, first: torch.Tensor | None = None):
        self.queue = ([first] if first is not None else []) + list(draws)
        self.like = like
        self.calls = 0

    def __call__(self, sigma, sigma_next):
        self.calls += 1
        return self.queue.pop(0) if self.queue else torch.zeros_like(self.like)


# ---------------------------------------------------------------------------------------------- model


class CountingGuidedModel(torch.nn.Module):
    """What k-diffusion's denoiser wraps: the UNet on (x_vp, t) with classifier-free guidance; counts its calls."""

    def __init__(self, pipe, embeds, guidance: float):
        super().__init__()
        self.pipe, self.embeds, self.guidance = pipe, embeds, guidance
        self.calls = 0

    def forward(self, x, t):
        self.calls += 1
        with torch.inference_mode():
            return self.pipe.guided_prediction(x, t, self.embeds, self.guidance)[0]


def _pipeline_function(name: str):
    """A helper of the pipeline's denoising loop, wherever the pipelines package keeps it."""
    import importlib

    for module in ("pipelines.denoising", "pipelines.pipeline_playground"):
        try:
            function = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if function is not None:
            return function
    raise ImportError(f"pipelines has no {name}")


def pipeline_sigmas(name: str, steps: int, pipe) -> torch.Tensor:
    """The step sigmas the pipeline's scheduler uses for `name` at `steps` (steps + 1 values, the last 0)."""
    from pipelines import make_scheduler

    scheduler = make_scheduler(name, pipe.scheduler.config)
    scheduler.set_timesteps(steps)
    if hasattr(scheduler, "sigmas") and name not in ("DDIM", "DDPM"):
        sigmas = torch.unique_consecutive(scheduler.sigmas.float().cpu())  # Heun, DPM2, DPM++ SDE repeat them
    else:
        alpha_bar = scheduler.alphas_cumprod[scheduler.timesteps.long()].double()
        sigmas = torch.cat([((1 - alpha_bar) / alpha_bar).sqrt(), torch.zeros(1, dtype=torch.float64)]).float()
    if len(sigmas) != steps + 1 or sigmas[-1] != 0:
        raise RuntimeError(f"{name}: could not read {steps} step sigmas from {type(scheduler).__name__}: {sigmas}")
    return sigmas


def a1111_sigmas(name: str, steps: int, denoiser, sampling) -> torch.Tensor:
    """A1111's default schedule for the name: k-diffusion's get_sigmas (even in t, 999 -> 0) or Karras from the
    model's own sigma_min to sigma_max; DPM2 (a) drop the next-to-last sigma of steps + 1 (A1111's
    discard_next_to_last_sigma)."""
    discard = name.startswith("DPM2")
    n = steps + 1 if discard else steps
    if "Karras" in name:
        sigmas = sampling.get_sigmas_karras(n, float(denoiser.sigma_min), float(denoiser.sigma_max))
    else:
        sigmas = denoiser.get_sigmas(n)
    if discard:
        sigmas = torch.cat([sigmas[:-2], sigmas[-1:]])
    return sigmas.float()


def run_kdiffusion(sampling, denoiser, inner, fn_name: str, noise, sigmas, euler_first, noise_sampler,
                   first_timestep=None):
    """k-diffusion's `fn_name` from noise * sigmas[0].

    euler_first: False, True (step 0 by k-diffusion's sample_euler, then `fn_name` from sigmas[1]) or "pipeline"
    (step 0 in the pipeline's own arithmetic, UNet at `first_timestep`). noise_sampler "brownian" is k-diffusion's
    own Brownian tree seeded with SEED over the sigmas' range, as A1111 seeds it for the SDE samplers."""
    x = noise * sigmas[0]
    inner.calls = 0
    fn = getattr(sampling, fn_name)
    kwargs = {"disable": True}
    if noise_sampler == "brownian":
        positive = sigmas[sigmas > 0]
        noise_sampler = sampling.BrownianTreeNoiseSampler(x, float(positive.min()), float(sigmas.max()), seed=[SEED])
    if fn_name in STOCHASTIC_KD:
        kwargs["noise_sampler"] = noise_sampler
    with torch.inference_mode():
        if euler_first == "pipeline":  # the pipeline's own arithmetic for that step (VP input, x0, euler_step)
            sigma, sigma_next = float(sigmas[0]), float(sigmas[1])
            alpha_bar = 1 / (1 + sigma**2)
            model_input = x / math.sqrt(1 + sigma**2)
            inner.calls += 1
            guided = inner.pipe.guided_prediction(model_input, first_timestep, inner.embeds, inner.guidance)[0]
            x0, _ = _pipeline_function("predicted_x0_and_noise")(guided, model_input, alpha_bar, "v_prediction")
            x = _pipeline_function("euler_step")(x, x0, sigma, sigma_next)
            sigmas = sigmas[1:]
        elif euler_first:
            x = sampling.sample_euler(denoiser, x, sigmas[:2], disable=True)
            sigmas = sigmas[1:]
        x = fn(denoiser, x, sigmas, **kwargs)
    return x, inner.calls


def step_rounding_denoiser(external, inner, alphas_cumprod):
    """k-diffusion's denoiser that rounds the timestep at each step's first model call only, not at its midpoint
    call (what diffusers' KDPM2 schedulers do with Karras sigmas: their step timesteps are rounded, their midpoint
    timesteps not). For DPM2 and DPM2 a, whose calls alternate step, midpoint, step, ...; set .calls = 0 before a
    run."""

    class StepRounded(external.DiscreteVDDPMDenoiser):
        calls = 0

        def sigma_to_t(self, sigma, quantize=None):
            t = super().sigma_to_t(sigma, quantize=False)
            first_of_step = self.calls % 2 == 0
            self.calls += 1
            return t.round() if first_of_step else t

    return StepRounded(inner, alphas_cumprod, quantize=False)


def psnr(pipe, a: torch.Tensor, b: torch.Tensor) -> float:
    pa, pb = (torch.from_numpy(pipe.decode(x, "np")).double() for x in (a, b))
    mse = float(((pa - pb) ** 2).mean())
    return math.inf if mse == 0 else 10 * math.log10(1.0 / mse)


def fmt(cell) -> str:
    if cell is None:
        return "–"
    delta, db = cell
    return f"{delta:.1e} / {'∞' if math.isinf(db) else f'{db:.1f}'}"


# ---------------------------------------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kdiffusion", help="folder holding k_diffusion/ (e.g. a pip --target folder)")
    parser.add_argument("--model", default="bundled")
    parser.add_argument("--steps", default=",".join(map(str, STEPS)))
    parser.add_argument("--samplers", default=",".join(COUNTERPARTS), help="comma-separated playground names")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)

    sampling, external, where = load_kdiffusion(args.kdiffusion)
    if sampling is None:
        print(f"Skipped: {where}. This check needs k-diffusion, which is not a project dependency. Install it "
              "outside the project, e.g. `.venv/bin/pip install --no-deps --target /tmp/kdiff k-diffusion`, then "
              "run `.venv/bin/python -m bench.kdiffusion_check --kdiffusion /tmp/kdiff`.")
        return 0

    torch.set_num_threads(args.threads)
    from diffusers.utils.torch_utils import randn_tensor

    from pipelines import SAMPLERS, load_pipeline

    first_step_in_first_order = _pipeline_function("first_step_in_first_order")

    start = time.perf_counter()
    pipe = load_pipeline(args.model)
    if hasattr(pipe, "set_progress_bar_config"):
        pipe.set_progress_bar_config(disable=True)
    guidance = float(pipe.config.default_guidance_scale)
    embeds = pipe.encode_prompt_pair(PROMPT, "")
    inner = CountingGuidedModel(pipe, embeds, guidance)
    alphas_cumprod = pipe.scheduler.alphas_cumprod.float() if hasattr(pipe.scheduler, "alphas_cumprod") else None
    if alphas_cumprod is None:
        from pipelines import make_scheduler
        alphas_cumprod = make_scheduler("Euler", pipe.scheduler.config).alphas_cumprod.float()
    denoisers = {
        "continuous": external.DiscreteVDDPMDenoiser(inner, alphas_cumprod, quantize=False),
        "every call": external.DiscreteVDDPMDenoiser(inner, alphas_cumprod, quantize=True),
        "step sigmas": step_rounding_denoiser(external, inner, alphas_cumprod),
    }
    if pipe.scheduler.config.get("prediction_type") != "v_prediction":
        print("This check wraps a v-prediction model; the model predicts "
              f"{pipe.scheduler.config.get('prediction_type')!r}.")
        return 1
    height, width = pipe.default_size
    # The pipeline's starting noise for image 0: one CPU generator seeded SEED (see PlaygroundPipeline).
    f = pipe.vae_scale_factor
    shape = (1, pipe.unet.config.in_channels, height // f, width // f)
    noise = randn_tensor(shape, generator=[torch.Generator("cpu").manual_seed(SEED)], device=torch.device("cpu"),
                         dtype=torch.float32)
    step_counts = [int(s) for s in args.steps.split(",")]
    names = [n for n in args.samplers.split(",") if n in COUNTERPARTS and n in SAMPLERS]
    recorder = NoiseRecorder()

    print(f"k-diffusion: {where}; model {args.model}; prompt {PROMPT!r}, seed {SEED}, guidance {guidance:g}, "
          f"{height}×{width} px; torch {torch.__version__}, {args.threads} thread(s)\n")
    print("Each cell: max abs Δ of the final latents / PSNR of the decoded pictures in dB (∞: identical); – where "
          "the column does not apply. Stochastic samplers replay the noise the pipeline drew.\n")
    columns = {  # label: (Euler first step, timestep rounding, noise)
        "as k-diffusion runs it": (False, "continuous", "replay"),
        "with the pipeline's Euler first step": (True, "continuous", "replay"),
        "the same, that step in the pipeline's arithmetic": ("pipeline", "continuous", "replay"),
        "t rounded at every call (A1111 quantize)": (False, "every call", "replay"),
        "t rounded at each step's first call only": (False, "step sigmas", "replay"),
        "k-diffusion's own Brownian noise, same seed": (False, "continuous", "brownian"),
    }
    print(f"| sampler | k-diffusion | steps | model calls: pipeline / k-diff. | {' | '.join(columns)} "
          "| yardstick: rounding-sized change of the start noise |")
    print("|---|---|---:|---:|" + "---|" * (len(columns) + 1))
    finals = {}
    from pipelines import make_scheduler

    for name in names:
        spec = SAMPLERS[name]
        fn_name = COUNTERPARTS[name]
        for steps in step_counts:
            with recorder.recording():
                out = pipe(PROMPT, sampler=name, num_inference_steps=steps, guidance_scale=guidance, seed=SEED,
                           output_type="latent")
            ours = out.images
            finals[(name, steps)] = ours
            sigmas = pipeline_sigmas(name, steps, pipe)
            scheduler = make_scheduler(name, pipe.scheduler.config)
            scheduler.set_timesteps(steps)
            euler_first_in_pipeline = bool(first_step_in_first_order(spec, scheduler))
            wanted = {"as k-diffusion runs it"}
            if euler_first_in_pipeline:
                wanted.update(("with the pipeline's Euler first step",
                               "the same, that step in the pipeline's arithmetic"))
            if "Karras" in name:
                wanted.add("t rounded at every call (A1111 quantize)")
                if fn_name in ("sample_dpm_2", "sample_dpm_2_ancestral"):
                    wanted.add("t rounded at each step's first call only")
            if fn_name in ("sample_dpmpp_sde", "sample_dpmpp_2m_sde"):
                wanted.add("k-diffusion's own Brownian noise, same seed")
            cells, calls = {}, None

            def kd_run(euler_first, rounding, noise_kind, start=noise):
                denoiser = denoisers[rounding]
                denoiser.calls = 0
                if noise_kind == "brownian":
                    noise_sampler = "brownian"
                else:
                    first = None
                    if fn_name in STOCHASTIC_KD and euler_first_in_pipeline and not euler_first:
                        # k-diffusion adds noise at step 0, where the pipeline's Euler step adds none: one extra draw
                        first = torch.randn(noise.shape, generator=torch.Generator().manual_seed(SEED + 1000))
                    noise_sampler = Replay(recorder.draws, noise, first)
                return run_kdiffusion(sampling, denoiser, inner, fn_name, start, sigmas, euler_first, noise_sampler,
                                      scheduler.timesteps[0])

            for label, config in columns.items():
                if label in wanted:
                    theirs, n_calls = kd_run(*config)
                    cells[label] = (float((theirs - ours).abs().max()), psnr(pipe, ours, theirs))
                    calls = n_calls if calls is None else calls
            # Yardstick: the configuration that does what the pipeline does, against itself with the starting noise
            # moved by float32 rounding (a relative 1e-7): how much this sampler amplifies rounding.
            matching = ("pipeline" if euler_first_in_pipeline else False,
                        ROUNDING_IN_DIFFUSERS.get(fn_name, "continuous") if "Karras" in name else "continuous",
                        "replay")
            wiggle = torch.randn(noise.shape, generator=torch.Generator().manual_seed(SEED + 2000)) * 1e-7
            a, _ = kd_run(*matching)
            b, _ = kd_run(*matching, start=noise * (1 + wiggle))
            cells["yardstick"] = (float((a - b).abs().max()), psnr(pipe, a, b))
            row = " | ".join(fmt(cells.get(label)) for label in [*columns, "yardstick"])
            print(f"| {name} | {fn_name} | {steps} | {out.nfe} / {calls} | {row} |", flush=True)

    # A1111's own default schedules: how far the schedule alone moves the picture (deterministic samplers).
    print("\nThe schedules, and for the deterministic samplers the picture k-diffusion makes on A1111's default "
          "schedule (same starting noise direction) against the pipeline's:\n")
    print("| sampler | steps | A1111 sigmas (first, second, … last before 0) | pipeline sigmas (same) "
          "| A1111 schedule vs pipeline: max abs Δ / PSNR dB |")
    print("|---|---:|---|---|---|")

    def show(s):
        return f"{float(s[0]):.4g}, {float(s[1]):.4g}, … {float(s[-2]):.3g}"

    for name in names:
        for steps in step_counts:
            theirs_sigmas = a1111_sigmas(name, steps, denoisers["continuous"], sampling)
            ours_sigmas = pipeline_sigmas(name, steps, pipe)
            cell = None
            if COUNTERPARTS[name] not in STOCHASTIC_KD and name != "DDIM":
                theirs, _ = run_kdiffusion(sampling, denoisers["continuous"], inner, COUNTERPARTS[name], noise,
                                           theirs_sigmas, False, None)
                ours = finals[(name, steps)]
                cell = (float((theirs - ours).abs().max()), psnr(pipe, ours, theirs))
            print(f"| {name} | {steps} | {show(theirs_sigmas)} | {show(ours_sigmas)} | {fmt(cell)} |", flush=True)
    print(f"\nTook {time.perf_counter() - start:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Handlers of the Limits, Forward diffusion and Guidance and seeds tabs: thin glue from UI values to the
logic in limits.py, forward.py and guidance.py, and back to gallery items, images and markdown.

Every handler takes the model registry first (the one shared object). Bad input becomes ``gr.Error`` with
a plain message; notes become ``gr.Warning``. Small pictures are enlarged with nearest-neighbour
resampling so their pixels stay crisp.
"""
from __future__ import annotations

import gradio as gr
from PIL import Image

import world

from pipelines import PlaygroundInputError
from pipelines.preview import upscale_nearest
from playground import forward as fwd
from playground import guidance as gd
from playground import limits
from playground.models import ModelRegistry

GRID_SIDE = 128  # grid cells are enlarged (nearest neighbour) to at least this many pixels
VIEW_SIDE = 256  # single pictures, likewise

NO_JUDGE = ("**No judge for this model.** Only the bundled model draws the synthetic world that the judge can read "
            "back, so for this model you get the grid alone: look for the limit yourself.")


def _error(e: Exception) -> gr.Error:
    return gr.Error(str(e), print_exception=False)


def _model(registry: ModelRegistry, model):
    """(name, pipeline) for a model name from the browser; a plain message for an unknown one."""
    name = model or registry.default
    try:
        return name, registry.get(name)
    except PlaygroundInputError as e:
        raise _error(e) from None


def _big(image: Image.Image, side: int = VIEW_SIDE) -> Image.Image:
    return upscale_nearest(image, side)


def _warn(messages) -> None:
    for m in messages:
        gr.Warning(m)


def _ticks(judged: dict, attributes) -> str:
    return " ".join(f"{'✓' if judged.get(a) else '✗'} {a}" for a in attributes)


def _judge_ticks(image: Image.Image, scene: world.Scene) -> str:
    judged = world.judge(image, scene)
    return _ticks(judged, judged)


# --------------------------------------------------------------------------- Limits tab

def group_choices(group_key):
    """The preset radio for a limit group: its prompts, the first one selected."""
    try:
        group = limits.get_group(group_key)
    except PlaygroundInputError as e:
        raise _error(e) from None
    return gr.update(choices=[(p.prompt, p.key) for p in group.presets], value=group.presets[0].key)


def preset_info(preset_key):
    """(key, explanation markdown, the world's picture of the caption, count-sweep row visibility) for a preset."""
    try:
        preset = limits.get_preset(preset_key)
    except PlaygroundInputError as e:
        raise _error(e) from None
    return (preset.key, limits.explain(preset), _big(limits.target_picture(preset)),
            gr.update(visible=preset.group == "counts"))


def _grid_items(run: limits.SeedRun):
    items = []
    for i, (seed, image) in enumerate(zip(run.seeds, run.images)):
        caption = f"seed {seed}"
        if run.judged is not None:
            caption += " · " + _ticks(run.judged[i], run.attributes)
        items.append((upscale_nearest(image, GRID_SIDE), caption))
    return items


def run_summary(run: limits.SeedRun, judged: bool) -> str:
    head = f"**{run.n} seeds** ({run.seeds[0]}..{run.seeds[-1]}) of `{run.prompt}`."
    if not judged:
        body = NO_JUDGE
    else:
        body = "**Scores from the world's judge:**\n\n" + "\n".join(f"- **{line}**" for line in run.score_lines())
    spread = limits.identity_spread(run.images, run.judged, run.attributes).markdown()
    return "\n\n".join([head, body, spread])


def run_preset(registry: ModelRegistry, model, preset_key, n_seeds, first_seed, steps, sampler, guidance,
               progress=gr.Progress()):
    """Run a preset over N seeds; yields (grid, summary) as batches finish."""
    name, pipe = _model(registry, model)
    judged = limits.has_judge(name)
    try:
        preset = limits.get_preset(preset_key)
        n = limits.check_seed_count(n_seeds)
        run = None
        progress((0, n), desc="seeds")
        for run in limits.iter_preset(pipe, preset, n, first_seed, steps, sampler, guidance, judge=judged):
            progress((run.n, n), desc="seeds")
            yield _grid_items(run), f"Running: {run.n} of {n} seeds done…"
    except PlaygroundInputError as e:
        raise _error(e) from None
    _warn(run.warnings)
    yield _grid_items(run), run_summary(run, judged)


def count_sweep(registry: ModelRegistry, model, preset_key, n_seeds, first_seed, steps, sampler, guidance,
                progress=gr.Progress()):
    """Counts 1..9 over N seeds each, in the selected counting preset's shape and colours.

    Returns (plot or None, markdown, one example picture per count).
    """
    name, pipe = _model(registry, model)
    judged = limits.has_judge(name)
    preset = limits.PRESETS.get(preset_key) if isinstance(preset_key, str) else None
    if preset is not None and preset.scene.kind == "count":
        o = preset.scene.objects[0]
        shape, colour, background = o.shape, o.colour, preset.scene.background
    else:
        shape, colour, background = "circle", "red", "blue"
    try:
        n = limits.check_seed_count(n_seeds)
        sweep = None
        for c, sweep in limits.iter_count_sweep(pipe, shape, colour, background, n, first_seed, steps, sampler,
                                                guidance, judge=judged):
            progress((c, len(limits.COUNTS)), desc=f"count {c}")
    except PlaygroundInputError as e:
        raise _error(e) from None
    examples = [(upscale_nearest(im, GRID_SIDE), f"asked for {c} · seed {sweep.seeds[0]}")
                for c, im in sweep.examples.items()]
    if not judged:
        return None, NO_JUDGE + " Below: the first seed's picture for each count.", examples
    note = (f"**Count accuracy**, {colour} {shape}s on {background}, {sweep.n_per_count} seeds per count "
            f"({sweep.seeds[0]}..{sweep.seeds[-1]}).\n\n" + sweep.markdown())
    return limits.count_plot(sweep), note, examples


# --------------------------------------------------------------------------- Forward diffusion tab

def _source(pipe, example, upload) -> tuple[Image.Image, object]:
    """The picture to noise (model-sized) and its scene when it is a bundled example (for the judge)."""
    try:
        if upload:
            path = upload if isinstance(upload, str) else getattr(upload, "name", None) or upload.get("path")
            return fwd.load_upload(path, pipe.default_size), None
        return fwd.fit_to_size(fwd.example_image(example), pipe.default_size), fwd.EXAMPLES[example]
    except PlaygroundInputError as e:
        raise _error(e) from None


def forward(registry: ModelRegistry, model, example, upload, t, seed):
    """q(x_t | x_0) at one t: (original, x_t through the VAE, x_t as the cheap preview, explanation)."""
    _name, pipe = _model(registry, model)
    image, _scene = _source(pipe, example, upload)
    try:
        view = fwd.forward_view(pipe, image, t, seed)
    except PlaygroundInputError as e:
        raise _error(e) from None
    if view.latent:
        how = ("This model works on VAE latents: the picture is encoded, its latents are noised, and the result is "
               "shown decoded by the VAE (left) and through the cheap linear preview the step gallery uses (right).")
    else:
        how = "This model works on pixels: x_t *is* the picture, so both views are the same."
    return _big(view.original), _big(view.decoded), _big(view.preview), view.level.describe() + "\n\n" + how


def forward_strip(registry: ModelRegistry, model, example, upload, timesteps, seed):
    """x_t at several t with the same noise: a gallery."""
    _name, pipe = _model(registry, model)
    image, _scene = _source(pipe, example, upload)
    try:
        ts = fwd.parse_timesteps(timesteps, pipe)
        strip = fwd.forward_strip(pipe, image, ts, seed)
    except PlaygroundInputError as e:
        raise _error(e) from None
    return [(upscale_nearest(im, GRID_SIDE), caption) for im, caption in strip]


def noise_schedule(registry: ModelRegistry, model, t=None):
    _name, pipe = _model(registry, model)
    try:
        t = None if t is None else fwd.check_t(t, pipe)
    except PlaygroundInputError:
        t = None
    return fwd.schedule_plot(pipe, t)


def denoise_from(registry: ModelRegistry, model, example, upload, t, prompt, negative, sampler, steps, guidance, seed,
                 progress=gr.Progress()):
    """Noise the picture to t, then run the sampler from there. Yields (steps gallery, final, summary)."""
    name, pipe = _model(registry, model)
    image, scene = _source(pipe, example, upload)
    result = None
    try:
        for result in fwd.iter_denoise_from(pipe, image, t, prompt or "", negative or "", sampler, steps, guidance,
                                            seed):
            progress((result.steps_run, max(1, result.total_steps)), desc="denoising")
            yield _denoise_items(result), gr.skip(), f"Denoising: {result.steps_run} steps done…"
    except PlaygroundInputError as e:
        raise _error(e) from None
    _warn(result.warnings)
    summary = result.summary()
    if scene is not None and limits.has_judge(name) and result.start_timestep is not None:
        summary += "\n\n**Judged against the example's caption:** " + _judge_ticks(result.final, scene)
    yield _denoise_items(result), _big(result.final), summary


def _denoise_items(result: fwd.DenoiseResult):
    start_t = result.t if result.start_timestep is None else result.start_timestep
    items = [(upscale_nearest(result.original, GRID_SIDE), "original"),
             (upscale_nearest(result.start, GRID_SIDE), f"noised to t={start_t:.0f}")]
    items += [(upscale_nearest(x0, GRID_SIDE), f"x̂0 · {caption}") for _xt, x0, caption in result.steps]
    return items


def denoise_strip(registry: ModelRegistry, model, example, upload, timesteps, prompt, negative, sampler, steps,
                  guidance, seed, progress=gr.Progress()):
    """Denoise from several noise levels: per t, the noised start and what came back (one row each)."""
    name, pipe = _model(registry, model)
    image, scene = _source(pipe, example, upload)
    judge = scene is not None and limits.has_judge(name)
    items = []
    try:
        ts = fwd.parse_timesteps(timesteps, pipe, limit=fwd.MAX_STRIP // 2)
        for i, t in enumerate(ts):
            progress((i, len(ts)), desc=f"from t={t}")
            r = fwd.denoise_from(pipe, image, t, prompt or "", negative or "", sampler, steps, guidance, seed)
            back = f"back from t={t} · distance {r.rmse:.1f}"
            if judge:
                back += " · " + _judge_ticks(r.final, scene)
            items += [(upscale_nearest(r.start, GRID_SIDE), f"noised to t={t}"),
                      (upscale_nearest(r.final, GRID_SIDE), back)]
    except PlaygroundInputError as e:
        raise _error(e) from None
    return items


# --------------------------------------------------------------------------- Guidance and seeds tab

def guidance_sweep(registry: ModelRegistry, model, prompt, negative, scales, seed, sampler, steps,
                   progress=gr.Progress()):
    """One prompt and seed at several guidance scales. Yields (strip, note)."""
    _name, pipe = _model(registry, model)
    strip = None
    try:
        n = len(gd.parse_scales(scales))
        for strip in gd.iter_guidance_strip(pipe, prompt or "", negative or "", seed, scales, sampler, steps):
            progress((len(strip.images), n), desc="guidance scales")
            yield _strip_items(strip), f"Running: {len(strip.images)} of {n} scales done…"
    except PlaygroundInputError as e:
        raise _error(e) from None
    _warn(strip.warnings)
    yield _strip_items(strip), (f"Prompt `{strip.prompt}`, seed {strip.seed}, {int(steps)} steps, "
                                f"sampler {sampler or pipe.config.default_sampler}: only the guidance scale changes.")


def _strip_items(strip: gd.GuidanceStrip):
    return [(upscale_nearest(im, GRID_SIDE), caption) for im, caption in strip.items()]


def seed_grid(registry: ModelRegistry, model, prompt, negative, n_seeds, first_seed, sampler, steps, guidance,
              progress=gr.Progress()):
    """One prompt over N seeds. Yields (grid, spread)."""
    _name, pipe = _model(registry, model)
    grid = None
    try:
        n = limits.check_seed_count(n_seeds)
        for grid in gd.iter_seed_grid(pipe, prompt or "", negative or "", n, first_seed, sampler, steps, guidance):
            progress((len(grid.images), n), desc="seeds")
            yield _seed_items(grid), f"Running: {len(grid.images)} of {n} seeds done…"
    except PlaygroundInputError as e:
        raise _error(e) from None
    _warn(grid.warnings)
    yield _seed_items(grid), grid.spread_markdown()


def _seed_items(grid: gd.SeedGrid):
    return [(upscale_nearest(im, GRID_SIDE), caption) for im, caption in grid.items()]

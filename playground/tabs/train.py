"""The Train tab: watch a diffusion model learn a slice of the world, live, on this machine's CPU.

The training is the project's own (``training.live``: the recipe's data, loss, noise schedule and EMA), run in a
process of its own (``training.worker``) so the other tabs keep working; one at a time on the server
(``playground.trainer.TrainingSlot``: a second person is told how long to wait). Its messages become the batch
picture, the loss curves and the strip of samples (``playground.lab.training_view``), sent about every
UPDATE_EVERY seconds. Stop ends it after the current step; the model is saved either way, offered in this session's
model menu (Generate, Compare, ...) and as a zip of its diffusers folder, and deleted when the session ends.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import gradio as gr

from pipelines import ModelLoadError, load_pipeline
from playground.components import Slider, seed_box
from playground.lab.training_view import TrainingView
from playground.parsing import as_whole
from playground.plots import training_loss_plot
from playground.registry import ModelRegistry
from playground.streaming import RunControl, request_stop
from playground.trainer import Busy, TrainingSlot
from training.live import SLICES, SPACES, TrainSettings
from training.worker import Failed

INTRO = """\
**Train.** A diffusion model is not programmed to draw: it *learns* to remove noise. Training takes real pictures
(here, the world's), adds noise at a random level t to each, and teaches the model to predict what was added -
over and over, at every level from a faint haze to pure noise. Press **Train** and watch a fresh model learn one
slice of the world on this machine's CPU: the batch as the model sees it, its loss falling, and its samples from
the same seeds going from mush to shapes.
"""

EXPLAINER = """\
**How to read it.** *The batch*: each row is one training example - the clean picture x0, the noise ε, the noisy
input x_t the model gets (with the caption and t), the target it must predict (v, a mix of the noise and the
picture) and its prediction; the last column is the clean picture its prediction implies. *The loss*: how far the
predictions are from the targets; on the right the same error split by noise level. The noisiest steps (t ≥ 667)
decide the layout - where things go, which colour - and the least noisy ones the detail. *The samples*: the model
so far, drawn with DPM++ 2M in 20 steps from the same seeds at every tenth of the time, framed green where the
world's judge finds the asked colour (and shape, or count), red where not.

**Measured** (2-core CPU, the defaults: one shape, three colours, tiny model, latents, 60 s, seed 0): the untrained
model's samples are right **{untrained}**, after 60 s of training **{trained}**; the whole run, from the click to the
last sample, took {wall}. The same 60 s with the other choices: the **small** model makes {small_rate} steps a second
against the tiny one's {tiny_rate} and gets {small} right; in **pixels** (32 × 32 × 3 numbers a picture against the
latents' 16 × 16 × 4) {pixel_rate} steps a second and {pixel} right. That is why Stable Diffusion denoises latents.
"""
MEASURED = {"untrained": "4 of 12 times (by chance: its blobs have some colour)", "trained": "12 of 12",
            "wall": "75-78 s", "tiny_rate": "5.7", "small_rate": "1.0", "small": "7 of 12", "pixel_rate": "1.9",
            "pixel": "1 of 12"}

UPDATE_EVERY = 1.5  # seconds between two updates of the pictures and the plot while a training runs
SLICE_CHOICES = [(f"{s.label}: {s.description}", key) for key, s in SLICES.items()]
SIZE_CHOICES = [("tiny (reads the caption's pooled embedding, and by cross-attention in its middle block alone; fast)",
                 "tiny"),
                ("small (the bundled model's UNet, with cross-attention; ~6× slower a step)", "small")]
SPACE_CHOICES = [(f"{key}: {words}", key) for key, words in SPACES.items()]


def build(registry: ModelRegistry, model: gr.Dropdown):
    """The Train tab, wired, inside the current Blocks; ``model`` is the page's model dropdown (a trained model joins
    its choices for this session). Returns what to run when a session ends (the page's unload event)."""
    slot = TrainingSlot()
    with gr.Tab("Train", id="train", elem_id="tab_train"):
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=2):
                slice_ = gr.Radio(SLICE_CHOICES, value="colours", label="What to learn (a slice of the world)",
                                  elem_id="t_slice")
                size = gr.Radio(SIZE_CHOICES, value="tiny", label="Model size", elem_id="t_size")
                space = gr.Radio(SPACE_CHOICES, value="latent", label="Where it denoises", elem_id="t_space")
                with gr.Row():
                    seconds = Slider(30, 300, value=60, step=10, label="Time budget (seconds of training)",
                                     elem_id="t_seconds")
                    seed = seed_box("t_seed", value=0)
                with gr.Row():
                    start = gr.Button("Train", variant="primary", elem_id="t_train")
                    stop = gr.Button("Stop", variant="stop", elem_id="t_stop")
                status = gr.Markdown("Press **Train** to start.", elem_id="t_status")
                download = gr.DownloadButton("Download the model (diffusers folder, zip)", visible=False,
                                             elem_id="t_download")
            with gr.Column(scale=3):
                gr.Markdown("**Samples** at every tenth of the time: same prompts, same seeds (left: untrained)")
                samples = gr.Image(show_label=False, format="png", interactive=False, elem_id="t_samples",
                                   height=560, buttons=["download", "fullscreen"])
        with gr.Row():
            with gr.Column():
                gr.Markdown("**The batch** as the model sees it (the last step reported)")
                batch = gr.Image(show_label=False, format="png", interactive=False, elem_id="t_batch", buttons=[])
            with gr.Column():
                gr.Markdown("**The loss**, overall and by noise level")
                loss = gr.Plot(show_label=False, elem_id="t_loss")
        gr.Markdown(EXPLAINER.format(**MEASURED), elem_id="t_explain")
        run = gr.State(None)  # this session's training (its RunControl): what Stop stops

        def train(slice_key, size_key, space_key, budget, seed_value, request: gr.Request):
            yield from train_run(registry, slot, owner_of(request), slice_key, size_key, space_key, budget,
                                 seed_value)

        def end_session(request: gr.Request):
            owner = owner_of(request)
            slot.end_session(owner)
            registry.drop_owner(owner)

        start.click(train, inputs=[slice_, size, space, seconds, seed],
                    outputs=[status, samples, batch, loss, download, model, run], api_name="train",
                    concurrency_id="train", concurrency_limit=None, show_progress="hidden")
        stop.click(request_stop, inputs=run, queue=False, api_name=False)
    return end_session


def owner_of(request: gr.Request | None) -> str:
    """The browser session a request comes from (a gradio_client is one too)."""
    return getattr(request, "session_hash", None) or "anonymous"


class TrainingRun:
    """One session's training as the tab's state holds it: what Stop sets."""

    def __init__(self) -> None:
        self.control = RunControl()


def train_run(registry: ModelRegistry, slot: TrainingSlot, owner: str, slice_key, size_key, space_key, budget,
              seed_value):
    """The Train button: start a training in the worker, stream what it shows, then offer the model."""
    seed = as_whole(seed_value)  # the number box sends 0.0; anything else reaches TrainSettings' message as typed
    try:
        settings = TrainSettings(slice=slice_key, size=size_key, space=space_key,
                                 seconds=60 if budget is None else budget,
                                 seed=seed_value if seed is None else seed).checked()
    except (TypeError, ValueError) as e:
        raise gr.Error(str(e), print_exception=False) from None
    try:
        job = slot.start(owner, settings)
    except Busy as e:
        raise gr.Error(str(e), print_exception=False, title="Busy") from None
    record, view = TrainingRun(), TrainingView(settings)
    keep = gr.update()
    yield view.status(), None, None, None, gr.update(visible=False, value=None), keep, record
    sent = time.monotonic()
    try:
        for message in job.messages():
            if record.control.stopped and not job.stopping:
                job.stop()
            if isinstance(message, Failed):
                yield (f"**The training failed:** {message.message}", keep, keep, keep, keep, keep, record)
                return
            if message is not None:
                view.add(message)
            if view.finished is not None:
                break
            if message is not None and time.monotonic() - sent >= UPDATE_EVERY:
                yield (view.status(stopping=job.stopping), view.samples_picture(), view.batch_picture(),
                       training_loss_plot(view), keep, keep, record)
                sent = time.monotonic()
    finally:
        if view.finished is None:  # the browser went away mid-run (the generator was closed): end the worker too
            job.stop()
        slot.release(job)
    folder = Path(view.finished.folder)
    try:
        pipe = load_pipeline(folder)
    except ModelLoadError as e:
        yield f"**The trained model could not be loaded:** {e}", keep, keep, keep, keep, keep, record
        return
    pipe.set_progress_bar_config(disable=True)
    s = settings
    name = registry.add_trained(owner, f"{SLICES[s.slice].label} ({s.size}, {s.space}, {view.seconds:.0f} s)", pipe,
                                folder.parent)
    archive = shutil.make_archive(str(folder.parent / name.split(":")[0].replace(" ", "-")), "zip", folder)
    done = (view.status() + f"\n\nThe model is **{name}** in the *Model* menu at the top of the page (this browser "
            f"session only): try it in Generate or Compare. Or download it and run "
            f"`python app.py --model <the unzipped folder>`.")
    yield (done, view.samples_picture(), view.batch_picture(), training_loss_plot(view),
           gr.update(visible=True, value=archive), gr.update(choices=registry.choices(owner), visible=True), record)

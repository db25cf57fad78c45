"""What the Train tab shows of a live training, built from the worker's messages (training.live's Progress, Samples,
Finished): the batch as the model saw it, the loss curves, the strip of samples at checkpoints, and one line of
where the run is. No gradio.

    view = TrainingView(settings)
    view.add(message)          # each message from training.worker.TrainingJob.messages()
    view.batch_picture(), view.samples_picture(), view.status()
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from playground.pictures import label_font
from training.live import SAMPLE_SEEDS, SLICES, Finished, Progress, Samples, TrainSettings

# Noise levels of the loss curves: training timesteps in [lo, hi).
LEVELS = {"low noise (t < 333): detail": (0, 333), "middle (333 ≤ t < 667)": (333, 667),
          "high noise (t ≥ 667): layout": (667, 1000)}
SMOOTH = 25  # steps in the running mean of the loss curve

BATCH_COLUMNS = (("x0", "x0", "clean"), ("noise", "ε", "noise"), ("noisy", "x_t", "noisy input"),
                 ("target", "target", "v"), ("pred", "prediction", "of v"), ("x0_hat", "x̂0", "its guess"))
RIGHT, WRONG = (40, 160, 60), (210, 50, 40)


@dataclass
class TrainingView:
    settings: TrainSettings
    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    level_steps: list[int] = field(default_factory=list)  # the step of each report, for the curves by level
    level_errors: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in LEVELS})
    samples: list[Samples] = field(default_factory=list)
    last: Progress | None = None
    finished: Finished | None = None

    @property
    def slice(self):
        return SLICES[self.settings.slice]

    def add(self, message) -> None:
        if isinstance(message, Progress):
            first = message.step - len(message.losses) + 1
            self.steps += range(first, message.step + 1)
            self.losses += message.losses
            t, e = np.asarray(message.timesteps), np.asarray(message.errors)
            self.level_steps.append(message.step)
            for name, (lo, hi) in LEVELS.items():
                inside = (t >= lo) & (t < hi)
                self.level_errors[name].append(float(e[inside].mean()) if inside.any() else float("nan"))
            self.last = message
        elif isinstance(message, Samples):
            self.samples.append(message)
        elif isinstance(message, Finished):
            self.finished = message

    # ------------------------------------------------------------------ words

    @property
    def seconds(self) -> float:
        if self.finished is not None:
            return self.finished.seconds
        return self.last.seconds if self.last else 0.0

    @property
    def step(self) -> int:
        return self.finished.step if self.finished else (self.last.step if self.last else 0)

    def recent_loss(self) -> float | None:
        return float(np.mean(self.losses[-SMOOTH:])) if self.losses else None

    def halved_at(self) -> dict[str, int | None]:
        """Per noise level, the first reported step at which its error was half its first value or less (None: not
        yet): which level the model learns first."""
        out = {}
        for name, errors in self.level_errors.items():
            e = np.asarray(errors, dtype=float)
            known = np.flatnonzero(np.isfinite(e))
            hit = [i for i in known if known.size and e[i] <= 0.5 * e[known[0]]]
            out[name] = self.level_steps[hit[0]] if hit else None
        return out

    def levels_line(self) -> str:
        """When each noise level's error halved, in words, and whether layout came before detail."""
        halved = self.halved_at()
        short = {name: name.split(" (")[0] for name in halved}
        said = [f"{short[n]} by step {s}" if s is not None else f"{short[n]} not yet" for n, s in halved.items()]
        line = "The error halved: " + ", ".join(reversed(said)) + "."
        steps = list(halved.values())
        if all(s is not None for s in steps) and steps[2] <= steps[1] <= steps[0] and steps[2] < steps[0]:
            line += " The noisiest steps (layout, colour) were learnt first, the least noisy (detail) last."
        return line

    def score_line(self) -> str:
        """The judge's verdict on the samples: untrained, and at the latest checkpoint."""
        if not self.samples:
            return ""
        checks = " and ".join(self.slice.checks)
        first, now = self.samples[0].score, self.samples[-1].score
        line = f"Samples right ({checks}, by the world's judge): **{first[0]} of {first[1]}** untrained"
        if len(self.samples) > 1:
            line += f", **{now[0]} of {now[1]}** at step {self.samples[-1].step}"
        return line + "."

    def status(self, stopping: bool = False) -> str:
        s = self.settings
        if self.finished is None and self.last is None:
            return (f"Starting: a fresh process loads the world's tokenizer and autoencoder, then draws the untrained "
                    f"model's samples ({s.seconds:.0f} s of training to come)." if not self.samples else
                    "The untrained model's samples are in; the first steps are running.")
        loss = self.recent_loss()
        rate = self.step / self.seconds if self.seconds else 0.0
        head = ("**Stopped**" if self.finished and self.finished.stopped else "**Done**" if self.finished
                else "**Stopping** after this step" if stopping else "**Training**")
        text = (f"{head}: step {self.step}, {self.seconds:.0f} s of {s.seconds:.0f} s, loss {loss:.3f} (mean of the "
                f"last {min(SMOOTH, len(self.losses))} steps), {rate:.1f} steps/s ({rate * 32:.0f} pictures/s).")
        more = [line for line in (self.levels_line() if self.level_steps else "", self.score_line()) if line]
        return "\n\n".join([text, *more])

    # ------------------------------------------------------------------ pictures

    def batch_picture(self, thumb: int = 64) -> Image.Image | None:
        """The last reported step's examples: a row each (its t and caption), the columns of BATCH_COLUMNS."""
        if self.last is None:
            return None
        font, small = label_font(12), label_font(11)
        gap, head, label_w = 6, 34, 170
        rows = len(self.last.pictures["x0"])
        out = Image.new("RGB", (label_w + len(BATCH_COLUMNS) * (thumb + gap) + gap, head + rows * (thumb + gap) + gap),
                        (255, 255, 255))
        draw = ImageDraw.Draw(out)
        for c, (_, name, words) in enumerate(BATCH_COLUMNS):
            draw.text((label_w + c * (thumb + gap), 2), name, fill=(0, 0, 0), font=font)
            draw.text((label_w + c * (thumb + gap), 17), words, fill=(90, 90, 90), font=small)
        for r in range(rows):
            y = head + r * (thumb + gap)
            caption = self.last.captions[r] or "(no caption: learns the unconditional picture)"
            draw.text((4, y + 6), f"t = {self.last.example_timesteps[r]}", fill=(0, 0, 0), font=font)
            for i, line in enumerate(_wrap(f"“{caption}”", 26)[:3]):
                draw.text((4, y + 24 + 13 * i), line, fill=(70, 70, 70), font=small)
            for c, (key, _, _) in enumerate(BATCH_COLUMNS):
                picture = Image.fromarray(self.last.pictures[key][r]).resize((thumb, thumb), Image.NEAREST)
                out.paste(picture, (label_w + c * (thumb + gap), y))
        return out

    def samples_picture(self, thumb: int = 48) -> Image.Image | None:
        """Every checkpoint's samples: a row per prompt and seed, a column per checkpoint (left: untrained), each
        picture framed green when the judge finds it right, red when not; the count right under each column."""
        if not self.samples:
            return None
        font, small = label_font(12), label_font(11)
        gap, head, label_w, foot = 6, 34, 150, 20
        prompts = [p for p, _ in self.slice.prompts]
        rows = [(p, seed) for p in prompts for seed in SAMPLE_SEEDS]
        cols = len(self.samples)
        out = Image.new("RGB", (label_w + cols * (thumb + gap) + gap, head + len(rows) * (thumb + gap) + foot),
                        (255, 255, 255))
        draw = ImageDraw.Draw(out)
        for r, (prompt, seed) in enumerate(rows):
            y = head + r * (thumb + gap)
            draw.text((4, y + thumb // 2 - 8), f"{prompt}, seed {seed}", fill=(40, 40, 40), font=small)
        for c, s in enumerate(self.samples):
            x = label_w + c * (thumb + gap)
            draw.text((x, 2), f"{s.seconds:.0f} s", fill=(0, 0, 0), font=font)
            draw.text((x, 17), f"step {s.step}", fill=(90, 90, 90), font=small)
            for p, row in enumerate(s.images):
                for k, image in enumerate(row):
                    y = head + (p * len(SAMPLE_SEEDS) + k) * (thumb + gap)
                    out.paste(Image.fromarray(image).resize((thumb, thumb), Image.NEAREST), (x, y))
                    draw.rectangle((x - 2, y - 2, x + thumb + 1, y + thumb + 1), outline=RIGHT if s.right[p][k] else WRONG,
                                   width=2)
            right, total = s.score
            draw.text((x, head + len(rows) * (thumb + gap)), f"{right}/{total}", fill=(0, 0, 0), font=font)
        return out


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])

"""The figures the tabs show (matplotlib, drawn off-screen): the noise schedule, count accuracy, convergence,
when structure settles along x̂0."""
from __future__ import annotations

from typing import Optional

import numpy as np

from playground.lab.counts import CountSweep
from playground.lab.forward_process import schedule_arrays
from playground.lab.training_view import SMOOTH


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _log_scale(ax, axis: str = "y") -> None:
    """``axis`` of ``ax`` on a log scale, labelled in plain text: by default matplotlib labels a log axis with mathtext
    ("$\\mathdefault{10^{3}}$"), whose parser is not thread-safe, and Gradio draws the figures of events running at
    once on threads of its own (the noise schedule came up empty under an error: "ParseException: Expected end of
    text")."""
    from matplotlib.ticker import LogFormatter

    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    which = ax.yaxis if axis == "y" else ax.xaxis
    which.set_major_formatter(LogFormatter())  # "1e−07", "10", "1000"
    which.set_minor_formatter(LogFormatter(labelOnlyBase=False))  # "20", "30" where the axis spans a decade or less


def _finished(fig):
    """Laid out and closed (so pyplot keeps no reference): Gradio draws it from the object."""
    fig.tight_layout()
    _pyplot().close(fig)
    return fig


def schedule_plot(pipe, t: Optional[int] = None):
    """ᾱ_t, the signal-to-noise ratio (log scale) and σ_t (log scale) over the model's training timesteps."""
    plt = _pyplot()
    s = schedule_arrays(pipe)
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.2), dpi=100)
    panels = [("alpha_bar", "ᾱ_t (share of the signal's power kept)", False),
              ("snr", "signal-to-noise ratio ᾱ/(1−ᾱ)", True),
              ("sigma", "σ_t = √((1−ᾱ)/ᾱ)", True)]
    for ax, (key, title, log) in zip(axes, panels):
        ax.plot(s["t"], s[key], color="#4a7bd0")
        if log:
            _log_scale(ax)
        if t is not None:
            ax.axvline(int(t), color="#d04a4a", linestyle="--", linewidth=1)
            ax.plot([int(t)], [s[key][int(t)]], "o", color="#d04a4a", markersize=4)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("timestep t")
        ax.grid(True, alpha=0.3)
    axes[1].axhline(1.0, color="gray", linewidth=0.8)
    return _finished(fig)


def count_plot(sweep: CountSweep):
    """Bars: share of images with exactly the asked count; dots: what was counted, against the diagonal."""
    plt = _pyplot()
    counts = sorted(sweep.correct)
    acc = sweep.accuracy()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6), dpi=100)
    ax1.bar(counts, [acc[c] for c in counts], color="#4a7bd0")
    ax1.set_ylim(0, 1)
    ax1.set_xticks(counts)
    ax1.set_xlabel("count asked for")
    ax1.set_ylabel(f"share correct ({sweep.n_per_count} seeds each)")
    ax1.set_title("How often the count is exactly right")
    ax1.grid(True, axis="y", alpha=0.3)
    rng = np.random.default_rng(0)
    for c in counts:
        found = np.asarray(sweep.detected[c], float)
        ax2.scatter(c + rng.uniform(-0.15, 0.15, len(found)), found + rng.uniform(-0.15, 0.15, len(found)),
                    s=12, alpha=0.6, color="#d04a4a")
    top = max([9] + [max(v) for v in sweep.detected.values() if v])
    ax2.plot([0, top], [0, top], color="gray", linestyle="--", linewidth=1, label="exactly right")
    ax2.set_xticks(counts)
    ax2.set_xlabel("count asked for")
    ax2.set_ylabel("blobs the judge counted")
    ax2.set_title("What came out instead")
    ax2.legend(fontsize=8, loc="upper left")
    ax2.grid(True, alpha=0.3)
    fig.suptitle(f"{sweep.colour} {sweep.shape}s on {sweep.background}", fontsize=10)
    return _finished(fig)


MARKERS = "osD^vPX*<>ph"
SAME_DISTANCE = 0.05  # distances (0-255) closer than this are one point on the plot


def _coincide(a, b) -> bool:
    """Two samplers' (evaluations, distance) points are the same to the eye: same evaluations, distances within
    SAME_DISTANCE (Euler and DDIM often differ in a pixel or two)."""
    return len(a) == len(b) and all(x == u and abs(y - v) < SAME_DISTANCE for (x, y), (u, v) in zip(a, b))


def convergence_plot(cells, reference_steps: int):
    """Compare's plot: per sampler, distance to the reference against model evaluations (log scale).

    `cells` have .sampler, .stochastic, .nfe and .rmse (cells without an rmse are left out). Samplers often land on
    the same points (Euler, DDIM and DPM++ 2M agree closely on a converged model), so each sampler gets its own
    marker and is nudged sideways a little; samplers whose points are exactly the same are named together."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    by_sampler: dict = {}
    for cell in cells:
        if cell.rmse is not None:
            by_sampler.setdefault(cell.sampler, []).append(cell)
    curves = {name: sorted((c.nfe, c.rmse) for c in group) for name, group in by_sampler.items()}
    n = len(curves)
    for i, (name, points) in enumerate(curves.items()):
        stochastic = by_sampler[name][0].stochastic
        twins = [other for other, pts in curves.items() if other != name and _coincide(pts, points)]
        label = name + (" (adds noise)" if stochastic else "") + (f" (coincides with {', '.join(twins)})" if twins else "")
        nudge = 1.04 ** (i - (n - 1) / 2)  # log x axis: the same small step sideways at every point
        ax.plot([x * nudge for x, _ in points], [y for _, y in points], marker=MARKERS[i % len(MARKERS)],
                markersize=7, linewidth=1.6, alpha=0.85, linestyle="--" if stochastic else "-", label=label,
                zorder=3 + n - i)  # the first sampler on top
    _log_scale(ax, "x")
    ax.set_xlabel("model evaluations (log scale; samplers nudged sideways so none hides another)")
    ax.set_ylabel(f"distance to the {reference_steps}-step reference")
    ax.set_title("More steps help, up to a point")
    ax.grid(True, alpha=0.3)
    if curves:
        ax.legend(fontsize=8)
    return _finished(fig)


def guidance_score_plot(strip):
    """The Guidance tab's plot: the judge's mean score over the seeds (and the share of pictures entirely right)
    against the guidance scale, from a judged ``GuidanceStrip`` (playground.lab.guidance_strip)."""
    plt = _pyplot()
    points = sorted(strip.points, key=lambda p: p.scale)
    scales = [p.scale for p in points]
    fig, ax = plt.subplots(figsize=(7, 3.4), dpi=100)
    ax.plot(scales, [p.score for p in points], marker="o", color="#4a7bd0",
            label="score: share of the prompt's attributes right")
    ax.plot(scales, [p.all_right for p in points], marker="s", linestyle="--", color="#d04a4a",
            label="pictures with everything right")
    best = strip.best()
    if best is not None:
        ax.axvline(best.scale, color="gray", linewidth=0.8, linestyle=":")
    ax.axvline(1.0, color="#999999", linewidth=0.8)
    ax.text(1.0, 0.1, " 1: plain prompt", fontsize=8, color="#666666")
    ax.set_ylim(-0.02, 1.1)
    ax.set_xlabel("guidance scale")
    ax.set_ylabel(f"mean over {strip.score_seeds} seeds")
    ax.set_title("How well the pictures follow the prompt, by guidance scale", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return _finished(fig)


def training_loss_plot(view):
    """A live training's loss: every step (light) and its running mean (dark); beside it the error by noise level,
    each relative to its first report, so the curve that falls first is the level learnt first."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.0), dpi=100)
    if view.losses:
        losses = np.asarray(view.losses)
        left.plot(view.steps, losses, color="#b8c8e8", linewidth=0.8, label="each step")
        k = min(SMOOTH, len(losses))
        mean = np.convolve(losses, np.ones(k) / k, mode="valid")
        left.plot(view.steps[k - 1:], mean, color="#2a5bb0", linewidth=1.8, label=f"mean of {k} steps")
        _log_scale(left)
        left.legend(fontsize=8, loc="upper right")
    left.set_xlabel("step")
    left.set_title("loss (squared error on v)", fontsize=10)
    colours = ("#3a9a50", "#d08a20", "#b03030")
    for (name, errors), colour in zip(view.level_errors.items(), colours):
        e = np.asarray(errors, dtype=float)
        if len(e) and np.isfinite(e).any():
            base = e[np.isfinite(e)][0]
            right.plot(view.level_steps, e / base, color=colour, linewidth=1.6, label=name)
    _log_scale(right)
    right.set_xlabel("step")
    right.set_title("error by noise level (÷ its first value)", fontsize=10)
    if any(len(e) for e in view.level_errors.values()):
        right.legend(fontsize=8, loc="lower left")
    return _finished(fig)


def settling_plot(result: dict):
    """Coarse to fine, measured (training.coarse_to_fine): per judge category, the share of images whose x̂0 has
    settled at each step, from a model's coarse_to_fine.json; categories in the order they settle."""
    plt = _pyplot()
    steps = int(result["steps"])
    x = np.arange(1, steps + 1)
    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=100)
    cmap = plt.get_cmap("viridis")
    cats = result["categories"]
    for i, (name, c) in enumerate(cats.items()):
        ax.plot(x, c["settled"], marker=MARKERS[i % len(MARKERS)], markersize=4, linewidth=1.6,
                color=cmap(i / max(1, len(cats) - 1)),
                label=f"{name} (half by step {c['half'] or '-'}, {c['n']} images)")
    ax.axhline(0.5, color="gray", linewidth=0.8, linestyle=":")
    ax.set_xlim(0.5, steps + 0.5)
    ax.set_ylim(-0.02, 1.04)
    ax.set_xticks(x if steps <= 20 else x[::max(1, steps // 10)])
    ax.set_xlabel(f"step of {steps} ({result['sampler']})")
    ax.set_ylabel("share of images settled")
    ax.set_title("When each kind of structure settles in x̂0", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))  # beside the axes: it hides no line
    return _finished(fig)

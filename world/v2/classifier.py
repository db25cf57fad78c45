"""Which kinds of thing a 64 x 64 picture holds: a tiny CNN the judge asks where rules cannot read a thing's class
(a house, a tree, a mug... on a textured backdrop), as GenEval asks a detector.

Multi-label: one sigmoid per kind of ``vocabulary.KINDS``. Trained here on ``world.v2`` renders with their ground
truth (``render_with_masks``: a kind is in the picture when at least MIN_SHOWN of one of its things shows, and at
least MIN_PIXELS pixels of it), half of them blurred and noised as a decoder's output is, and some pictures of
nothing (a bare backdrop, pure noise). Shipped beside the model as fp16 safetensors (``object_classes.safetensors``,
about 0.3 MB) with its config (kinds in order, per-kind thresholds calibrated on held-out renders) in
``object_classes.json``.

``python -m world.v2.classifier --train`` retrains it deterministically (one core, about four minutes) and writes
both files; ``--steps`` and ``--out`` change the budget and where they go. The judge imports this module lazily:
``import world.v2`` needs no torch.
"""
from __future__ import annotations

import argparse
import json
import time
from functools import lru_cache
from pathlib import Path
from typing import Optional

import numpy as np
import torch
from scipy import ndimage
from torch import nn

from .render import object_mask, render_with_masks, sprite_of
from .scenes import SCENE_MIX, Scene, lighting, sample_scene
from .seeing import as_array
from .vocabulary import BACKDROPS, KINDS as PARTS, SIZE

HERE = Path(__file__).parent
WEIGHTS, CONFIG = HERE / "object_classes.safetensors", HERE / "object_classes.json"
KINDS = list(PARTS)  # the classifier's outputs, in this order
MIN_SHOWN, MIN_PIXELS = 0.3, 8  # a thing counts as in the picture when this much of it shows
WIDTHS = (24, 48, 80, 112)  # channels of the four conv layers
STEPS, BATCH, SEED = 1500, 48, 0  # the shipped training run
EMPTY, NOISE = 0.04, 0.03  # shares of bare backdrops and pure noise among training pictures


class Net(nn.Module):
    """Four 3 x 3 convolutions (the first three each followed by a 2 x 2 max pool), batch norm and ReLU; global
    mean and max pooling; one linear layer to a logit per kind."""

    def __init__(self, widths=WIDTHS, n_out: int = len(KINDS)):
        super().__init__()
        layers, c = [], 3
        for i, w in enumerate(widths):
            layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
            if i < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
            c = w
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(2 * c, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.features(x)
        return self.head(torch.cat([f.mean((2, 3)), f.amax((2, 3))], 1))


def labels(scene: Scene, masks) -> tuple[np.ndarray, np.ndarray]:
    """(target, weight) per kind: 1 where a thing of the kind shows enough, 0 where none shows at all (or only a
    sliver), and weight 0 (not learnt) where one shows but less than enough to call it there."""
    target, weight = np.zeros(len(KINDS), np.float32), np.ones(len(KINDS), np.float32)
    for obj, parts in zip(scene.objects, masks):
        if not parts:
            continue
        shown = float(object_mask(parts).sum())
        whole = float(sprite_of(obj).alpha.sum())
        k = KINDS.index(obj.kind)
        if shown >= MIN_PIXELS and shown >= MIN_SHOWN * whole:
            target[k] = 1.0
        elif shown >= 2 and target[k] == 0:
            weight[k] = 0.0
    weight[target == 1] = 1.0
    return target, weight


def soften(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A decoder's look at random: a box blur of 1-3 pixels and gaussian noise of sigma up to 6/255."""
    blur = int(rng.integers(1, 4))
    out = ndimage.uniform_filter(img.astype(np.float32), size=(blur, blur, 1)) if blur > 1 else img.astype(
        np.float32)
    out = out + rng.normal(0, rng.uniform(0, 6), img.shape)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def sample(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` training pictures (n, 64, 64, 3) uint8 with targets and weights (n, len(KINDS)): scenes of every kind
    in equal shares, bare backdrops and pure noise; half of them softened, half mirrored."""
    kinds = list(SCENE_MIX)
    images = np.zeros((n, SIZE, SIZE, 3), np.uint8)
    targets, weights = np.zeros((n, len(KINDS)), np.float32), np.ones((n, len(KINDS)), np.float32)
    for i in range(n):
        u = rng.random()
        if u < NOISE:
            images[i] = rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
            continue
        if u < NOISE + EMPTY:
            bg = str(rng.choice(list(BACKDROPS)))
            light, when = lighting(rng, bg)
            scene = Scene("object", bg, (), light, when, shift=int(rng.integers(0, 16)))
        else:
            scene = sample_scene(rng, kinds[int(rng.integers(len(kinds)))])
        img, masks = render_with_masks(scene)
        targets[i], weights[i] = labels(scene, masks)
        if rng.random() < 0.5:
            img = soften(img, rng)
        if rng.random() < 0.5:
            img = img[:, ::-1]
        images[i] = img
    return images, targets, weights


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 (n, h, w, 3) -> float (n, 3, h, w) in [-1, 1]."""
    return torch.from_numpy(np.array(images, np.uint8)).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def train(steps: int = STEPS, batch: int = BATCH, seed: int = SEED, log: bool = True) -> Net:
    """The classifier trained from ``seed`` for ``steps`` batches (AdamW, one-cycle learning rate), on one core."""
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = Net()
    opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.15)
    loss_fn = nn.BCEWithLogitsLoss(reduction="none")
    start, running = time.time(), 0.0
    net.train()
    for step in range(steps):
        images, targets, weights = sample(rng, batch)
        loss = (loss_fn(net(to_tensor(images)), torch.from_numpy(targets)) * torch.from_numpy(weights)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
        if log and (step % 100 == 0 or step == steps - 1):
            print(f"step {step:5d}  loss {running:.4f}  {time.time() - start:.0f} s", flush=True)
    return net.eval()


@torch.no_grad()
def scores(net: Net, images: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Sigmoid outputs (n, len(KINDS)) for uint8 pictures (n, 64, 64, 3)."""
    out = [torch.sigmoid(net(to_tensor(images[i:i + chunk]))).numpy() for i in range(0, len(images), chunk)]
    return np.concatenate(out) if out else np.zeros((0, len(KINDS)), np.float32)


def held_out(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` scenes of every kind from ``seed`` (another seed than training's), each true and softened, no
    mirroring: pictures, targets and weights."""
    rng = np.random.default_rng(seed)
    images, targets, weights = [], [], []
    for kind in SCENE_MIX:
        for _ in range(n):
            scene = sample_scene(rng, kind)
            img, masks = render_with_masks(scene)
            t, w = labels(scene, masks)
            for picture in (img, soften(img, rng)):
                images.append(picture)
                targets.append(t)
                weights.append(w)
    return np.stack(images), np.stack(targets), np.stack(weights)


def calibrate_thresholds(net: Net, seed: int = 1000, n: int = 60) -> tuple[dict[str, float], dict]:
    """Per kind, the threshold that best tells held-out pictures with the kind from those without (the largest
    true rate minus false rate; the middle of the best range), and the rates it gives."""
    images, targets, weights = held_out(seed, n)
    s = scores(net, images)
    thresholds, measured = {}, {}
    grid = np.linspace(0.02, 0.98, 97)
    for k, kind in enumerate(KINDS):
        pos, neg = s[(targets[:, k] == 1), k], s[(targets[:, k] == 0) & (weights[:, k] > 0), k]
        if len(pos) == 0:
            thresholds[kind] = 0.5
            continue
        gain = np.array([(pos >= t).mean() - (neg >= t).mean() if len(neg) else (pos >= t).mean() for t in grid])
        best = np.flatnonzero(gain >= gain.max() - 1e-9)
        t = float(np.round(grid[best].mean(), 2))
        thresholds[kind] = t
        measured[kind] = {"found": round(float((pos >= t).mean()), 4), "positives": int(len(pos)),
                          "false": round(float((neg >= t).mean()), 4), "negatives": int(len(neg))}
    return thresholds, measured


def save(net: Net, thresholds: dict[str, float], extra: dict, out: Path = HERE) -> None:
    from safetensors.torch import save_file
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in net.state_dict().items()
             if not k.endswith("num_batches_tracked")}
    save_file(state, str(out / WEIGHTS.name))
    config = {"kinds": KINDS, "widths": list(WIDTHS), "thresholds": thresholds, "input": "RGB uint8 64x64 -> [-1, 1]",
              **extra}
    (out / CONFIG.name).write_text(json.dumps(config, indent=1) + "\n")


def load_net(directory: Path = HERE) -> tuple[Net, dict]:
    """The shipped classifier (float32, eval mode) and its config."""
    from safetensors.torch import load_file
    config = json.loads((directory / CONFIG.name).read_text())
    if config["kinds"] != KINDS:
        raise ValueError(f"the classifier was trained for kinds {config['kinds']}, not {KINDS}")
    net = Net(tuple(config["widths"]))
    state = {k: v.float() for k, v in load_file(str(directory / WEIGHTS.name)).items()}
    net.load_state_dict(state, strict=False)
    return net.eval(), config


@lru_cache(maxsize=1)
def _shipped() -> tuple[Net, dict]:
    return load_net()


def kind_scores(image) -> dict[str, float]:
    """Per kind, how sure the shipped classifier is that the picture holds one."""
    net, _ = _shipped()
    return dict(zip(KINDS, scores(net, as_array(image)[None])[0].tolist()))


def kind_scores_many(images) -> tuple[list[dict[str, float]], dict[str, float]]:
    """Per picture (a sequence of 64 x 64 uint8 pictures, read in one batch), how sure the shipped classifier is
    of each kind; and its per-kind thresholds."""
    net, config = _shipped()
    s = scores(net, np.stack([as_array(im) for im in images])) if len(images) else np.zeros((0, len(KINDS)))
    return [dict(zip(KINDS, row.tolist())) for row in s], dict(config["thresholds"])


def kinds_seen(image, net_config: Optional[tuple[Net, dict]] = None) -> set[str]:
    """The kinds the shipped classifier (or ``net_config``) finds in the picture, each above its threshold."""
    net, config = net_config or _shipped()
    s = scores(net, as_array(image)[None])[0]
    return {k for k, v in zip(KINDS, s) if v >= config["thresholds"][k]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", action="store_true", help="train, calibrate and write the weights and config")
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--held-out", type=int, default=60, help="held-out scenes of each kind for the thresholds")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args(argv)
    if not args.train:
        parser.print_help()
        return
    start = time.time()
    net = train(args.steps, args.batch, args.seed)
    seconds = time.time() - start
    thresholds, measured = calibrate_thresholds(net, n=args.held_out)
    save(net, thresholds, {"steps": args.steps, "batch": args.batch, "seed": args.seed,
                           "train_seconds": round(seconds), "held_out": measured}, args.out)
    print(json.dumps({"thresholds": thresholds, "held_out": measured}, indent=1))
    print(f"wrote {args.out / WEIGHTS.name} and {args.out / CONFIG.name} ({seconds:.0f} s training)")


if __name__ == "__main__":
    main()

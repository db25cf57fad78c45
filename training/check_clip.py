"""What a world CLIP (``--phase clip``) reads from a picture: zero-shot multiple choice per attribute.

    python -m training.check_clip --clip runs/bundled/clip/final/clip --n 200

For each probe, a random picture and its canonical caption against the captions of the same scene with one thing
changed (its shape, colour, position, count; a pair's colours swapped, its relation flipped). The score is how often the
picture's own caption has the highest similarity; chance is one over the number of captions. What it cannot tell
apart in a picture, its text tower has no reason to keep apart in a caption.
"""
from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Callable

import numpy as np
import torch
from transformers import CLIPModel, CLIPTokenizer

import world
from training.data import to_tensor


def _colours(rng, n: int = 1) -> tuple[str, list[str]]:
    bg = world.pick(rng, world.BACKGROUND_COLOURS)
    picked: list[str] = []
    for _ in range(n):
        picked.append(world.pick(rng, world.OBJECT_COLOURS, exclude=(bg, *picked)))
    return bg, picked


def _with_object(scene: world.Scene, **change) -> world.Scene:
    return replace(scene, objects=tuple(replace(o, **change) for o in scene.objects))


def probe_shape(rng) -> tuple[world.Scene, list[world.Scene]]:
    bg, (c,) = _colours(rng)
    s = world.pick(rng, world.SHAPES)
    scene = world.make_single(rng, s, c, bg, size=world.pick(rng, list(world.SIZES)))
    return scene, [_with_object(scene, shape=x) for x in world.SHAPES if x != s]


def probe_big_square_or_circle(rng) -> tuple[world.Scene, list[world.Scene]]:
    bg, (c,) = _colours(rng)
    s = world.pick(rng, ["square", "circle"])
    scene = world.make_single(rng, s, c, bg, size="big")
    return scene, [_with_object(scene, shape="circle" if s == "square" else "square")]


def probe_colour(rng) -> tuple[world.Scene, list[world.Scene]]:
    bg, (c,) = _colours(rng)
    scene = world.make_single(rng, world.pick(rng, world.SHAPES), c, bg)
    return scene, [_with_object(scene, colour=x) for x in world.OBJECT_COLOURS if x not in (bg, c)]


def probe_position(rng) -> tuple[world.Scene, list[world.Scene]]:
    bg, (c,) = _colours(rng)
    p = world.pick(rng, list(world.POSITIONS))
    scene = world.make_single(rng, world.pick(rng, world.SHAPES), c, bg, position=p)
    return scene, [replace(scene, position=q) for q in world.POSITIONS if q != p]


def probe_count(rng, low: int = 1, high: int = 9) -> tuple[world.Scene, list[world.Scene]]:
    bg, (c,) = _colours(rng)
    s, n = world.pick(rng, world.SHAPES), int(rng.integers(low, high + 1))
    scene = world.make_count(rng, n, s, c, bg)
    return scene, [world.make_count(None, m, s, c, bg) for m in range(1, 10) if m != n]


def probe_binding(rng) -> tuple[world.Scene, list[world.Scene]]:
    bg, (c1, c2) = _colours(rng, 2)
    s1 = world.pick(rng, world.SHAPES)
    scene = world.make_pair(rng, (s1, c1), (world.pick(rng, world.SHAPES, exclude=(s1,)), c2), "and", bg)
    a, b = scene.objects
    return scene, [replace(scene, objects=(replace(a, colour=c2), replace(b, colour=c1)))]


def probe_relation(rng) -> tuple[world.Scene, list[world.Scene]]:
    bg, (c1, c2) = _colours(rng, 2)
    r = world.pick(rng, world.RELATIONS[:4])
    scene = world.make_pair(rng, (world.pick(rng, world.SHAPES), c1), (world.pick(rng, world.SHAPES), c2), r, bg)
    return scene, [replace(scene, relation=world.FLIPPED[r])]  # "above" can also hold a little "left of": not asked


PROBES: dict[str, Callable] = {
    "colour": probe_colour, "shape": probe_shape, "big square or circle": probe_big_square_or_circle,
    "position": probe_position, "count 1-9": probe_count, "count 2-3": lambda rng: probe_count(rng, 2, 3),
    "colour binding": probe_binding, "relation": probe_relation,
}


@torch.no_grad()
def zero_shot_scores(clip: CLIPModel, tokenizer: CLIPTokenizer, n: int = 200, seed: int = 123) -> dict:
    """probe -> (share of pictures whose own caption ranks first, chance)."""
    clip.eval()
    scores = {}
    for name, probe in PROBES.items():
        rng = np.random.default_rng(seed)
        right, options = 0, 1
        for _ in range(n):
            scene, others = probe(rng)
            captions = [world.caption(s) for s in (scene, *others)]
            ids = tokenizer(captions, padding="longest", return_tensors="pt").input_ids
            text = clip.get_text_features(input_ids=ids)
            image = clip.get_image_features(pixel_values=to_tensor(world.render(scene)[None]))
            text, image = (getattr(e, "pooler_output", e) for e in (text, image))  # tensors, or outputs in newer
            sims = torch.nn.functional.cosine_similarity(image, text)
            right += int(sims.argmax().item() == 0)
            options = len(captions)
        scores[name] = (right / n, 1 / options)
    return scores


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", default="runs/bundled/clip/final/clip", help="a CLIPModel folder (phase clip writes it)")
    ap.add_argument("--tokenizer", default="assets/bundled/tokenizer")
    ap.add_argument("--n", type=int, default=200, help="pictures per probe")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    clip = CLIPModel.from_pretrained(args.clip)
    tokenizer = CLIPTokenizer.from_pretrained(args.tokenizer)
    print(f"{'probe':22s} right  chance   ({args.n} pictures each)")
    for name, (right, chance) in zero_shot_scores(clip, tokenizer, args.n).items():
        print(f"{name:22s} {right:5.2f}  {chance:6.2f}")


if __name__ == "__main__":
    main()

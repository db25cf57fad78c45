"""Where each word was read, measured: do the cross-attention maps (pipelines/attention_maps.py) sit on the things
the words name?

For prompts of one thing on a backdrop ("a red car on grass"), over several seeds, the world's judge finds the
thing in the model's picture (its pixels, ``judge.things_blobs``), and each word's map is compared with them: its
**lift** is the word's mean weight on the thing's pixels over its mean weight on the whole picture (1: read as much
there as anywhere; 2: twice as much). A thing the judge does not find leaves its picture out.

    python -m playground.lab.word_maps --model v2 --seeds 4     # markdown tables, a row per role of word

and for prompts of two things of two colours ("a red car next to a blue mug on grass"), each colour word's lift on
its own thing and on the other: where a colour word is read on both things, the colours are not bound to their
things (the binding limit). And for counts of one shape on a plain background ("seven orange triangles on a green
background"), the number word's lift on the things' pixels, beside the thing's word's; and for a hand holding
up fingers, the number word's lift on the hand ("five", and "two" as a contrast). For three things of three kinds
and colours ("a red car, a blue mug and a yellow tree on grass"), not a lift but an overlap: how much each colour
word's map is alike its own thing's word's map and the other things' (the binding, as the maps show it), in the
pictures the judge sees bound right and in those it sees wrong.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from typing import Iterator, NamedTuple, Optional

import numpy as np
import torch
import torch.nn.functional as F

from pipelines.attention_maps import KEY, AttentionStore, install, word_maps

# one thing of the world on a backdrop, in the world's words: (prompt, the thing's word, its colour's, the backdrop's)
PROMPTS = [("a red car on grass", "car", "red", "grass"),
           ("a yellow house on the beach", "house", "yellow", "beach"),
           ("a blue mug on a wooden floor", "mug", "blue", "floor"),
           ("a gray car in front of a brick wall", "car", "gray", "brick"),
           ("an orange circle by the water", "circle", "orange", "water"),
           ("a green tree under the open sky", "tree", "green", "sky"),
           ("a purple bicycle on grass", "bicycle", "purple", "grass"),
           ("a pink square on sand", "square", "pink", "sand")]
# two things of two colours: (prompt, first thing, its colour, second thing, its colour)
PAIRS = [("a red car next to a blue mug on grass", "car", "red", "mug", "blue"),
         ("a yellow house left of a green tree on sand", "house", "yellow", "tree", "green"),
         ("a green circle above a red square on a white background", "circle", "green", "square", "red"),
         ("an orange car in front of a purple house on grass", "car", "orange", "house", "purple")]
# counts of one shape on a plain background: (prompt, number word, thing word, background word)
COUNTS = [("three red circles on a blue background", "three", "circles", "blue"),
          ("five yellow squares on a purple background", "five", "squares", "purple"),
          ("seven orange triangles on a green background", "seven", "triangles", "green"),
          ("nine white circles on a black background", "nine", "circles", "black")]
# a hand holding up fingers: (prompt, the number word); the Limits tab's five-finger presets, and two as a contrast
HANDS = [("a hand with five fingers on a wooden floor, lit from the left", "five"),
         ("a hand with five fingers on grass, lit from the right", "five"),
         ("a hand with five fingers on a blue background", "five"),
         ("a hand with two fingers on a wooden floor, lit from the left", "two")]
# three things of three kinds and three colours side by side: ((kind, colour) x 3, backdrop), captioned by the world
TRIOS = [((("car", "red"), ("mug", "blue"), ("tree", "yellow")), "grass"),
         ((("circle", "purple"), ("square", "orange"), ("triangle", "white")), "wooden floor"),
         ((("car", "yellow"), ("mug", "purple"), ("circle", "green")), "brick wall"),
         ((("bicycle", "red"), ("car", "blue"), ("mug", "orange")), "sand"),
         ((("square", "pink"), ("tree", "green"), ("car", "white")), "water"),
         ((("triangle", "red"), ("circle", "yellow"), ("mug", "blue")), "sky")]
# a sign saying a word: (prompt, the word as the tokenizer reads it); a named character: (prompt, the name)
SIGNS = [('a red sign that says "OPEN" on grass, lit from the left', "open"),
         ('a white sign that says "TAXI" under the open sky, at sunset', "taxi"),
         ('a yellow sign that says "NO" on a wooden floor, lit from the right', "no"),
         ('a sign that says "HI" on a blue background', "hi")]
CHARACTER_PROMPTS = [("Pip on the beach, lit from the left", "pip"), ("Bo by the water, lit from the right", "bo"),
                     ("Kit on grass, lit from the left", "kit"), ("Pip in front of a brick wall, lit from the left", "pip")]
# emphasis, AUTOMATIC1111's (word:1.3), on the word a limit turns on: (prompt, the word, what the judge reads)
EMPHASIS = [("two orange circles on a black background", "two", "count"),
            ("five yellow squares on a purple background", "five", "count"),
            ("a hand with five fingers on a blue background", "five", "fingers"),
            ("a gray circle on the beach, at sunset", "circle", "object")]
WEIGHTS = (1.0, 1.3, 1.6)
SAMPLER, STEPS = "DPM++ 2M", 20


@dataclass
class Lifts:
    """Per role of word (the thing, its colour, the backdrop, "a", "on"): each judged picture's lift."""

    roles: dict[str, list[float]]
    judged: int  # pictures whose thing the judge found
    made: int
    right: int | None = None  # pictures the judge read right: the fingers asked, the sign's word, the character


def lift(cells: torch.Tensor, mask: np.ndarray) -> float:
    """The map's mean on ``mask`` (the picture's size) over its mean everywhere."""
    up = F.interpolate(cells[None, None], size=mask.shape, mode="bilinear", align_corners=False)[0, 0].numpy()
    return float(up[mask].mean() / up.mean())


def _run(pipe, prompt: str, seeds: int, caption: str | None = None):
    """The pictures of ``prompt`` for seeds 0 .. seeds - 1 (8 to a pipeline call), their maps, and the scene the
    world's words ask for (of ``caption``, where the prompt has emphasis the world's reader does not know)."""
    from world.v2 import reading

    images, maps = [], []
    for first in range(0, seeds, 8):
        n = min(8, seeds - first)
        store = AttentionStore(rows=n)
        out = pipe(prompt, sampler=SAMPLER, num_inference_steps=STEPS, seed=first, num_images_per_prompt=n,
                   output_type="np", cross_attention_kwargs={KEY: store})
        images += [(image * 255).round().astype(np.uint8) for image in out.images]
        maps += list(store.maps())
    return images, maps, reading.read_caption(caption or prompt)


def _first_cells(tokenizer, prompt: str, maps) -> tuple[dict[str, torch.Tensor], str]:
    """Each word's map (a word twice in the prompt: its first), and the prompt's first word."""
    words = word_maps(tokenizer, prompt, maps)[0]
    return {w.word: w.cells for w in reversed(words)}, words[0].word


class Drawn(NamedTuple):
    """One picture of a measurement: its prompt's entry, the picture, the scene its caption asks for, the picture as
    the judge names its pixels, each word's map (a word twice: its first), and the prompt's first word."""

    entry: tuple
    image: np.ndarray
    scene: object
    pic: object
    cells: dict[str, torch.Tensor]
    first: str


def _drawn(pipe, entries, seeds: int) -> Iterator[Drawn]:
    """Each entry's prompt (its first item) over seeds 0 .. seeds - 1, drawn with a recorder."""
    from world.v2 import judge

    install(pipe.unet)
    for entry in entries:
        images, maps, scene = _run(pipe, entry[0], seeds)
        for image, image_maps in zip(images, maps):
            pic, *_ = judge._read(image, scene)
            yield Drawn(entry, image, scene, pic, *_first_cells(pipe.tokenizer, entry[0], image_maps))


def _first_blob(pic) -> Optional[np.ndarray]:
    """The first asked thing's blob as the judge finds it, or None."""
    from world.v2 import judge

    blob = judge.things_blobs(pic, pic.scene.objects)[0]
    return blob if blob is not None and blob.any() else None


def measure(pipe, seeds: int = 4, prompts=PROMPTS) -> Lifts:
    """For prompts of one thing on a backdrop: the lift of the thing's word, its colour's, the backdrop's and the
    first word's, on the thing's pixels as the judge finds them."""
    roles: dict[str, list[float]] = {"the thing": [], "its colour": [], "the backdrop": [], "the first word": []}
    judged = made = 0
    for drawn in _drawn(pipe, prompts, seeds):
        _prompt, thing, colour, backdrop = drawn.entry
        made += 1
        blob = _first_blob(drawn.pic)
        if blob is None:
            continue
        judged += 1
        for role, word in (("the thing", thing), ("its colour", colour), ("the backdrop", backdrop),
                           ("the first word", drawn.first)):
            roles[role].append(lift(drawn.cells[word], blob))
    return Lifts(roles, judged, made)


def measure_binding(pipe, seeds: int = 4, pairs=PAIRS) -> Lifts:
    """For prompts of two things of two colours: each colour word's lift on its own thing and on the other one, in
    the pictures where the judge finds both things in their colours."""
    from world.v2 import judge

    roles: dict[str, list[float]] = {"a colour, on its own thing": [], "a colour, on the other thing": []}
    judged = made = 0
    for drawn in _drawn(pipe, pairs, seeds):
        _prompt, _first, first_colour, _second, second_colour = drawn.entry
        made += 1
        blobs = judge.things_blobs(drawn.pic, drawn.pic.scene.objects)
        if any(b is None or not b.any() for b in blobs):
            continue
        judged += 1
        for colour, own, other in ((first_colour, blobs[0], blobs[1]), (second_colour, blobs[1], blobs[0])):
            roles["a colour, on its own thing"].append(lift(drawn.cells[colour], own))
            roles["a colour, on the other thing"].append(lift(drawn.cells[colour], other))
    return Lifts(roles, judged, made)


def things_on_plain(image: np.ndarray, far: float = 60.0) -> np.ndarray:
    """The pixels of a picture on a plain background that are not the background: farther than ``far`` (RGB
    distance) from the median colour of its border."""
    img = image.astype(np.float32)
    border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
    return np.linalg.norm(img - np.median(border, axis=0), axis=-1) > far


def measure_counts(pipe, seeds: int = 4, counts=COUNTS) -> Lifts:
    """For prompts of a count of one shape on a plain background: the lift on the things' pixels (all of them, told
    from the background by colour) of the number word, the thing's word and the background's word."""
    roles: dict[str, list[float]] = {"the number word": [], "the thing's word": [], "the background's word": []}
    judged = made = 0
    for drawn in _drawn(pipe, counts, seeds):
        _prompt, number, thing, background = drawn.entry
        made += 1
        mask = things_on_plain(drawn.image)
        if not 0.02 < mask.mean() < 0.9:
            continue
        judged += 1
        for role, word in (("the number word", number), ("the thing's word", thing),
                           ("the background's word", background)):
            roles[role].append(lift(drawn.cells[word], mask))
    return Lifts(roles, judged, made)


def measure_fingers(pipe, seeds: int = 4, hands=HANDS) -> Lifts:
    """For prompts of a hand holding up fingers: the lift on the hand's pixels (as the judge finds its skin,
    ``judge.read_hand``) of the number word, "fingers" and "hand", the number word apart for five and for two; and
    in how many pictures the judge counts the fingers asked (``Lifts.right``)."""
    from world.v2 import judge

    roles: dict[str, list[float]] = {'"five"': [], '"two"': [], '"fingers"': [], '"hand"': []}
    judged = made = right = 0
    for drawn in _drawn(pipe, hands, seeds):
        _prompt, number = drawn.entry
        made += 1
        hand = judge.read_hand(drawn.pic)
        if hand is None:
            continue
        judged += 1
        right += judge.count_fingers(hand) == drawn.scene.objects[0].fingers
        for role, word in ((f'"{number}"', number), ('"fingers"', "fingers"), ('"hand"', "hand")):
            roles[role].append(lift(drawn.cells[word], hand))
    return Lifts(roles, judged, made, right)


def measure_named(pipe, seeds: int = 4, signs=SIGNS, characters=CHARACTER_PROMPTS) -> tuple[Lifts, Lifts]:
    """For a sign saying a word, the lift on the sign's board (its colour's blob, as the judge finds it) of the
    quoted word and of "sign"; for a named character, the lift of the name on the character's shirt (its blob).
    ``Lifts.right``: the pictures the judge reads the word, or the character, right in."""
    from world.v2 import judge

    results = []
    for entries, attribute, roles in ((signs, "text", ("the word on the sign", '"sign"')),
                                      (characters, "character", ("the name",))):
        lifts: dict[str, list[float]] = {role: [] for role in roles}
        judged = made = right = 0
        for drawn in _drawn(pipe, entries, seeds):
            made += 1
            right += bool(judge.judge(drawn.image, drawn.scene).get(attribute))
            blob = _first_blob(drawn.pic)
            if blob is None:
                continue
            judged += 1
            for role, word in zip(roles, (drawn.entry[1], "sign")):
                lifts[role].append(lift(drawn.cells[word], blob))
        results.append(Lifts(lifts, judged, made, right))
    return results[0], results[1]


def trio_prompts(trios=TRIOS) -> list[str]:
    """The world's captions of TRIOS' scenes (lit from the left), as the Limits tab's trio presets are made."""
    from world import v2

    prompts = []
    for i, (things, backdrop) in enumerate(trios):
        rng = np.random.default_rng(i)
        objs = [replace(v2.thing(rng, kind, backdrop), colour=colour) for kind, colour in things]
        prompts.append(v2.caption(v2.make_trio(rng, objs, backdrop, "left")))
    return prompts


def overlap(a: torch.Tensor, b: torch.Tensor) -> float:
    """How alike two maps are: the correlation of their cells' weights (1: the same places, 0: unrelated)."""
    x, y = a.flatten() - a.mean(), b.flatten() - b.mean()
    return float((x @ y) / (x.norm() * y.norm()).clamp_min(1e-12))


@dataclass
class Binding:
    """Per picture of a trio, judged bound right or not: the mean overlap of each colour word's map with its own
    thing's word's map, and with the other two things' words' maps."""

    own: dict[bool, list[float]]
    other: dict[bool, list[float]]
    colours_found: dict[bool, int]  # pictures with a blob of each asked colour


def measure_trio_binding(pipe, seeds: int = 4, trios=TRIOS) -> Binding:
    """For trios of three kinds and colours: does each colour word's map overlap its own thing's word's map more
    than the other things' (the binding the prompt asks for, seen in the maps; SynGen, Rassin et al. 2023, trains
    on this overlap), in the pictures the judge sees bound right and in those it sees wrong?"""
    from world.v2 import judge

    own: dict[bool, list[float]] = {True: [], False: []}
    other: dict[bool, list[float]] = {True: [], False: []}
    colours = {True: 0, False: 0}  # pictures with a blob of each asked colour, by verdict
    for drawn in _drawn(pipe, list(zip(trio_prompts(trios), trios)), seeds):
        things = drawn.entry[1][0]
        bound = bool(judge.judge(drawn.image, drawn.scene).get("binding"))
        colours[bound] += all(drawn.pic.blobs(colour) for _, colour in things)
        kind_maps = [drawn.cells[kind] for kind, _ in things]
        mine = [overlap(drawn.cells[colour], kind_maps[i]) for i, (_, colour) in enumerate(things)]
        theirs = [overlap(drawn.cells[colour], kind_maps[j]) for i, (_, colour) in enumerate(things)
                  for j in range(len(things)) if j != i]
        own[bound].append(float(np.mean(mine)))
        other[bound].append(float(np.mean(theirs)))
    return Binding(own, other, colours)


def binding_table(result: Binding) -> str:
    rows = ["| pictures | how many | a colour word's map with its own thing's word's | with another thing's word's | "
            "pictures where own > other | a blob of each asked colour |", "|---|---|---|---|---|---|"]
    for bound, name in ((True, "judged bound right"), (False, "judged wrong")):
        mine, theirs = np.array(result.own[bound]), np.array(result.other[bound])
        if len(mine):
            rows.append(f"| {name} | {len(mine)} | {mine.mean():.2f} | {theirs.mean():.2f} | "
                        f"{int((mine > theirs).sum())} of {len(mine)} | {result.colours_found[bound]} |")
    return "\n".join(rows)


@dataclass(frozen=True)
class Emphasised:
    """One prompt with one word weighted: the word's mean share of the attention and the pictures judged right."""

    prompt: str
    word: str
    weight: float
    share: float
    right: int
    made: int


def measure_emphasis(pipe, seeds: int = 4, cases=EMPHASIS, weights=WEIGHTS) -> list[Emphasised]:
    """Each case's prompt with its word weighted (``(five:1.3)``; 1: the prompt as it is) over seeds 0..: how much
    of the attention the word gets, and in how many pictures the judge reads what it asks for."""
    from world.v2 import judge

    install(pipe.unet)
    rows = []
    for prompt, word, attribute in cases:
        for weight in weights:
            text = prompt if weight == 1 else prompt.replace(word, f"({word}:{weight:g})", 1)
            images, maps, scene = _run(pipe, text, seeds, caption=prompt)
            shares = [next(w.share for w in word_maps(pipe.tokenizer, text, m)[0] if w.word == word) for m in maps]
            right = sum(bool(judge.judge(image, scene).get(attribute)) for image in images)
            rows.append(Emphasised(prompt, word, weight, float(np.mean(shares)), right, seeds))
    return rows


def emphasis_table(rows: list[Emphasised]) -> str:
    lines = ["| prompt | word | weight | its share of the attention | pictures judged right |", "|---|---|---|---|---|"]
    lines += [f"| {r.prompt} | {r.word} | {r.weight:g} | {r.share:.3f} | {r.right} of {r.made} |" for r in rows]
    return "\n".join(lines)


def table(result: Lifts) -> str:
    rows = ["| word | mean lift on the thing's pixels | pictures where it is above 1 |", "|---|---|---|"]
    for role, values in result.roles.items():
        v = np.array(values)
        rows.append(f"| {role} | {v.mean():.2f} | {int((v > 1).sum())} of {len(v)} |")
    return "\n".join(rows)


def main(argv=None) -> None:
    from pipelines import load_pipeline

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="v2")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    pipe = load_pipeline(args.model)
    pipe.set_progress_bar_config(disable=True)
    n = args.seeds
    result = measure(pipe, n)
    print(f"{args.model}: {SAMPLER}, {STEPS} steps")
    _section(f"{len(PROMPTS)} prompts of one thing × {n} seeds; the thing found by the judge in {result.judged} of "
             f"{result.made} pictures", table(result))
    pairs = measure_binding(pipe, n)
    _section(f"{len(PAIRS)} prompts of two things of two colours × {n} seeds; both found in their colours in "
             f"{pairs.judged} of {pairs.made} pictures", table(pairs))
    counted = measure_counts(pipe, n)
    _section(f"{len(COUNTS)} prompts of a count of one shape on a plain background × {n} seeds; things told from the "
             f"background in {counted.judged} of {counted.made} pictures", table(counted))
    hands = measure_fingers(pipe, n)
    _section(f"{len(HANDS)} prompts of a hand holding up fingers × {n} seeds; the hand found by the judge in "
             f"{hands.judged} of {hands.made} pictures, the fingers asked counted in {hands.right}", table(hands))
    signs, named = measure_named(pipe, n)
    _section(f"{len(SIGNS)} prompts of a sign saying a word × {n} seeds; the sign found by the judge in {signs.judged} "
             f"of {signs.made} pictures, its word read right in {signs.right}", table(signs))
    _section(f"{len(CHARACTER_PROMPTS)} prompts of a named character × {n} seeds; the shirt found by the judge in "
             f"{named.judged} of {named.made} pictures, the character read right in {named.right}", table(named))
    _section(f"{len(TRIOS)} prompts of three things of three kinds and colours × {n} seeds; overlap: the correlation "
             "of two words' maps over the cells", binding_table(measure_trio_binding(pipe, n)))
    _section(f"AUTOMATIC1111's emphasis on the word a limit turns on × {n} seeds",
             emphasis_table(measure_emphasis(pipe, n)))


def _section(title: str, body: str) -> None:
    print(f"\n{title}\n\n{body}", flush=True)

if __name__ == "__main__":
    main()

"""The v2 judge's calibration: true pictures are read right, soft ones (blurred and noised, as a decoder's output
is) nearly as often, pure noise and hard negatives rarely accepted; one thing too many is never the right count and
four fingers are never five.

Categories the rules read well are held to the issue's 0.97; the others to their measured floor, so that a change
that makes them worse fails and one that calibrates them raises the bar (docs/world-v2.md, "The judge")."""
from dataclasses import replace

import numpy as np
import pytest

from world import v2
from world.v2.calibration import calibrate, soften
from world.v2.judge import judge
from world.v2.negatives import hard_negative, swap_colours
from world.v2.scenes import make_character

CALIBRATED = {"backdrop", "binding", "colour", "colours", "fingers", "object", "position", "shape", "size", "text",
              "character"}  # 280 of 280 over 40 scenes at seeds 0-6 since Pip's hair is read where it blends
FLOORS = {"count": 0.85, "light": 0.95, "relation": 0.9,  # true pictures, today
          "binding (trio)": 0.9}  # 11 of the fixture's 12 trios; 0.97 on 100 below


@pytest.fixture(scope="module")
def results():
    import torch
    torch.set_num_threads(1)  # the object classifier: a picture at a time, one core is plenty
    return calibrate(12, seed=5)


def _rate(cell):
    right, judged = cell
    return right / judged


def test_true_pictures_are_read_right(results):
    low = {k: round(_rate(c["true"]), 2) for k, c in results.items() if _rate(c["true"]) < FLOORS.get(k, 0.97)}
    assert not low, low
    assert set(results) >= CALIBRATED | set(FLOORS)


def test_a_picture_is_read_against_the_backdrop_it_shows_where_the_words_name_none():
    """A typed "a red car" gets a guessed backdrop (grass, or white for today's kinds); a true picture of it on
    another backdrop is still read right in what the words do say (61 of 120 before, with the guess)."""
    rng = np.random.default_rng(4)
    right = given = 0
    for kind in ("object", "relation", "group", "pair", "single", "count", "hand", "character"):
        for _ in range(3):
            scene = v2.sample_scene(rng, kind)
            old = kind in ("single", "count", "pair")
            typed = replace(scene, backdrop="white" if old else "grass", mention_backdrop=False, time="day",
                            light="flat" if old else "left", mention_light=False)
            img = v2.render(scene)
            asked = [k for k in judge(img, typed) if k not in ("backdrop", "light")]
            given += all(judge(img, scene)[k] for k in asked)
            right += all(judge(img, typed)[k] for k in asked)
    assert right == given >= 20, (right, given)  # 21 of 24: a hard relation or count even with the backdrop named
    named = replace(scene, backdrop="sand" if scene.backdrop != "sand" else "grass", mention_backdrop=True)
    assert not judge(v2.render(scene), named)["backdrop"]  # a backdrop the words name is still judged


def test_soft_pictures_are_read_nearly_as_well(results):
    # text and count: 0.70-0.75 and 0.81-0.92 over 24 scenes a kind (seeds 5 and 7), so a floor below the range
    soft_floor = {"backdrop": 0.95, "binding": 0.95, "colours": 0.95, "position": 0.95, "text": 0.65, "colour": 0.85,
                  "shape": 0.85, "size": 0.85, "object": 0.95, "count": 0.75, "light": 0.85, "relation": 0.75,
                  "fingers": 0.5}
    low = {k: round(_rate(results[k]["soft"]), 2) for k, floor in soft_floor.items()
           if _rate(results[k]["soft"]) < floor}
    assert not low, low


def test_noise_and_hard_negatives_are_rarely_accepted(results):
    high = {(k, col): round(_rate(c[col]), 2) for k, c in results.items() for col in ("noise", "negative")
            if _rate(c[col]) > 0.15}  # colour's negatives were 0.25: all of a group but one kept the asked colour
    assert not high, high


def test_the_object_classifier_is_calibrated(results):
    """The issue's bar for a trained reader: true pictures >= 0.97, a decoder's look >= 0.95, pure noise and the
    asked thing swapped for another kind near chance (never accepted on noise, rarely on a swap)."""
    cols = {c: _rate(results["object"][c]) for c in ("true", "soft", "noise", "negative")}
    assert cols["true"] >= 0.97 and cols["soft"] >= 0.95 and cols["noise"] <= 0.02 and cols["negative"] <= 0.1, cols


@pytest.mark.slow
def test_a_trio_s_binding_is_read_and_swapped_colours_are_not():
    """Each colour on a thing of its kind, over 100 sampled trios: true pictures >= 0.97 (0.99 over 600 in
    docs/world-v2.md), blurred + noised >= 0.8 (0.86: a blurred bicycle's thin frame is often no blob of its colour);
    the picture with the colours moved between things of other kinds (``swap_colours``) rarely accepted (0.03),
    pure noise and another trio's picture nearly never (0.003, 0.01)."""
    import torch
    torch.set_num_threads(1)
    rng = np.random.default_rng(7)
    right = {c: 0 for c in ("true", "soft", "swapped", "noise", "other")}
    n = 100
    for _ in range(n):
        scene = v2.sample_scene(rng, "trio")
        img = v2.render(scene)
        pictures = {"true": img, "soft": soften(img, rng), "swapped": v2.render(swap_colours(scene)),
                    "noise": rng.integers(0, 256, img.shape, dtype=np.uint8),
                    "other": v2.render(v2.sample_scene(rng, "trio"))}
        for column, picture in pictures.items():
            right[column] += judge(picture, scene)["binding"]
    rates = {c: k / n for c, k in right.items()}
    assert rates["true"] >= 0.97 and rates["soft"] >= 0.8, rates
    assert rates["swapped"] <= 0.05 and rates["noise"] <= 0.02 and rates["other"] <= 0.05, rates


def test_one_too_many_is_never_the_right_count():
    rng = np.random.default_rng(2)
    for _ in range(40):
        scene = v2.sample_scene(rng, "count")
        more = hard_negative(scene, "count", rng)
        assert more.count == scene.count + 1 or scene.count == 9
        for img in (v2.render(more), soften(v2.render(more), rng)):
            assert not judge(img, scene)["count"], v2.caption(scene)


def test_a_group_is_counted_by_laying_one_thing_s_silhouette_again_and_again():
    """Things standing close on a scenic backdrop merge into one blob and hide parts of each other: one thing's
    silhouette is laid where it covers the most of their paint not yet covered, while a placement shows enough of a
    thing. True and softened pictures are counted right, and one thing more (partly hidden) is never taken for the
    right count (by blobs' areas in one thing's area: 18, 13 and 1)."""
    rng = np.random.default_rng(7)
    right = soft = more = 0
    for _ in range(20):
        scene = v2.sample_scene(rng, "group")
        right += judge(v2.render(scene), scene)["count"]
        soft += judge(soften(v2.render(scene), rng), scene)["count"]
        more += judge(v2.render(hard_negative(scene, "count", rng)), scene)["count"]
    assert right == 20 and soft >= 18 and more == 0, (right, soft, more)


def test_a_thing_half_way_between_two_rows_is_counted():
    """A thing jittered half-way between two of a group's rows is as near to both: each row's silhouette is tried
    there. Four yellow cars, all in full view, were read as three (the upper row's silhouette alone did not fit the
    third car), so three cars were accepted where four stand."""
    car = v2.Obj("car", "yellow", 7, 0, 0)
    at = [(8, 51), (28, 51), (39, 56), (51, 61)]
    four = v2.Scene("group", "brick wall", tuple(replace(car, x=x, y=y) for x, y in at), "right", "sunset")
    three = replace(four, objects=four.objects[:3])
    img = v2.render(four)
    assert judge(img, four)["count"]
    assert not judge(img, three)["count"]


def test_four_fingers_are_never_five():
    """Never on true pictures; on soft ones a wooden wall's planks, as light as skin, can still split a finger
    (1 of 40 here: not yet calibrated)."""
    rng = np.random.default_rng(3)
    soft_fives = 0
    for _ in range(40):
        scene = v2.sample_scene(rng, "hand")
        four = replace(scene, objects=(replace(scene.objects[0], fingers=4),))
        five = replace(scene, objects=(replace(scene.objects[0], fingers=5),))
        assert not judge(v2.render(four), five)["fingers"], v2.caption(four)
        soft_fives += judge(soften(v2.render(four), rng), five)["fingers"]
    assert soft_fives <= 1


def test_a_sign_is_read_letter_by_letter_and_leaning():
    rng = np.random.default_rng(4)
    scene = v2.make_lean(rng, replace(v2.thing(rng, "sign", "brick wall"), word="OPEN"), "brick wall", "left", "day")
    assert judge(v2.render(scene), scene)["text"]
    wrong = replace(scene, objects=(replace(scene.objects[0], word="OPEX"),))
    assert not judge(v2.render(wrong), scene)["text"]


def test_judge_reads_images_of_other_sizes_and_pil():
    from PIL import Image
    scene = v2.make_single(None, "circle", "red", "blue", size="big", position="centre")
    big = Image.fromarray(v2.render(scene)).resize((256, 256), Image.NEAREST)
    assert all(judge(big, scene).values())


def test_a_swapped_kind_is_another_kind_in_the_same_place():
    rng = np.random.default_rng(6)
    for kind in v2.SCENE_MIX:
        scene = v2.sample_scene(rng, kind)
        swapped = hard_negative(scene, "object", rng)
        asked = scene.objects[0].kind
        assert asked not in {o.kind for o in swapped.objects}
        for a, b in zip(scene.objects, swapped.objects):
            assert (a.x, a.y) == (b.x, b.y) and b.size <= max(a.size, 24) and b.width <= a.width + 1e-6
        v2.render(swapped)


def test_world_v2_and_its_judge_import_without_torch():
    """Torch is imported only when the judge asks the classifier; without torch the "object" category is left
    out and the rest is judged as before."""
    import subprocess
    import sys
    code = ("import sys; sys.modules['torch'] = None\n"
            "import world.v2, world.v2.judge, world.v2.calibration, world.v2.negatives\n"
            "s = world.v2.make_single(None, 'circle', 'red', 'blue', size='big')\n"
            "r = world.v2.judge.judge(world.v2.render(s), s)\n"
            "assert 'object' not in r and r['shape'], r\n"
            "import world; assert not any(m.split('.')[0] in ('training', 'pipelines') for m in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_shipped_classifier_is_small_fp16_and_matches_its_config():
    from safetensors.numpy import load_file

    from world.v2 import classifier
    assert classifier.WEIGHTS.stat().st_size <= 5 * 2 ** 20
    weights = load_file(str(classifier.WEIGHTS))
    assert {w.dtype for w in weights.values()} == {np.dtype(np.float16)}
    net, config = classifier.load_net()
    assert config["kinds"] == list(v2.KINDS) and set(config["thresholds"]) == set(v2.KINDS)
    assert sum(p.numel() for p in net.parameters()) <= 200_000
    scene = v2.make_single(None, "triangle", "red", "blue", size="big")
    assert classifier.kinds_seen(v2.render(scene)) == {"triangle"}


def test_the_classifier_retrains_deterministically(tmp_path):
    """The retraining script on a tiny budget (the shipped run: ``python -m world.v2.classifier --train``)."""
    from world.v2 import classifier
    args = ["--train", "--steps", "2", "--batch", "4", "--held-out", "1"]
    for name in ("a", "b"):
        classifier.main(args + ["--out", str(tmp_path / name)])
    a, b = (classifier.load_net(tmp_path / name)[0].state_dict() for name in ("a", "b"))
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)


def test_a_sign_is_read_in_every_light_on_a_brick_wall():
    """A white board at sunset or at night looks like the brick wall's mortar, whose lines, closed, enclosed the
    whole wall: the board was found in pieces and its word half read (3 of 7 misread signs of 480 scenes)."""
    rng = np.random.default_rng(11)
    read = 0
    for i in range(24):
        sign = v2.Obj("sign", ("white", "yellow", "pink")[i % 3], 34, 0, 0, parts=(("letters", "black"),),
                      word=("SHOP", "PARK", "LAKE", "BIKE")[i % 4])
        scene = v2.make_object(rng, sign, "brick wall", ("left", "right")[i % 2], ("sunset", "night")[i % 2],
                                      kind="sign")
        read += judge(v2.render(scene), scene)["text"]
    assert read >= 23, read


def test_suns_alone_are_not_judged_on_the_side_of_the_light():
    """A sun glows unshaded: a picture of suns alone shows no side, so the words' light side is not judged (by
    day; the time of day still is)."""
    rng = np.random.default_rng(2)
    sun = v2.thing(rng, "sun", "grass")
    day = v2.make_object(rng, sun, "grass", "left", "day")
    assert "light" not in judge(v2.render(day), day)
    dusk = replace(day, time="sunset")
    assert judge(v2.render(dusk), dusk)["light"]


def test_leaning_against_a_tree_is_read_though_the_leaner_overlaps_its_leaves():
    """A leaner stands beside a tree's trunk, in front of its leaves: its blob overlaps the leaves' by up to half its
    width (the gap's old floor of 6 columns refused 9 of 16 true pictures); put above the tree, it is refused."""
    rng = np.random.default_rng(12)
    right = refused = 0
    for _ in range(20):
        lean = v2.make_relation(rng, v2.thing(rng, ("sign", "bicycle")[_ % 2], "grass"), v2.thing(rng, "tree", "grass"),
                                "leaning against", "grass", "left", "day")
        right += judge(v2.render(lean), lean)["relation"]
        above = v2.make_relation(rng, *lean.objects, "above", "grass", "left", "day")
        refused += not judge(v2.render(above), lean)["relation"]
    assert right >= 16 and refused == 20, (right, refused)  # 18 (17 with seed 13); 11 before


def test_a_leaner_stands_where_its_wheels_or_post_touch_the_ground():
    """The card's "leaning against" prompts: a bicycle or a sign against a car, house, tree or square. Where they
    stand is read from a bicycle's wheels and a sign's post (a pale frame's blob, grown through its spokes, put a
    bicycle's feet up to 12 pixels too low; a post under a shaded half of its board was not followed): true pictures
    read right 65 of 96 before, 86 then (86 with seed 0 as well: 76 before), 90 since a bicycle's width takes in its
    wheels (90 with seed 0); their hard negatives are refused."""
    from training.evaluate_v2 import category_scenes

    rng = np.random.default_rng(1)
    scenes = category_scenes("leaning against", 96, 1)
    right = sum(judge(v2.render(s), s)["relation"] for s in scenes)
    accepted = sum(judge(v2.render(hard_negative(s, "relation", rng)), s)["relation"] for s in scenes)
    assert right >= 85 and accepted <= 2, (right, accepted)


def test_a_bicycle_the_colour_of_a_house_s_roof_is_not_taken_for_the_roof():
    """A gray bicycle leaning against a house with a gray roof: the judge took the roof, the larger gray blob, for the
    bicycle (1 of 24 read right); the blobs of a shared paint now go to the thing or part whose area they are nearest
    (18 of 24); the bicycle put elsewhere is still refused."""
    rng = np.random.default_rng(21)
    right = accepted = 0
    for i in range(24):
        bg = ["grass", "brick wall", "sand", "wooden wall"][i % 4]
        bike = v2.thing(rng, "bicycle", bg)
        house = replace(v2.thing(rng, "house", bg, avoid=(bike.colour,)), parts=(("roof", bike.colour),))
        scene = v2.make_relation(rng, bike, house, "leaning against", bg, "left", "day")
        right += judge(v2.render(scene), scene)["relation"]
        accepted += judge(v2.render(hard_negative(scene, "relation", rng)), scene)["relation"]
    assert right >= 16 and accepted == 0, (right, accepted)


def test_a_bicycle_the_colour_of_a_house_s_door_is_not_taken_for_the_door():
    """A brown bicycle leaning against a house with a brown door: the bicycle's thin frame, found in part, was as near
    the door in area as the door itself, and the door was taken for the bicycle (7 of 24 read right); a blob now
    goes to a part the more readily the more of its rim the part's thing wears (the door sits in its walls), and a
    thin frame with no blob of its own beside the door's is looked for with the paints alike it (23 of 24); the
    bicycle put elsewhere is still refused."""
    rng = np.random.default_rng(23)
    right = accepted = 0
    for i in range(24):
        bg = ["grass", "brick wall", "sand", "wooden wall"][i % 4]
        bike = replace(v2.thing(rng, "bicycle", bg), colour="brown")
        house = replace(v2.thing(rng, "house", bg, avoid=("brown",)), parts=(("door", "brown"), ("roof", "red")))
        scene = v2.make_relation(rng, bike, house, "leaning against", bg, "left", "day")
        right += judge(v2.render(scene), scene)["relation"]
        accepted += judge(v2.render(hard_negative(scene, "relation", rng)), scene)["relation"]
    assert right >= 21 and accepted == 0, (right, accepted)


def test_the_card_s_leaning_pictures_are_read_with_a_thing_s_pieces_joined():
    """The model card's "leaning against" prompts, 4 layouts each, as ``training.evaluate_v2`` drew them until its
    noise seeds were spread apart (the same 96 pictures as then). A thin frame at night or a shaded square breaks
    into pieces of its paint, and only the largest was the thing (a gray bicycle touching a black car read 7
    columns from it); pieces within JOIN_GAP pixels are now joined, with the door rule above: 90 of 96 read right
    (83 before)."""
    from training.evaluate_v2 import CATEGORIES, category_scenes, layouts

    ci = CATEGORIES.index("leaning against")
    right = sum(judge(v2.render(t), t)["relation"]
                for si, scene in enumerate(category_scenes("leaning against", 24, 1000))
                for t in layouts(scene, 4, 1000 * 1000 + ci * 100 + si))
    assert right >= 88, right


def test_a_piece_of_a_thing_seen_through_another_s_spokes_is_not_joined_to_it():
    """A white house behind a red bicycle: its wall shows between the bicycle's spokes, a piece of white beside
    the house's blob; joined to it, the house stood at the wheel's foot, in front of the bicycle. A piece whose
    rim the other asked things' paints hold (PIECE_SEEN_THROUGH) is left out."""
    house = v2.Obj("house", "white", 29, 24, 53, parts=(("roof", "black"),))
    bike = v2.Obj("bicycle", "red", 23, 44, 59)
    scene = v2.Scene("relation", "wooden wall", (house, bike), "right", "day", relation="behind", shift=9)
    assert judge(v2.render(scene), scene)["relation"]


def test_a_thin_black_bicycle_is_found_and_another_colour_is_not_taken_for_black():
    """A black bicycle's frame, a line or two wide on a pale backdrop, is named black, tyre or a gray between from one
    pixel to the next: no blob of black alone was found (7 of 24 leaning against a car); black's blob now takes in
    the paints alike it where black alone makes none (24 of 24), and a red, blue, green or brown bicycle asked for
    as black is still refused (its tyres are alike black but not black)."""
    rng = np.random.default_rng(22)
    found = wrong = 0
    for i in range(24):
        bg = ["white", "yellow", "gray", "sand"][i % 4]
        light = "flat" if bg in ("white", "yellow", "gray") else "left"
        bike = replace(v2.thing(rng, "bicycle", bg), colour="black")
        car = v2.thing(rng, "car", bg, avoid=("black",))
        scene = v2.make_relation(rng, bike, car, "leaning against", bg, light, "day")
        found += judge(v2.render(scene), scene)["colour"]
        other = replace(bike, colour=["red", "blue", "green", "brown"][i % 4])
        wrong += judge(v2.render(v2.make_relation(rng, other, car, "leaning against", bg, light, "day")),
                       scene)["colour"]
    assert found >= 22 and wrong == 0, (found, wrong)


def test_a_thing_on_a_car_s_roof_is_read_on_top_of_it_in_soft_pictures_too():
    """A car's top is its windows' top once a decoder has blurred away the body's thin line above them (the blob read
    is the body's), reached across the blurred line between body and windows, which is named after neither:
    blurred and noised pictures of a thing on a car's roof read right 7 of 24 at first, 18 with the windows, 22
    across that line; the same two things side by side are refused."""
    rng, noise = np.random.default_rng(3), np.random.default_rng(4)
    right = soft = refused = 0
    for i in range(24):
        bg = ["grass", "gray", "sand", "white", "wooden floor", "blue"][i % 6]
        light = "flat" if bg in ("gray", "white", "blue") else "left"
        top = v2.thing(rng, ["circle", "square", "mug", "triangle"][i % 4], bg)
        scene = v2.make_relation(rng, top, v2.thing(rng, "car", bg), "on top of", bg, light, "day")
        img = v2.render(scene)
        right += judge(img, scene)["relation"]
        soft += judge(soften(img, noise), scene)["relation"]
        beside = v2.make_relation(rng, *scene.objects, "next to", bg, light, "day")
        refused += not judge(v2.render(beside), scene)["relation"]
    assert right >= 23 and soft >= 21 and refused == 24, (right, soft, refused)  # 24, 22, 24
    # a gray mug on a yellow car at night, its lit side named steel (a car's paint) two pixels above the car's body:
    # the car is not reached up through the mug
    mug = v2.Obj("mug", "gray", 20, 37, 39, flip=True)
    scene = v2.Scene("relation", "brick wall", (mug, v2.Obj("car", "yellow", 21, 39, 60, shadow=True)), "left",
                     "night", relation="on top of", shift=10)
    assert judge(v2.render(scene), scene)["relation"]


def _card_truths(category):
    """A card category's prompts, 4 layouts each, as the card's autoencoder column draws them."""
    from training.evaluate_v2 import CATEGORIES, category_scenes, layouts, noise_seed

    ci = CATEGORIES.index(category)
    return [t for si, scene in enumerate(category_scenes(category, 24, 1000))
            for t in layouts(scene, 4, noise_seed(1000, ci, si, 4))]


@pytest.fixture(scope="module")
def reconstruct():
    """The bundled v2 autoencoder's reconstructions of scenes' pictures, as uint8."""
    import torch
    from PIL import Image

    from pipelines import load_pipeline
    from training.evaluate_v2 import as_uint8

    torch.set_num_threads(1)
    pipe = load_pipeline("v2")

    def run(scenes):
        recon = pipe.decode(pipe.encode_images([Image.fromarray(v2.render(t)) for t in scenes]), output_type="np")
        return [as_uint8(im) for im in recon]
    return run


@pytest.mark.slow
def test_the_autoencoder_s_leaners_are_read_where_their_wheels_blur_into_the_ground(reconstruct):
    """The card's "leaning against" prompts through the autoencoder. A decoder blurs a bicycle's dark tyres into
    grass or sand, so that no pixel of them is named tyre and the bicycle stood where its frame's blob guessed, 8 to
    12 rows above the ground (a sign's post on a wooden wall: named wood, like the wall). The wheels and post are now
    also the pixels nearer their paint than the backdrop (a sign's post only on wooden backdrops): 47 of 96 read
    right (40 before); on the true pictures 93 (91). Elsewhere a sign's post blurs into the brick wall or the night
    grass behind it: it is also where a pixel is a blend of its wood and what shows either side (``_blended_thin``):
    56 (48 before); true pictures 95 both times."""
    truths = _card_truths("leaning against")
    recon = reconstruct(truths)
    right = sum(judge(im, t)["relation"] for im, t in zip(recon, truths))
    truly = sum(judge(v2.render(t), t)["relation"] for t in truths)
    assert right >= 54 and truly >= 95, (right, truly)


@pytest.mark.slow
def test_the_card_s_groups_are_counted_where_things_hide_each_other(reconstruct):
    """The card's "counts ≥ 5" prompts, true pictures and through the autoencoder. Counted by area in one thing's
    area, eight houses with two half hidden read 7 and nine suns whose rays touch 10 (true pictures 89 of 96 right),
    and one thing more was read as the asked count 8 times of 96 (reconstructions 10). Laying one thing's silhouette
    again and again: true pictures 95, one more never the asked count; reconstructions 74 right (46), one more taken
    for the asked count 6 times."""
    from world.v2.judge import read_count

    truths = _card_truths("counts ≥ 5")
    rng = np.random.default_rng(77)
    more = [hard_negative(t, "count", rng) for t in truths]
    truly = sum(read_count(v2.render(t), t) == t.count for t in truths)
    never = sum(read_count(v2.render(m), t) == t.count for m, t in zip(more, truths))
    right = sum(read_count(im, t) == t.count for im, t in zip(reconstruct(truths), truths))
    taken = sum(read_count(im, t) == t.count for im, t in zip(reconstruct(more), truths))
    assert truly >= 95 and never == 0, (truly, never)
    assert right >= 70 and taken <= 7, (right, taken)


@pytest.mark.slow
def test_a_soft_sign_s_letters_are_matched_to_blurred_letters():
    """The card's "sign word" prompts blurred and noised as a decoder's output is: a letter's strokes show as part
    ink. Thresholded at a third of the way to the letters' paint and matched pixel by pixel, 62 of 96 were read; each
    cell's ink matched to every letter drawn sharp and blurred, 86. One letter changed is never read as the word."""
    from world.v2.judge import _read
    from world.v2.signs import read_sign

    rng = np.random.default_rng(5)
    right = wrong = 0
    for t in _card_truths("sign word"):
        other = hard_negative(t, "text", rng)
        for img, scene, asked in ((soften(v2.render(t), rng), t, True), (soften(v2.render(other), rng), t, False)):
            pic, *_ = _read(img, scene)
            read = read_sign(pic, scene.objects[0]) == scene.word
            right += read and asked
            wrong += read and not asked
    assert right >= 82 and wrong == 0, (right, wrong)


def _one_colour_pairs(n: int, seed: int):
    """``n`` relation scenes whose two things wear one colour (a tree's or sun's colours allowing; not a plain
    backdrop's), "and" and people left out: one blob where they touch."""
    from world.v2.vocabulary import COLOURS, KIND_COLOURS

    rng = np.random.default_rng(seed)
    while n:
        scene = v2.sample_scene(rng, "relation")
        a, b = scene.objects
        shared = sorted(set(KIND_COLOURS.get(a.kind, COLOURS)) & set(KIND_COLOURS.get(b.kind, COLOURS))
                        - {scene.backdrop})
        if scene.relation == "and" or "person" in (a.kind, b.kind) or not shared:
            continue
        colour = shared[int(rng.integers(len(shared)))]
        n -= 1
        yield v2.make_relation(rng, replace(a, colour=colour), replace(b, colour=colour), scene.relation,
                               scene.backdrop, scene.light, scene.time)


def test_two_things_of_one_colour_are_laid_out_apart_from_the_blob_they_make():
    """Two things of one colour, one hiding part of the other, make one blob, which both were given: neither stood in
    front, on top or apart (two white signs, "PAR" in front of "UP", the card's one true picture of "in front of"
    read wrong). The blob is now split by laying each thing's first part where it fits (``judge._split``): 40 such
    pairs read right 37 (31 before; 150 pairs: 138, 111 before, none lost); the card's PAR and UP in all four
    layouts (none before); put the other way round, refused."""
    from training.evaluate_v2 import CATEGORIES, category_scenes, layouts, noise_seed

    right = sum(judge(v2.render(s), s)["relation"] for s in _one_colour_pairs(40, 5))
    ci = CATEGORIES.index("in front of")
    signs = layouts(category_scenes("in front of", 24, 1000)[1], 4, noise_seed(1000, ci, 1, 4))
    assert [o.colour for o in signs[0].objects] == ["white", "white"]
    read = [judge(v2.render(t), t)["relation"] for t in signs]
    flipped = [judge(v2.render(hard_negative(t, "relation", np.random.default_rng(0))), t)["relation"] for t in signs]
    assert right >= 35 and read == [True] * 4 and flipped == [False] * 4, (right, read, flipped)


def test_a_bicycle_whose_wheels_are_lost_in_the_dark_reaches_as_far_as_its_frame_says():
    """A gray bicycle at night against a red house: its dark tyres on a dark floor are named tyre, skin and steel by
    turns, and only the front half of its frame was found, 10 columns from the house it leans on (2 of the card's 4
    layouts refused). Where its wheels are not found, it now reaches as far as a bicycle of its frame's height
    would (``_window``); put above the house, refused."""
    from training.evaluate_v2 import CATEGORIES, category_scenes, layouts, noise_seed

    ci = CATEGORIES.index("leaning against")
    scene = category_scenes("leaning against", 24, 1000)[2]
    assert (scene.objects[0].kind, scene.objects[0].colour, scene.time) == ("bicycle", "gray", "night")
    pictures = layouts(scene, 4, noise_seed(1000, ci, 2, 4))
    read = [judge(v2.render(t), t)["relation"] for t in pictures]
    above = [judge(v2.render(hard_negative(t, "relation", np.random.default_rng(0))), t)["relation"] for t in pictures]
    assert read == [True] * 4 and above == [False] * 4, (read, above)


def _pip(n: int, hair: str = "red"):
    """n pictures of Pip alone on six backdrops in the three lights of day, his hair painted ``hair``."""
    rng = np.random.default_rng(0)
    for i in range(n):
        scene = make_character(rng, "Pip", ["sky", "water", "sand", "grass", "wooden floor", "brick wall"][i % 6],
                                  ["left", "right", "above"][int(rng.integers(3))], "day")
        pip = scene.objects[0]
        painted = replace(pip, parts=tuple((p, hair if p == "hair" else c) for p, c in pip.parts))
        yield v2.render(replace(scene, objects=(painted,))), scene


def test_pip_s_red_hair_is_read_where_it_blends_into_his_face_and_the_backdrop():
    """Under his hat Pip's red hair is a rim thinner than a pixel: a blend of hair, face and backdrop that no paint
    names. It is read as such a blend, on both sides of his face (the judge before read 58 of these 60); hair of
    another character's colour, yellow or black, is not taken for it."""
    from world.v2.judge import Picture, read_character

    assert sum(read_character(Picture(img, scene), "Pip") for img, scene in _pip(60)) == 60
    for hair in ("yellow", "black"):
        assert not any(read_character(Picture(img, scene), "Pip") for img, scene in _pip(30, hair)), hair
    img, scene = next(_pip(1))
    img[:12] = v2.COLOURS["blue"]  # a blue shirt at the top edge, no room for a head (an early step's x̂0)
    img[12:] = v2.COLOURS["green"]
    assert not read_character(Picture(img, scene), "Pip")


def test_a_character_in_front_of_a_thing_of_their_shirt_s_colour_is_found_in_the_blob_they_make():
    """Bo's yellow shirt in front of a yellow tree makes one blob: the character is looked for in Bo's part of it
    (the judge before missed 3 of these 20), and another character in Bo's place is still not Bo."""
    right = refused = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        tree = v2.Obj("tree", "yellow", 30, 0, 0)
        scene = make_character(rng, "Bo", "sand", "left", "day", other=tree, relation="in front of")
        right += judge(v2.render(scene), scene)["character"]
        refused += not judge(v2.render(hard_negative(scene, "character", rng)), scene)["character"]
    assert (right, refused) == (20, 20)


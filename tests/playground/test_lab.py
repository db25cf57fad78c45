"""Pure logic of the Limits, Forward diffusion and Guidance tabs, on the tiny random pipelines.

The tiny models are random: only shapes, counts and ranges are asserted, never that scores are high.
"""
import struct
import zlib

import numpy as np
import pytest
import torch
from PIL import Image

import tiny_models
import world
from pipelines import PlaygroundInputError
from pipelines.denoising import seeded_noise
from playground import files, parsing, pictures, plots
from playground.lab import (counts, denoise, forward_process, guidance_strip, judging, metrics, presets,
                            runs)


def huge_png(path, side: int = 20000) -> None:
    """A valid, tiny-on-disk PNG that declares side x side 1-bit pixels (written row by row: little memory)."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    comp = zlib.compressobj(6)
    row = b"\x00" * (1 + (side + 7) // 8)
    idat = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


# --------------------------------------------------------------------------- presets

def test_every_limit_of_the_lesson_has_a_group_with_several_prompts():
    assert list(presets.GROUPS) == ["text", "counts", "small", "spatial", "identity", "complex", "control"]
    for group in presets.GROUPS.values():
        assert len(group.presets) >= 3, group.key
        assert group.look_for and group.why and group.published


@pytest.mark.parametrize("key", list(presets.PRESETS))
def test_presets_ask_for_what_the_judge_checks(key):
    preset = presets.PRESETS[key]
    if preset.prompt_override is None:
        assert preset.prompt == world.caption(preset.scene)
    else:  # negation: the world cannot say "no", so the prompt adds it to the stated caption's objects
        assert " no " in preset.prompt and preset.note
    judged = world.judge(world.render(preset.scene), preset.scene)
    assert set(preset.attributes) <= set(judged)
    assert all(judged[a] for a in preset.attributes)  # the world's own picture of the caption passes
    text = presets.explain(preset)
    assert preset.prompt in text and "Why denoising by learned patterns fails here" in text


def test_published_figures_name_their_source():
    assert "SD 1.5 **0.35**" in presets.GROUPS["counts"].published and "geneval" in presets.GROUPS["counts"].published
    assert "T2I-CompBench spatial: SD 1.5 **0.12**" in presets.GROUPS["spatial"].published
    complex_ = presets.GROUPS["complex"].published
    assert "colour binding" in complex_ and "SDXL **0.23**" in complex_
    assert "DrawBench" in presets.GROUPS["text"].published


def test_every_preset_quotes_how_often_the_bundled_model_failed():
    settings = presets.MEASURE
    for preset in presets.PRESETS.values():
        assert 0 <= preset.measured_wrong <= settings.n_seeds, preset.key
        text = presets.explain(preset)
        assert f"in **{preset.measured_wrong} of {settings.n_seeds} seeds** on the shapes-32 model" in text, preset.key
        assert (f"(seeds 0 to 31, 20 steps, DPM++ 2M, guidance 4; measured {settings.date})" in text
                and "Why denoising by learned patterns fails here" in text)
    # the presets show the limits where this model has them: its first counting and binding prompts fail often
    assert presets.GROUPS["counts"].presets[0].measured_wrong >= settings.n_seeds // 2
    assert presets.GROUPS["complex"].presets[0].measured_wrong >= settings.n_seeds // 2
    assert all(p.measured_wrong == settings.n_seeds for p in presets.GROUPS["text"].presets)


@pytest.mark.slow
@pytest.mark.parametrize("key", ["count-8-green-triangles", "binding-red-circle-blue-square"])
def test_a_measured_figure_is_what_the_bundled_model_does(key):
    """The figure in the preset's text, recomputed over the same 32 seeds and settings. On the machine that measured
    it (and with 1 or 2 threads) it comes out exactly; another CPU may round a few pixels otherwise and flip a
    borderline picture, so up to 2 seeds either way are allowed."""
    from pipelines import load_pipeline
    from pipelines.loading import BUNDLED_DIR

    if not (BUNDLED_DIR / "model_index.json").exists():
        pytest.skip("the bundled model is not in this checkout")
    pipe = load_pipeline("shapes-32")  # the shapes presets are measured on it
    preset = presets.PRESETS[key]
    wrong = runs.measure_preset(pipe, preset)
    assert abs(wrong - preset.measured_wrong) <= 2, (wrong, preset.measured_wrong)
    assert f"in **{preset.measured_wrong} of 32 seeds**" in presets.explain(preset)


def test_the_judge_reads_back_any_caption_the_world_writes():
    def stated(scene):
        return (scene.kind, scene.mention_background, scene.background if scene.mention_background else None,
                [(o.shape, o.colour) for o in scene.objects], scene.size, scene.position, scene.relation, scene.word)

    rng = np.random.default_rng(3)
    for _ in range(3000):
        scene = world.sample_scene(rng)
        assert stated(judging.read_caption(world.caption(scene))) == stated(scene)  # canonical words
        read = judging.read_caption(world.caption(scene, rng))  # varied words
        if scene.kind == "single" and read.kind == "count":  # "one red circle": a count of one, the same picture
            assert read.count == 1 and stated(read)[3] == stated(scene)[3]
        else:
            assert stated(read) == stated(scene)
    assert judging.read_caption("Three red circles on a blue background.").count == 3
    for other in ("a red bicycle leaning against a brick wall", "", None, "three red circle", "a sign that says \"QQQQ\"",
                  "a red circle on a plaid background"):
        assert judging.read_caption(other) is None, other


def test_a_prompt_is_read_in_the_words_of_the_model_s_world():
    import world.v2

    shapes, v2 = judging.read_caption("three red circles on a blue background"), judging.read_caption(
        "three red circles on a blue background", judging.V2)
    assert isinstance(shapes, world.Scene) and isinstance(v2, world.v2.Scene) and shapes.count == v2.count == 3
    assert judging.read_caption("a red car on grass", judging.V2).objects[0].kind == "car"
    assert judging.read_caption("a red car on grass") is None  # not the shapes world's words
    assert judging.read_caption("a red circle on a white background", None) is None  # a model of no world
    lesson = world.v2.lesson_scene()
    assert judging.read_caption(world.v2.caption(lesson), judging.V2) == lesson
    assert all(judging.judge(world.v2.render(lesson), lesson).values())  # v2's judge, by the scene's world


def test_the_example_pictures_are_per_world_named_by_their_captions():
    import world.v2

    shapes, v2 = forward_process.example_names(judging.SHAPES), forward_process.example_names(judging.V2)
    assert shapes == forward_process.example_names() == forward_process.example_names(None) == list(
        forward_process.EXAMPLES)
    assert v2[0] == world.v2.caption(world.v2.lesson_scene()) and not set(shapes) & set(v2)
    for name in shapes + v2:
        scene, image = forward_process.example_scene(name), forward_process.example_image(name)
        own = world.v2 if forward_process.example_world(name) == judging.V2 else world
        assert isinstance(scene, own.Scene) and own.caption(scene) == name
        assert image.size == ((64, 64) if own is world.v2 else (32, 32))
        assert all(judging.judge(image, scene).values()), name  # the judge reads the true picture right
    assert {forward_process.example_scene(n).kind for n in v2} >= {"lean", "object", "hand", "sign"}
    assert forward_process.example_scene("a photo of a dog") is None
    with pytest.raises(PlaygroundInputError, match="Unknown example"):
        forward_process.example_image("a photo of a dog")


def test_captions_name_the_limit_and_only_what_else_went_wrong():
    attributes = ("count", "colour", "shape")
    assert judging.ticks_short({"count": True, "colour": True, "shape": True}, attributes) == "✓ count"
    assert judging.ticks_short({"count": False, "colour": True, "shape": True}, attributes) == "✗ count"
    assert judging.ticks_short({"count": True, "colour": False, "shape": False}, attributes) == "✓ count · ✗ colour, shape"
    assert judging.score({"a": True, "b": False, "c": True, "d": True}) == 0.75


def test_only_the_bundled_model_has_a_judge():
    assert judging.has_judge("bundled")
    assert not judging.has_judge("tiny") and not judging.has_judge(None) and not judging.has_judge("sd-1-5")


# --------------------------------------------------------------------------- running over seeds

def test_run_over_seeds_scores_every_attribute_within_range(latent_pipe):
    preset = presets.PRESETS["count-3-red-circles"]
    run = runs.run_over_seeds(latent_pipe, preset, n_seeds=10, first_seed=3, steps=2, sampler="Euler", guidance=4.0)
    assert run.n == 10 and run.seeds == list(range(3, 13))
    assert all(im.size == (16, 16) for im in run.images)
    assert set(run.scores) == set(preset.attributes)
    assert all(0 <= k <= 10 for k in run.scores.values())
    assert run.score_lines()[0].startswith("correct count in ") and run.score_lines()[0].endswith(" of 10")
    single = latent_pipe("three red circles on a blue background", "", "Euler", 2, 4.0, 11).images[0]
    assert np.array_equal(np.asarray(single), np.asarray(run.images[8]))  # batching keeps seed -> picture
    for (_, caption), judged, seed in zip(run.items(), run.judged, run.seeds):
        assert caption == f"seed {seed} · " + judging.ticks_short(judged, preset.attributes)
    assert run.wrong_seeds("count") == [s for s, j in zip(run.seeds, run.judged) if not j["count"]]
    assert len(run.verdicts()) == 10 and run.verdicts()[0].startswith("seed 3: ")


def test_without_a_judge_there_are_no_scores(pixel_pipe):
    run = runs.run_over_seeds(pixel_pipe, presets.PRESETS["text-hi"], n_seeds=2, steps=1, sampler="DDIM",
                                judge=False)
    assert run.n == 2 and run.judged is None and run.scores is None and run.score_lines() == []


@pytest.mark.parametrize("n", [0, 65, 1.5, "many", None, True])
def test_seed_count_bounds_say_what_is_allowed(latent_pipe, n):
    with pytest.raises(PlaygroundInputError, match="1 to 64 seeds"):
        runs.run_over_seeds(latent_pipe, presets.PRESETS["control-blue-square"], n_seeds=n, steps=1)


def test_first_seed_bounds():
    assert runs.check_first_seed(2**32 - 16, 16) == 2**32 - 16
    for bad in (-1, 2**32 - 15, 0.5):
        with pytest.raises(PlaygroundInputError, match="First seed"):
            runs.check_first_seed(bad, 16)


def test_identity_spread_measures_distance_and_agreement():
    black, white = Image.new("RGB", (4, 4)), Image.new("RGB", (4, 4), (255, 255, 255))
    assert metrics.identity_spread([black, black, black]).mean_rmse == 0
    s = metrics.identity_spread([black, white, black], judged=[{"count": True}, {"count": False}, {"count": True}],
                               attributes=("count",))
    assert s.max_rmse == pytest.approx(255) and s.min_rmse == 0 and s.mean_rmse == pytest.approx(170)
    assert s.agree == 2 and s.all_right == 2 and "✓ count" in s.common_outcome
    assert "2 of 3 seeds" in s.markdown()
    assert "at least two" in metrics.identity_spread([black]).markdown()


def test_count_sweep_counts_each_number(latent_pipe):
    sweep = counts.count_sweep(latent_pipe, "square", "blue", "yellow", n_seeds=2, steps=1, sampler="Euler",
                               counts=(1, 2, 9))
    assert sorted(sweep.correct) == [1, 2, 9]
    assert all(0 <= k <= 2 for k in sweep.correct.values())
    assert all(len(v) == 2 and all(x >= 0 for x in v) for v in sweep.detected.values())
    assert "| 9 | " in sweep.markdown()
    assert plots.count_plot(sweep) is not None
    assert counts.detected_count(world.render(counts.count_scene(4, "circle", "red", "blue")), "red") == 4
    with pytest.raises(PlaygroundInputError, match="1 to 9"):
        counts.count_sweep(latent_pipe, counts=(10,), n_seeds=1, steps=1)
    blind = counts.count_sweep(latent_pipe, n_seeds=4, steps=1, sampler="Euler", counts=(1, 2), judge=False)
    assert sorted(blind.examples) == [1, 2] and blind.correct == {} and blind.detected == {}


# --------------------------------------------------------------------------- forward diffusion

def test_add_noise_keeps_the_image_at_t0_and_drowns_it_at_t999(pixel_pipe):
    example = forward_process.example_image(forward_process.example_names()[0])
    x0 = pixel_pipe.encode_images(pictures.fit_to_size(example, (8, 8)))
    noise = seeded_noise(x0, 5)
    early, late = forward_process.add_noise(pixel_pipe, x0, 0, 5), forward_process.add_noise(pixel_pipe, x0, 999, 5)
    assert (early - x0).abs().max() < 0.05
    assert torch.corrcoef(torch.stack([late.flatten(), noise.flatten()]))[0, 1] > 0.99
    assert torch.equal(forward_process.add_noise(pixel_pipe, x0, 500, 5),
                       forward_process.add_noise(pixel_pipe, x0, 500, 5))
    assert (forward_process.noise_level(pixel_pipe, 999).alpha_bar < 1e-3
            < forward_process.noise_level(pixel_pipe, 0).alpha_bar)


def test_forward_view_and_strip_on_a_latent_model(latent_pipe):
    image = forward_process.example_image(forward_process.example_names()[1])
    view = forward_process.forward_view(latent_pipe, image, 400, 1)
    assert view.latent and view.decoded.size == view.preview.size == view.original.size == (16, 16)
    assert "t = 400" in view.level.describe()
    strip = forward_process.forward_strip(latent_pipe, image, [0, 250, 999], 1)
    assert [c.split(" ·")[0] for _, c in strip] == ["t=0", "t=250", "t=999"]


@pytest.mark.parametrize("text, message", [
    (",".join(str(i) for i in range(13)), "At most 12"),
    ("0, 1000", "from 0 to 999"),
    ("abc", "whole numbers"),
    ("", "at least one"),
])
def test_strip_bounds(pixel_pipe, text, message):
    with pytest.raises(PlaygroundInputError, match=message):
        forward_process.parse_timesteps(text, pixel_pipe)


def test_figures_drawn_on_several_threads_at_once_all_draw(latent_pipe):
    """Gradio draws the figures of events running at once on threads of its own. matplotlib labelled a log axis with
    mathtext, whose parser is not thread-safe: the noise schedule came up empty under an error ("ParseException:
    Expected end of text"), and 310 of 320 such figures drawn 8 at a time failed. Log axes are labelled in plain
    text now."""
    import io
    from concurrent.futures import ThreadPoolExecutor

    def draw(t):
        fig = plots.schedule_plot(latent_pipe, t)
        png = io.BytesIO()
        fig.savefig(png, format="png")
        return png.tell(), [[label.get_text() for label in ax.get_yticklabels()] for ax in fig.axes[1:]]

    with ThreadPoolExecutor(8) as pool:
        drawn = list(pool.map(draw, range(0, 1000, 40)))
    assert all(size > 10_000 for size, _ in drawn)
    for labels in drawn[0][1]:  # the two log axes: signal-to-noise ratio and σ
        assert any(labels) and not any("$" in label for label in labels), labels


def test_schedule_plot_and_t_bounds(latent_pipe):
    assert plots.schedule_plot(latent_pipe, 300) is not None
    s = forward_process.schedule_arrays(latent_pipe)
    assert len(s["t"]) == 1000 and np.all(np.diff(s["alpha_bar"]) < 0) and np.all(np.diff(s["snr"]) < 0)
    for bad in (-1, 1000, 2.5, "x"):
        with pytest.raises(PlaygroundInputError, match="t must be a whole number from 0 to 999"):
            forward_process.forward_view(latent_pipe, Image.new("RGB", (16, 16)), bad)


def test_uploads_are_checked_before_decoding(tmp_path, monkeypatch):
    huge = tmp_path / "huge.png"
    huge_png(huge)
    assert huge.stat().st_size < 1_000_000
    with pytest.raises(PlaygroundInputError, match="too large"):
        files.load_upload(huge, (16, 16))
    big = tmp_path / "big.png"
    Image.new("1", (5000, 4000)).save(big)  # under PIL's bomb limit, over ours
    with pytest.raises(PlaygroundInputError, match="5000 × 4000 pixels"):
        files.load_upload(big, (16, 16))
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    with pytest.raises(PlaygroundInputError, match="not an image"):
        files.load_upload(text, (16, 16))
    ok = tmp_path / "ok.png"
    Image.new("RGBA", (40, 20), (255, 0, 0, 0)).save(ok)
    im = files.load_upload(ok, (16, 16))
    assert im.mode == "RGB" and im.size == (16, 16) and im.getpixel((8, 8)) == (255, 255, 255)  # alpha on white
    monkeypatch.setattr(files, "MAX_UPLOAD_BYTES", 10)
    with pytest.raises(PlaygroundInputError, match="upload at most"):
        files.load_upload(ok, (16, 16))


def _noise_oracle(pipe, monkeypatch, x0, seed):
    """Make the model predict exactly the noise denoise_from starts with (epsilon prediction, no UNet call)."""
    noise = seeded_noise(x0, seed)

    def oracle(model_input, timestep, embeds, guidance_scale, force_both=False, **options):
        n = noise.expand(model_input.shape[0], -1, -1, -1)
        return n, n, None

    monkeypatch.setattr(pipe, "guided_prediction", oracle)


@pytest.mark.parametrize("sampler", ["Euler", "Heun", "DPM2 Karras", "LMS", "DPM++ 2M", "DPM++ 2M Karras", "DDIM",
                                     "UniPC"])
def test_denoise_from_starts_on_the_schedule(latent_pipe, monkeypatch, sampler):
    """With a model that knows the noise, every deterministic sampler, started part-way, lands on the image."""
    image = pictures.fit_to_size(forward_process.example_image(forward_process.example_names()[0]), (16, 16))
    x0 = latent_pipe.encode_images(image)
    reference = latent_pipe.decode(x0)[0]
    _noise_oracle(latent_pipe, monkeypatch, x0, 5)
    for t in (999, 600, 150):
        result = denoise.denoise_from(latent_pipe, image, t, "a red circle", "", sampler, 10, 4.0, 5)
        assert 0 < result.steps_run <= 10 and result.start_timestep <= t
        assert metrics.rmse(result.final, reference) < 1.0, (sampler, t)


def test_denoise_from_starts_plms_with_its_double_first_step(latent_pipe, monkeypatch):
    image = pictures.fit_to_size(forward_process.example_image(forward_process.example_names()[0]), (16, 16))
    _noise_oracle(latent_pipe, monkeypatch, latent_pipe.encode_images(image), 5)
    full = denoise.denoise_from(latent_pipe, image, 999, "x", "", "PNDM", 10, 4.0, 5)
    part = denoise.denoise_from(latent_pipe, image, 600, "x", "", "PNDM", 10, 4.0, 5)
    assert part.nfe == part.steps_run + 1  # PLMS spends two model calls on its first step
    assert metrics.rmse(full.final, part.final) < 1.0


@pytest.mark.parametrize("sampler", ["Heun", "DPM2"])
def test_denoise_from_pure_noise_takes_step_0_in_first_order(pixel_pipe, monkeypatch, sampler):
    """From t = 999 of a zero-terminal-SNR schedule (sigma 4096) Heun and DPM2 start with one Euler call, as a
    generation does, and a model that knows the noise still lands on the image."""
    pipe = tiny_models.on_zero_terminal_snr(pixel_pipe, "epsilon")
    image = pictures.fit_to_size(forward_process.example_image(forward_process.example_names()[0]), pipe.default_size)
    x0 = pipe.encode_images(image)
    _noise_oracle(pipe, monkeypatch, x0, 5)
    result = denoise.denoise_from(pipe, image, 999, "a red circle", "", sampler, 6, 4.0, 5)
    assert result.steps_run == 6 and result.nfe == 2 * 6 - 2 and result.start_timestep == 999
    assert metrics.rmse(result.final, pipe.decode(x0)[0]) < 1.0, sampler
    part = denoise.denoise_from(pipe, image, 600, "a red circle", "", sampler, 6, 4.0, 5)
    assert part.nfe == 2 * part.steps_run - 1  # started part-way: the sampler's own steps


def test_denoise_from_runs_the_tail_of_the_schedule(latent_pipe):
    image = forward_process.example_image(forward_process.example_names()[2])
    result = denoise.denoise_from(latent_pipe, image, 500, "a red circle", "", "Euler a", 6, 4.0, 2)
    assert 0 < result.steps_run == len(result.steps) < 6 and result.total_steps == 6
    assert result.start_timestep <= 500
    assert result.final.size == (16, 16) and result.rmse >= 0 and f"{result.steps_run} of 6 steps" in result.summary()
    nothing = denoise.denoise_from(latent_pipe, image, 5, "a red circle", "", "DPM++ 2M", 6, 4.0, 2)
    assert nothing.start_timestep is None and nothing.steps_run == 0 and "nothing left" in nothing.summary()
    with pytest.raises(PlaygroundInputError, match="Steps"):
        denoise.denoise_from(latent_pipe, image, 500, "x", "", "Euler", 0, 4.0, 2)



def test_denoise_from_yields_snapshots_a_reader_on_another_thread_can_keep(latent_pipe):
    """Each step's result is its own copy: the run going on does not change what was handed out."""
    image = forward_process.example_image(forward_process.example_names()[0])
    results = list(denoise.iter_denoise_from(latent_pipe, image, 999, "a red circle", "", "Euler", 5, 4.0, 3))
    assert [r.steps_run for r in results] == [1, 2, 3, 4, 5, 5]
    assert [len(r.steps) for r in results] == [1, 2, 3, 4, 5, 5]
    assert [r.finished for r in results] == [False] * 5 + [True]
    assert all(r.last_x0 is not None and r.last_x0.shape == (1, 4, 8, 8) for r in results)


def test_a_stopped_denoise_shows_its_last_guess(latent_pipe):
    image = forward_process.example_image(forward_process.example_names()[0])
    run = denoise.iter_denoise_from(latent_pipe, image, 999, "a red circle", "", "Euler", 6, 4.0, 3)
    partial = [next(run), next(run)][-1]
    run.close()
    stopped = denoise.stopped_result(latent_pipe, partial)
    assert stopped.stopped and not stopped.finished and stopped.steps_run == 2 and len(stopped.steps) == 2
    assert stopped.final.size == (16, 16)
    assert np.array_equal(np.asarray(stopped.final), np.asarray(latent_pipe.decode(partial.last_x0)[0]))
    assert stopped.rmse == metrics.rmse(stopped.final, stopped.original)
    assert "ran **2 of 6 steps**" in stopped.summary() and "x̂0 after step 2" in stopped.summary()
    assert partial.final is partial.original and not partial.stopped  # the snapshot itself is left as it was


# --------------------------------------------------------------------------- guidance and seeds

def test_guidance_strip_length_and_captions(latent_pipe):
    strip = guidance_strip.guidance_strip(latent_pipe, "a red circle", "", 3, "0, 1, 12", "Euler", 2)
    captions = [c for _, c in strip.items()]
    assert captions == ["guidance 0 · ignores the prompt", "guidance 1 · plain prompt", "guidance 12 · exaggerated"]
    assert strip.score_seeds == 1 and strip.best() is None and "judge" not in strip.table()
    assert "| 12 | exaggerated | " in strip.table()
    assert parsing.parse_scales("0 0.5 1 2 4 8 16 30") == list(guidance_strip.DEFAULT_SCALES)
    assert {0.0, 1.0} <= set(guidance_strip.DEFAULT_SCALES)


def test_guidance_strip_scores_each_scale_over_seeds(latent_pipe):
    scene = judging.read_caption("a red circle on a white background")
    strip = guidance_strip.guidance_strip(latent_pipe, "a red circle on a white background", "", 5, "0, 4", "Euler",
                                          1, scene=scene, score_seeds=3)
    assert strip.scales == [0.0, 4.0] and strip.score_seeds == 3 and strip.seed == 5
    for point in strip.points:
        assert point.seeds == (5, 6, 7) and len(point.judged) == 3
        assert point.score == pytest.approx(np.mean([judging.score(j) for j in point.judged]))
        assert 0 <= point.all_right <= point.score <= 1
    alone = latent_pipe("a red circle on a white background", "", "Euler", 1, 4.0, 5).images[0]
    assert np.array_equal(np.asarray(alone), np.asarray(strip.images[1]))  # the strip's picture is the first seed's
    assert "| judge's score | all right |" in strip.table() and strip.best() in strip.points
    assert plots.guidance_score_plot(strip) is not None
    with pytest.raises(PlaygroundInputError, match="Seeds for the score"):
        guidance_strip.guidance_strip(latent_pipe, "x", "", 0, "1", "Euler", 1, scene=scene, score_seeds=33)
    with pytest.raises(PlaygroundInputError, match="Seed must be a whole number"):
        guidance_strip.guidance_strip(latent_pipe, "x", "", -1, "1", "Euler", 1)


@pytest.mark.parametrize("text, message", [
    ("0,1,2,3,4,5,6,7,8", "At most 8"), ("31", "from 0 to 30"), ("-1", "from 0 to 30"), ("x", "numbers"),
    ("nan", "numbers"), ("", "at least one"),
])
def test_guidance_bounds(text, message):
    with pytest.raises(PlaygroundInputError, match=message):
        parsing.parse_scales(text)


def test_seed_grid(pixel_pipe):
    grid = runs.seed_grid(pixel_pipe, "a red circle", "", 3, 9, "Euler", 1, 4.0)
    assert grid.seeds == [9, 10, 11] and [c for _, c in grid.items()] == ["seed 9", "seed 10", "seed 11"]
    assert "Spread over 3 seeds" in grid.spread_markdown()
    with pytest.raises(PlaygroundInputError, match="1 to 64 seeds"):
        runs.seed_grid(pixel_pipe, "x", "", 65)

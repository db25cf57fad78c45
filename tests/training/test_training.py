"""Training on a tiny config: the loss falls, and --resume continues exactly the same run."""
import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import world
from training import models, train
from training.data import count_pairs, fade_twins, share_within_pairs, to_tensor, with_count_twins
from training.losses import TextKeepsWords, loss_weights, reconstruction_loss, sample_timesteps
from training.stages import decoder_stages, load_or_build_tokenizer


def run(tmp, *args):
    return train.main(["--tiny", "--batch", "8", "--out", str(tmp), "--threads", "1", "--checkpoint-minutes", "100", *args])


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    losses = run(out, "--phase", "vae", "--steps", "120", "--lr-vae", "1e-3")
    return out, losses


def test_autoencoder_loss_falls(vae_run):
    _, losses = vae_run
    assert len(losses) == 120
    assert np.mean(losses[-15:]) < 0.85 * np.mean(losses[:15])


@pytest.mark.slow
def test_unet_loss_falls(vae_run, tmp_path):
    out, _ = vae_run
    losses = run(out, "--phase", "unet", "--steps", "60", "--lr", "3e-3")
    assert len(losses) == 60
    assert np.mean(losses[-10:]) < 0.8 * np.mean(losses[:10])


@pytest.mark.slow
def test_resume_continues_the_same_run(vae_run, tmp_path):
    out, _ = vae_run
    import shutil

    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        shutil.copytree(out / "vae", d / "vae")
    straight = run(a, "--phase", "unet", "--steps", "12")
    first = run(b, "--phase", "unet", "--steps", "12", "--stop-after", "5")
    assert len(first) == 5
    second = run(b, "--phase", "unet", "--steps", "12", "--resume")
    assert len(second) == 7
    assert np.allclose(straight, first + second, rtol=1e-5, atol=1e-6)
    wa = load_file(a / "unet" / "final" / "unet" / "diffusion_pytorch_model.safetensors")
    wb = load_file(b / "unet" / "final" / "unet" / "diffusion_pytorch_model.safetensors")
    assert wa.keys() == wb.keys()
    assert all(torch.allclose(wa[k], wb[k], atol=1e-6) for k in wa)


def test_decoder_phase_keeps_the_encoder_and_lowers_the_loss(vae_run):
    """Sharpening the decoder must not move the latents the UNet was trained on."""
    out, _ = vae_run
    losses = run(out, "--phase", "decoder", "--steps", "60", "--lr-vae", "2e-3")
    assert len(losses) == 60
    # The same held-out pictures, through the encoder (mean latent) and each decoder.
    from diffusers import AutoencoderKL

    import world

    x = to_tensor(world.sample_batch(424242, 64)[0])
    with torch.no_grad():
        errors = [reconstruction_loss(vae.decode(vae.encode(x).latent_dist.mean).sample, x).item()
                  for vae in (AutoencoderKL.from_pretrained(out / d / "final") for d in ("vae", "decoder"))]
    assert errors[1] < errors[0], errors
    before = load_file(out / "vae" / "final" / "diffusion_pytorch_model.safetensors")
    after = load_file(out / "decoder" / "final" / "diffusion_pytorch_model.safetensors")
    assert before.keys() == after.keys()
    frozen = [k for k in before if k.startswith(("encoder.", "quant_conv."))]
    tuned = [k for k in before if k.startswith(("decoder.", "post_quant_conv."))]
    assert frozen and tuned and len(frozen) + len(tuned) == len(before)
    assert all(torch.equal(before[k], after[k]) for k in frozen)
    assert sum(not torch.equal(before[k], after[k]) for k in tuned) > len(tuned) // 2

    # a second stage continues the first (not the vae) and, like the first, leaves the encoder alone
    assert decoder_stages(out) == [out / "decoder"]
    run(out, "--phase", "decoder", "--name", "decoder2", "--steps", "30", "--lr-vae", "1e-3")
    assert decoder_stages(out) == [out / "decoder", out / "decoder2"]
    log = (out / "decoder2" / "log.csv").read_text().splitlines()
    first_psnr = float(log[1].split(",")[log[0].split(",").index("psnr")])
    decoder_log = (out / "decoder" / "log.csv").read_text().splitlines()
    assert first_psnr > float(decoder_log[1].split(",")[decoder_log[0].split(",").index("psnr")])  # same pictures
    again = load_file(out / "decoder2" / "final" / "diffusion_pytorch_model.safetensors")
    assert all(torch.equal(before[k], again[k]) for k in frozen)
    with pytest.raises(SystemExit, match="--name must be decoder, decoder2"):
        run(out, "--phase", "decoder", "--name", "tune2")


def test_loss_weights_uniform_keeps_the_noisiest_steps():
    """min-SNR-5 on v all but drops the noisiest steps (where layout is decided); 'uniform' keeps them."""
    from training.models import ModelConfig, make_scheduler

    scheduler, t = make_scheduler(ModelConfig()), torch.tensor([0, 500, 999])
    min_snr = loss_weights(scheduler, t, "min-snr", "v_prediction")
    assert min_snr[2] < 0.01 and 0.2 < min_snr[1] < 0.9  # t=999: SNR 0.005
    assert torch.equal(loss_weights(scheduler, t, "uniform", "v_prediction"), torch.ones(3))
    assert train.parse_args(["--phase", "unet", "--loss-weight", "uniform"]).loss_weight == "uniform"


def test_lognormal_timesteps_put_half_the_batch_at_low_noise():
    """--timesteps lognormal (EDM's ln sigma ~ N(-1.2, 1.2^2)) draws about half the timesteps below 90, where a
    square's corners are decided; uniform draws 9 % there. Both stay on the schedule and repeat with the seed."""
    from training.models import ModelConfig, make_scheduler

    alpha_bar = make_scheduler(ModelConfig()).alphas_cumprod
    draw = lambda kind, seed: sample_timesteps(kind, alpha_bar, 20000, torch.Generator().manual_seed(seed))
    lognormal, uniform = draw("lognormal", 0), draw("uniform", 0)
    assert 0.45 < (lognormal < 90).float().mean() < 0.6 and 0.07 < (uniform < 90).float().mean() < 0.11
    assert 0.03 < (lognormal > 500).float().mean() < 0.12  # the noisiest steps (layout) are still visited
    assert lognormal.min() >= 0 and lognormal.max() <= 999 and lognormal.dtype == torch.int64
    assert torch.equal(draw("lognormal", 3), draw("lognormal", 3)) and not torch.equal(draw("lognormal", 3), lognormal)
    assert train.parse_args(["--phase", "tune", "--timesteps", "lognormal"]).timesteps == "lognormal"


def test_t_min_trains_only_the_noisy_steps():
    """--t-min T draws uniform timesteps from T to 999 only (a tune of the steps that decide the layout and the
    count); it is refused with log-normal timesteps and outside the unet and tune phases."""
    from training.models import ModelConfig, make_scheduler

    alpha_bar = make_scheduler(ModelConfig()).alphas_cumprod
    t = sample_timesteps("uniform", alpha_bar, 20000, torch.Generator().manual_seed(0), t_min=500)
    assert t.min() == 500 and t.max() == 999 and abs(t.float().mean().item() - 749.5) < 5
    with pytest.raises(ValueError, match="uniform timesteps only"):
        sample_timesteps("lognormal", alpha_bar, 4, torch.Generator().manual_seed(0), t_min=500)
    assert train.parse_args(["--phase", "tune", "--t-min", "500"]).t_min == 500
    for bad in (["--phase", "vae", "--t-min", "500"], ["--phase", "tune", "--t-min", "1000"],
                ["--phase", "tune", "--t-min", "500", "--timesteps", "lognormal"]):
        with pytest.raises(SystemExit, match="--t-min is for the unet and tune phases"):
            train.main(bad)


def test_count_pairs_put_twins_in_the_batch_noised_alike():
    """--count-pairs: the last rows of a batch are twin count scenes (N, N + 1 objects) with one noise and timestep."""
    images, captions, _ = world.sample_batch(7, 8)
    pairs = count_pairs(0.5, 8)
    assert pairs == 2 and count_pairs(0.0, 64) == 0
    with pytest.raises(ValueError, match="share of the batch"):
        count_pairs(1.5, 8)
    got, got_captions = with_count_twins(images, captions, pairs, seed=7)
    assert (got[:4] == images[:4]).all() and got_captions[:4] == captions[:4]
    for i in (4, 6):
        fewer = (got[i] != got[i + 1]).any(-1)  # where the twin with one more object differs
        assert 9 <= fewer.sum() <= 60  # one object of radius 3, nothing else
        n, m = (int(w) if w.isdigit() else world.NUMBER_WORDS.index(w) for w in
                (got_captions[i].split()[0], got_captions[i + 1].split()[0]))
        assert m == n + 1
    noise = share_within_pairs(torch.randn(8, 4, 2, 2), pairs)
    t = share_within_pairs(torch.arange(8), pairs)
    assert t.tolist() == [0, 1, 2, 3, 4, 4, 6, 6]
    assert torch.equal(noise[4], noise[5]) and torch.equal(noise[6], noise[7]) and not torch.equal(noise[3], noise[4])


def test_count_fade_puts_part_of_each_twins_difference_into_its_noisy_input():
    """--count-fade: the N twin's noisy input holds a faint extra object, the N + 1 twin's a faded one, and the
    v-target still points each at its own clean latent; rows outside the pairs are untouched."""
    from diffusers import DDPMScheduler

    sched = DDPMScheduler(num_train_timesteps=1000, prediction_type="v_prediction", rescale_betas_zero_snr=True)
    alpha_bar = sched.alphas_cumprod
    z, noise = torch.randn(6, 4, 2, 2), torch.randn(6, 4, 2, 2)
    t = torch.tensor([5, 900, 300, 300, 700, 700])
    faded = fade_twins(z, noise, alpha_bar[t], 2, 0.5, torch.Generator().manual_seed(0))
    assert torch.equal(faded[:2], noise[:2])
    a = alpha_bar[t].view(-1, 1, 1, 1)
    seen = (sched.add_noise(z, faded, t) - (1 - a).sqrt() * noise) / a.sqrt()  # the clean part of the noisy input
    for n, more in ((2, 3), (4, 5)):
        diff = z[more] - z[n]
        share_n = ((seen[n] - z[n]) / diff).flatten()  # the N twin: + a share of the extra object
        share_more = ((seen[more] - z[more]) / diff).flatten()  # the N + 1 twin: - a share of it
        assert torch.allclose(share_n, share_n[0], atol=1e-3) and 0 < share_n[0] <= 0.5
        assert torch.allclose(share_more, share_more[0], atol=1e-3) and -0.5 <= share_more[0] < 0
    x0 = a.sqrt() * sched.add_noise(z, faded, t) - (1 - a).sqrt() * sched.get_velocity(z, faded, t)
    assert torch.allclose(x0, z, atol=1e-4)  # the target is each twin's own picture
    assert fade_twins(z, noise, alpha_bar[t], 2, 0.0, torch.Generator()) is noise
    with pytest.raises(SystemExit, match="needs --count-pairs"):
        train.main(["--phase", "tune", "--count-fade", "0.5"])
    with pytest.raises(SystemExit, match="0 to 1"):
        train.main(["--phase", "tune", "--count-pairs", "0.5", "--count-fade", "2"])

def test_model_card_names_a_tune_of_the_noisy_steps(tmp_path):
    """A tune stage run with --t-min: its args.json carries it into training.json and the card's line names it."""
    import json

    from training.model_card import phase_summaries, tune_line

    run_dir, model = tmp_path / "run", tmp_path / "model"
    (run_dir / "tune2" / "final" / "unet").mkdir(parents=True)
    (run_dir / "tune2" / "final" / "unet" / "config.json").write_text("{}")  # a finished stage
    model.mkdir()
    (run_dir / "tune2" / "log.csv").write_text("step,loss,minutes\n0,0.3,0.0\n599,0.2,5.3\n")
    (run_dir / "tune2" / "args.json").write_text(json.dumps(
        {"steps": 600, "lr": 3e-4, "loss_weight": "uniform", "timesteps": "uniform", "t_min": 500, "init": "tune",
         "batch": 32, "mix": None, "text_aux": 0.0, "count_pairs": 0.25, "count_fade": 0.5}))
    got = phase_summaries(run_dir, model)["tune2"]
    assert (got["t_min"], got["steps"], got["init"], got["count_pairs"]) == (500, 600, "tune", 0.25)
    line = tune_line("tune2", got, 32, {"uniform": "the plain v-loss"})
    assert "only timesteps 500 to 999 (`--t-min 500`" in line and "stage tune's EMA weights" in line
    assert "25% of each batch in twin count scenes noised alike (`--count-pairs 0.25`" in line
    assert "up to 50% of the other's extra object (`--count-fade 0.5`" in line
    assert "--t-min" not in tune_line("tune", {"steps": 1, "minutes": 1, "last_loss": 1}, 32, {})


def test_model_card_says_which_phases_ran_on_a_gpu(tmp_path):
    """A phase trained on a GPU (its args.json names it) is named so on the card; CPU phases keep the CPU line."""
    import json

    from training.model_card import hardware_line, phase_summaries

    run_dir, model = tmp_path / "run", tmp_path / "model"
    model.mkdir()
    for phase, device, minutes in (("vae", "cpu", 21.0), ("unet", "NVIDIA H200", 6.5)):
        (run_dir / phase).mkdir(parents=True)
        (run_dir / phase / "log.csv").write_text(f"step,loss,minutes\n0,1.0,0.0\n99,0.5,{minutes}\n")
        (run_dir / phase / "args.json").write_text(json.dumps({"steps": 100, "batch": 256, "device": device}))
    logs = phase_summaries(run_dir, model)
    assert logs["unet"]["device"] == "NVIDIA H200" and "device" not in logs["vae"]
    line = hardware_line(logs)
    assert "for autoencoder: 0.35 hours" in line and "one NVIDIA H200 GPU for text encoder + UNet: 6.5 minutes" in line
    assert "no GPU" in hardware_line({"vae": logs["vae"]}) and "0.35 CPU-hours" in hardware_line({"vae": logs["vae"]})


def test_model_card_limits_name_the_categories_the_model_gets_wrong():
    """The card's Limits paragraph lists the measured weak categories, not a fixed list."""
    from training.model_card import limits_words

    results = {"single: colour": {"model": 1.0, "autoencoder": 1.0}, "count 2": {"model": 0.5, "autoencoder": 0.99},
               "relations": {"model": 0.97, "autoencoder": 0.98}, "colour binding": {"model": 0.56, "autoencoder": 1.0},
               "position": {"model": 0.85, "autoencoder": 1.0}, "_meta": {"images": 8}}
    words = limits_words(results)
    assert words.startswith("Below 0.8 here (the autoencoder's ceiling on them: 0.99 or more): count 2 0.50, colour "
                            "binding 0.56; 0.9 or more: single: colour, relations.")
    assert "position" not in words and "relations" not in words.split(";")[0]
    assert limits_words({"position": {"model": 0.9}}) == "Every category scores 0.8 or more here."


def test_model_card_keeps_summaries_of_phases_trained_elsewhere(tmp_path):
    """A phase whose log is not in the run folder keeps the summary the model folder already holds."""
    import json

    from training.model_card import decoder_line, phase_summaries

    run_dir, model = tmp_path / "run", tmp_path / "model"
    (run_dir / "unet").mkdir(parents=True)
    model.mkdir()
    (model / "training.json").write_text(json.dumps({"vae": {"steps": 1476, "minutes": 20.9},
                                                     "unet": {"steps": 10, "minutes": 1.0}}))
    (run_dir / "unet" / "log.csv").write_text("step,loss,minutes\n0,1.0,0.5\n99,0.5,30.0\n0,0.5,0.1\n49,0.4,10.0\n")
    got = phase_summaries(run_dir, model)
    assert got["vae"] == {"steps": 1476, "minutes": 20.9}
    assert got["unet"] == {"steps": 50, "minutes": 40.0, "last_loss": 0.4}  # a resumed log adds its stretches
    assert "decoder" not in got
    assert json.loads((model / "training.json").read_text()) == got

    # a decoder stage trained here joins the one the model folder remembers; both count on the card
    (model / "training.json").write_text(json.dumps({**got, "decoder": {"steps": 1276, "minutes": 13.9}}))
    (run_dir / "decoder2" / "final").mkdir(parents=True)
    (run_dir / "decoder2" / "final" / "config.json").write_text("{}")
    (run_dir / "decoder2" / "log.csv").write_text("step,loss,psnr,minutes\n0,0.1,30.5,0.0\n1299,0.05,31.5,8.4\n")
    got = phase_summaries(run_dir, model)
    assert list(got) == ["vae", "decoder", "decoder2", "unet"]
    assert got["decoder2"] == {"steps": 1300, "minutes": 8.4, "last_loss": 0.05, "first_psnr": 30.5, "last_psnr": 31.5}
    assert "--phase decoder --name decoder2" in decoder_line("decoder2", got["decoder2"], 32)
    assert "encoder frozen" in decoder_line("decoder", got["decoder"], 32)


@pytest.mark.slow
def test_tune_continues_from_the_unet_and_export_ships_it(vae_run, tmp_path):
    """--phase tune starts from <out>/unet/final (not from scratch), records its weighting, and export prefers it."""
    import json
    import shutil

    out, _ = vae_run
    shutil.copytree(out / "vae", tmp_path / "vae")
    run(tmp_path, "--phase", "unet", "--steps", "6")
    unet_w = tmp_path / "unet" / "final" / "unet" / "diffusion_pytorch_model.safetensors"
    tune_w = tmp_path / "tune" / "final" / "unet" / "diffusion_pytorch_model.safetensors"
    run(tmp_path, "--phase", "tune", "--steps", "3", "--lr", "0", "--loss-weight", "min-snr")
    start, still = load_file(unet_w), load_file(tune_w)  # lr 0: the EMA of unchanged weights is those weights
    assert start.keys() == still.keys() and all(torch.equal(start[k], still[k]) for k in start)
    ran = json.loads((tmp_path / "tune" / "args.json").read_text())
    assert ran["loss_weight"] == "min-snr" and ran["device"] == "cpu"

    losses = run(tmp_path, "--phase", "tune", "--steps", "6", "--lr", "3e-3", "--loss-weight", "min-snr",
                 "--count-pairs", "0.5")
    assert len(losses) == 6
    tuned = load_file(tune_w)
    assert any(not torch.equal(start[k], tuned[k]) for k in start)
    run(tmp_path, "--phase", "export", "--export-to", str(tmp_path / "model"))
    shipped = load_file(tmp_path / "model" / "unet" / "diffusion_pytorch_model.safetensors")
    assert all(torch.equal(shipped[k], tuned[k]) for k in tuned)

    from pipelines import load_pipeline

    pipe = load_pipeline(str(tmp_path / "model"))
    image = pipe("a red circle", num_inference_steps=2, seed=0).images[0]
    assert image.size == (32, 32)

    from training.model_card import phase_summaries

    tune = phase_summaries(tmp_path, tmp_path / "model")["tune"]  # what the model card says of it
    assert (tune["steps"], tune["batch"], tune["lr"], tune["loss_weight"], tune["count_pairs"]) == \
        (6, 8, 3e-3, "min-snr", 0.5)

    # a second stage continues the first, on another scene mix; export ships the newest stage, the card lists both
    run(tmp_path, "--phase", "tune", "--init", "tune", "--name", "tune2", "--steps", "3", "--mix", "count=1",
        "--timesteps", "lognormal")
    run(tmp_path, "--phase", "export", "--export-to", str(tmp_path / "model"))
    shipped = load_file(tmp_path / "model" / "unet" / "diffusion_pytorch_model.safetensors")
    tune2 = load_file(tmp_path / "tune2" / "final" / "unet" / "diffusion_pytorch_model.safetensors")
    assert all(torch.equal(shipped[k], tune2[k]) for k in tune2) and any(not torch.equal(tuned[k], tune2[k]) for k in tuned)
    stages = phase_summaries(tmp_path, tmp_path / "model")
    assert [k for k in stages if k.startswith("tune")] == ["tune", "tune2"]
    assert (stages["tune2"]["init"], stages["tune2"]["mix"], stages["tune2"]["steps"]) == ("tune", {"count": 1.0}, 3)
    assert stages["tune2"]["timesteps"] == "lognormal" and "timesteps" not in stages["tune"]  # uniform: not worth a word

    run(tmp_path, "--phase", "unet", "--steps", "4", "--seed", "1")  # the UNet trained again: the old tune is stale
    run(tmp_path, "--phase", "export", "--export-to", str(tmp_path / "model"))
    shipped = load_file(tmp_path / "model" / "unet" / "diffusion_pytorch_model.safetensors")
    assert all(torch.equal(shipped[k], v) for k, v in load_file(unet_w).items())


@pytest.mark.slow
def test_import_starts_a_run_from_a_saved_model_that_a_tune_continues(vae_run, tmp_path):
    """--phase import: a run folder from an exported model (its run gone, e.g. on a new machine) exports the same
    model back, keeps its noise schedule, and a tune stage continues it; the card keeps the earlier stages."""
    import json
    import shutil

    from diffusers import DDPMScheduler

    from training import preview_vae
    from training.model_card import phase_summaries

    first, again = tmp_path / "first", tmp_path / "again"
    shutil.copytree(vae_run[0] / "vae", first / "vae")
    run(first, "--phase", "unet", "--steps", "3", "--zero-terminal-snr")
    run(first, "--phase", "tune", "--steps", "2")
    run(first, "--phase", "tune", "--init", "tune", "--name", "tune2", "--steps", "2")
    run(first, "--phase", "export", "--export-to", str(tmp_path / "model"))
    before = phase_summaries(first, tmp_path / "model")  # what the card writes into the model's training.json
    shutil.rmtree(first)
    # token numbers that a tokenizer built again from the world's captions would not give (the v2 world's draws
    # changed between sessions, and a rebuilt tokenizer renumbered 391 of 1,200 tokens under a trained text encoder)
    saved = tmp_path / "model" / "tokenizer" / "tokenizer.json"
    spec = json.loads(saved.read_text())
    vocab = spec["model"]["vocab"]
    vocab["red</w>"], vocab["blue</w>"] = vocab["blue</w>"], vocab["red</w>"]
    saved.write_text(json.dumps(spec))
    index = json.loads((tmp_path / "model" / "model_index.json").read_text())
    index["latent_rgb_factors"] = [[v / 2 for v in row] for row in index["latent_rgb_factors"]]
    (tmp_path / "model" / "model_index.json").write_text(json.dumps(index))

    preview_vae.main(["--model", str(tmp_path / "model"), "--pictures", "16", "--steps", "2", "--threads", "1"])
    run(again, "--phase", "import", "--model", str(tmp_path / "model"))
    assert json.loads((again / "unet" / "noise_schedule.json").read_text()) == {"snr_shift": 1.0, "zero_terminal_snr": True}
    assert json.loads((again / "world.json").read_text()) == {"world": "shapes"}
    run(again, "--phase", "export", "--export-to", str(tmp_path / "back"))
    # the preview decoder goes with the autoencoder it was distilled from, and the card keeps its summary
    assert json.loads((tmp_path / "back" / "model_index.json").read_text())["preview_vae"] == ["diffusers",
                                                                                             "AutoencoderTiny"]
    assert "preview_vae" in phase_summaries(again, tmp_path / "back")
    assert "block_out_channels" not in json.loads((tmp_path / "back" / "preview_vae" / "config.json").read_text())
    # so does the latent-to-RGB map of the x_t previews: the model's own (halved above), not one fit again
    index = {f: json.loads((tmp_path / f / "model_index.json").read_text()) for f in ("model", "back")}
    assert index["back"]["latent_rgb_factors"] == index["model"]["latent_rgb_factors"]
    for part, name in (("unet", "diffusion_pytorch_model"), ("text_encoder", "model"), ("vae", "diffusion_pytorch_model"),
                       ("preview_vae", "diffusion_pytorch_model")):
        a = load_file(tmp_path / "model" / part / f"{name}.safetensors")
        b = load_file(tmp_path / "back" / part / f"{name}.safetensors")
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), part
    ab = DDPMScheduler.from_pretrained(tmp_path / "model" / "scheduler").alphas_cumprod
    assert torch.equal(DDPMScheduler.from_pretrained(tmp_path / "back" / "scheduler").alphas_cumprod, ab)

    with pytest.raises(SystemExit, match="trained with it"):  # the imported schedule binds the tune like the original
        run(again, "--phase", "tune", "--init", "tune2", "--name", "tune3", "--steps", "2", "--no-zero-terminal-snr")
    run(again, "--phase", "tune", "--init", "tune2", "--name", "tune3", "--steps", "4", "--lr", "3e-3")
    run(again, "--phase", "export", "--export-to", str(tmp_path / "more"))
    # the tune trained with the model's own token numbers (a tokenizer built again from the world's captions may
    # number them otherwise: the fifth v2 model's tune started on 391 of 1,200 tokens renumbered)
    from transformers import CLIPTokenizer
    kept, model = (CLIPTokenizer.from_pretrained(tmp_path / m / "tokenizer") for m in ("more", "model"))
    assert kept.get_vocab() == model.get_vocab() and kept("a red circle").input_ids == model("a red circle").input_ids
    shipped = load_file(tmp_path / "more" / "unet" / "diffusion_pytorch_model.safetensors")
    start = load_file(tmp_path / "model" / "unet" / "diffusion_pytorch_model.safetensors")
    assert any(not torch.equal(shipped[k], start[k]) for k in start)
    stages = phase_summaries(again, tmp_path / "more")
    assert {k: stages[k] for k in before} == before and stages["tune3"]["init"] == "tune2"
    assert stages["tune3"]["steps"] == 4
    assert [k for k in stages if k.startswith("tune")] == ["tune", "tune2", "tune3"]  # the chain's order, as the card lists it

    with pytest.raises(SystemExit, match="already holds a run"):
        run(again, "--phase", "import", "--model", str(tmp_path / "model"))
    with pytest.raises(SystemExit, match="no tokenizer/ folder there; give a model saved by --phase export"):
        run(tmp_path / "third", "--phase", "import", "--model", str(tmp_path / "model" / "vae"))
    with pytest.raises(SystemExit, match="needs --model"):
        run(tmp_path / "third", "--phase", "import")


@pytest.mark.slow
def test_text_aux_trains_heads_that_read_the_words_and_export_leaves_them_out(vae_run, tmp_path):
    """--text-aux adds a keep-the-words loss on the text encoder (logged, falling); the shipped model is the same
    kind of pipeline as without it (no extra weights), and the card says the stage ran with it. The UNet here is
    also built without the pooled text path (--no-pooled-text), which the tune and the pipeline keep."""
    import csv
    import json
    import shutil

    from pipelines import load_pipeline
    from training.model_card import phase_summaries, text_aux_words

    out, _ = vae_run
    shutil.copytree(out / "vae", tmp_path / "vae")
    run(tmp_path, "--phase", "unet", "--steps", "4", "--text-aux", "1", "--no-text-aux-tokens",
        "--text-aux-bag-words", "square,circle", "--no-pooled-text")
    assert json.loads((tmp_path / "unet" / "args.json").read_text())["pooled_text"] is False
    run(tmp_path, "--phase", "tune", "--steps", "60", "--lr", "1e-2", "--text-aux", "1")
    rows = list(csv.DictReader((tmp_path / "tune" / "log.csv").open()))
    aux = [float(r["text_aux_loss"]) for r in rows]
    assert len(aux) == 3 and aux[-1] < 0.85 * aux[0]  # logged at steps 0, 25, 50 (warm-up: 200 steps)
    assert json.loads((tmp_path / "tune" / "args.json").read_text())["text_aux"] == 1.0

    run(tmp_path, "--phase", "export", "--export-to", str(tmp_path / "model"))
    summaries = phase_summaries(tmp_path, tmp_path / "model")
    assert summaries["tune"]["text_aux"] == 1.0 and "text_aux_bag" not in summaries["tune"]  # the default: with
    assert summaries["unet"]["text_aux"] == 1.0 and summaries["unet"]["text_aux_tokens"] is False
    assert summaries["unet"]["text_aux_bag_words"] == ["square", "circle"]
    unet_words, tune_words = text_aux_words(summaries["unet"]), text_aux_words(summaries["tune"])
    assert "--no-text-aux-tokens --text-aux-bag-words square,circle" in unet_words and "name its token" not in unet_words
    assert "must name which of square, circle" in unet_words
    assert "each word's output must name its token" in tune_words and "caption's words" in tune_words
    assert "pooled" not in text_aux_words({"text_aux": 1.0, "text_aux_bag": False})
    shipped = load_file(tmp_path / "model" / "text_encoder" / "model.safetensors")
    trained = load_file(tmp_path / "unet" / "final" / "text_encoder" / "model.safetensors")
    assert shipped.keys() == trained.keys()
    pipe = load_pipeline(str(tmp_path / "model"))
    assert pipe.unet.config.class_embed_type is None  # --no-pooled-text: the tune kept the UNet's design
    assert pipe("a red square", num_inference_steps=2, seed=0).images[0].size == (32, 32)

    with pytest.raises(SystemExit, match="between 0 .off. and 10"):
        run(tmp_path, "--phase", "tune", "--text-aux", "-1")
    with pytest.raises(SystemExit, match="nothing to do"):
        run(tmp_path, "--phase", "tune", "--text-aux", "1", "--no-text-aux-tokens", "--no-text-aux-bag")
    with pytest.raises(SystemExit, match="'squarish' is not one word of the tokenizer's vocabulary"):
        run(tmp_path, "--phase", "tune", "--text-aux", "1", "--text-aux-bag-words", "square,squarish")


@pytest.mark.parametrize("parts, floor, apart_below", [
    ({}, 0.69, 0.45), ({"bag": False}, 0.34, 0.1), ({"tokens": False, "bag_ids": [2, 3]}, 0.69, 0.1)])
def test_text_aux_loss_needs_words_apart(parts, floor, apart_below):
    """Captions that differ in one word ("square"/"circle") cannot both be named from one shared output: the loss
    stays at its floor for an encoder that merges them (ln 2 / 2 for the words alone; with the bag of words on the
    pooled output, ln 2; the bag of the shape words alone, ln 2) and falls well below it for one that keeps them."""
    bag = parts.get("bag", True)
    ids = torch.tensor([[0, 1, 2, 9], [0, 1, 3, 9]])  # "<bos> red square <eos>", "<bos> red circle <eos>"
    apart = torch.randn(2, 4, 16, generator=torch.Generator().manual_seed(0))
    same = apart[:1].expand(2, -1, -1).clone()
    best = {}
    for name, hidden in (("apart", apart), ("same", same)):
        torch.manual_seed(0)
        heads = TextKeepsWords(16, 10, special_ids=[0, 9], **parts)
        opt = torch.optim.Adam(heads.parameters(), lr=0.05)
        for _ in range(300):  # the best heads for this encoder output
            opt.zero_grad()
            heads(hidden, hidden[:, -1], ids).backward()
            opt.step()
        with torch.no_grad():
            best[name] = float(heads(hidden, hidden[:, -1], ids))
            assert heads(hidden, hidden[:, -1], torch.tensor([[0, 9, 9, 9]] * 2)) == 0  # empty captions: no loss
            # without the bag, the pooled output is left to the UNet: the loss does not read it
            assert (heads(hidden, torch.zeros(2, 16), ids) == best[name]) is not bag
            if "bag_ids" in parts:  # only the pooled output is read, and captions without the words add nothing
                assert heads(torch.zeros(2, 4, 16), hidden[:, -1], ids) == best[name]
                assert heads(hidden, hidden[:, -1], torch.tensor([[0, 1, 4, 9]] * 2)) == 0
    assert best["same"] > floor and best["apart"] < apart_below, best


@pytest.mark.parametrize("mix, message", [("count=1,shapes=2", "unknown scene kind 'shapes'"),
                                          ("count=lots", "write kind=share"),
                                          ("count=0", "positive sum")])
def test_a_bad_scene_mix_is_refused_in_words(mix, message, capsys):
    with pytest.raises(SystemExit):
        train.parse_args(["--phase", "tune", "--mix", mix])
    assert message in capsys.readouterr().err


def test_a_scene_mix_is_read_in_the_run_s_own_world(tmp_path, capsys):
    """A later phase of a v2 run (no --world: world.json says v2) takes the v2 world's scene kinds."""
    (tmp_path / "world.json").write_text('{"world": "v2"}')
    args = train.parse_args(["--phase", "unet", "--out", str(tmp_path), "--mix", "lean=0.5,hand=0.5"])
    assert args.mix == {"lean": 0.5, "hand": 0.5}
    with pytest.raises(SystemExit):
        train.parse_args(["--phase", "unet", "--out", str(tmp_path), "--mix", "count=0.5,shapes=0.5"])
    assert "unknown scene kind 'shapes'" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # a shapes run has no hands
        train.parse_args(["--phase", "unet", "--out", str(tmp_path / "shapes"), "--mix", "hand=1"])
    assert "unknown scene kind 'hand'" in capsys.readouterr().err


def test_a_tune_stage_name_outside_the_chain_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="tune, tune2, tune3"):
        run(tmp_path, "--phase", "tune", "--name", "tune_big")
    with pytest.raises(SystemExit, match="cannot be the stage being written"):
        run(tmp_path, "--phase", "tune", "--name", "tune2", "--init", "tune2")
    assert not any(tmp_path.iterdir())  # refused before any work


@pytest.mark.slow
def test_more_latent_channels_flow_from_the_autoencoder_to_the_unet_and_the_shipped_model(tmp_path):
    """--latent-channels is chosen once, in the vae phase; the UNet and the exported pipeline follow the vae's."""
    import json

    from pipelines import load_pipeline

    run(tmp_path, "--phase", "vae", "--steps", "2", "--latent-channels", "8")
    assert json.loads((tmp_path / "vae" / "args.json").read_text())["latent_channels"] == 8
    run(tmp_path, "--phase", "unet", "--steps", "2")  # no flag: it reads the vae's 8 channels
    assert len(json.loads((tmp_path / "unet" / "latent_stats.json").read_text())["latents_std"]) == 8
    run(tmp_path, "--phase", "export", "--export-to", str(tmp_path / "model"))
    pipe = load_pipeline(str(tmp_path / "model"))
    assert pipe.unet.config.in_channels == pipe.unet.config.out_channels == pipe.vae.config.latent_channels == 8
    out = pipe("two red circles", num_inference_steps=2, seed=0)
    assert out.images[0].size == (32, 32)
    with pytest.raises(SystemExit, match="between 1 and 16"):
        run(tmp_path, "--phase", "vae", "--latent-channels", "0")


@pytest.mark.slow
def test_vae_and_unet_widths_set_the_latent_grid_and_where_attention_is(tmp_path):
    """--vae-channels picks the latent grid (n levels: 32 / 2^(n-1) a side); --unet-channels and
    --unet-attention-levels shape the UNet built on it; the exported pipeline draws 32x32 pictures from them."""
    import json

    from pipelines import load_pipeline

    run(tmp_path, "--phase", "vae", "--steps", "2", "--vae-channels", "8,16,16")
    assert json.loads((tmp_path / "vae" / "args.json").read_text())["vae_channels"] == [8, 16, 16]
    run(tmp_path, "--phase", "unet", "--steps", "2", "--unet-channels", "16,16,32", "--unet-attention-levels", "2",
        "--snr-shift", "4")
    ran = json.loads((tmp_path / "unet" / "args.json").read_text())
    assert ran["unet_channels"] == [16, 16, 32] and ran["unet_attention_levels"] == 2
    # the tune continues on the UNet's noise schedule, and refuses another
    with pytest.raises(SystemExit, match="trained with 4.0"):
        run(tmp_path, "--phase", "tune", "--steps", "2", "--snr-shift", "2")
    run(tmp_path, "--phase", "tune", "--steps", "2")
    run(tmp_path, "--phase", "export", "--export-to", str(tmp_path / "model"))
    pipe = load_pipeline(str(tmp_path / "model"))
    # the shipped schedule is the training one with its signal-to-noise ratio divided by 4 at every step
    snr = lambda ab: ab / (1 - ab)  # noqa: E731
    plain = models.make_scheduler(models.ModelConfig()).alphas_cumprod
    ratio = snr(plain) / snr(pipe.scheduler.alphas_cumprod)
    assert torch.allclose(ratio, torch.full_like(ratio, 4.0), rtol=1e-3)
    from training.model_card import shift_words  # the model card names the shift
    assert shift_words(pipe.scheduler) == ", its signal-to-noise ratio divided by 4 (`--snr-shift 4`)"
    from pipelines.samplers import SAMPLERS, make_scheduler
    for name in SAMPLERS:  # every sampler reads the shifted schedule
        assert torch.allclose(make_scheduler(name, pipe.scheduler.config).alphas_cumprod, pipe.scheduler.alphas_cumprod)
    assert pipe.vae_scale_factor == 4 and pipe.unet.config.sample_size == 8
    assert list(pipe.unet.config.block_out_channels) == [16, 16, 32]
    assert list(pipe.unet.config.down_block_types) == ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"]
    assert list(pipe.unet.config.up_block_types) == ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"]
    from training.model_card import attention_words  # the model card says where the UNet attends
    assert attention_words(pipe.unet.config) == "cross-attention in the lower levels only (none at 8×8, as in SDXL)"
    out = pipe("two red circles", num_inference_steps=2, seed=0, output_type="latent")
    assert tuple(out.images.shape) == (1, pipe.vae.config.latent_channels, 8, 8)
    assert pipe("two red circles", num_inference_steps=2, seed=0).images[0].size == (32, 32)
    with pytest.raises(SystemExit, match="0 to 3"):
        run(tmp_path, "--phase", "unet", "--unet-channels", "16,16,32", "--unet-attention-levels", "4")
    with pytest.raises(SystemExit, match="between 0.01 and 100"):
        run(tmp_path, "--phase", "unet", "--snr-shift", "0")
    for bad in ("8,x", "12,16"):
        with pytest.raises(SystemExit):
            run(tmp_path, "--phase", "vae", "--vae-channels", bad)


@pytest.mark.slow
def test_clip_phase_learns_to_match_pictures_and_captions_and_its_text_tower_conditions_a_frozen_unet(vae_run, tmp_path):
    """--phase clip: the contrastive loss falls; --text-encoder + --freeze-text: the UNet trains on that text tower,
    which reaches the shipped model unchanged (Stable Diffusion's frozen CLIP)."""
    import json
    import shutil

    out, _ = vae_run
    shutil.copytree(out / "vae", tmp_path / "vae")
    losses = run(tmp_path, "--phase", "clip", "--steps", "80", "--batch", "32", "--lr", "2e-3")
    assert len(losses) == 80
    assert np.mean(losses[-10:]) < 0.85 * np.mean(losses[:10])
    tower = tmp_path / "clip" / "final" / "text_encoder"
    from transformers import CLIPModel, CLIPTextModel

    ids = torch.tensor([[1, 5, 6, 7, 8]])
    clip = CLIPModel.from_pretrained(tmp_path / "clip" / "final" / "clip")
    assert torch.equal(CLIPTextModel.from_pretrained(tower)(ids).pooler_output, clip.text_model(ids).pooler_output)
    from training.check_clip import PROBES, zero_shot_scores

    scores = zero_shot_scores(clip, load_or_build_tokenizer(tmp_path), n=4)
    assert list(scores) == list(PROBES) and all(0 <= right <= 1 for right, _ in scores.values())
    assert scores["colour binding"][1] == 0.5 and scores["count 1-9"][1] == 1 / 9

    losses = run(tmp_path, "--phase", "unet", "--steps", "8", "--lr", "3e-3", "--text-encoder", str(tower),
                 "--freeze-text")
    assert len(losses) == 8
    ran = json.loads((tmp_path / "unet" / "args.json").read_text())
    assert ran["freeze_text"] is True and ran["text_encoder"] == str(tower)
    run(tmp_path, "--phase", "tune", "--steps", "3", "--freeze-text")
    run(tmp_path, "--phase", "export", "--export-to", str(tmp_path / "model"))
    start = load_file(tower / "model.safetensors")
    shipped = load_file(tmp_path / "model" / "text_encoder" / "model.safetensors")
    assert start.keys() == shipped.keys() and all(torch.equal(start[k], shipped[k]) for k in start)
    unet = load_file(tmp_path / "model" / "unet" / "diffusion_pytorch_model.safetensors")
    first = load_file(tmp_path / "unet" / "final" / "unet" / "diffusion_pytorch_model.safetensors")
    assert any(not torch.equal(unet[k], first[k]) for k in unet)  # the tune moved the UNet, not the text


def test_freezing_the_text_encoder_refuses_a_loss_on_it(tmp_path):
    with pytest.raises(SystemExit, match="--freeze-text keeps it fixed"):
        run(tmp_path, "--phase", "unet", "--text-aux", "0.05", "--freeze-text")


@pytest.mark.slow
def test_freezing_text_without_weights_keeps_the_random_initial_encoder_of_the_seed(vae_run, tmp_path):
    """--freeze-text alone: the UNet learns to read the seed's untrained text encoder, which ships as it started."""
    import shutil

    from training.models import ModelConfig, make_text_encoder

    out, _ = vae_run
    shutil.copytree(out / "vae", tmp_path / "vae")
    run(tmp_path, "--phase", "unet", "--steps", "4", "--lr", "3e-3", "--freeze-text", "--seed", "3")
    run(tmp_path, "--phase", "export", "--export-to", str(tmp_path / "model"))
    tokenizer = load_or_build_tokenizer(tmp_path)
    torch.manual_seed(3)
    fresh = make_text_encoder(ModelConfig.tiny(), tokenizer).state_dict()
    shipped = load_file(tmp_path / "model" / "text_encoder" / "model.safetensors")
    assert all(torch.equal(fresh[k], shipped[k]) for k in shipped)
    torch.manual_seed(4)
    other = make_text_encoder(ModelConfig.tiny(), tokenizer).state_dict()
    assert any(not torch.equal(other[k], shipped[k]) for k in shipped)


def test_clip_probes_ask_a_picture_about_captions_only_its_own_fits():
    """training.check_clip: every alternative caption states something the picture does not show (by the judge)."""
    from training.check_clip import PROBES

    for name, probe in PROBES.items():
        rng = np.random.default_rng(5)
        caught = asked = 0
        for _ in range(40):
            scene, others = probe(rng)
            picture = world.render(scene)
            assert all(world.judge(picture, scene).values()), name
            captions = {world.caption(s) for s in (scene, *others)}
            assert len(captions) == 1 + len(others), name
            caught += sum(not all(world.judge(picture, other).values()) for other in others)
            asked += len(others)
        assert caught >= 0.97 * asked, name  # (the judge's centre is generous: a big top triangle is central too)


def test_the_ceiling_judges_other_true_pictures_of_the_same_prompt():
    """evaluate.layouts: the autoencoder's column reconstructs as many true pictures per prompt as the model draws;
    each fits the prompt (same caption, judged right) and most are other pictures."""
    from training.evaluate import CATEGORIES, category_scenes, layouts, score_key

    for ci, cat in enumerate(CATEGORIES):
        for scene in category_scenes(cat, 3, 1000 + ci):
            variants = layouts(scene, 4, seed=ci)
            assert variants[0] == scene and len(variants) == 4
            assert {world.caption(v) for v in variants} == {world.caption(scene)}, cat
            pictures = [world.render(v) for v in variants]
            assert all(world.judge(p, v)[score_key(cat)] for p, v in zip(pictures, variants)), cat
            assert len({p.tobytes() for p in pictures}) >= 3, cat


@pytest.mark.slow
def test_zero_terminal_snr_ends_the_schedule_in_pure_noise_for_every_sampler(vae_run, tmp_path):
    """--zero-terminal-snr (unet phase; Lin et al. 2024): the shipped schedule's last step holds no signal (alpha_bar
    2**-24, Stable Diffusion's 0.0047) and its first keeps its value; the tune and export keep it and refuse the
    other; every sampler reads it and draws finite pictures from it; the model card names it."""
    import shutil

    from pipelines import load_pipeline
    from pipelines.samplers import SAMPLERS, make_scheduler
    from training.model_card import shift_words

    shutil.copytree(vae_run[0] / "vae", tmp_path / "vae")
    run(tmp_path, "--phase", "unet", "--steps", "2", "--zero-terminal-snr")
    with pytest.raises(SystemExit, match="trained with it"):
        run(tmp_path, "--phase", "tune", "--steps", "2", "--no-zero-terminal-snr")
    run(tmp_path, "--phase", "tune", "--steps", "2")
    run(tmp_path, "--phase", "export", "--export-to", str(tmp_path / "model"))
    pipe = load_pipeline(str(tmp_path / "model"))
    ab, plain = pipe.scheduler.alphas_cumprod, models.make_scheduler(models.ModelConfig()).alphas_cumprod
    assert abs(ab[-1].item() - 2.0**-24) < 1e-9 and plain[-1] > 0.004 and abs(ab[0] - plain[0]) < 1e-6
    assert bool((ab[1:] < ab[:-1]).all())  # still a noise schedule: less signal at every step
    assert shift_words(pipe.scheduler) == ", rescaled so its last step is pure noise (`--zero-terminal-snr`)"
    for name in SAMPLERS:
        assert torch.allclose(make_scheduler(name, pipe.scheduler.config).alphas_cumprod, ab)
        image = pipe("two red circles", sampler=name, num_inference_steps=3, seed=0, output_type="np").images
        assert np.isfinite(image).all(), name
    plain_run = tmp_path / "plain"
    shutil.copytree(vae_run[0] / "vae", plain_run / "vae")
    run(plain_run, "--phase", "unet", "--steps", "1")
    with pytest.raises(SystemExit, match="trained without it"):
        run(plain_run, "--phase", "tune", "--steps", "1", "--zero-terminal-snr")


@pytest.mark.slow
def test_the_v2_world_trains_through_every_phase_into_a_64_pixel_model(tmp_path):
    """--world v2 (issue 33): the autoencoder, tokenizer, UNet and export read the 64 x 64 world; the run keeps
    its world, and the exported pipeline draws 64 x 64 pictures."""
    import json

    from pipelines import load_pipeline

    run(tmp_path, "--phase", "vae", "--world", "v2", "--steps", "2")
    assert json.loads((tmp_path / "world.json").read_text()) == {"world": "v2"}
    run(tmp_path, "--phase", "unet", "--steps", "2")  # no --world: the run's
    with pytest.raises(SystemExit, match="trains on the v2 world"):
        run(tmp_path, "--phase", "unet", "--world", "shapes", "--steps", "2")
    tokenizer = load_or_build_tokenizer(tmp_path)
    assert tokenizer.tokenize("a red bicycle leaning against a brick wall") == [
        "a</w>", "red</w>", "bicycle</w>", "leaning</w>", "against</w>", "a</w>", "brick</w>", "wall</w>"]
    run(tmp_path, "--phase", "export", "--export-to", str(tmp_path / "model"))
    pipe = load_pipeline(str(tmp_path / "model"))
    assert pipe.default_size == (64, 64) and pipe.vae.config.sample_size == 64
    assert pipe("a red bicycle leaning against a brick wall", num_inference_steps=2, seed=0).images[0].size == (64, 64)
    assert "64 x 64 world" in pipe.config.model_description
    for part in ("text_encoder", "unet", "vae"):  # shipped as fp16, upcast on load (issue 33)
        (weights,) = (tmp_path / "model" / part).glob("*.safetensors")
        assert {t.dtype for t in load_file(weights).values()} == {torch.float16}, part
        assert {p.dtype for p in getattr(pipe, part).parameters()} == {torch.float32}, part
    run(tmp_path / "again", "--phase", "import", "--model", str(tmp_path / "model"))  # a tune continues it in fp32
    for part in ("vae/final", "unet/final/unet", "unet/final/text_encoder"):
        (weights,) = (tmp_path / "again" / part).glob("*.safetensors")
        assert {t.dtype for t in load_file(weights).values()} == {torch.float32}, part
    assert json.loads((tmp_path / "again" / "world.json").read_text()) == {"world": "v2"}  # the tune draws v2
    run(tmp_path / "again", "--phase", "tune", "--steps", "2", "--mix", "lean=0.5,hand=0.5")  # v2's own kinds
    with pytest.raises(SystemExit, match="shapes world alone"):
        run(tmp_path, "--phase", "tune", "--count-pairs", "0.5", "--steps", "2")


@pytest.mark.slow
@pytest.mark.parametrize("world_name", ["shapes", "v2"])
def test_pictures_rendered_by_worker_processes_train_the_same_run(tmp_path, world_name):
    """--workers 2 renders the batches in two processes, ahead of the model: the same batches, so the same losses."""
    losses = {}
    for workers in ("0", "2"):
        out = tmp_path / workers
        vae = run(out, "--phase", "vae", "--world", world_name, "--steps", "3", "--workers", workers)
        unet = run(out, "--phase", "unet", "--steps", "3", "--count-pairs", "0" if world_name == "v2" else "0.5",
                   "--workers", workers)
        losses[workers] = (vae, unet)
    assert losses["0"] == losses["2"]


def test_latent_stats_of_sampled_latents_scale_what_the_unet_is_trained_on():
    """The UNet trains on latents drawn from the posterior; where a channel carries little (its posterior's std
    ~1, its means close together, as an untrained autoencoder's every channel), statistics of the means alone would
    scale those latents to a variance far above 1. Sampled statistics give ~1; the shapes world keeps the means'."""
    import world.v2
    from training.phases.unet import latent_stats

    torch.manual_seed(0)
    vae = models.make_vae(models.ModelConfig.tiny()).eval()
    _, spread_of_means = latent_stats(vae, seed=3, n=64, source=world)
    mean, std = latent_stats(vae, seed=3, n=64, source=world, sampled=True)
    assert max(spread_of_means) < 0.5 and min(std) > 0.8, (spread_of_means, std)
    images, _, _ = world.sample_batch(3, 64)
    with torch.no_grad():
        d = vae.encode(to_tensor(images)).latent_dist
    z = (d.mean + d.std * torch.randn(d.mean.shape) - torch.tensor(mean).view(1, -1, 1, 1)) / torch.tensor(std).view(1, -1, 1, 1)
    assert 0.8 < float(z.std()) < 1.2
    assert latent_stats(vae, seed=3, n=64, source=world, sampled=True) == (mean, std)  # deterministic in its seed

"""The Train tab: its model bookkeeping (per session, folders removed), one training at a time, and the default
preset through the API as a gradio_client user runs it - it learns, and its download loads back."""
import os
import re
import tempfile
import threading
import time
import zipfile
from collections import OrderedDict

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="gradio-test-"))

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from gradio_client import Client  # noqa: E402

import world  # noqa: E402
from pipelines import load_pipeline  # noqa: E402
from playground.registry import TRAINED_PER_SESSION, ModelRegistry  # noqa: E402
from playground.trainer import Busy, TrainingSlot  # noqa: E402
from training.live import SLICES, TrainSettings  # noqa: E402


def test_trained_models_belong_to_their_session_and_leave_with_it(latent_pipe, tmp_path):
    registry = ModelRegistry(OrderedDict(bundled=latent_pipe))
    folders = [tmp_path / f"run{i}" for i in range(TRAINED_PER_SESSION + 2)]
    for f in folders:
        f.mkdir()
    mine = [registry.add_trained("a", f"slice {i}", latent_pipe, f) for i, f in enumerate(folders[:-1])]
    theirs = registry.add_trained("b", "slice", latent_pipe, folders[-1])
    assert len(set(mine + [theirs])) == len(mine) + 1  # numbered across the server: no two alike
    assert registry.choices("a") == ["bundled", *mine[-TRAINED_PER_SESSION:]]
    assert registry.choices("b") == ["bundled", theirs] and registry.names == ["bundled"]
    assert not folders[0].exists() and folders[1].exists()  # the oldest beyond the limit went, with its folder
    assert registry.get(theirs) is latent_pipe
    registry.drop_owner("a")
    assert registry.choices("a") == ["bundled"] and not any(f.exists() for f in folders[:-1])
    with pytest.raises(Exception, match="Unknown model"):
        registry.get(mine[-1])


@pytest.mark.slow
def test_one_training_at_a_time_and_a_session_end_stops_it_and_removes_its_folder():
    slot = TrainingSlot()
    job = slot.start("a", TrainSettings(seconds=60))
    with pytest.raises(Busy, match=r"Another person's training is running on this server \(one at a time\); it ends "
                                   r"in about \d+ s\. Try again then\."):
        slot.start("b", TrainSettings())
    assert slot.folder("a").exists()
    slot.end_session("a")
    assert not job.process.is_alive() and not (slot.root / "a").exists()
    job = slot.start("b", TrainSettings(seconds=10))  # the slot is free again
    job.stop()
    job.process.join(timeout=60)
    slot.release(job)


@pytest.fixture(scope="module")
def client(served_app):
    return Client(served_app.url, verbose=False)


def test_bad_settings_are_refused_in_words(client):
    with pytest.raises(Exception, match="less than minimum value 30"):
        client.predict("colours", "tiny", "latent", 5, 0, api_name="/train")
    with pytest.raises(Exception, match="Unknown slice|not in the list of choices"):
        client.predict("dogs", "tiny", "latent", 60, 0, api_name="/train")


@pytest.mark.slow
def test_the_default_preset_learns_the_colours_and_its_download_loads(served_app, client, tmp_path):
    """The issue's target on the 2-core CPU: within 90 s, samples at the asked colour in 3 of 4 fixed seeds (9 of
    12 over the three colours), well above the untrained model; meanwhile another person is told the server is
    busy."""
    started = time.monotonic()
    job = client.submit(api_name="/train")  # the defaults alone: one shape, three colours, tiny, latents, 60 s
    busy = {}

    def another_person():
        while "Training" not in str((job.outputs() or [[""]])[-1][0]) and not job.done():
            time.sleep(0.5)
        try:
            Client(served_app.url, verbose=False).predict(api_name="/train")
        except Exception as e:  # noqa: BLE001 - the message is what is tested
            busy["message"] = str(e)

    other = threading.Thread(target=another_person)
    other.start()
    final = job.result()
    wall = time.monotonic() - started
    other.join()
    assert "Another person's training is running" in busy["message"]
    status, _samples, _batch, _loss, download, menu = final
    untrained, trained = (int(n) for n in re.findall(r"\*\*(\d+) of 12\*\*", status))
    assert trained >= 9 and trained >= untrained + 5, status
    print(f"default preset: {untrained} -> {trained} of 12 in {wall:.0f} s from the click")
    name = re.search(r"The model is \*\*(trained \d+: [^*]+)\*\*", status).group(1)
    assert [c[0] for c in menu["choices"]] == [*served_app.registry.names, name]
    # the download: a diffusers folder that load_pipeline reads; the asked colour in 3 of 4 seeds on average (9 of
    # 12), each colour in 2 at least (a 60 s budget on a machine busy with other tests trains fewer steps: once, in
    # a clean-clone run, green came out in 2 of 4 and the others made up for it)
    with zipfile.ZipFile(download["value"]) as z:
        z.extractall(tmp_path)
    pipe = load_pipeline(tmp_path)
    rights = {}
    for prompt, scene in SLICES["colours"].prompts:
        images = pipe(prompt, seed=0, num_images_per_prompt=4, num_inference_steps=20, output_type="np").images
        rights[prompt] = sum(world.judge((np.clip(im, 0, 1) * 255).round().astype(np.uint8), scene)["colour"]
                             for im in images)
    assert sum(rights.values()) >= 9 and min(rights.values()) >= 2, rights
    # and this session's Generate draws with it
    gallery = client.predict(name, "a blue circle", api_name="/generate")[0]
    assert len(gallery) == 1 and gallery[0]["caption"] == "seed 7"

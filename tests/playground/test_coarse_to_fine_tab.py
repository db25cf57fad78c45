"""The Generate tab's coarse-to-fine curve, as a gradio_client user reaches it: the bundled model's measured
coarse_to_fine.json as a plot and a line naming what settles first and last; a model without one says so."""
import os
import tempfile

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="gradio-test-"))

import pytest  # noqa: E402
from gradio_client import Client  # noqa: E402

from pipelines.loading import BUNDLED, BUNDLED_DIR  # noqa: E402
from playground.tabs.generate import NO_SETTLING  # noqa: E402
from training import coarse_to_fine as c2f  # noqa: E402


@pytest.mark.skipif(not (BUNDLED_DIR / c2f.FILENAME).exists(), reason="no bundled model with its measurement here")
def test_the_bundled_model_shows_its_measured_curve_and_says_what_settles_first_and_last(serve_app):
    served = serve_app("bundled")  # the bundled models, as app.py serves them: each shows its own measurement
    client = Client(served.url, verbose=False)
    for name in served.registry.names:
        plot, text = client.predict(name, api_name="/coarse_to_fine")
        assert plot is not None, name
        measured = c2f.read(BUNDLED[name])
        first, last = list(measured["categories"])[0], list(measured["categories"])[-1]
        assert text.count(c2f.summary(measured)) == 1, name  # the line from the numbers
        assert f"**{first}" in text and f"{last}**" in text and c2f.DEFINITION in text


def test_a_model_without_the_file_says_so_in_one_line(served_app):
    client = Client(served_app.url, verbose=False)
    for model in ("bundled", "pixel"):  # the tiny test models: folders of their own, never measured
        plot, text = client.predict(model, api_name="/coarse_to_fine")
        assert plot is None and text == NO_SETTLING and "\n" not in text

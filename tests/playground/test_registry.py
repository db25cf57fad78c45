"""The models the app is started with, by name: the bundled models by their own names ("shapes-32", "v2"), what
`python app.py` loads with and without --model, and the judge still reading the 32x32 model under its new name."""
from collections import OrderedDict

import pytest

import app
from pipelines import ModelLoadError, loading
from playground.lab.judging import has_judge
from playground.registry import ModelRegistry, display_name

HAS_SHAPES_32 = (loading.BUNDLED_DIR / "model_index.json").is_file()
needs_shapes_32 = pytest.mark.skipif(not HAS_SHAPES_32, reason="this checkout lacks the bundled weights")


@pytest.fixture(scope="module")
def saved_pixel(pixel_pipe, tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved_pixel")
    pixel_pipe.save_pretrained(folder)
    return folder


def test_display_names_say_which_bundled_model():
    assert display_name("shapes-32") == "shapes-32" and display_name("v2") == "v2"
    assert display_name("bundled") == loading.DEFAULT_BUNDLED
    assert display_name("bundled", taken=[loading.DEFAULT_BUNDLED]) == f"{loading.DEFAULT_BUNDLED} (2)"
    assert display_name("path/to/sd15/") == "sd15" and display_name("org/name") == "name"


def test_the_judge_reads_the_bundled_models_by_their_names():
    assert has_judge("shapes-32") and has_judge("bundled")
    assert has_judge("v2")  # with the v2 world's judge (tests/playground/test_limits_v2.py)
    assert not has_judge("sd15") and not has_judge(None)


def test_the_limits_tab_judges_shapes_32_under_its_name(latent_pipe):
    from playground.tabs.limits import run_preset

    registry = ModelRegistry(OrderedDict([("shapes-32", latent_pipe), ("v2", latent_pipe)]))
    *_, (grid, summary, *_rest) = run_preset(registry, "shapes-32", "count-3-red-circles", 2, 0, 1, "Euler", 4.0)
    assert len(grid) == 2 and "correct count in" in summary and "No judge" not in summary
    *_, (grid, summary, *_rest) = run_preset(registry, "v2", "count-3-red-circles", 2, 0, 1, "Euler", 4.0)
    assert "No judge" in summary  # the 32x32 world's judge does not read v2's pictures


@needs_shapes_32
def test_shapes_32_loads_under_its_name():
    registry = ModelRegistry.load(["shapes-32"])
    assert registry.names == ["shapes-32"] and registry.default == "shapes-32"
    assert registry.get("shapes-32").default_size == (32, 32)


@needs_shapes_32
def test_both_bundled_models_are_offered_the_default_first(monkeypatch, saved_pixel):
    monkeypatch.setitem(loading.BUNDLED, "v2", saved_pixel)  # stands in for the v2 model once it ships
    registry = ModelRegistry.load(loading.bundled_models())
    others = [n for n in ("shapes-32", "v2") if n != loading.DEFAULT_BUNDLED]
    assert registry.names == [loading.DEFAULT_BUNDLED, *others]
    assert registry.choices("anyone") == registry.names  # the Model tab's menu
    monkeypatch.setattr(loading, "DEFAULT_BUNDLED", "v2")
    assert ModelRegistry.load(loading.bundled_models()).names == ["v2", "shapes-32"]


def started_with(monkeypatch, argv) -> list[str]:
    """The sources `python app.py ARGV` asks the registry for (it stops there)."""
    seen = []

    def load(cls, sources, device="cpu", dtype="fp32"):
        seen.extend(sources)
        raise ModelLoadError("stop here")

    monkeypatch.setattr(ModelRegistry, "load", classmethod(load))
    with pytest.raises(SystemExit, match="stop here"):
        app.main(argv)
    return seen


def test_app_loads_the_bundled_models_here_unless_told(monkeypatch, saved_pixel):
    assert started_with(monkeypatch, ["--model", "shapes-32"]) == ["shapes-32"]
    assert started_with(monkeypatch, ["--model", "x", "--model", "bundled"]) == ["x", "bundled"]
    assert started_with(monkeypatch, []) == loading.bundled_models()
    with monkeypatch.context() as m:
        m.setitem(loading.BUNDLED, "v2", saved_pixel)
        m.setitem(loading.BUNDLED, "shapes-32", saved_pixel.parent / "no-shapes-32-here")
        assert started_with(m, []) == ["v2"]  # only one here: just that one
    monkeypatch.setitem(loading.BUNDLED, "v2", saved_pixel)
    monkeypatch.setitem(loading.BUNDLED, "shapes-32", saved_pixel)
    others = [n for n in ("shapes-32", "v2") if n != loading.DEFAULT_BUNDLED]
    assert started_with(monkeypatch, []) == [loading.DEFAULT_BUNDLED, *others]


def test_app_help_names_the_bundled_models(capsys):
    with pytest.raises(SystemExit):
        app.parse_args(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "shapes-32, v2" in help_text and f"'bundled' is the default, {loading.DEFAULT_BUNDLED}" in help_text


def test_app_refuses_v2_where_it_is_missing(monkeypatch, tmp_path):
    monkeypatch.setitem(loading.BUNDLED, "v2", tmp_path / "v2")
    with pytest.raises(SystemExit, match="error: The v2 model is not in this checkout yet"):
        app.main(["--model", "v2"])


@pytest.mark.skipif(loading.torch.cuda.is_available(), reason="this machine has a GPU: cuda loads")
def test_app_on_a_device_this_machine_lacks_says_so_in_a_line(saved_pixel):
    """`python app.py --device cuda` on a CPU machine: one line that says why and what to give instead, no stack
    trace, before anything loads; a name torch does not know, the same."""
    with pytest.raises(SystemExit) as cuda:
        app.main(["--model", str(saved_pixel), "--device", "cuda"])
    message = str(cuda.value)
    assert message.startswith("error: Device 'cuda': ") and "\n" not in message and "Use cpu" in message
    with pytest.raises(SystemExit, match=r"^error: Unknown device 'banana': give cpu, cuda, cuda:N or mps\.$"):
        app.main(["--model", str(saved_pixel), "--device", "banana"])


def test_the_device_reaches_every_model_the_app_loads(saved_pixel):
    """--device is the registry's: each model is loaded onto it (cpu here; the GPU session checks cuda)."""
    registry = ModelRegistry.load([str(saved_pixel), str(saved_pixel)], device="cpu")
    assert [p.device.type for _, p in ((n, registry.get(n)) for n in registry.names)] == ["cpu", "cpu"]
    with pytest.raises(ModelLoadError, match="Unknown device"):
        ModelRegistry.load([str(saved_pixel)], device="gpu0")


def test_the_precision_reaches_every_model_and_half_precision_is_refused_on_a_cpu(saved_pixel):
    """--dtype bf16 loads every model in bf16 and it draws; fp16 on a CPU is one line that says what to use."""
    registry = ModelRegistry.load([str(saved_pixel)], dtype="bf16")
    pipe = registry.get(None)
    assert pipe.unet.dtype == loading.torch.bfloat16
    out = pipe("a red circle", "", "Euler", 2, 4.0, 3)
    assert out.images[0].size == (pipe.default_size[1], pipe.default_size[0]) and not out.warnings
    with pytest.raises(SystemExit, match=r"^error: Precision fp16 runs on a GPU; on the CPU use fp32 \(or bf16\)\.$"):
        app.main(["--model", str(saved_pixel), "--dtype", "fp16"])
    with pytest.raises(ModelLoadError, match="Unknown precision 'fp8'"):
        loading.load_pipeline(saved_pixel, torch_dtype="fp8")

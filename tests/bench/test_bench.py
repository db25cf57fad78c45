"""`python -m bench --quick --model tiny` runs from one command and prints the tables the issue asks for."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # a whole benchmark run in a subprocess


HISTORY = "# Benchmark results\n\nIntro.\n\n## An earlier run\n\nIts tables.\n"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """One quick run on the tiny model, recorded into a copy of a performance history: (stdout, the history)."""
    history = tmp_path_factory.mktemp("bench") / "RESULTS.md"
    history.write_text(HISTORY)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--model", "tiny", "--repeats", "1", "--threads", "1",
                           "--record", str(history)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, history.read_text()


@pytest.fixture(scope="module")
def table(recorded):
    return recorded[0]


def test_record_puts_the_run_first_in_the_history_under_a_heading_naming_the_machine(recorded):
    stdout, history = recorded
    assert history.startswith("# Benchmark results\n\nIntro.\n\n## tiny random (smoke run) model on cpu: ")
    assert stdout.strip() in history and history.index(stdout.strip()) < history.index("## An earlier run")
    assert history.rstrip().endswith("Its tables.")
    heading = history.splitlines()[4]
    machine = stdout.splitlines()[2].split(" · ")[0]
    assert machine and machine in heading


def test_the_cold_start_row_says_why_where_it_cannot_run(monkeypatch):
    """A GPU machine may have torch and no gradio; a broken child is a note, not the end of the benchmark."""
    import importlib.util

    from bench import report, subprocs

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "gradio" else real(name, *a))
    note = subprocs.cold_start_or_note("tiny", "cpu", 1)
    assert note == {"skipped": "not measured: gradio is not installed in this Python (the app's cold start builds "
                               "its UI)"}
    monkeypatch.setattr(importlib.util, "find_spec", real)
    broken = subprocs.cold_start_or_note(str(ROOT / "no-such-model"), "cpu", 1)
    assert broken["skipped"].startswith("not measured: the cold-start process failed (")
    assert "no-such-model" in broken["skipped"]
    rows = _rows(report.markdown(*_minimal_report_args(note)))
    assert rows["cold start: process start to first image, s"][1:] == ["–", "≤ 8", note["skipped"]]


def test_compile_probes_show_a_row_per_mode_with_the_whole_image():
    from bench import report

    probe = {"mode": "reduce-overhead", "compiled_ms": 5.0, "eager_ms": 10.0, "ratio": 0.5, "compile_s": 30.0,
             "max_diff": 1e-6, "image_compiled_ms": 40.0, "image_eager_ms": 80.0, "image_max_diff": 1}
    args = list(_minimal_report_args(None))
    args[-1] = [{"mode": "default", "skipped": "not measured: x"}, probe]
    rows = _rows(report.markdown(*args))
    assert rows["torch.compile"][-1] == "not measured: x"
    assert rows["torch.compile (reduce-overhead)"][3:6] == ["5.0", "10.0", "0.50"]
    image = rows["torch.compile (reduce-overhead), one 25-step image"]
    assert image[3:6] == ["40.0", "80.0", "0.50"] and image[-1] == "pixels differ by at most 1/255"


def _minimal_report_args(cold):
    header = {"model": "m", "device": "cpu", "machine": "box", "torch": "t", "threads": "1", "date": "d",
              "repeats": 1, "guidance": 4.0, "size": "8×8 px", "took_s": 1.0, "default_sampler": "Euler"}
    row = {"sampler": "DPM++ 2M", "steps": 25, "nfe": 25, "ms": 10.0, "floor_ms": 9.0, "ratio": 1.1}
    trajectory = {"sampler": "DPM++ 2M", "steps": 25, "on": 10.0, "off": 10.0, "ratio": 1.0}
    grid = {"cells": 8, "steps": 20, "batched": 1.0, "one_by_one": 2.0, "ratio": 0.5, "identical": 8}
    return header, [row], trajectory, grid, cold, 100.0, [], [{"mode": "default", "skipped": "no"}]


def _rows(text: str) -> dict[str, list[str]]:
    """Markdown table rows keyed by their first cell (sampler and steps for the 6-column per-image table)."""
    rows = {}
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[f"{cells[0]} {cells[1]}" if len(cells) == 6 else cells[0]] = cells
    return rows


def _number(cell: str) -> float:
    match = re.match(r"-?\d+(\.\d+)?", cell)
    assert match, f"not a number: {cell!r}"
    return float(match.group(0))


def test_per_image_rows_with_floor_ratios(table):
    rows = _rows(table)
    for sampler in ("Euler", "Heun", "DPM++ 2M"):
        for steps in (10, 25, 50):
            cells = rows[f"{sampler} {steps}"]
            evals = 2 * steps - 1 if sampler == "Heun" else steps
            assert _number(cells[2]) == evals
            ms, floor_ms, ratio = (_number(c) for c in cells[3:6])
            assert ms > 0 and floor_ms > 0 and ratio == pytest.approx(ms / floor_ms, rel=0.05, abs=0.01)


def test_targets_and_levers_are_reported_as_numbers(table):
    rows = _rows(table)
    wanted = {
        "one 25-step image, DPM++ 2M, ms": None,
        "pipeline / floor, median of the rows": None,
        "trajectory capture on / off, DPM++ 2M, 25 steps": None,
        "Compare grid, 8 samplers × 20 steps: batched / one by one": None,
        "cold start: process start to first image, s": None,
        "peak memory (RSS), app-like process, MiB": None,
        "peak memory (RSS), this benchmark, MiB": None,
    }
    for name in wanted:
        assert _number(rows[name][1]) > 0, name
    assert rows["grid cells byte-identical to the cell made alone"][1] == "8/8"
    for lever in ("cond + uncond", "grad mode", "prompt embeddings", "CPU threads", "memory format"):
        assert _number(rows[lever][5]) > 0, lever
    assert "not measured" in rows["torch.compile"][-1]


def test_the_streaming_bench_times_the_served_app_against_the_pipeline():
    """`python -m bench.streaming --quick --model tiny --no-browser`: the served app through gradio_client against
    the pipeline alone, with the ratios and the cost of x̂0 pictures a step."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "NO_PROXY": "127.0.0.1,localhost"}
    done = subprocess.run([sys.executable, "-m", "bench.streaming", "--quick", "--model", "tiny", "--no-browser"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.strip("|").split("|")]
            for line in done.stdout.splitlines() if line.startswith("| ") and not line.startswith("| steps")}
    assert set(rows) == {"4", "8"}
    for cells in rows.values():
        pipeline, pictures, client, ratio_pictures, ratio_client = (_number(c) for c in cells[1:6])
        assert pipeline > 0 and client > 0
        assert ratio_client == pytest.approx(client / pipeline, rel=0.05, abs=0.01)
    assert re.search(r"decoded by the autoencoder \d+\.\d+ ms a step, approximate \d+\.\d+ ms a step", done.stdout)


def test_the_training_load_bench_times_generate_idle_and_during_a_training():
    """`python -m bench.training_load --quick --model tiny`: /generate idle and while /train runs, with the ratio."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "NO_PROXY": "127.0.0.1,localhost"}
    done = subprocess.run([sys.executable, "-m", "bench.training_load", "--quick", "--model", "tiny"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    row = [line for line in done.stdout.splitlines() if line.startswith("| ") and line[2].isdigit()]
    idle, busy, ratio, rate, alone = (_number(c.strip()) for c in row[0].strip("|").split("|"))
    assert idle > 0 and busy > 0 and rate > 0 and alone > 0
    assert ratio == pytest.approx(busy / idle, rel=0.05, abs=0.01)


def test_the_train_step_bench_splits_a_recipe_step_into_its_parts():
    """`python -m bench.train_step --quick`: render, encode and train rows add up to the recipe step's row, each
    lever is timed against the part it would replace, and the step's pace is given in pictures per second."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "bench.train_step", "--quick", "--threads", "1"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {cells[0]: cells[1:] for cells in ([c.strip() for c in line.strip("|").split("|")]
                                              for line in done.stdout.splitlines() if line.startswith("| "))}
    ms = {name: float(cells[0]) for name, cells in rows.items() if cells[0].isdigit()}
    step = ms["**a recipe step** (render + encode + train)"]
    train = ms["text encoder + UNet forward, backward, AdamW, EMA"]
    parts = [ms["render the batch (numpy)"], ms["autoencoder encode (frozen)"], train]
    assert all(p > 0 for p in parts) and step == pytest.approx(sum(parts), abs=2)
    levers = {name: cells for name, cells in rows.items() if name.startswith("lever:")}
    assert len(levers) == 3
    ratio, of = levers["lever: channels-last UNet step"][2].split(" × ")
    assert float(ratio) == pytest.approx(ms["lever: channels-last UNet step"] / train, abs=0.01)
    assert float(of.removesuffix(" ms")) == pytest.approx(train, abs=1)
    rate = float(re.search(r"A recipe step at this pace: (\d+) pictures/s", done.stdout).group(1))
    assert rate == pytest.approx(4 / (step / 1000), rel=0.1, abs=1)

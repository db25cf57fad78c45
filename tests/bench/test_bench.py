"""`python -m bench --quick --model tiny` runs from one command and prints the tables the issue asks for."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # a whole benchmark run in a subprocess


@pytest.fixture(scope="module")
def table():
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--model", "tiny", "--repeats", "1", "--threads", "1"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


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

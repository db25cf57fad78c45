"""The benchmark's markdown: per-image table, targets, levers."""

from __future__ import annotations

import statistics

TARGETS = {"image_ms": 1000.0, "floor": 1.10, "trajectory": 1.05, "grid": 0.50, "cold_s": 8.0}


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def markdown(header: dict, rows: list[dict], trajectory: dict, grid: dict, cold: dict | None, rss_mib: float,
             levers: list[dict], compiled: list[dict]) -> str:
    out = [f"## {header['model']} model on {header['device']}: {header['machine']}, {header['date']}", "",
           f"{header['machine']} · torch {header['torch']} · {header['threads']} · {header['date']} · "
           f"median of {header['repeats']} · guidance {header['guidance']:g} · {header['size']} · "
           f"benchmark took {header['took_s']:.0f} s", ""]

    out += ["### Per image", "",
            "| sampler | steps | model evals | ms / image | floor ms | pipeline / floor |",
            "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        out.append(f"| {r['sampler']} | {r['steps']} | {r['nfe']} | {r['ms']:.1f} | {r['floor_ms']:.1f} "
                   f"| {r['ratio']:.2f} |")
    out += ["", "Floor: the same number of UNet calls made directly in a loop (cond + uncond batched, same "
            "shapes, inference_mode). The pipeline adds the text encoder (cached), the scheduler steps and the "
            "decode.", ""]

    ratios = [r["ratio"] for r in rows]
    worst = max(rows, key=lambda r: r["ratio"])
    at25 = [r for r in rows if r["sampler"] == header["default_sampler"] and r["steps"] == 25]
    image_ms = at25[0]["ms"] if at25 else None
    out += ["### Against the targets", "", "| figure | measured | target | met |", "|---|---|---|---|"]
    if image_ms is not None:
        out.append(f"| one 25-step image, {header['default_sampler']}, ms | {image_ms:.1f} | ≤ {TARGETS['image_ms']:.0f} "
                   f"| {_met(image_ms <= TARGETS['image_ms'])} |")
    med = statistics.median(ratios)
    out.append(f"| pipeline / floor, median of the rows | {med:.2f} (max {worst['ratio']:.2f}: {worst['sampler']}, "
               f"{worst['steps']} steps) | ≤ {TARGETS['floor']:.2f} | {_met(med <= TARGETS['floor'])} |")
    out.append(f"| trajectory capture on / off, {trajectory['sampler']}, {trajectory['steps']} steps | "
               f"{trajectory['ratio']:.2f} ({trajectory['on']:.1f} / {trajectory['off']:.1f} ms) | "
               f"≤ {TARGETS['trajectory']:.2f} | {_met(trajectory['ratio'] <= TARGETS['trajectory'])} |")
    out.append(f"| Compare grid, {grid['cells']} samplers × {grid['steps']} steps: batched / one by one | "
               f"{grid['ratio']:.2f} ({grid['batched']:.0f} / {grid['one_by_one']:.0f} ms) | ≤ {TARGETS['grid']:.2f} "
               f"| {_met(grid['ratio'] <= TARGETS['grid'])} |")
    out.append(f"| grid cells byte-identical to the cell made alone | {grid['identical']}/{grid['cells']} | "
               f"{grid['cells']}/{grid['cells']} | {_met(grid['identical'] == grid['cells'])} |")
    if cold and "skipped" in cold:
        out.append(f"| cold start: process start to first image, s | – | ≤ {TARGETS['cold_s']:.0f} | "
                   f"{cold['skipped']} |")
    elif cold:
        out.append(f"| cold start: process start to first image, s | {cold['seconds']:.1f} (model load "
                   f"{cold['load_s']:.1f}, UI {cold['ui_s']:.1f}, image {cold['image_s']:.1f}; the rest is "
                   f"imports) | ≤ {TARGETS['cold_s']:.0f} | {_met(cold['seconds'] <= TARGETS['cold_s'])} |")
        out.append(f"| peak memory (RSS), app-like process, MiB | {cold['peak_rss_mib']:.0f} | – | |")
    out.append(f"| peak memory (RSS), this benchmark, MiB | {rss_mib:.0f} | – | |")
    out.append("")

    out += ["### Levers", "",
            "| lever | alternative | playground uses | alternative ms | playground ms | alternative / playground | note |",
            "|---|---|---|---:|---:|---:|---|"]
    for lv in levers:
        out.append(f"| {lv['lever']} | {lv['a']} | {lv['b']} | {lv['a_ms']:.1f} | {lv['b_ms']:.1f} | "
                   f"{lv['ratio']:.2f} | {lv['note']} |")
    for probe in compiled:
        name = "torch.compile" + ("" if probe.get("mode", "default") == "default" else f" ({probe['mode']})")
        if "skipped" in probe:
            out.append(f"| {name} | compiled UNet | eager | – | – | – | {probe['skipped']} |")
            continue
        out.append(f"| {name} | compiled UNet | eager | {probe['compiled_ms']:.1f} | {probe['eager_ms']:.1f} "
                   f"| {probe['ratio']:.2f} | not used; compiling took {probe['compile_s']:.0f} s and changes the UNet "
                   f"output by up to {probe['max_diff']:.1e} |")
        if "image_compiled_ms" in probe:
            out.append(f"| {name}, one 25-step image | compiled UNet | eager | {probe['image_compiled_ms']:.1f} | "
                       f"{probe['image_eager_ms']:.1f} | {probe['image_compiled_ms'] / probe['image_eager_ms']:.2f} | "
                       f"pixels differ by at most {probe['image_max_diff']}/255 |")
    out.append("")
    return "\n".join(out)


def record(path, table: str) -> None:
    """The tables into a performance history (bench/RESULTS.md's layout: an introduction, then one section per run,
    newest first): inserted before the first run's heading, or the file made with them alone."""
    from pathlib import Path

    path = Path(path)
    text = path.read_text() if path.exists() else ""
    cut = text.find("\n## ")
    if cut < 0:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + table.rstrip("\n") + "\n"
    else:
        text = text[:cut + 1] + table.rstrip("\n") + "\n\n" + text[cut + 1:]
    path.write_text(text)

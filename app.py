"""Launch the diffusion playground.

    python app.py                          # the bundled models (the default first), on http://127.0.0.1:7860
    python app.py --model shapes-32        # only the 32x32 shapes model
    python app.py --model path/to/sd-folder --model bundled --port 8000
    python app.py --host 0.0.0.0           # reachable from other machines: see "Running it for others"
    python app.py --device cuda --dtype fp16   # on a GPU

Models load once at start; the browser picks among them by name and can never name a path.
"""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from playground.bounds import MAX_UPLOAD_BYTES  # noqa: E402  (imports nothing: gradio and torch load in main)

QUEUE_SIZE = 64  # requests waiting beyond this are told the queue is full
SESSIONS = 200  # per-user state (a run's step pictures, up to ~30 MB) is kept for this many recent sessions
# How the app is served (tests serve it the same way). Gradio refuses uploads over MAX_UPLOAD_BYTES and keeps
# none of them; show_error shows the text of unexpected errors too, not only gr.Error's.
LAUNCH_OPTIONS = dict(show_error=True, ssr_mode=False, max_file_size=MAX_UPLOAD_BYTES, state_session_capacity=SESSIONS)


def parse_args(argv=None):
    from pipelines.loading import BUNDLED, DEFAULT_BUNDLED  # torch and diffusers, not gradio

    ap = argparse.ArgumentParser(description="Diffusion playground")
    ap.add_argument("--model", action="append", default=None,
                    help=f"a bundled model by name ({', '.join(BUNDLED)}; 'bundled' is the default, "
                         f"{DEFAULT_BUNDLED}), "
                         "a diffusers folder or a hub id; give it several times to offer several "
                         "(default: every bundled model in this checkout, the default first)")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    ap.add_argument("--port", type=int, default=7860)
    ap.add_argument("--device", default="cpu", help="cpu, cuda, cuda:0, mps")
    ap.add_argument("--dtype", default="fp32", choices=["fp32", "fp16", "bf16"],
                    help="the precision the models run in (default fp32; fp16 on a GPU halves memory and time)")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch CPU threads (default: one fewer than the cores, so the server and browser keep one)")
    ap.add_argument("--concurrency", type=int, default=2,
                    help="model runs (from any tab) at once (default 2); up to 64 more wait in the queue")
    return ap.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    from pipelines import ModelLoadError
    from pipelines.loading import bundled_models
    from playground.app_ui import CSS, build_demo
    from playground.registry import ModelRegistry, set_threads

    set_threads(args.threads)
    try:
        registry = ModelRegistry.load(args.model or bundled_models(), device=args.device, dtype=args.dtype)
    except ModelLoadError as e:
        sys.exit(f"error: {e}")
    demo = build_demo(registry)
    demo.queue(default_concurrency_limit=args.concurrency, max_size=QUEUE_SIZE)
    demo.launch(server_name=args.host, server_port=args.port, css=CSS, **LAUNCH_OPTIONS)


if __name__ == "__main__":
    main()

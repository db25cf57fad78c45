"""Benchmark of the playground's generation against its floor (the bare UNet calls it needs).

    python -m bench                     # the bundled model on CPU, under 5 minutes; prints markdown
    python -m bench --quick --model tiny
    python -m bench --device cuda

Modules: measure.py (timers, the model, the UNet floor), figures.py (what is measured),
subprocs.py (cold start and torch.compile, each in its own process), report.py (the tables).
"""

"""Benchmark of the playground's generation against its floor (the bare UNet calls it needs).

    python -m bench                     # the bundled model on CPU, under 5 minutes; prints markdown
    python -m bench --quick --model tiny
    python -m bench --device cuda

Modules: measure.py (timers, the model, the UNet floor), figures.py (what is measured),
subprocs.py (cold start and torch.compile, each in its own process), report.py (the tables).
sd_compare.py (`python -m bench.sd_compare --out DIR`: the playground against diffusers' StableDiffusionPipeline on
an SD-1.5-shaped random model, to files); gpu_session.sh runs it and the bench on a GPU machine (gpu_wheels.sh
fetches the wheels that machine lacks; docs/performance.md, "GPU session: how to run").
"""

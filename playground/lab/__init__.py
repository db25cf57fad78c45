"""The experiments behind the tabs, as plain data and functions: no gradio here.

presets and presets_v2 (the Limits tab's failure cases, per world), runs (a prompt over seeds; the presets' measured
figures), judging (which world a model draws, and that world's judge), metrics
(pixel distances, spread, saturation), counts (the count sweep), forward_process (noising to t, the schedule),
denoise (denoising from t), guidance_strip (one seed over several guidance scales), word_maps (whether the
cross-attention maps sit on the things the words name, measured with the judge). The tabs in
``playground.tabs`` turn their results into gallery items, plots and markdown.
"""

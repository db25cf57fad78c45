"""The experiments behind the tabs, as plain data and functions: no gradio here.

presets (the Limits tab's failure cases), runs (a prompt over seeds), judging (the world's judge), metrics
(pixel distances, spread, saturation), counts (the count sweep), forward_process (noising to t, the schedule),
denoise (denoising from t), guidance_strip (one seed over several guidance scales). The tabs in
``playground.tabs`` turn their results into gallery items, plots and markdown.
"""

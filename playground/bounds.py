"""The app's own bounds: the ones the pipeline does not define, each defined once.

The model's bounds (steps, guidance scale, seed, images per prompt, image side, grid cells, prompt length) are
the pipeline's: import them from ``pipelines.limits``, never write the numbers again. This module imports
nothing, so app.py can read the upload limit without loading torch.
"""

# Files people hand in. Gradio refuses larger uploads (app.py passes MAX_UPLOAD_BYTES as max_file_size); pictures
# to noise and PNGs to restore settings from are checked again before a pixel is decoded.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_SIDE = 4096
MAX_UPLOAD_PIXELS = MAX_UPLOAD_SIDE * MAX_UPLOAD_SIDE
MAX_SETTINGS_TEXT = 20_000  # characters of a PNG's parameters chunk we are willing to read

MAX_STEP_COUNTS = 6  # Compare: step counts in one comparison
MAX_SEEDS = 64  # Limits and the seed grid: seeds in one run
MAX_STRIP = 12  # Forward diffusion: noise levels in one strip (half as many to denoise from)
MAX_SCALES = 8  # Guidance and seeds: guidance scales in one strip

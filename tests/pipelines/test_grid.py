"""generate_grid: a Compare grid with batched model calls gives every cell exactly what that cell gives alone."""

import pytest
import torch

from pipelines import SAMPLERS, PlaygroundInputError
from pipelines.grid import GRID_MAX_BATCH, GridRun, generate_grid

PROMPT = "three red circles"
NEGATIVE = "blue"

# Every sampler at 3 steps, plus a few again at other step counts, so cells of very different
# lengths (Heun 5 steps = 9 calls, PNDM 2 steps = 3 calls, Euler a 1 step = 1 call) share rounds.
# Every sampler, plus other step counts up to the grid's bound (MAX_GRID_CELLS, 24).
CELLS = [(name, 3) for name in SAMPLERS] + [("Heun", 5), ("DDPM", 6), ("PNDM", 2), ("Euler a", 1)]


def _unet_batch_sizes(pipe):
    sizes = []
    handle = pipe.unet.register_forward_hook(lambda module, args, output: sizes.append(args[0].shape[0]))
    return sizes, handle


def _same_record(a, b) -> bool:
    plain = ("step", "timestep", "sigma", "sigma_next", "nfe")
    return all(getattr(a, k) == getattr(b, k) for k in plain) and torch.equal(a.x_t, b.x_t) and torch.equal(a.x0, b.x0)


def _assert_cells_equal_alone(pipe, outs, cells, guidance, seed):
    assert len(outs) == len(cells)
    for (name, steps), out in zip(cells, outs):
        alone = pipe(PROMPT, NEGATIVE, name, steps, guidance, seed, return_trajectory=True)
        where = f"{name}, {steps} steps"
        assert out.images[0].tobytes() == alone.images[0].tobytes(), where
        assert (out.sampler, out.num_inference_steps, out.nfe, out.seeds) == (name, steps, alone.nfe, [seed]), where
        assert out.guidance_scale == guidance and out.warnings == alone.warnings
        assert len(out.trajectory) == len(alone.trajectory) == steps, where
        assert all(_same_record(a, b) for a, b in zip(out.trajectory, alone.trajectory)), where


@pytest.mark.parametrize("kind, longest_cell", [("pixel", 9), ("latent", 9), ("ztsnr", 8)])
def test_every_sampler_in_a_batched_grid_equals_the_cell_alone(request, kind, longest_cell):
    """ztsnr: from pure noise Heun and DPM2 (a) take step 0 in one call, so Heun at 5 steps makes 8."""
    pipe = request.getfixturevalue(f"{kind}_pipe")
    sizes, handle = _unet_batch_sizes(pipe)
    rounds = []
    try:
        outs = pipe.generate_grid(PROMPT, NEGATIVE, CELLS, 4.0, 21, return_trajectory=True,
                                  on_round=lambda done, total: rounds.append((done, total)))
    finally:
        handle.remove()
    longest = max(out.nfe for out in outs)  # Heun at 5 steps: 9 calls
    assert longest == longest_cell and rounds == [(i, longest) for i in range(1, longest + 1)]
    # One UNet call per chunk per round, never more than GRID_MAX_BATCH samples, all cells' calls batched.
    assert max(sizes) <= GRID_MAX_BATCH and sum(sizes) == 2 * sum(out.nfe for out in outs)
    assert len(sizes) < sum(out.nfe for out in outs) / 4
    _assert_cells_equal_alone(pipe, outs, CELLS, 4.0, 21)


@pytest.mark.parametrize("guidance", [1.0, 0.0])
def test_single_branch_grid_falls_back_to_one_call_per_cell(latent_pipe, guidance):
    """At guidance 0 or 1 a cell alone calls the UNet with batch 1, which on CPU takes another kernel than any
    larger batch (its output differs in the last bits), so those cells are not batched."""
    cells = [("Euler", 3), ("Heun", 2), ("DPM++ 2M", 4), ("Euler a", 3)]
    sizes, handle = _unet_batch_sizes(latent_pipe)
    try:
        outs = latent_pipe.generate_grid(PROMPT, NEGATIVE, cells, guidance, 5, return_trajectory=True)
    finally:
        handle.remove()
    assert sizes == [1] * (3 + 3 + 4 + 3)
    _assert_cells_equal_alone(latent_pipe, outs, cells, guidance, 5)


def test_a_batch_of_one_differs_from_larger_batches_in_the_last_bits(latent_pipe):
    """Why the fallback above exists; if torch ever makes batch 1 agree, single-branch grids could batch too."""
    embeds = latent_pipe.encode_prompt_pair(PROMPT, NEGATIVE)
    x = torch.randn(2, 4, 8, 8, generator=torch.Generator().manual_seed(0))
    t = torch.tensor(500)
    with torch.inference_mode():
        one = latent_pipe.guided_prediction(x[:1], t, embeds, 1.0)[0]
        two = latent_pipe.guided_prediction(x, t, embeds, 1.0)[0]
        guided_two = latent_pipe.guided_prediction(x[:1], t, embeds, 4.0)[0]  # cond + uncond: a batch of 2
        guided_four = latent_pipe.guided_prediction(x, t, embeds, 4.0)[0]
    torch.testing.assert_close(one, two[:1])
    assert torch.equal(guided_two, guided_four[:1])
    if torch.equal(one, two[:1]):
        pytest.skip("this torch build gives batch 1 the same bits; the fallback is no longer needed here")


def test_small_max_batch_splits_into_equal_chunks(pixel_pipe):
    cells = [("Euler", 2), ("DDIM", 2), ("LMS", 2), ("DPM++ 2M SDE", 2), ("DEIS", 2)]
    sizes, handle = _unet_batch_sizes(pixel_pipe)
    try:
        outs = generate_grid(pixel_pipe, PROMPT, NEGATIVE, cells, 3.0, 8, max_batch=4)
        one_by_one = generate_grid(pixel_pipe, PROMPT, NEGATIVE, cells, 3.0, 8, max_batch=2)
    finally:
        handle.remove()
    assert sizes == [4, 4, 2] * 2 + [2] * 10  # 5 cells in chunks of 2, 2, 1 cells; then one cell per call
    for a, b in zip(outs, one_by_one):
        assert a.images[0].tobytes() == b.images[0].tobytes() and a.trajectory is None


def test_nfe_and_time_shares(pixel_pipe):
    cells = [("Euler", 4), ("Heun", 4), ("PNDM", 4), ("DPM2", 1)]
    outs = pixel_pipe.generate_grid(PROMPT, "", cells, 4.0, 0, output_type="np")
    assert [out.nfe for out in outs] == [4, 7, 5, 1]
    assert all(out.images.shape == (1, 8, 8, 3) for out in outs)
    total = sum(out.seconds for out in outs)
    assert total > 0 and outs[1].seconds == pytest.approx(total * 7 / 17)


def test_a_grid_run_round_by_round_shows_each_cell_and_stops_where_left(pixel_pipe):
    """GridRun: what generate_grid does, one round at a time; leaving after round 3 keeps 3 steps per long cell,
    the short cell finished (and equal to its call alone), and the steps made equal the full run's."""
    cells = [("Euler", 2), ("Heun", 2), ("DDIM", 6)]
    full = pixel_pipe.generate_grid(PROMPT, NEGATIVE, cells, 4.0, 3, return_trajectory=True)
    grid = GridRun(pixel_pipe, PROMPT, NEGATIVE, cells, 4.0, 3, return_trajectory=True)
    seen = []
    for done in grid.rounds():
        seen.append(done)
        if done.round == 3:
            break
    assert [(d.round, d.total) for d in seen] == [(1, 6), (2, 6), (3, 6)] and not grid.finished
    assert seen[0].finished == (False, False, False) and seen[2].finished == (True, True, False)  # Heun: 3 calls
    assert [d.latest[2].step for d in seen] == [0, 1, 2] and seen[0].latest[1] is None  # Heun's step 0 takes 2 calls
    outs = grid.outputs()
    assert [len(out.trajectory) for out in outs] == [2, 2, 3] and [out.nfe for out in outs] == [2, 3, 3]
    assert outs[0].images[0].tobytes() == full[0].images[0].tobytes()
    assert all(_same_record(a, b) for a, b in zip(outs[2].trajectory, full[2].trajectory))
    rest = list(grid.rounds())  # going on finishes it as if never left
    assert [d.round for d in rest] == [4, 5, 6] and grid.finished
    assert all(a.images[0].tobytes() == b.images[0].tobytes() for a, b in zip(grid.outputs(), full))


@pytest.mark.parametrize("cells, message", [
    ([], "Cells must be a list of 1 to 24"),
    ("Euler", "Cells must be a list"),
    ([("Euler",)], "Cells must be a list"),
    ([("Euler", 2)] * 25, "Cells must be a list of 1 to 24"),
    ([("Euler", 2), ("Nope", 2)], "Unknown sampler 'Nope'"),
    ([("Euler", 0)], "Steps must be a whole number from 1 to 150"),
])
def test_bad_cells_are_refused_in_words(pixel_pipe, cells, message):
    with pytest.raises(PlaygroundInputError, match=message):
        pixel_pipe.generate_grid(PROMPT, "", cells, 4.0, 0)


def test_bad_max_batch_is_refused(pixel_pipe):
    with pytest.raises(PlaygroundInputError, match="max_batch"):
        pixel_pipe.generate_grid(PROMPT, "", [("Euler", 2)], 4.0, 0, max_batch=1)


def _random_unet_inputs(unet, n: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    size = unet.config.sample_size if isinstance(unet.config.sample_size, int) else unet.config.sample_size[0]
    x = torch.randn(n, unet.config.in_channels, size, size, generator=g)
    t = torch.randint(0, 1000, (n,), generator=g).float()
    kwargs = {"encoder_hidden_states": torch.randn(n, 8, unet.config.cross_attention_dim, generator=g)}
    if unet.config.class_embed_type == "projection":
        kwargs["class_labels"] = torch.randn(n, unet.config.projection_class_embeddings_input_dim, generator=g)
    return x, t, kwargs


def _unet_rows(unet, x, t, kwargs, start, stop):
    with torch.inference_mode():
        return unet(x[start:stop], t[start:stop], **{k: v[start:stop] for k, v in kwargs.items()}).sample


@pytest.mark.parametrize("kind", ["pixel", "latent"])
def test_the_unet_gives_each_sample_the_same_bits_in_any_batch_of_two_or_more(request, kind):
    """The promise behind batched grids and images-per-prompt, up to twice the 8-cell grid's 16 samples."""
    unet = request.getfixturevalue(f"{kind}_pipe").unet
    x, t, kwargs = _random_unet_inputs(unet, 32)
    pairs = torch.cat([_unet_rows(unet, x, t, kwargs, i, i + 2) for i in range(0, 32, 2)])
    for batch in (4, 14, 15, 16, 17, 24, 32):
        assert torch.equal(_unet_rows(unet, x, t, kwargs, 0, batch), pairs[:batch]), f"batch of {batch}"


def test_why_convolutions_are_chunked(latent_pipe):
    """With one thread, oneDNN convolves 16+ samples with another kernel than 2..14 (measured on torch 2.13,
    Intel and AMD CPUs: the tiny UNets differed at every batch from 16 to 48); BatchInvariantConv2d runs such
    batches in chunks of at most 14. The same UNet with plain convolutions shows the difference."""
    import copy

    from pipelines.batch_invariance import BatchInvariantConv2d

    plain = copy.deepcopy(latent_pipe.unet)
    for module in plain.modules():
        if type(module) is BatchInvariantConv2d:
            module.__class__ = torch.nn.Conv2d
    x, t, kwargs = _random_unet_inputs(plain, 32)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        pairs = torch.cat([_unet_rows(plain, x, t, kwargs, i, i + 2) for i in range(0, 32, 2)])
        whole = _unet_rows(plain, x, t, kwargs, 0, 32)
        chunked = _unet_rows(latent_pipe.unet, x, t, kwargs, 0, 32)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(chunked, pairs)
    torch.testing.assert_close(whole, pairs)
    if torch.equal(whole, pairs):
        pytest.skip("this CPU and torch build convolve 32 samples like 2; the chunking is a no-op here")


def test_an_eight_sampler_grid_makes_one_unet_call_per_round(latent_pipe):
    cells = [(name, 3) for name in ("Euler", "Euler a", "Heun", "DPM2 a", "DPM++ 2M", "DPM++ SDE", "DDIM", "UniPC")]
    sizes, handle = _unet_batch_sizes(latent_pipe)
    try:
        outs = latent_pipe.generate_grid(PROMPT, NEGATIVE, cells, 4.0, 9, return_trajectory=True)
    finally:
        handle.remove()
    rounds = max(out.nfe for out in outs)  # Heun, DPM2 a and DPM++ SDE: 5 calls for 3 steps
    assert len(sizes) == rounds and sizes[0] == 16
    _assert_cells_equal_alone(latent_pipe, outs, cells, 4.0, 9)

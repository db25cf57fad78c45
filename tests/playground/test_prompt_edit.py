"""Prompt editing (AUTOMATIC1111's [before:after:when]): the prompts a run reads step by step, the pipeline's
step-end callback that switches them, and what it does to the v2 model's pictures."""
import pytest
import torch

from pipelines import PlaygroundInputError
from playground.prompt_edit import edits, plan_words, schedule, switch_callback


@pytest.mark.parametrize("text, steps, plan", [
    ("a [red:blue:8] car", 20, [(1, "a red car"), (9, "a blue car")]),
    ("[a car on grass:a car on the beach:0.25]", 20, [(1, "a car on grass"), (6, "a car on the beach")]),
    ("a car on grass [at night:5]", 10, [(1, "a car on grass"), (6, "a car on grass at night")]),
    ("a car [on grass::5]", 10, [(1, "a car on grass"), (6, "a car")]),
    ("a [red:blue:3] car [on grass:on the beach:6]", 10,
     [(1, "a red car on grass"), (4, "a blue car on grass"), (7, "a blue car on the beach")]),
    ("a [red:blue:0] car", 10, [(1, "a blue car")]),  # from the first step
    ("a [red:blue:20] car", 20, [(1, "a red car")]),  # after the last step: never
    ("a [red:blue:1.0] car", 20, [(1, "a red car")]),  # the whole run
    ('a sign that says "[OK]"', 20, [(1, 'a sign that says "[OK]"')]),  # no edit: as typed
    ("a [red:blue] car", 20, [(1, "a [red:blue] car")]),
])
def test_the_prompt_a_run_reads_at_each_step(text, steps, plan):
    assert schedule(text, steps) == plan


def test_nested_brackets_are_refused_in_words():
    with pytest.raises(PlaygroundInputError, match="brackets inside brackets"):
        schedule("a [red:[blue:green:2]:8] car", 20)


def test_switch_points_and_plan_in_words():
    assert [e.words() for e in edits("[a:b:8] [c:d:0.25]")] == ["after step 8", "after 25 % of the steps"]
    assert plan_words([(1, "a red car"), (9, "a blue car")], 20) == "steps 1-8: `a red car`; steps 9-20: `a blue car`"


def test_the_switch_takes_effect_from_the_next_step_exactly(v2_pipe):
    """Until the switch the run is the first prompt's, step for step; from the next step it reads the second."""
    kw = dict(sampler="DPM++ 2M", num_inference_steps=8, seed=3, return_trajectory=True)
    plain = v2_pipe("a yellow car on grass", **kw).trajectory
    plan = schedule("[a yellow car on grass:a yellow car on the beach:4]", 8)
    edited = v2_pipe(plan[0][1], callback_on_step_end=switch_callback(v2_pipe, plan, ""), **kw).trajectory
    beach = v2_pipe("a yellow car on the beach", **kw).trajectory
    for k in range(4):
        assert torch.equal(edited[k].x_t, plain[k].x_t)
    assert not torch.equal(edited[4].x_t, plain[4].x_t) and not torch.equal(edited[4].x_t, beach[4].x_t)
    # a callback that hands back the embeddings the run already reads changes nothing
    same = switch_callback(v2_pipe, [(1, "a yellow car on grass"), (3, "a yellow car on grass")], "")
    assert torch.equal(v2_pipe("a yellow car on grass", callback_on_step_end=same, **kw).trajectory[-1].x_t,
                       plain[-1].x_t)


def test_an_early_switch_changes_the_layout_and_a_late_one_does_not(v2_pipe):
    """Coarse to fine: the backdrop is settled within the first steps. Switched from grass to the beach after step 2
    of 20 the pictures show the beach; after step 10 they keep the grass (the world's judge reads the backdrop)."""
    from world.v2.judge import judge
    from world.v2.reading import read_caption

    beach = read_caption("a yellow car on the beach")
    grass = read_caption("a yellow car on grass")
    for when, expect in ((2, beach), (10, grass)):
        plan = schedule(f"[a yellow car on grass:a yellow car on the beach:{when}]", 20)
        callback = switch_callback(v2_pipe, plan, "")
        reads = []
        for seed in range(4):
            image = v2_pipe(plan[0][1], sampler="DPM++ 2M", num_inference_steps=20, seed=seed,
                            callback_on_step_end=callback).images[0]
            reads.append(judge(image, expect)["backdrop"])
        assert sum(reads) >= 3, (when, reads)


def test_tabs_that_do_not_edit_prompts_say_so_where_a_prompt_is_written_for_it():
    from playground.prompt_edit import READ_AS_TYPED, read_as_typed_note

    assert read_as_typed_note("[a car on grass:a car on the beach:3]") == [READ_AS_TYPED]
    assert read_as_typed_note("a [[red:blue:2]] car") == [READ_AS_TYPED]  # nested: still meant as an edit
    for plain in ("a car on grass", 'a sign that says "[OK]"', None, ""):
        assert read_as_typed_note(plain) == []


def test_automatic1111_syntax_not_read_here_is_named_where_it_is_typed():
    """Alternation is not read: the token line and the other tabs' notes say so, with the first example as typed;
    emphasis is read, so nothing is said of it."""
    from playground.prompt_edit import READ_AS_TYPED, read_as_typed_note, unread_syntax

    notes = unread_syntax("a (red:1.5) car, a [green] tree, a [cat|dog] and a [cow|pig] on grass")
    assert len(notes) == 1 and notes[0].startswith("`[cat|dog]` is alternation in AUTOMATIC1111"), notes
    for plain in ("a car on grass", "a [red:blue:8] car", "a (red:1.5) car", 'a sign that says "[A|B]"'):
        assert unread_syntax(plain) == [], plain
    assert read_as_typed_note("a [red:blue:8] [car|mug]") == [READ_AS_TYPED, unread_syntax("[car|mug]")[0]]


def test_the_token_line_shows_each_token_s_emphasis(v2_pipe):
    from playground.tabs.generate import token_summary

    text = token_summary(v2_pipe, "a (red:1.5) car on ((grass))")
    assert "**Tokens** (5/46): `a` `red`×1.5 `car` `on` `grass`×1.21" in text, text
    assert "**Emphasis** (AUTOMATIC1111's `(word:1.5)`" in text
    plain = token_summary(v2_pipe, "a red car on grass")
    assert "×" not in plain and "Emphasis" not in plain
    edited = token_summary(v2_pipe, "a [red:blue:2] car on grass")  # an edit, not a de-emphasis: its first prompt
    assert "`a` `red` `car` `on` `grass`" in edited and "×" not in edited

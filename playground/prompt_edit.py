"""Prompt editing in AUTOMATIC1111's syntax: another prompt from a step on.

    a [red:blue:8] car on grass                 'a red car on grass' for steps 1-8, then 'a blue car on grass'
    [a car on grass:a car on the beach:0.25]    the whole prompt switched after a quarter of the steps
    a car on grass [at night:5]                 'at night' added after step 5
    a car [on grass::5]                         'on grass' taken away after step 5

``when`` with a decimal point is a share of the run's steps, without one a step number (as AUTOMATIC1111 reads it
since 2023). The run reads the first prompt up to and including that step, the second from the next. Since the
picture settles coarse to fine, a switch early changes the layout, a late one only the details: the lesson's claim,
seen in one picture. Generate runs it through the pipeline's step-end callback, which hands the next step's prompt
embeddings to the sampler, as diffusers' pipelines allow.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.errors import PlaygroundInputError

_EDIT = re.compile(r"\[([^\[\]]*)\]")
_WHEN = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*")


@dataclass(frozen=True)
class Edit:
    """One ``[before:after:when]``: where it stands in the prompt, and what it reads before and after."""

    start: int
    end: int
    before: str
    after: str
    when: str  # as typed: "8" (a step) or "0.25" (a share of the steps)

    def last_step(self, steps: int) -> int:
        """The last step (1-based) that reads ``before``: 0 reads ``after`` from the first step."""
        value = float(self.when)
        if "." in self.when:
            value *= steps
        return min(steps, int(value))

    def words(self) -> str:
        """When it switches, in words: 'after step 8' or 'after 25 % of the steps'."""
        if "." in self.when:
            return f"after {float(self.when) * 100:g} % of the steps"
        return f"after step {int(self.when)}"


def edits(text: str) -> list[Edit]:
    """The prompt's edits, left to right. Brackets that are no edit (no ':' and a number last) stay as typed."""
    if _nested(text):
        raise PlaygroundInputError("Prompt editing: brackets inside brackets are not read here; write each edit "
                                   "as [before:after:step] on its own, e.g. 'a [red:blue:8] car'.")
    found = []
    for match in _EDIT.finditer(text):
        parts = match.group(1).split(":")
        if len(parts) not in (2, 3) or not _WHEN.fullmatch(parts[-1]):
            continue
        before, after = (parts[0], parts[1]) if len(parts) == 3 else ("", parts[0])
        found.append(Edit(match.start(), match.end(), before, after, parts[-1].strip()))
    return found


READ_AS_TYPED = ("Prompt editing ([before:after:when]) is read in the Generate tab; here it is not: the words "
                 "inside the square brackets are all read, weighted down as [word] is.")


def read_as_typed_note(text) -> list[str]:
    """For the tabs that do not edit prompts: a note where the prompt is written for prompt editing, and one for
    AUTOMATIC1111's syntax that no tab reads (``unread_syntax``)."""
    if not isinstance(text, str) or "[" not in text:  # both are written in square brackets
        return []
    try:
        edited = bool(edits(text))
    except PlaygroundInputError:
        edited = True
    return ([READ_AS_TYPED] if edited else []) + unread_syntax(text)


_ALTERNATION = re.compile(r"\[[^\[\]]*\|[^\[\]]*\]")  # [cat|dog]


def unread_syntax(text: str) -> list[str]:
    """AUTOMATIC1111's prompt syntax that this playground does not read, one note per kind found (the first
    example as typed): alternation ``[cat|dog]``. Emphasis, ``(red:1.5)``, is read (pipelines/emphasis.py). Quoted
    text (a sign's words) is left out."""
    text = re.sub(r'"[^"]*"', '""', text)
    found = _ALTERNATION.search(text)
    if not found:
        return []
    return [f"`{found.group(0)}` is alternation in AUTOMATIC1111 (one word a step, in turn); it is not read here: "
            "the words are read together, weighted down by the square brackets as `[word]` is."]


def _nested(text: str) -> bool:
    depth = 0
    for char in text:
        depth += (char == "[") - (char == "]")
        if depth > 1:
            return True
    return False


def prompt_at(text: str, step: int, steps: int, found: list[Edit] | None = None) -> str:
    """The prompt read at ``step`` (1-based) of a run of ``steps``."""
    found = edits(text) if found is None else found
    out, at = [], 0
    for edit in found:
        out.append(text[at:edit.start])
        out.append(edit.before if step <= edit.last_step(steps) else edit.after)
        at = edit.end
    out.append(text[at:])
    return " ".join("".join(out).split())  # what an edit took away leaves no double space


def schedule(text: str, steps: int) -> list[tuple[int, str]]:
    """(first step, prompt) for each stretch of the run that reads one prompt, in order; one entry without edits."""
    found = edits(text)
    if not found:
        return [(1, text)]
    out: list[tuple[int, str]] = []
    for step in range(1, max(1, steps) + 1):
        prompt = prompt_at(text, step, steps, found)
        if not out or out[-1][1] != prompt:
            out.append((step, prompt))
    return out


def switch_callback(pipe, plan: list[tuple[int, str]], negative: str):
    """A step-end callback (``callback_on_step_end``) that hands the pipeline each stretch's prompt embeddings
    after the step before it. The embeddings are made now (cached by the pipeline), not during the run."""
    embeds = {first - 1: pipe.encode_prompt_pair(prompt, negative) for first, prompt in plan[1:]}

    def callback(_pipe, index: int, _timestep, _kwargs) -> dict:
        nxt = embeds.get(index + 1)  # index: the step just done (0-based)
        if nxt is None:
            return {}
        return {"prompt_embeds": nxt.cond, "negative_prompt_embeds": nxt.uncond,
                "pooled_prompt_embeds": nxt.cond_pooled, "negative_pooled_prompt_embeds": nxt.uncond_pooled}
    return callback


def plan_words(plan: list[tuple[int, str]], steps: int) -> str:
    """The run's prompts in words: 'steps 1-8: `a red car`; steps 9-20: `a blue car`'."""
    parts = []
    for k, (first, prompt) in enumerate(plan):
        last = plan[k + 1][0] - 1 if k + 1 < len(plan) else steps
        span = f"step {first}" if first == last else f"steps {first}-{last}"
        parts.append(f"{span}: `{prompt or '(empty)'}`")
    return "; ".join(parts)

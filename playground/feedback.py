"""How the tabs answer a person: bad input as ``gr.Error`` with the plain message, notes as ``gr.Warning``."""
from __future__ import annotations

from contextlib import contextmanager

import gradio as gr

from pipelines import PlaygroundInputError
from playground.prompt_edit import read_as_typed_note


def user_error(e: Exception) -> gr.Error:
    """The message of ``e`` as Gradio shows it to a person, without a traceback in the server log."""
    return gr.Error(str(e), print_exception=False)


@contextmanager
def user_errors():
    """Inside it, a PlaygroundInputError (a plain message about the input) reaches the person as gr.Error."""
    try:
        yield
    except PlaygroundInputError as e:
        raise user_error(e) from None


def shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def warn(notes) -> None:
    for note in notes:
        gr.Warning(note)


def warn_read_as_typed(prompt) -> None:
    """A note where a tab that does not edit prompts is given one written for prompt editing."""
    warn(read_as_typed_note(prompt))

"""Where each word was read in one picture: its cross-attention maps (pipelines/attention_maps.py), recorded as the
picture is drawn. No gradio here.

Generate records them during its run; the Limits tab draws one seed of its run again with a recorder (a seed made
alone gives the same pixels as in the batch it was made in), so a person can see where the words of a failing
picture were read: the number word of a count, the colour words of a binding, the letters of a sign.

    maps = picture_maps(pipe, "five red suns on grass", seed=3, steps=20, sampler="DPM++ 2M", guidance=4)
    maps.words                     # [WordMap("five", cells, share), ...]
"""
from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from pipelines import attention_maps
from pipelines.attention_maps import WordMap

GUIDANCE_ZERO = ("At guidance 0 the run reads the negative prompt's branch alone (the unconditional picture): "
                 "no word of the prompt was read.")
EDITED = "Prompt editing changes the words during the run, so there is no one map per word."
EMPTY = "The prompt is empty: there are no words to map."
NO_CROSS_ATTENTION = ("its UNet has no cross-attention layers. It reads the prompt only through the pooled text "
                      "embedding, added to the step's time embedding: one vector for the whole picture, so no word "
                      "is read anywhere in particular.")


def why_no_maps(pipe, prompt: str, guidance: float, edited: bool = False) -> str:
    """Why a run of ``prompt`` has no word maps ("" where it has them): a prompt edited during the run, guidance 0
    (the prompt's branch does not run), an empty prompt. A UNet without cross-attention shows only after the run
    (``AttentionStore.layers`` stays 0)."""
    if edited:
        return EDITED
    if guidance == 0:
        return GUIDANCE_ZERO
    if not pipe.tokenize(prompt)[0]:
        return EMPTY
    return ""


def recorder(pipe, images: int = 1) -> attention_maps.AttentionStore:
    """A fresh store for a run of ``images`` pictures, the recording processor installed in the pipeline's UNet."""
    attention_maps.install(pipe.unet)
    return attention_maps.AttentionStore(rows=images)


def cross_attention_layers(unet) -> int:
    return sum(name.endswith("attn2.processor") for name in unet.attn_processors)


@dataclass(frozen=True)
class PictureMaps:
    """One picture and where each word of its prompt was read: ``words`` (pipelines.attention_maps.word_maps), the
    share ``rest`` the start and end markers and the padding took, averaged over ``layers`` cross-attention layers
    x ``evaluations`` model evaluations (``layers`` 0: the UNet has none, and ``words`` is empty)."""

    image: Image.Image
    seed: int
    words: tuple[WordMap, ...]
    rest: float
    layers: int
    evaluations: int

    def shares(self) -> str:
        """'**five** 3%, **red** 4%, ...': each word's share of all the attention."""
        return ", ".join(f"**{w.word}** {w.share:.0%}" for w in self.words)

    def averaged(self) -> str:
        """'11 cross-attention layers × 40 model evaluations'."""
        return (f"{self.layers} cross-attention layer{'s' * (self.layers != 1)} × {self.evaluations} model "
                f"evaluations")


def read_store(pipe, store: attention_maps.AttentionStore, prompt: str, image: Image.Image, seed: int,
               row: int = 0) -> PictureMaps:
    """The maps a run recorded in ``store`` for its picture ``row`` (``image``, of ``seed``)."""
    layers = cross_attention_layers(pipe.unet)
    if store.layers == 0:
        return PictureMaps(image, seed, (), 0.0, 0, 0)
    words, rest = attention_maps.word_maps(pipe.tokenizer, prompt, store.maps()[row])
    return PictureMaps(image, seed, tuple(words), rest, layers, store.layers // max(1, layers))


def picture_maps(pipe, prompt: str, seed: int, steps: int, sampler, guidance, negative_prompt: str = "") -> PictureMaps:
    """Draw ``prompt`` at ``seed`` again, alone, with a recorder: the same picture as that seed's in any batch, and
    where each word was read in it. The caller checks ``why_no_maps`` first."""
    store = recorder(pipe)
    out = pipe(prompt, negative_prompt, sampler, steps, guidance, seed, 1,
               cross_attention_kwargs={attention_maps.KEY: store})
    return read_store(pipe, store, prompt, out.images[0], out.seeds[0])

"""Cross-attention maps: where in the picture the UNet read each word of the prompt.

The UNet reads the prompt through cross-attention: at every step, in every cross-attention layer, each cell of the
latent grid takes a weighted mix of the text encoder's token vectors, the weights a softmax over the tokens. Summed
over heads, layers and steps, the weights a token got from each cell make a map of where that token was read (DAAM,
Tang et al. 2022, "What the DAAM: interpreting Stable Diffusion using cross attention").

    store = AttentionStore(rows=1)               # the last row of each UNet batch: the prompt's branch
    install(pipe.unet)                           # once per model; the pictures stay bit for bit the same
    pipe(prompt, ..., cross_attention_kwargs={"attention_store": store})
    maps = store.maps()                          # (images, tokens, size, size): each cell's weights, averaged

The processor computes the attention weights beside diffusers' own processor, which still makes the layer's output,
so a run with a store draws the same pixels as one without. Only calls given a store record anything.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from diffusers.models.attention_processor import Attention, AttnProcessor2_0

from . import emphasis

KEY = "attention_store"


class AttentionStore:
    """The cross-attention weights of one run per image, averaged over heads, layers and steps at ``size`` cells
    high (each layer's grid upsampled bilinearly, as DAAM does): a cell's weights over the tokens sum to 1.
    ``rows``: the images of the prompt's branch, the last rows of every UNet batch (the playground's pipeline puts
    the negative prompt's branch first); ``aspect``: the picture's height over its width."""

    def __init__(self, rows: int, size: int = 16, aspect: float = 1.0):
        self.rows, self.size, self.aspect = rows, size, aspect
        self.totals: dict[tuple, torch.Tensor] = {}  # per grid: (rows, tokens, height, width), summed over calls
        self.layers = 0  # cross-attention calls recorded
        self._lock = threading.Lock()

    def add(self, weights: torch.Tensor) -> None:
        """``weights``: (rows, heads, cells, tokens) of one cross-attention call, for this store's rows; its cells a
        grid of the picture's aspect."""
        w = weights.float().mean(1)  # (rows, cells, tokens), heads averaged: a cell's weights sum to 1
        cells = w.shape[1]
        h = max(1, round((cells * self.aspect) ** 0.5))
        if cells % h:
            raise ValueError(f"{cells} cells make no grid of the picture's aspect {self.aspect:g}")
        grid = w.transpose(1, 2).reshape(w.shape[0], w.shape[2], h, cells // h)
        with self._lock:  # summed per grid size; upsampling is linear, so it waits for maps()
            key = tuple(grid.shape[2:])
            self.totals[key] = grid if key not in self.totals else self.totals[key] + grid
            self.layers += 1

    def maps(self) -> torch.Tensor:
        """(rows, tokens, size, size / aspect): the weight each cell gave each token (the start marker first, then the
        prompt's tokens, then the end marker and the padding), averaged over every recorded call."""
        if not self.totals:
            raise ValueError("No cross-attention was recorded: the prompt's branch did not run (guidance 0), or the "
                             "UNet has no cross-attention layers with the recording processor.")
        size = (self.size, max(1, round(self.size / self.aspect)))
        total = sum(F.interpolate(grid, size=size, mode="bilinear", align_corners=False)
                    for grid in self.totals.values())
        return total / self.layers


class RecordingProcessor(AttnProcessor2_0):
    """diffusers' scaled-dot-product processor; given an ``attention_store`` (through the pipeline's
    ``cross_attention_kwargs``), a cross-attention call also hands its softmax weights to it."""

    def __call__(self, attn: Attention, hidden_states: torch.Tensor, encoder_hidden_states: torch.Tensor | None = None,
                 attention_mask: torch.Tensor | None = None, temb: torch.Tensor | None = None,
                 attention_store: AttentionStore | None = None, **kwargs) -> torch.Tensor:
        if attention_store is not None and encoder_hidden_states is not None:
            rows = slice(-attention_store.rows, None)  # the prompt's branch alone
            attention_store.add(_weights(attn, hidden_states[rows], encoder_hidden_states[rows],
                                         None if attention_mask is None else attention_mask[rows],
                                         None if temb is None else temb[rows]))
        return super().__call__(attn, hidden_states, encoder_hidden_states, attention_mask, temb, **kwargs)


@torch.no_grad()
def _weights(attn: Attention, hidden_states, encoder_hidden_states, attention_mask, temb) -> torch.Tensor:
    """The softmax weights that ``attn`` gives the text's tokens from each cell, computed as diffusers' plain
    ``AttnProcessor`` does (its ``get_attention_scores``): (batch, heads, cells, tokens)."""
    if attn.spatial_norm is not None:
        hidden_states = attn.spatial_norm(hidden_states, temb)
    if hidden_states.ndim == 4:
        b, c, h, w = hidden_states.shape
        hidden_states = hidden_states.view(b, c, h * w).transpose(1, 2)
    if attn.group_norm is not None:
        hidden_states = attn.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
    if attn.norm_cross:
        encoder_hidden_states = attn.norm_encoder_hidden_states(encoder_hidden_states)
    query = attn.head_to_batch_dim(attn.to_q(hidden_states))  # (batch x heads, cells, head width)
    key = attn.head_to_batch_dim(attn.to_k(encoder_hidden_states))
    if attn.norm_q is not None:  # as AttnProcessor2_0, which makes the layer's output, applies them (per head)
        query, key = attn.norm_q(query), attn.norm_k(key)
    batch, tokens = encoder_hidden_states.shape[:2]
    mask = attn.prepare_attention_mask(attention_mask, tokens, batch)
    probs = attn.get_attention_scores(query, key, mask)
    return probs.view(batch, attn.heads, *probs.shape[1:])


def install(unet) -> None:
    """Give every attention layer of ``unet`` the recording processor (where it has diffusers' default one): it
    makes the same output, and records only when a call passes a store."""
    processors = unet.attn_processors
    if all(isinstance(p, RecordingProcessor) for p in processors.values()):
        return
    unet.set_attn_processor({name: RecordingProcessor() if type(p) is AttnProcessor2_0 else p
                             for name, p in processors.items()})


@dataclass(frozen=True)
class WordMap:
    """One word of the prompt and where it was read: ``cells`` (size x size) the weight each cell gave it (its
    tokens' summed, for a word cut into pieces), ``share`` their mean, the share of all the attention it got;
    ``emphasis`` its AUTOMATIC1111 weight, ``(red:1.5)`` (pipelines/emphasis.py; 1 for most words)."""

    word: str
    cells: torch.Tensor
    share: float
    emphasis: float = 1.0


def word_maps(tokenizer, prompt: str, maps: torch.Tensor) -> tuple[list[WordMap], float]:
    """The words of ``prompt`` (as the pipeline read it: cleaned, its emphasis read, cut to the tokenizer's window)
    with their maps from ``maps`` (tokens, size, size; one image's rows of ``AttentionStore.maps()``), and the share
    of attention the start and end markers and the padding got between them."""
    ids, weights = emphasis.weighted_ids(tokenizer, prompt)
    ids, weights = ids[:tokenizer.model_max_length - 2], weights[:tokenizer.model_max_length - 2]
    pieces = tokenizer.convert_ids_to_tokens(ids)
    words, group = [], []
    for position, piece in enumerate(pieces, start=1):  # position 0 is the start marker
        group.append(position)
        if piece.endswith("</w>") or position == len(pieces):
            cells = maps[group].sum(0)
            text = tokenizer.decode([ids[p - 1] for p in group]).strip()
            words.append(WordMap(text, cells, float(cells.mean()), weights[group[0] - 1]))
            group = []
    return words, 1.0 - sum(w.share for w in words)

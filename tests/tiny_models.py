"""Tiny random pipelines for tests.

Nothing here downloads anything: the tokenizer vocabulary is written to a
folder by hand and every network is built from a config with random weights.
Each builder seeds torch first, so two calls give the same weights.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer
from transformers.convert_slow_tokenizer import bytes_to_unicode

from pipelines import PlaygroundPipeline

TEXT_HIDDEN = 16
MAX_TOKENS = 16
WORDS = ["three", "red", "blue", "green", "circles", "circle", "square", "on", "a", "background", "of", "the"]


def write_tiny_clip_vocab(folder: str | Path) -> Path:
    """Write a small CLIP-format vocab.json and merges.txt into `folder`.

    The vocabulary holds every byte character, every byte character ending a
    word (`</w>`), whole-word merges for a few test words, and the two special
    tokens, exactly like the real CLIP files but a few hundred entries long.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    base = list(bytes_to_unicode().values())
    vocab_list = base + [c + "</w>" for c in base]
    merges = []
    for word in WORDS:
        # Merge left to right: "r e" -> "re", "re d</w>" -> "red</w>".
        pieces = list(word[:-1]) + [word[-1] + "</w>"]
        while len(pieces) > 1:
            a, b = pieces[0], pieces[1]
            merge = f"{a} {b}"
            if merge not in merges:
                merges.append(merge)
            merged = a + b
            if merged not in vocab_list:
                vocab_list.append(merged)
            pieces = [merged] + pieces[2:]
    vocab_list += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {tok: i for i, tok in enumerate(vocab_list)}
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    return folder


def tiny_tokenizer(folder: str | Path) -> CLIPTokenizer:
    folder = write_tiny_clip_vocab(folder)
    return CLIPTokenizer.from_pretrained(str(folder), model_max_length=MAX_TOKENS)


def tiny_text_encoder(vocab_size: int) -> CLIPTextModel:
    config = CLIPTextConfig(
        vocab_size=vocab_size,
        hidden_size=TEXT_HIDDEN,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        max_position_embeddings=MAX_TOKENS,
        bos_token_id=vocab_size - 2,
        eos_token_id=vocab_size - 1,
        pad_token_id=vocab_size - 1,
        projection_dim=TEXT_HIDDEN,
    )
    return CLIPTextModel(config).eval()


def _unet(in_channels: int, sample_size: int, projection: bool) -> UNet2DConditionModel:
    extra = {}
    if projection:
        extra = {"class_embed_type": "projection", "projection_class_embeddings_input_dim": TEXT_HIDDEN}
    return UNet2DConditionModel(
        sample_size=sample_size,
        in_channels=in_channels,
        out_channels=in_channels,
        block_out_channels=(8, 16),
        layers_per_block=1,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=TEXT_HIDDEN,
        attention_head_dim=4,
        norm_num_groups=4,
        **extra,
    ).eval()


def build_pixel_pipeline(tmp_dir: str | Path, seed: int = 0) -> PlaygroundPipeline:
    """A pixel-space pipeline: 3-channel 8x8 UNet with a pooled-text class embedding, v-prediction."""
    torch.manual_seed(seed)
    tokenizer = tiny_tokenizer(Path(tmp_dir) / "tokenizer_src")
    text_encoder = tiny_text_encoder(len(tokenizer))
    unet = _unet(in_channels=3, sample_size=8, projection=True)
    scheduler = DDPMScheduler(num_train_timesteps=1000, prediction_type="v_prediction")
    return PlaygroundPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        unet=unet,
        scheduler=scheduler,
        model_description="tiny pixel test model",
    )


def on_zero_terminal_snr(pipe: PlaygroundPipeline, prediction_type: str = "v_prediction") -> PlaygroundPipeline:
    """pipe's model parts on the training code's zero-terminal-SNR schedule (last alpha_bar 2**-24, sigma 4096)."""
    from training.models import ModelConfig, make_scheduler

    schedule = make_scheduler(ModelConfig(zero_terminal_snr=True, prediction_type=prediction_type))
    parts = {k: getattr(pipe, k) for k in ("tokenizer", "text_encoder", "unet", "vae")}
    return PlaygroundPipeline(**parts, scheduler=schedule, model_description="tiny test model, zero terminal SNR")


def tiny_vae() -> AutoencoderKL:
    """A 4-latent-channel VAE that downscales by 2 (two blocks)."""
    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        block_out_channels=(8, 8),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=4,
        sample_size=16,
    ).eval()


def build_latent_parts(tmp_dir: str | Path, seed: int = 1) -> dict:
    """The parts of a Stable-Diffusion-shaped latent pipeline (16x16 images, 8x8 latents)."""
    torch.manual_seed(seed)
    tokenizer = tiny_tokenizer(Path(tmp_dir) / "tokenizer_src")
    text_encoder = tiny_text_encoder(len(tokenizer))
    vae = tiny_vae()
    unet = _unet(in_channels=4, sample_size=8, projection=False)
    scheduler = DDPMScheduler(
        num_train_timesteps=1000,
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        prediction_type="epsilon",
        clip_sample=False,
    )
    return dict(tokenizer=tokenizer, text_encoder=text_encoder, unet=unet, scheduler=scheduler, vae=vae)


def build_latent_pipeline(tmp_dir: str | Path, seed: int = 1) -> PlaygroundPipeline:
    return PlaygroundPipeline(**build_latent_parts(tmp_dir, seed), model_description="tiny latent test model")

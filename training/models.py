"""Model configurations for the bundled model (small enough to train from scratch on two CPU cores)."""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
from diffusers.schedulers.scheduling_ddpm import rescale_zero_terminal_snr
from transformers import CLIPConfig, CLIPModel, CLIPTextConfig, CLIPTextModel, CLIPTokenizer, CLIPVisionConfig


@dataclass
class ModelConfig:
    """Widths and depths. ``tiny()`` gives a config for fast tests."""

    image_size: int = 32  # pixels a side of the world's pictures (world.v2: 64)
    vae_channels: tuple[int, ...] = (32, 64, 64)  # 3 levels: 32x32 pixels -> 8x8 latents
    latent_channels: int = 4
    unet_channels: tuple[int, ...] = (64, 128)
    unet_layers: int = 2
    unet_attention_levels: int | None = None  # attention in the lowest N levels only (None: every level; SDXL skips its top)
    text_hidden: int = 128
    text_layers: int = 4
    text_heads: int = 4
    prediction_type: str = "v_prediction"
    snr_shift: float = 1.0  # the noise schedule's signal-to-noise ratio divided by this at every step (see make_scheduler)
    zero_terminal_snr: bool = False  # the last training step pure noise, as sampling starts (see make_scheduler)
    pooled_text: bool = True  # the pooled text embedding joins the time embedding (False: cross-attention only, as SD 1.x)

    @classmethod
    def tiny(cls) -> "ModelConfig":
        return cls(vae_channels=(8, 16), unet_channels=(16, 32), unet_layers=1, text_hidden=32, text_layers=1,
                   text_heads=2)


def make_vae(cfg: ModelConfig) -> AutoencoderKL:
    n = len(cfg.vae_channels)
    return AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=cfg.latent_channels,
        down_block_types=("DownEncoderBlock2D",) * n, up_block_types=("UpDecoderBlock2D",) * n,
        block_out_channels=cfg.vae_channels, layers_per_block=1, norm_num_groups=8, sample_size=cfg.image_size,
        scaling_factor=1.0,
    )


def make_text_encoder(cfg: ModelConfig, tokenizer: CLIPTokenizer) -> CLIPTextModel:
    config = CLIPTextConfig(
        vocab_size=len(tokenizer), hidden_size=cfg.text_hidden, intermediate_size=cfg.text_hidden * 4,
        num_hidden_layers=cfg.text_layers, num_attention_heads=cfg.text_heads,
        max_position_embeddings=tokenizer.model_max_length, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    return CLIPTextModel(config)


def make_clip(cfg: ModelConfig, tokenizer: CLIPTokenizer, image_size: int = 32) -> CLIPModel:
    """A CLIP of the world's size: the text encoder above and a small vision transformer (4x4-pixel patches),
    trained contrastively on pictures and captions (phase "clip"); its text tower then conditions the UNet."""
    vision = CLIPVisionConfig(hidden_size=cfg.text_hidden, intermediate_size=cfg.text_hidden * 4,
                              num_hidden_layers=cfg.text_layers, num_attention_heads=cfg.text_heads,
                              image_size=image_size, patch_size=4, num_channels=3)
    text = make_text_encoder(cfg, tokenizer).config
    return CLIPModel(CLIPConfig(text_config=text.to_dict(), vision_config=vision.to_dict(),
                                projection_dim=cfg.text_hidden))


def make_unet(cfg: ModelConfig, latent_size: int) -> UNet2DConditionModel:
    n = len(cfg.unet_channels)
    attn = n if cfg.unet_attention_levels is None else cfg.unet_attention_levels
    if not 0 <= attn <= n:
        raise ValueError(f"attention levels must be 0 to {n} (the UNet's levels), not {attn}")
    # level 0 is the full latent resolution; the lowest ``attn`` levels get self- and cross-attention
    down = tuple("CrossAttnDownBlock2D" if i >= n - attn else "DownBlock2D" for i in range(n))
    up = tuple(d.replace("Down", "Up") for d in reversed(down))
    return UNet2DConditionModel(
        sample_size=latent_size, in_channels=cfg.latent_channels, out_channels=cfg.latent_channels,
        block_out_channels=cfg.unet_channels, layers_per_block=cfg.unet_layers,
        down_block_types=down, up_block_types=up,
        cross_attention_dim=cfg.text_hidden, attention_head_dim=8, norm_num_groups=16,
        class_embed_type="projection" if cfg.pooled_text else None,
        projection_class_embeddings_input_dim=cfg.text_hidden if cfg.pooled_text else None,
    )


def make_scheduler(cfg: ModelConfig) -> DDPMScheduler:
    """The training noise schedule (Stable Diffusion's), saved with the model; samplers derive from it.

    ``cfg.snr_shift`` s divides its signal-to-noise ratio by s at every step (Hoogeboom et al. 2023, "simple
    diffusion"; SD3's shift): a latent grid twice as fine carries each object in four times the cells, so the same
    noise hides it less, and s = 4 gives it back the noise levels an 8x8 grid had. The shifted schedule is stored
    as ``trained_betas``, which every diffusers scheduler reads.

    ``cfg.zero_terminal_snr`` rescales the schedule so its last step holds no signal (Lin et al. 2024, "Common
    Diffusion Noise Schedules and Sample Steps are Flawed", Algorithm 1: sqrt(alpha_bar) shifted and scaled to end
    at 0, its first value kept). Stable Diffusion's schedule ends at alpha_bar 0.0047: trained there, the UNet reads
    a trace of the picture that pure noise, where sampling starts, does not have. The last alpha_bar is set to
    2**-24 rather than 0, as diffusers' own schedulers do, so samplers that work in sigma stay finite."""
    common = dict(num_train_timesteps=1000, prediction_type=cfg.prediction_type, timestep_spacing="trailing",
                  clip_sample=False)
    base = DDPMScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012, **common)
    if cfg.snr_shift == 1.0 and not cfg.zero_terminal_snr:
        return base
    ab = base.alphas_cumprod.double()
    ab = ab / (ab + cfg.snr_shift * (1 - ab))  # SNR / s, as alpha_bar
    betas = 1 - ab / torch.cat([torch.ones(1, dtype=ab.dtype), ab[:-1]])
    if cfg.zero_terminal_snr:
        betas = rescale_zero_terminal_snr(betas)  # diffusers' Algorithm 1: the last beta 1, alpha_bar 0
        betas[-1] = 1 - 2.0**-24 / torch.prod(1 - betas[:-1])
    return DDPMScheduler(trained_betas=betas.tolist(), **common)


def schedule_of(scheduler) -> tuple[float, bool] | None:
    """(snr_shift, zero_terminal_snr) that ``make_scheduler`` turns into this scheduler's noise schedule, or None
    when no setting of the two does (another model's own betas). Read back from a saved model's scheduler."""
    ab = scheduler.alphas_cumprod.double()
    if len(ab) != 1000:  # make_scheduler's schedules have 1000 steps
        return None
    build = lambda s, z: make_scheduler(replace(ModelConfig(), snr_shift=s, zero_terminal_snr=z)).alphas_cumprod.double()  # noqa: E731
    for zero in (False, True):
        lo, hi = 0.01, 100.0  # the shift that gives the middle step's alpha_bar (it falls as the shift grows)
        for _ in range(60):
            mid = (lo * hi) ** 0.5
            lo, hi = (mid, hi) if build(mid, zero)[500] > ab[500] else (lo, mid)
        shift = float(f"{lo:.3g}")
        if torch.allclose(build(shift, zero), ab, rtol=1e-3, atol=1e-7):
            return shift, zero
    return None

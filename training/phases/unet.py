"""Phase unet: the text encoder and the latent UNet trained jointly (v-prediction, EMA weights), from scratch or,
for a tune stage, from saved weights."""
from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import torch
from diffusers import AutoencoderKL, UNet2DConditionModel
from diffusers.training_utils import EMAModel
from tqdm.auto import tqdm
from transformers import CLIPTextModel

import world
from training.data import batch_seed, captioned_batch, fade_twins, share_within_pairs, to_tensor
from training.loader import batches
from training.losses import TextKeepsWords, bag_token_ids, denoising_loss, sample_timesteps
from training.models import ModelConfig, make_scheduler, make_text_encoder, make_unet
from training.run import lr_schedule, start
from training.stages import load_or_build_tokenizer, noise_schedule, stage_number
from training.worlds import run_world


@torch.no_grad()
def latent_stats(vae: AutoencoderKL, seed: int, n: int = 4096, source=world,
                 sampled: bool = False) -> tuple[list[float], list[float]]:
    """Per-channel mean and std of the autoencoder's latents over pictures of the world ``source``: of the
    posterior's means, or (``sampled``) of latents drawn from it, as the UNet is trained on. They differ where a
    channel carries little: the 64 x 64 world's autoencoder with 8 latent channels left two of them nearly unused
    (their means spread 0.10 and 0.22, their posterior's own std ~1), so scaled by the means' spread the UNet's
    latents had a variance of ~100 there and its loss started at ~8 instead of ~1."""
    images, _, _ = source.sample_batch(seed, n)
    g = torch.Generator().manual_seed(seed)
    zs = []
    for i in range(0, n, 256):
        d = vae.encode(to_tensor(images[i:i + 256])).latent_dist
        zs.append(d.mean + d.std * torch.randn(d.mean.shape, generator=g) if sampled else d.mean)
    zs = torch.cat(zs)
    return zs.mean((0, 2, 3)).tolist(), zs.std((0, 2, 3)).tolist()


def save_weights(acc, text_encoder, unet, ema: EMAModel, params, where: Path) -> None:
    """EMA weights of the text encoder and UNet, in diffusers/transformers folders (safetensors)."""
    ema.store(params)
    ema.copy_to(params)
    acc.unwrap_model(text_encoder).save_pretrained(where / "text_encoder")
    acc.unwrap_model(unet).save_pretrained(where / "unet")
    ema.restore(params)


def train_unet(args, cfg: ModelConfig, phase: str = "unet", init: Path | None = None) -> list[float]:
    """Text encoder + UNet, jointly: from scratch, or (``init``) from saved weights, e.g. phase "tune"."""
    acc, run = start(args, phase)
    out = Path(args.out)
    source = run_world(args, out)
    vae = AutoencoderKL.from_pretrained(out / "vae" / "final").to(acc.device).eval().requires_grad_(False)
    cfg = replace(cfg, latent_channels=vae.config.latent_channels)  # the UNet denoises this vae's latents
    cfg = replace(cfg, **noise_schedule(args, out, write=init is None))
    stats_file = out / "unet" / "latent_stats.json"
    if not stats_file.exists():
        # v2: as trained; a tiny run (for tests) measures them on fewer pictures
        mean, std = latent_stats(vae, seed=12345, n=256 if args.tiny else 4096, source=source,
                                 sampled=source is not world)
        stats_file.write_text(json.dumps({"latents_mean": mean, "latents_std": std}))
    stats = json.loads(stats_file.read_text())
    l_mean = torch.tensor(stats["latents_mean"], device=acc.device).view(1, -1, 1, 1)
    l_std = torch.tensor(stats["latents_std"], device=acc.device).view(1, -1, 1, 1)
    tokenizer = load_or_build_tokenizer(out, source)
    torch.manual_seed(args.seed)
    if init is None:
        text_encoder = (CLIPTextModel.from_pretrained(args.text_encoder) if args.text_encoder
                        else make_text_encoder(cfg, tokenizer))
        unet = make_unet(cfg, latent_size=vae.config.sample_size // 2 ** (len(vae.config.block_out_channels) - 1))
    else:
        text_encoder = CLIPTextModel.from_pretrained(init / "text_encoder")
        unet = UNet2DConditionModel.from_pretrained(init / "unet")
    noise_scheduler = make_scheduler(cfg)
    if args.freeze_text:  # Stable Diffusion's way: the UNet learns to read a fixed text encoder
        text_encoder.requires_grad_(False).eval()
        params = list(unet.parameters())
    else:
        params = list(text_encoder.parameters()) + list(unet.parameters())
    ema = EMAModel(params, decay=0.999, use_ema_warmup=True, power=0.75)
    aux = None
    if args.text_aux:
        aux = TextKeepsWords(text_encoder.config.hidden_size, text_encoder.config.vocab_size,
                             [tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id],
                             bag=args.text_aux_bag, bag_ids=bag_token_ids(tokenizer, args.text_aux_bag_words),
                             tokens=args.text_aux_tokens)
    opt = torch.optim.AdamW(params + (list(aux.parameters()) if aux else []), lr=args.lr, weight_decay=0.01)
    sched = lr_schedule(opt, args.steps, 200)
    text_encoder, unet, opt, sched = acc.prepare(text_encoder, unet, opt, sched)
    ema.to(acc.device)  # its shadow copies were made on the CPU, before prepare moved the models
    if aux is not None:
        aux = acc.prepare(aux)  # after the others, so checkpoints without it keep their order
    acc.register_for_checkpointing(ema)
    run.resume()
    alphas = noise_scheduler.alphas_cumprod.to(acc.device)
    data_offset = 0 if init is None else 5_555_555 * stage_number(phase)
    bar = tqdm(total=args.steps, initial=run.step, desc=phase, disable=not acc.is_local_main_process)
    t_last, n_last = time.time(), run.step
    def make(step: int):  # the step's pictures and captions, and the state of its generator for the rest
        # each tune stage sees other pictures than the stages before it
        seed = batch_seed(args, step, acc.process_index, acc.num_processes) + data_offset
        images, captions, pairs, g = captioned_batch(seed, args.batch, args.mix, args.count_pairs,
                                                     draw=lambda s, n: source.sample_batch(s, n, args.mix))
        return images, captions, pairs, g.get_state()

    for images, captions, pairs, state in batches(make, run.step, args.steps, args.workers):
        g = torch.Generator()
        g.set_state(state)
        ids = tokenizer(captions, padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                        return_tensors="pt").input_ids.to(acc.device)
        with torch.no_grad():
            posterior = vae.encode(to_tensor(images).to(acc.device)).latent_dist
            z = (posterior.mean + posterior.std * torch.randn(posterior.mean.shape, generator=g).to(acc.device))
            z = (z - l_mean) / l_std
        noise = share_within_pairs(torch.randn(z.shape, generator=g), pairs).to(acc.device)
        t = share_within_pairs(sample_timesteps(args.timesteps, alphas, z.shape[0], g, args.t_min), pairs).to(acc.device)
        if args.count_fade:
            noise = fade_twins(z, noise, alphas[t], pairs, args.count_fade, g)
        with torch.set_grad_enabled(not args.freeze_text):
            enc = text_encoder(ids)
        loss = denoising_loss(unet, noise_scheduler, z, noise, t, enc, args.loss_weight, cfg.prediction_type).loss
        extra = {}
        if aux is not None:
            aux_loss = aux(enc.last_hidden_state, enc.pooler_output, ids)
            extra["text_aux_loss"] = round(aux_loss.item(), 5)
            acc.backward(loss + args.text_aux * aux_loss)
        else:
            acc.backward(loss)
        acc.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        ema.step(params)
        bar.update(1)
        if run.step % 25 == 0:
            rate = (run.step + 1 - n_last) * args.batch / max(1e-6, time.time() - t_last)
            t_last, n_last = time.time(), run.step + 1
            bar.set_postfix(loss=f"{loss.item():.4f}", img_s=f"{rate:.0f}")
            acc.log({"loss": round(loss.item(), 5), "lr": sched.get_last_lr()[0], "img_per_s": round(rate, 1),
                     "minutes": run.minutes, **extra}, step=run.step)
        if run.step % 500 == 0 and run.step > 0 and acc.is_main_process:
            save_weights(acc, text_encoder, unet, ema, params, run.dir / "latest")
        if run.after_step(loss.item()):
            save_weights(acc, text_encoder, unet, ema, params, run.dir / "latest")
            return run.losses
    return run.finish(lambda where: save_weights(acc, text_encoder, unet, ema, params, where))

"""Phase vae (an AutoencoderKL on world pictures) and phase decoder (its decoder sharpened, the encoder frozen)."""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL
from tqdm.auto import tqdm

from training.data import batch_seed, to_tensor
from training.losses import reconstruction_loss
from training.models import ModelConfig, make_vae
from training.run import Run, lr_schedule, start
from training.stages import decoder_stages, stage_number
from training.loader import batches
from training.worlds import run_world


def train_vae(args, cfg: ModelConfig) -> list[float]:
    acc, run = start(args, "vae")
    source = run_world(args, Path(args.out))
    torch.manual_seed(args.seed)
    vae = make_vae(cfg)
    opt = torch.optim.AdamW(vae.parameters(), lr=args.lr_vae, weight_decay=0.0)
    sched = lr_schedule(opt, args.steps, 100)
    vae, opt, sched = acc.prepare(vae, opt, sched)
    run.resume()

    def pictures(step: int):
        return source.sample_batch(batch_seed(args, step, acc.process_index, acc.num_processes), args.batch)[0]

    def batch_loss(step: int, images):
        x = to_tensor(images).to(acc.device)
        posterior = acc.unwrap_model(vae).encode(x).latent_dist
        z = posterior.sample(generator=None)
        recon = acc.unwrap_model(vae).decode(z).sample
        return reconstruction_loss(recon, x) + 1e-6 * posterior.kl().mean(), recon, x

    return _autoencoder_loop(args, acc, run, vae, opt, sched, list(vae.parameters()), pictures, batch_loss)


def train_decoder(args, cfg: ModelConfig) -> list[float]:
    """Fine-tune the autoencoder's decoder with its encoder frozen: the latents (and so a UNet trained on them)
    stay valid while pictures come out sharper. Reads <out>/vae/final, writes <out>/decoder/final; a later stage
    (``--name decoder2``, ...) continues the newest finished stage before it with a fresh optimizer and schedule
    (it sees the same stream of pictures again: the decoder has only the world's pictures to learn)."""
    name = args.name or "decoder"
    number = stage_number(name, "decoder")
    before = [d for d in decoder_stages(args.out) if stage_number(d.name, "decoder") < number]
    acc, run = start(args, name)
    source = run_world(args, Path(args.out))
    torch.manual_seed(args.seed)
    vae = AutoencoderKL.from_pretrained(before[-1] / "final" if before else Path(args.out) / "vae" / "final")
    vae.requires_grad_(False)
    trainable = list(vae.decoder.parameters()) + list(vae.post_quant_conv.parameters())
    for p in trainable:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(trainable, lr=args.lr_vae, weight_decay=0.0)
    sched = lr_schedule(opt, args.steps, 50)
    vae, opt, sched = acc.prepare(vae, opt, sched)
    run.resume()
    model = acc.unwrap_model(vae)

    def pictures(step: int):
        seed = batch_seed(args, step, acc.process_index, acc.num_processes)
        return source.sample_batch(seed + 7_777_777, args.batch)[0]  # other pictures than the vae phase saw

    def batch_loss(step: int, images):
        seed = batch_seed(args, step, acc.process_index, acc.num_processes)
        x = to_tensor(images).to(acc.device)
        with torch.no_grad():
            posterior = model.encode(x).latent_dist
            z = posterior.mean + posterior.std * torch.randn(posterior.mean.shape,
                                                             generator=torch.Generator().manual_seed(seed))
        recon = model.decode(z).sample
        return reconstruction_loss(recon, x), recon, x

    return _autoencoder_loop(args, acc, run, vae, opt, sched, trainable, pictures, batch_loss)


def _autoencoder_loop(args, acc, run: Run, vae, opt, sched, params, pictures, batch_loss) -> list[float]:
    """The optimisation loop of the vae and decoder phases: pictures(step) -> the step's pictures (rendered ahead
    with --workers), batch_loss(step, pictures) -> (loss, reconstruction, target)."""
    bar = tqdm(total=args.steps, initial=run.step, desc=run.phase, disable=not acc.is_local_main_process)
    for images in batches(pictures, run.step, args.steps, args.workers):
        loss, recon, x = batch_loss(run.step, images)
        acc.backward(loss)
        acc.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        bar.update(1)
        if run.step % 25 == 0:
            psnr = -10 * torch.log10(F.mse_loss(recon.clamp(-1, 1), x) / 4).item()
            bar.set_postfix(loss=f"{loss.item():.4f}", psnr=f"{psnr:.1f}")
            acc.log({"loss": round(loss.item(), 5), "psnr": round(psnr, 2), "lr": sched.get_last_lr()[0],
                     "minutes": run.minutes}, step=run.step)
        if run.after_step(loss.item()):
            return run.losses
    return run.finish(acc.unwrap_model(vae).save_pretrained)

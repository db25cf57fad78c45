"""Phase clip: CLIP's contrastive pre-training on the world, a text tower for the UNet to read (optional)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

import world
from training.data import batch_seed, to_tensor
from training.models import ModelConfig, make_clip
from training.run import lr_schedule, start
from training.stages import load_or_build_tokenizer


def train_clip(args, cfg: ModelConfig) -> list[float]:
    """CLIP's contrastive pre-training on the world: a text encoder and a small vision transformer learn to pick
    each picture's caption out of the batch and out of hard negatives (``world.hard_negative``: the caption with one
    word changed or two colours swapped, NegCLIP's remedy for CLIP's bag-of-words habit). The text tower then conditions
    the UNet (``--phase unet --text-encoder <out>/clip/final/text_encoder``), as Stable Diffusion's frozen CLIP
    does: its words are kept apart by what the pictures show, not by what the UNet's loss happens to need.
    Writes <out>/clip/final/text_encoder (a CLIPTextModel) and <out>/clip/final/clip (the whole CLIPModel)."""
    acc, run = start(args, "clip")
    tokenizer = load_or_build_tokenizer(Path(args.out))
    torch.manual_seed(args.seed)
    model = make_clip(cfg, tokenizer)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.1)
    sched = lr_schedule(opt, args.steps, 100)
    model, opt, sched = acc.prepare(model, opt, sched)
    run.resume()
    bar = tqdm(total=args.steps, initial=run.step, desc="clip", disable=not acc.is_local_main_process)
    while run.step < args.steps:
        seed = batch_seed(args, run.step, acc.process_index, acc.num_processes) + 7_777_777  # not the UNet's pictures
        images, _, scenes = world.sample_batch(seed, args.batch, args.mix)
        captions, negatives = [], []
        for i, scene in enumerate(scenes):  # each caption and its hard negative in the same phrasing
            negative = world.hard_negative(scene, np.random.default_rng([seed, i, 0]))
            captions.append(world.caption(scene, np.random.default_rng([seed, i, 1])))
            negatives.append(world.caption(negative, np.random.default_rng([seed, i, 1])))
        # the pooled output is read at the end of the caption, and attention is causal: padding to the batch's
        # longest caption gives the same outputs as the UNet's max_length padding, faster
        ids = tokenizer(captions + negatives, padding="longest", truncation=True,
                        return_tensors="pt").input_ids.to(acc.device)
        result = model(input_ids=ids, pixel_values=to_tensor(images).to(acc.device))
        # CLIP's symmetric loss; each picture also has to rank its caption above every hard negative
        labels = torch.arange(len(captions), device=acc.device)
        loss = (F.cross_entropy(result.logits_per_image, labels)
                + F.cross_entropy(result.logits_per_text[:len(captions)], labels)) / 2
        acc.backward(loss)
        acc.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        bar.update(1)
        if run.step % 25 == 0:
            with torch.no_grad():  # in-batch retrieval: the right caption ranked first for its picture
                acc1 = (result.logits_per_image.argmax(1) == labels).float()
                beats = (result.logits_per_image[labels, labels] > result.logits_per_image[labels, labels + len(labels)])
            bar.set_postfix(loss=f"{loss.item():.3f}", top1=f"{acc1.mean().item():.2f}")
            acc.log({"loss": round(loss.item(), 5), "top1": round(acc1.mean().item(), 4),
                     "beats_negative": round(beats.float().mean().item(), 4), "lr": sched.get_last_lr()[0],
                     "minutes": run.minutes}, step=run.step)
        if run.after_step(loss.item()):
            return run.losses

    def save_final(where: Path) -> None:
        clip = acc.unwrap_model(model)
        clip.save_pretrained(where / "clip")
        clip.text_model.save_pretrained(where / "text_encoder")  # a CLIPTextModel

    return run.finish(save_final)

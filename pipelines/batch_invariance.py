"""Make a UNet's output for one sample independent of what else is in its batch (on CPU).

The pipeline promises that an image made in a batch (several images per prompt, or a
Compare grid whose cells share UNet calls) is byte-identical to the same image made
alone. That holds only if every layer computes each sample's row the same way whatever
the batch size. Most do; the small fully connected layers that turn the timestep (and
the pooled text embedding) into the UNet's time embedding do not: they see a 2-D input
of shape (batch, features), and for a handful of rows the CPU's matrix-multiply library
switches kernels with the row count. Measured with torch 2.13 on an AMD EPYC (AVX2)
CPU: `time_embedding.linear_1` gives different last float bits at batch 4 than at
batch 2, so a 3-step Euler cell drifted from the same cell made alone.

`make_batch_invariant(unet)` swaps those layers for `BatchInvariantLinear`, which does
the same product as a batched matrix multiply with one (1 x in) @ (in x out) product
per sample: the same arithmetic for a sample whatever its batch. It changes the class
of the layer objects only: weights, state dicts and `save_pretrained` files are
unchanged, and the cost is nil (these layers are a few kilobytes of work per step).
Convolutions remain batch-dependent at batch 1 and at 16+ samples, which
`pipelines.grid` works around (see its docstring); tests/test_grid.py checks the
identity on every sampler.
"""

from __future__ import annotations

import torch

# Names of the UNet's embedding layers that see (batch, features) inputs.
_EMBEDDING_PARTS = ("time_embedding", "time_emb_proj", "class_embedding", "add_embedding")


class BatchInvariantLinear(torch.nn.Linear):
    """nn.Linear whose 2-D products are computed per row (a batched matmul), so each row is batch-independent."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2:
            return super().forward(x)
        weight = self.weight.t().unsqueeze(0).expand(x.shape[0], -1, -1)
        y = torch.bmm(x.unsqueeze(1), weight).squeeze(1)
        return y if self.bias is None else y + self.bias


def make_batch_invariant(unet: torch.nn.Module) -> int:
    """Swap the UNet's embedding Linear layers for BatchInvariantLinear in place; returns how many."""
    swapped = 0
    for name, module in unet.named_modules():
        if type(module) is torch.nn.Linear and any(part in name for part in _EMBEDDING_PARTS):
            module.__class__ = BatchInvariantLinear
            swapped += 1
    return swapped

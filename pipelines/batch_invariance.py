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
per sample: the same arithmetic for a sample whatever its batch. The convolutions
agree for batches of 2 to 14 but, with one thread, oneDNN picks another kernel from 16
samples on (measured on the tiny test UNets: batches 16..48 all differed at 1 thread,
none at 2); `BatchInvariantConv2d` runs a larger batch as equal chunks of at most 14.
Both change the class of the layer objects only: weights, state dicts and
`save_pretrained` files are unchanged. A batch of ONE still takes another convolution
path (no oneDNN), which `pipelines.grid` works around (see its docstring);
tests/test_grid.py checks the identity on every sampler.
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


# Convolutions agree bit for bit for batches of 2 to this many samples (oneDNN changes kernel at 16).
CONV_MAX_BATCH = 14


class BatchInvariantConv2d(torch.nn.Conv2d):
    """nn.Conv2d that runs a batch of more than CONV_MAX_BATCH samples as equal chunks of 2 to CONV_MAX_BATCH,
    so every sample goes through the same convolution kernel whatever the batch size (on CPU)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.device.type != "cpu" or x.dim() != 4 or x.shape[0] <= CONV_MAX_BATCH:
            return super().forward(x)
        n = -(-x.shape[0] // CONV_MAX_BATCH)
        return torch.cat([super(BatchInvariantConv2d, self).forward(part) for part in x.tensor_split(n)])


def make_batch_invariant(unet: torch.nn.Module) -> int:
    """Swap the UNet's embedding Linear layers for BatchInvariantLinear and its Conv2d layers for
    BatchInvariantConv2d, in place; returns how many layers were swapped."""
    swapped = 0
    for name, module in unet.named_modules():
        if type(module) is torch.nn.Linear and any(part in name for part in _EMBEDDING_PARTS):
            module.__class__ = BatchInvariantLinear
            swapped += 1
        elif type(module) is torch.nn.Conv2d:
            module.__class__ = BatchInvariantConv2d
            swapped += 1
    return swapped

"""The teacher recipe small ViTs need on CIFAR-10, beyond crop, flip and label smoothing.

  RandAugment        each image gets `randAugmentOps` ops at magnitude `randAugmentMagnitude`
                     (mkd/randaugment.py), on uint8 pixels before normalisation;
  mixup / cutmix     a batch mixed with its reversal (mixup: lambda ~ Beta(a, a) blend; cutmix:
                     a box pasted, lambda = the area left); with both, each batch is cutmix
                     with probability `mixSwitchProb`, else mixup (timm's Mixup, batch mode);
  switch-off         mixing stops from the first epoch that starts after `mixOff` of the run
                     (of its steps, or of its time with --time-budget-min); 1 = never;
  stochastic depth   each block's attention and MLP branch is dropped per image with
                     probability rising linearly from 0 (first block) to `dropPath` (last),
                     the kept ones scaled by 1 / (1 - p); training only, no weights of its own.

A recipe comes from the config file's "recipe" block (tools/torch/teachers/*.json) and the
command line's flags, which win. The teacher phase uses it; the student phase only refuses it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import numpy as np
import torch

from .data import mixup, to_device


@dataclass
class Recipe:
    randAugmentOps: int = 0
    randAugmentMagnitude: int = 9
    mixup: float = 0.0
    cutmix: float = 0.0
    mixSwitchProb: float = 0.5
    mixOff: float = 1.0
    dropPath: float = 0.0

    def problems(self) -> list[str]:
        out = []
        if not (isinstance(self.randAugmentOps, int) and self.randAugmentOps >= 0):
            out.append(f"randAugmentOps must be a whole number >= 0, got {self.randAugmentOps}")
        if not (isinstance(self.randAugmentMagnitude, int) and 0 <= self.randAugmentMagnitude <= 30):
            out.append(f"randAugmentMagnitude must be a whole number in 0..30, got {self.randAugmentMagnitude}")
        for name in ("mixup", "cutmix"):
            if not getattr(self, name) >= 0:
                out.append(f"{name} (a Beta alpha) must be >= 0, got {getattr(self, name)}")
        for name in ("mixSwitchProb", "mixOff"):
            if not 0 <= getattr(self, name) <= 1:
                out.append(f"{name} must be in 0..1, got {getattr(self, name)}")
        if not 0 <= self.dropPath < 1:
            out.append(f"dropPath must be in [0, 1), got {self.dropPath}")
        return out

    @property
    def mixes(self) -> bool:
        return self.mixup > 0 or self.cutmix > 0

    def to_json(self) -> dict:
        return asdict(self)


# Recipe field -> train.py argument (dest); a flag given on the command line wins over the file.
FLAGS = {
    "randAugmentOps": "randaugment_ops",
    "randAugmentMagnitude": "randaugment_magnitude",
    "mixup": "mixup",
    "cutmix": "cutmix",
    "mixSwitchProb": "mix_switch_prob",
    "mixOff": "mix_off",
    "dropPath": "drop_path",
}


def resolve(block: dict | None, args) -> Recipe:
    """The config file's recipe block under the command line's flags (None = not given)."""
    block = dict(block or {})
    unknown = sorted(set(block) - {f.name for f in fields(Recipe)})
    if unknown:
        raise ValueError(f"unknown recipe field(s) {', '.join(unknown)}; known: {', '.join(f.name for f in fields(Recipe))}")
    for name, dest in FLAGS.items():
        value = getattr(args, dest, None)
        if value is not None:
            block[name] = value
    recipe = Recipe(**block)
    problems = recipe.problems()
    if problems:
        raise ValueError("recipe: " + "; ".join(problems))
    return recipe


def mixing_on(recipe: Recipe, epoch: int, progress: float) -> bool:
    """Whether epoch `epoch` mixes: it started before `mixOff` of the run had passed (`progress`
    is the fraction of the run done when the epoch started: steps or time)."""
    return recipe.mixes and (recipe.mixOff >= 1 or progress < recipe.mixOff)


def cutmix_box(h: int, w: int, lam: float, np_gen: np.random.Generator) -> tuple[int, int, int, int]:
    """A box of about (1 - lam) of the image, centred uniformly, clipped at the border (timm's
    rand_bbox): rows y0:y1, columns x0:x1."""
    ratio = math.sqrt(1.0 - lam)
    ch, cw = int(h * ratio), int(w * ratio)
    cy, cx = int(np_gen.integers(0, h)), int(np_gen.integers(0, w))
    return max(cy - ch // 2, 0), min(cy + ch // 2, h), max(cx - cw // 2, 0), min(cx + cw // 2, w)


def mix_batch(x: torch.Tensor, y: torch.Tensor, classes: int, smoothing: float, recipe: Recipe, np_gen: np.random.Generator):
    """Mixed images and soft targets (label smoothing on both labels), the batch with its reversal.

    Returns (images, targets, lam, kind): targets = lam * own + (1 - lam) * partner's, and
    for cutmix lam is the share of the image left unpasted."""
    if recipe.cutmix <= 0:
        mixed, target = mixup(x, y, classes, recipe.mixup, smoothing, np_gen)
        return mixed, target, None, "mixup"  # the draws of the --mixup of old, unchanged
    use_cutmix = recipe.mixup <= 0 or np_gen.random() < recipe.mixSwitchProb
    target = torch.nn.functional.one_hot(y, classes).to(x.dtype)
    if smoothing > 0:
        target = target * (1 - smoothing) + smoothing / classes
    if not use_cutmix:
        lam = float(np_gen.beta(recipe.mixup, recipe.mixup))
        return lam * x + (1 - lam) * x.flip(0), lam * target + (1 - lam) * target.flip(0), lam, "mixup"
    h, w = x.shape[-2:]
    y0, y1, x0, x1 = cutmix_box(h, w, float(np_gen.beta(recipe.cutmix, recipe.cutmix)), np_gen)
    mixed = x.clone()
    mixed[..., y0:y1, x0:x1] = x.flip(0)[..., y0:y1, x0:x1]
    lam = 1.0 - (y1 - y0) * (x1 - x0) / (h * w)
    return mixed, lam * target + (1 - lam) * target.flip(0), lam, "cutmix"


def drop_path_keep(recipe: Recipe, layers: int, batch: int, generator: torch.Generator, device: torch.device) -> torch.Tensor | None:
    """Per-image branch multipliers [layers, 2 (attention, MLP), batch]: 0 for a dropped branch,
    1 / (1 - p) for a kept one, p rising linearly from 0 to dropPath over the blocks."""
    if recipe.dropPath <= 0:
        return None
    rates = torch.linspace(0.0, recipe.dropPath, layers).view(layers, 1, 1)
    kept = torch.rand(layers, 2, batch, generator=generator) >= rates
    return to_device(kept.float() / (1.0 - rates), device)

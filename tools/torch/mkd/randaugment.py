"""RandAugment (Cubuk et al., 2020) on a whole batch, each image with its own ops, on any device.

torchvision's RandAugment transform draws one set of ops per call from the global random
stream, so a batch would share its ops and a run could not keep the stream in its resumable
state. Here the draws come from the caller's generator (one op index and one sign per image
and op slot, drawn on the CPU so the host knows them without asking the GPU), the images are
grouped by (op, sign), and each group goes through torchvision's tensor functional ops in one
call (equalize is batched here: torchvision's loops over the images). The op set and the magnitudes are torchvision's RandAugment: magnitude M of 30 (31 bins),
signed ops flipped with probability 1/2, nearest interpolation, black fill.
"""

from __future__ import annotations

import math

import torch

from .data import to_device

BINS = 31

# (name, magnitude at bin BINS - 1, signed); magnitude at bin m is linear in m (Posterize and
# Solarize as torchvision: bits 8 -> 4, threshold 255 -> 0). A 32-pixel image: translate 14.5 px.
OPS: list[tuple[str, float, bool]] = [
    ("Identity", 0.0, False),
    ("ShearX", 0.3, True),
    ("ShearY", 0.3, True),
    ("TranslateX", 150.0 / 331.0 * 32, True),
    ("TranslateY", 150.0 / 331.0 * 32, True),
    ("Rotate", 30.0, True),
    ("Brightness", 0.9, True),
    ("Color", 0.9, True),
    ("Contrast", 0.9, True),
    ("Sharpness", 0.9, True),
    ("Posterize", 4.0, False),
    ("Solarize", 255.0, False),
    ("AutoContrast", 0.0, False),
    ("Equalize", 0.0, False),
]


def magnitude_of(op: str, magnitude: int) -> float:
    """The op's parameter at bin `magnitude` (0..30), as torchvision's RandAugment table."""
    top = dict((name, m) for name, m, _ in OPS)[op]
    if op == "Posterize":
        return float(8 - round(magnitude / ((BINS - 1) / 4)))
    if op == "Solarize":
        return 255.0 - top * magnitude / (BINS - 1)
    return top * magnitude / (BINS - 1)


def apply_op(img: torch.Tensor, op: str, value: float) -> torch.Tensor:
    """One op with parameter `value` on uint8 images [..., 3, H, W] (torchvision's _apply_op)."""
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms import functional as F

    nearest = InterpolationMode.NEAREST
    if op == "Identity":
        return img
    if op in ("ShearX", "ShearY"):
        shear = [math.degrees(math.atan(value)), 0.0] if op == "ShearX" else [0.0, math.degrees(math.atan(value))]
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0, shear=shear, interpolation=nearest, fill=None, center=[0, 0])
    if op in ("TranslateX", "TranslateY"):
        shift = [int(value), 0] if op == "TranslateX" else [0, int(value)]
        return F.affine(img, angle=0.0, translate=shift, scale=1.0, shear=[0.0, 0.0], interpolation=nearest, fill=None)
    if op == "Rotate":
        return F.rotate(img, value, interpolation=nearest, fill=None)
    if op == "Brightness":
        return F.adjust_brightness(img, 1.0 + value)
    if op == "Color":
        return F.adjust_saturation(img, 1.0 + value)
    if op == "Contrast":
        return F.adjust_contrast(img, 1.0 + value)
    if op == "Sharpness":
        return F.adjust_sharpness(img, 1.0 + value)
    if op == "Posterize":
        return F.posterize(img, int(value))
    if op == "Solarize":
        return F.solarize(img, value)
    if op == "AutoContrast":
        return F.autocontrast(img)
    if op == "Equalize":
        return equalize(img)
    raise ValueError(f"unknown RandAugment op {op!r}")


def equalize(img: torch.Tensor) -> torch.Tensor:
    """torchvision's tensor equalize, for a whole batch at once: its own loops over images and
    channels, and reads a value back to the host per channel (a GPU stall each). Per channel:
    step = (pixels outside the last non-empty bin) // 255; lut = (cumsum + step // 2) // step,
    shifted one bin up; a channel with step 0 is left as it is."""
    flat = img.reshape(img.shape[0] * img.shape[1], -1).long()  # [N * C, H * W]
    hist = torch.zeros(flat.shape[0], 256, dtype=torch.long, device=img.device)
    hist.scatter_add_(1, flat, torch.ones_like(flat))
    last = 255 - (hist.flip(1) != 0).long().argmax(1, keepdim=True)  # the last non-empty bin
    step = (hist.sum(1, keepdim=True) - hist.gather(1, last)) // 255
    lut = (hist.cumsum(1) + step // 2) // step.clamp(min=1)
    lut = torch.nn.functional.pad(lut, [1, 0])[:, :-1].clamp(0, 255)
    out = torch.where(step == 0, flat, lut.gather(1, flat))
    return out.to(torch.uint8).reshape(img.shape)


def draw(batch: int, num_ops: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Op indices [num_ops, batch] (uniform over OPS) and signs [num_ops, batch] (+1 / -1)."""
    ops = torch.randint(0, len(OPS), (num_ops, batch), generator=generator)
    signs = torch.randint(0, 2, (num_ops, batch), generator=generator) * 2 - 1
    return ops, signs


def rand_augment(images: torch.Tensor, num_ops: int, magnitude: int, generator: torch.Generator) -> torch.Tensor:
    """uint8 [B, 3, H, W] -> uint8 [B, 3, H, W]: `num_ops` ops in turn, each image its own draw."""
    if images.dtype != torch.uint8:
        raise TypeError(f"RandAugment works on uint8 pixels, got {images.dtype}")
    if not 0 <= magnitude < BINS:
        raise ValueError(f"RandAugment magnitude must be in 0..{BINS - 1}, got {magnitude}")
    ops, signs = draw(images.shape[0], num_ops, generator)
    out = images
    for slot in range(num_ops):
        # One key per image: op index, and the sign for signed ops. Images sorted by key, each run
        # of equal keys is one functional call, and the results go back to their places.
        signed = torch.tensor([s for _, _, s in OPS])[ops[slot]]
        key = ops[slot] * 2 + ((signs[slot] > 0) | ~signed).long()
        order = torch.argsort(key, stable=True)
        keys, counts = torch.unique_consecutive(key[order], return_counts=True)
        sorted_imgs = out[to_device(order, out.device)]
        pieces, at = [], 0
        for k, n in zip(keys.tolist(), counts.tolist()):
            name, _, is_signed = OPS[k // 2]
            value = magnitude_of(name, magnitude) * (-1.0 if is_signed and k % 2 == 0 else 1.0)
            pieces.append(apply_op(sorted_imgs[at : at + n], name, value))
            at += n
        out = torch.empty_like(out)
        out[to_device(order, out.device)] = torch.cat(pieces)
    return out

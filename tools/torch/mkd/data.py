"""CIFAR-10 / CIFAR-100 binary files, normalised as the app does (src/engine/data/).

Record: label byte(s), then 1024 R, 1024 G, 1024 B bytes (planes 32x32, row-major).
Normalisation: per-channel mean and standard deviation of the training pixels / 255
(channelStats in gpu-data.ts), so checkpoints move between the twin and the app unchanged.
Augmentation: random crop after 4-pixel zero padding (zero after normalisation, as the app
pads the normalised image) and a horizontal flip of half the images.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os

import numpy as np
import torch

from . import carry

CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
CIFAR10_TRAIN = [f"data_batch_{i}.bin" for i in range(1, 6)]


def _find_folder(path: str) -> str:
    """Accepts the folder holding the .bin files or one above it (e.g. ../shared/cifar10)."""
    for candidate in [path, os.path.join(path, "cifar-10-batches-bin"), os.path.join(path, "cifar-100-binary")]:
        if os.path.isfile(os.path.join(candidate, "test_batch.bin")) or os.path.isfile(os.path.join(candidate, "test.bin")):
            return candidate
    raise FileNotFoundError(f"no CIFAR-10 (test_batch.bin) or CIFAR-100 (test.bin) binary files in {path}")


def _parse(raw: bytes, label_bytes: int, label_offset: int, name: str):
    rec = label_bytes + 3072
    if len(raw) % rec:
        raise ValueError(f"{name}: {len(raw)} bytes is not a whole number of {rec}-byte records")
    a = np.frombuffer(raw, dtype=np.uint8).reshape(-1, rec)
    labels = a[:, label_offset].astype(np.int64)
    images = a[:, label_bytes:].reshape(-1, 3, 32, 32)  # NCHW bytes
    return images, labels


def load_cifar(path: str, label: str = "fine") -> dict:
    """{'name', 'classNames', 'train': (uint8 [N,3,32,32], int64 [N]), 'test': (...)}; a carry pack
    (mkd/carry.py) adds the source's exact 'normalization'."""
    if carry.is_carry(path):
        return carry.load_carry(path)
    folder = _find_folder(path)
    if os.path.isfile(os.path.join(folder, "test_batch.bin")):
        read = lambda f: _parse(open(os.path.join(folder, f), "rb").read(), 1, 0, f)  # noqa: E731
        parts = [read(f) for f in CIFAR10_TRAIN]
        train = (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
        test = read("test_batch.bin")
        meta = os.path.join(folder, "batches.meta.txt")
        names = [l.strip() for l in open(meta)] if os.path.isfile(meta) else CIFAR10_CLASSES
        names = [n for n in names if n]
        return {"name": "cifar10", "classNames": names, "train": train, "test": test}
    offset = 1 if label == "fine" else 0
    read = lambda f: _parse(open(os.path.join(folder, f), "rb").read(), 2, offset, f)  # noqa: E731
    names_file = os.path.join(folder, "fine_label_names.txt" if label == "fine" else "coarse_label_names.txt")
    count = 100 if label == "fine" else 20
    names = [l.strip() for l in open(names_file) if l.strip()] if os.path.isfile(names_file) else [str(i) for i in range(count)]
    return {
        "name": "cifar100" if label == "fine" else "cifar100-coarse",
        "classNames": names,
        "train": read("train.bin"),
        "test": read("test.bin"),
    }


def load_starter_train(folder: str) -> tuple[np.ndarray, np.ndarray]:
    """The training records of the app's CIFAR-10 starter set (public/data/starter/), as the page
    trains on them: train.bin.gz, checked against the SHA-256 its manifest.json gives."""
    manifest_path = os.path.join(folder, "manifest.json")
    if not os.path.isfile(manifest_path):
        raise FileNotFoundError(f"--train-data {folder}: no manifest.json (expected the starter set folder, e.g. public/data/starter)")
    manifest = json.load(open(manifest_path))
    if manifest.get("format") != "cifar10-starter":
        raise ValueError(f"--train-data {folder}: manifest.json is not a CIFAR-10 starter set (format {manifest.get('format')!r})")
    entry = manifest["train"]
    raw = gzip.decompress(open(os.path.join(folder, entry["name"]), "rb").read())
    digest = hashlib.sha256(raw).hexdigest()
    if digest != entry["sha256"]:
        raise ValueError(f"--train-data {folder}: {entry['name']} has SHA-256 {digest}, its manifest says {entry['sha256']}; rebuild it with npm run data:starter")
    images, labels = _parse(raw, 1, 0, entry["name"])
    if len(labels) != entry["records"]:
        raise ValueError(f"--train-data {folder}: {len(labels)} records, its manifest says {entry['records']}")
    return images, labels


def channel_stats(images: np.ndarray) -> dict:
    """Per-channel mean and std of pixels / 255 over a set [N, 3, H, W], as channelStats.

    Sums are exact integers (in chunks, so 50,000 images need no float64 copy)."""
    total = np.zeros(3, dtype=np.float64)
    total_sq = np.zeros(3, dtype=np.float64)
    for i in range(0, len(images), 5000):
        chunk = images[i : i + 5000].astype(np.int64)
        total += chunk.sum(axis=(0, 2, 3))
        total_sq += (chunk * chunk).sum(axis=(0, 2, 3))
    n = images.shape[0] * images.shape[2] * images.shape[3]
    mean = total / n / 255.0
    sq = total_sq / n / 255.0**2
    std = np.sqrt(np.maximum(sq - mean**2, 1e-6))
    return {"mean": [float(v) for v in mean], "std": [float(v) for v in std]}


def normalize(images: np.ndarray | torch.Tensor, norm: dict, dtype=torch.float32) -> torch.Tensor:
    """uint8 [B, 3, H, W] -> (x / 255 - mean) / std, float, on the images' device."""
    x = images if isinstance(images, torch.Tensor) else torch.as_tensor(np.asarray(images))
    x = x.to(dtype) / 255.0
    mean = to_device(torch.tensor(norm["mean"], dtype=dtype).view(1, 3, 1, 1), x.device)
    std = to_device(torch.tensor(norm["std"], dtype=dtype).view(1, 3, 1, 1), x.device)
    return (x - mean) / std


def to_device(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A small CPU tensor (random draws, constants) onto the batch's device. To a GPU through
    pinned memory without waiting, so the host does not stall on the queue every step."""
    if device.type != "cuda":
        return t.to(device)
    return t.pin_memory().to(device, non_blocking=True)


def augment(x: torch.Tensor, generator: torch.Generator, padding: int = 4, flip: bool = True) -> torch.Tensor:
    """Random crop of the zero-padded batch and horizontal flip of half the images, [B, C, H, W]."""
    b, _, h, w = x.shape
    if padding > 0:
        padded = torch.nn.functional.pad(x, (padding, padding, padding, padding))
        dy = to_device(torch.randint(0, 2 * padding + 1, (b,), generator=generator), x.device)
        dx = to_device(torch.randint(0, 2 * padding + 1, (b,), generator=generator), x.device)
        rows = (dy.view(b, 1) + torch.arange(h, device=x.device).view(1, h)).view(b, 1, h, 1).expand(b, x.shape[1], h, w + 2 * padding)
        x = padded.gather(2, rows)
        cols = (dx.view(b, 1) + torch.arange(w, device=x.device).view(1, w)).view(b, 1, 1, w).expand(b, x.shape[1], h, w)
        x = x.gather(3, cols)
    if flip:
        mask = to_device(torch.rand(b, generator=generator) < 0.5, x.device)
        x = torch.where(mask.view(b, 1, 1, 1), x.flip(3), x)
    return x


def mixup(x: torch.Tensor, y: torch.Tensor, classes: int, alpha: float, smoothing: float, np_gen: np.random.Generator):
    """Mixup (Zhang et al., 2018): a batch mixed with its reversal, lambda ~ Beta(alpha, alpha).

    Returns the mixed images and soft targets (label smoothing applied to both labels)."""
    target = torch.nn.functional.one_hot(y, classes).to(x.dtype)
    if smoothing > 0:
        target = target * (1 - smoothing) + smoothing / classes
    if alpha <= 0:
        return x, target
    lam = float(np_gen.beta(alpha, alpha))
    return lam * x + (1 - lam) * x.flip(0), lam * target + (1 - lam) * target.flip(0)

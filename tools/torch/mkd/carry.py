"""The full CIFAR-10 in a form small enough to travel to a lent GPU machine ("the carry pack").

The device tool carries the repository's tracked files plus ignored folders named in `carry`,
64 MiB in all. The tracked tree already holds the starter set (public/data/starter: 10,000
training records and test records 0..999, byte-exact), so the pack holds only what is missing:
the other 40,000 training records and test records 1000..9999, as JPEG mosaics (4:4:4, baseline,
32x32 tiles on the 8x8 block grid, so no tile's pixels leak into its neighbour's), plus every
label byte-exact. The normalisation is the exact one of the 50,000 source images, so a teacher
trained on the pack carries the same statistics as one trained on the original files.

  runs/cifar10-carry/manifest.json   format, qualities, parts with SHA-256, labels, errors
  runs/cifar10-carry/labels.bin      50,000 training labels then 10,000 test labels, uint8
  runs/cifar10-carry/train-N.jpg     the 40,000 training records not in the starter set, in order
  runs/cifar10-carry/test-N.jpg      test records 1000..9999

load_carry() rebuilds the 50,000 training records in the official order (the starter's records at
the positions its selection rule gives) and the 10,000 test records. Built by pack_cifar10.py.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os

import numpy as np

FORMAT = "cifar10-carry"
MANIFEST = "manifest.json"
LABELS = "labels.bin"
TILE = 32
TILES_PER_ROW = 100
TILES_PER_PART = 10_000
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


def is_carry(folder: str) -> bool:
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path):
        return False
    with open(path) as fh:
        return json.load(fh).get("format") == FORMAT


def sha256(data: bytes | np.ndarray) -> str:
    return hashlib.sha256(data.tobytes() if isinstance(data, np.ndarray) else data).hexdigest()


def starter_positions(train_labels: np.ndarray, per_class: int, classes: int = 10) -> np.ndarray:
    """Indices of the starter set's records: the first `per_class` of each class, in file order
    (selectStarterRecords in src/engine/data/starter.ts)."""
    taken = np.zeros(classes, dtype=np.int64)
    out = []
    for i, label in enumerate(train_labels.tolist()):
        if taken[label] < per_class:
            taken[label] += 1
            out.append(i)
            if len(out) == per_class * classes:
                break
    if len(out) < per_class * classes:
        raise ValueError(f"the training labels hold fewer than {per_class} records of some class")
    return np.asarray(out, dtype=np.int64)


def to_mosaic(images: np.ndarray) -> np.ndarray:
    """uint8 [N, 3, 32, 32] -> one RGB picture [rows * 32, TILES_PER_ROW * 32, 3]; the last row is
    padded with black tiles."""
    n = len(images)
    rows = -(-n // TILES_PER_ROW)
    padded = np.zeros((rows * TILES_PER_ROW, 3, TILE, TILE), dtype=np.uint8)
    padded[:n] = images
    grid = padded.reshape(rows, TILES_PER_ROW, 3, TILE, TILE).transpose(0, 3, 1, 4, 2)
    return np.ascontiguousarray(grid.reshape(rows * TILE, TILES_PER_ROW * TILE, 3))


def from_mosaic(picture: np.ndarray, count: int) -> np.ndarray:
    """The inverse of to_mosaic: the first `count` tiles as uint8 [count, 3, 32, 32]."""
    rows = picture.shape[0] // TILE
    grid = picture.reshape(rows, TILE, TILES_PER_ROW, TILE, 3).transpose(0, 2, 4, 1, 3)
    return np.ascontiguousarray(grid.reshape(rows * TILES_PER_ROW, 3, TILE, TILE)[:count])


def encode_jpeg(images: np.ndarray, quality: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(to_mosaic(images)).save(buf, "JPEG", quality=quality, subsampling=0, optimize=True)
    return buf.getvalue()


def decode_jpeg(data: bytes, count: int) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return from_mosaic(np.asarray(im.convert("RGB")), count)


def encode_parts(images: np.ndarray, quality: int, prefix: str) -> list[tuple[str, bytes, int]]:
    """(file name, JPEG bytes, record count) for each part of at most TILES_PER_PART records."""
    return [
        (f"{prefix}-{i // TILES_PER_PART}.jpg", encode_jpeg(images[i : i + TILES_PER_PART], quality), len(images[i : i + TILES_PER_PART]))
        for i in range(0, len(images), TILES_PER_PART)
    ]


def read_starter(folder: str) -> tuple[dict, np.ndarray, np.ndarray]:
    with open(os.path.join(folder, "manifest.json")) as fh:
        manifest = json.load(fh)

    def records(entry: dict) -> np.ndarray:
        with open(os.path.join(folder, entry["name"]), "rb") as fh:
            raw = gzip.decompress(fh.read())
        if sha256(raw) != entry["sha256"]:
            raise ValueError(f"{folder}/{entry['name']} does not match its manifest's SHA-256; rebuild it with npm run data:starter")
        return np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3073)

    return manifest, records(manifest["train"]), records(manifest["test"])


def load_carry(folder: str, starter: str | None = None) -> dict:
    """{'name', 'classNames', 'train', 'test', 'normalization', 'carry'} as load_cifar returns,
    rebuilt from the pack and the starter set (default: the manifest's, relative to the repository)."""
    with open(os.path.join(folder, MANIFEST)) as fh:
        manifest = json.load(fh)
    if manifest.get("format") != FORMAT or manifest.get("version") != 1:
        raise ValueError(f"{folder}: not a version-1 {FORMAT} pack; build one with tools/torch/pack_cifar10.py")
    starter = starter or os.path.join(ROOT, manifest["starter"]["folder"])
    starter_manifest, starter_train, starter_test = read_starter(starter)
    if starter_manifest["train"]["sha256"] != manifest["starter"]["trainSha256"] or starter_manifest["test"]["sha256"] != manifest["starter"]["testSha256"]:
        raise ValueError(f"{folder} was packed beside another starter set than {starter}; pack it again with tools/torch/pack_cifar10.py")
    with open(os.path.join(folder, LABELS), "rb") as fh:
        labels = np.frombuffer(fh.read(), dtype=np.uint8).astype(np.int64)
    n_train, n_test = manifest["train"]["records"], manifest["test"]["records"]
    if sha256(labels.astype(np.uint8)) != manifest["labelsSha256"] or len(labels) != n_train + n_test:
        raise ValueError(f"{folder}/{LABELS} does not match the pack's manifest; pack it again")

    def decoded(split: str) -> np.ndarray:
        parts = []
        for part in manifest[split]["parts"]:
            with open(os.path.join(folder, part["name"]), "rb") as fh:
                data = fh.read()
            if sha256(data) != part["sha256"]:
                raise ValueError(f"{folder}/{part['name']} does not match the pack's manifest (damaged or from another pack)")
            parts.append(decode_jpeg(data, part["records"]))
        return np.concatenate(parts)

    train_y, test_y = labels[:n_train], labels[n_train:]
    train_x = np.empty((n_train, 3, TILE, TILE), dtype=np.uint8)
    exact = starter_positions(train_y, starter_manifest["perClass"])
    rest = np.setdiff1d(np.arange(n_train), exact)
    if not np.array_equal(starter_train[:, 0].astype(np.int64), train_y[exact]):
        raise ValueError(f"{folder}: the starter set's labels are not those of the pack's records; pack it again")
    train_x[exact] = starter_train[:, 1:].reshape(-1, 3, TILE, TILE)
    lossy_train = decoded("train")
    train_x[rest] = lossy_train
    first = len(starter_test)
    test_x = np.empty((n_test, 3, TILE, TILE), dtype=np.uint8)
    test_x[:first] = starter_test[:, 1:].reshape(-1, 3, TILE, TILE)
    lossy_test = decoded("test")
    test_x[first:] = lossy_test
    # Another libjpeg may round a few pixels otherwise; the run goes on and says so.
    same = {split: sha256(x) == manifest[split]["decodedSha256"] for split, x in (("train", lossy_train), ("test", lossy_test))}
    return {
        "name": "cifar10",
        "classNames": starter_manifest["classNames"],
        "train": (train_x, train_y),
        "test": (test_x, test_y),
        "normalization": manifest["normalization"],
        "carry": {"quality": manifest["quality"], "meanAbsError": manifest["meanAbsError"], "decodedAsPacked": same},
    }

"""Packs the full CIFAR-10 for a lent GPU machine: what the starter set lacks, as JPEG mosaics
that fit beside the tracked tree in the device tool's 64 MiB (mkd/carry.py says what is in it).

  python3 tools/torch/pack_cifar10.py --data ../shared/cifar10 [--out runs/cifar10-carry]

The training quality is the highest that fits the room left: 64 MiB less what travels anyway
(tracked files and untracked files git does not ignore) less --margin-mib. Test records
1000..9999 are packed at --test-quality (95: in ../shared/cifar10 they are JPEG-decoded already).
Prints the manifest: qualities, sizes and the mean absolute error against the source pixels.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from mkd import carry  # noqa: E402
from mkd.data import channel_stats, load_cifar  # noqa: E402

LIMIT_BYTES = 64 * 2**20
DEFAULT_OUT = os.path.join(carry.ROOT, "runs", "cifar10-carry")


def travelling_bytes(root: str) -> int:
    """Bytes the device tool sends whatever `carry` names: tracked files and untracked files git
    does not ignore (the pack itself lives in an ignored folder)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root, capture_output=True, check=True
    ).stdout
    names = {n for n in listed.decode().split("\0") if n}
    return sum(os.path.getsize(os.path.join(root, n)) for n in names if os.path.isfile(os.path.join(root, n)))


def mean_abs_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def accuracy_cost(checkpoint_dir: str, limit: int, threads: int, *splits) -> dict:
    """A trained model's accuracy on the packed records, on the source pixels and on the decoded
    ones: how much the re-encoding changes what a model sees."""
    import torch

    from mkd import checkpoint
    from mkd.train import Dist, evaluate

    torch.set_num_threads(threads)
    manifest, arrays = checkpoint.read(checkpoint_dir)
    model = checkpoint.load_model(manifest, arrays)
    out = {"checkpoint": os.path.relpath(os.path.abspath(checkpoint_dir), carry.ROOT)}
    for name, (exact, decoded, labels) in zip(("train", "test"), (splits[0:3], splits[3:6])):
        n = min(limit, len(labels)) if name == "train" else len(labels)
        acc = [evaluate(model, x[:n], labels[:n], manifest["normalization"], Dist("cpu"))[0] for x in (exact, decoded)]
        out[name] = {"records": n, "exact": acc[0], "packed": acc[1]}
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="the official CIFAR-10 binary files (e.g. ../shared/cifar10)")
    p.add_argument("--out", default=DEFAULT_OUT, help="an ignored folder to name in the device tool's carry")
    p.add_argument("--starter", default=os.path.join(carry.ROOT, "public", "data", "starter"))
    p.add_argument("--quality", type=int, help="JPEG quality of the training records (default: the highest that fits)")
    p.add_argument("--test-quality", type=int, default=95)
    p.add_argument("--margin-mib", type=float, default=2.0, help="room kept free under the 64 MiB")
    p.add_argument("--measure-with", help="a teacher checkpoint: its accuracy on the packed records, exact and as packed")
    p.add_argument("--measure-limit", type=int, default=10000, help="packed training records --measure-with evaluates")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()

    def fail(msg: str) -> None:
        print(f"pack_cifar10: {msg}", file=sys.stderr)
        sys.exit(2)

    try:
        data = load_cifar(args.data)
        starter_manifest, starter_train, starter_test = carry.read_starter(args.starter)
    except (ValueError, OSError) as err:
        fail(str(err))
    if data["name"] != "cifar10":
        fail(f"--data {args.data} is {data['name']}; the pack is for CIFAR-10")
    train_x, train_y = data["train"]
    test_x, test_y = data["test"]
    exact = carry.starter_positions(train_y, starter_manifest["perClass"])
    source_starter = np.concatenate([train_y[exact, None].astype(np.uint8), train_x[exact].reshape(len(exact), -1)], axis=1)
    if not np.array_equal(source_starter, starter_train) or not np.array_equal(test_x[: len(starter_test)].reshape(len(starter_test), -1), starter_test[:, 1:]):
        fail(f"--starter {args.starter} was not built from --data {args.data} (its records differ); rebuild it with npm run data:starter")
    rest = np.setdiff1d(np.arange(len(train_y)), exact)
    lossy_train, lossy_test = train_x[rest], test_x[len(starter_test) :]

    test_parts = carry.encode_parts(lossy_test, args.test_quality, "test")
    labels = np.concatenate([train_y, test_y]).astype(np.uint8)
    room = LIMIT_BYTES - travelling_bytes(carry.ROOT) - args.margin_mib * 2**20
    room_for_train = room - sum(len(b) for _, b, _ in test_parts) - len(labels) - 4096  # 4 KiB: the manifest
    # The highest quality that fits: sizes grow with quality, so a bisection finds it.
    if args.quality:
        quality, train_parts = args.quality, carry.encode_parts(lossy_train, args.quality, "train")
    else:
        lo, hi, best = 50, 95, None
        while lo <= hi:
            q = (lo + hi) // 2
            parts = carry.encode_parts(lossy_train, q, "train")
            if sum(len(b) for _, b, _ in parts) <= room_for_train:
                best, lo = (q, parts), q + 1
            else:
                hi = q - 1
        if best is None:
            fail(f"only {room_for_train / 2**20:.1f} MiB left beside the tracked tree, too little even at JPEG quality 50")
        quality, train_parts = best
    total = sum(len(b) for _, b, _ in train_parts + test_parts) + len(labels)
    if total > room:
        fail(f"the pack is {total / 2**20:.1f} MiB and only {room / 2**20:.1f} MiB are left under 64 MiB; lower --quality")

    decoded_train = np.concatenate([carry.decode_jpeg(b, n) for _, b, n in train_parts])
    decoded_test = np.concatenate([carry.decode_jpeg(b, n) for _, b, n in test_parts])
    manifest = {
        "format": carry.FORMAT,
        "version": 1,
        "source": os.path.abspath(args.data),
        "starter": {
            "folder": os.path.relpath(os.path.abspath(args.starter), carry.ROOT),
            "trainSha256": starter_manifest["train"]["sha256"],
            "testSha256": starter_manifest["test"]["sha256"],
        },
        "quality": {"train": quality, "test": args.test_quality},
        "meanAbsError": {"train": mean_abs_error(decoded_train, lossy_train), "test": mean_abs_error(decoded_test, lossy_test)},
        "normalization": channel_stats(train_x),
        "labelsSha256": carry.sha256(labels),
        "train": {
            "records": len(train_y),
            "packed": len(rest),
            "parts": [{"name": n, "records": c, "bytes": len(b), "sha256": carry.sha256(b)} for n, b, c in train_parts],
            "decodedSha256": carry.sha256(decoded_train),
        },
        "test": {
            "records": len(test_y),
            "packed": len(lossy_test),
            "parts": [{"name": n, "records": c, "bytes": len(b), "sha256": carry.sha256(b)} for n, b, c in test_parts],
            "decodedSha256": carry.sha256(decoded_test),
        },
        "bytes": total,
    }
    if args.measure_with:
        manifest["accuracyCost"] = accuracy_cost(args.measure_with, args.measure_limit, args.threads, lossy_train, decoded_train, train_y[rest], lossy_test, decoded_test, test_y[len(starter_test) :])
    os.makedirs(args.out, exist_ok=True)
    for name in os.listdir(args.out):
        if name.endswith(".jpg"):
            os.remove(os.path.join(args.out, name))  # parts of an earlier, larger pack
    for name, body, _ in train_parts + test_parts:
        with open(os.path.join(args.out, name), "wb") as fh:
            fh.write(body)
    with open(os.path.join(args.out, carry.LABELS), "wb") as fh:
        fh.write(labels.tobytes())
    with open(os.path.join(args.out, carry.MANIFEST), "w") as fh:
        json.dump(manifest, fh, indent=1)
        fh.write("\n")
    print(json.dumps({k: manifest[k] for k in ("quality", "meanAbsError", "bytes", "accuracyCost") if k in manifest}))


if __name__ == "__main__":
    main()

"""The twin's side of scripts/torch-recipe.test.ts: measures the recipe's augmentations against
references that do not share their code, and prints the figures as one JSON object.

  python3 tools/torch/recipe_check.py randaugment   per-image ops vs torchvision's own _apply_op
  python3 tools/torch/recipe_check.py mixing        mixup / cutmix: lambda read off the pixels
  python3 tools/torch/recipe_check.py droppath      stochastic depth vs a hand-unrolled forward
  python3 tools/torch/recipe_check.py carry DIR SOURCE STARTER   a pack read back vs its source

The first three take no arguments and may be named together, for one torch import (each seeds
its own generators); their figures are printed under each check's name.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from mkd import carry, randaugment  # noqa: E402
from mkd.data import load_cifar  # noqa: E402
from mkd.model import Vit, VitConfig  # noqa: E402
from mkd.recipe import Recipe, drop_path_keep, mix_batch  # noqa: E402


def check_randaugment() -> dict:
    from torchvision.transforms import RandAugment
    from torchvision.transforms.autoaugment import _apply_op
    from torchvision.transforms.functional import InterpolationMode

    # The op table against torchvision's RandAugment at 31 bins, every magnitude.
    space = RandAugment()._augmentation_space(randaugment.BINS, [32, 32])
    table_errors = []
    for name, _, signed in randaugment.OPS:
        values, tv_signed = space[name]
        for m in range(randaugment.BINS):
            want = float(values[m]) if values.ndim else float(values)
            got = randaugment.magnitude_of(name, m) if values.ndim else 0.0
            if abs(want - got) > 1e-4 or signed != tv_signed:
                table_errors.append(f"{name}[{m}]: {got} (signed {signed}) vs torchvision {want} (signed {tv_signed})")
    table_names = sorted(space) == sorted(n for n, _, _ in randaugment.OPS)

    g = torch.Generator().manual_seed(5)
    images = torch.randint(0, 256, (96, 3, 32, 32), generator=g, dtype=torch.uint8)
    magnitude, num_ops = 9, 2
    out = randaugment.rand_augment(images, num_ops, magnitude, torch.Generator().manual_seed(11))
    again = randaugment.rand_augment(images, num_ops, magnitude, torch.Generator().manual_seed(11))
    other = randaugment.rand_augment(images, num_ops, magnitude, torch.Generator().manual_seed(12))
    # The reference: each image alone through torchvision's op, with the draws the batch made.
    ops, signs = randaugment.draw(len(images), num_ops, torch.Generator().manual_seed(11))
    worst, changed = 0, 0
    for i in range(len(images)):
        img = images[i]
        for slot in range(num_ops):
            name, _, signed = randaugment.OPS[int(ops[slot, i])]
            # the table's values (checked against torchvision's above to 1e-4): torchvision's own
            # float32 linspace would round a few pixels the other way
            value = randaugment.magnitude_of(name, magnitude)
            if signed and signs[slot, i] < 0:
                value = -value
            img = _apply_op(img, name, value, interpolation=InterpolationMode.NEAREST, fill=None)
        worst = max(worst, int((img.int() - out[i].int()).abs().max()))
        changed += int(not torch.equal(out[i], images[i]))
    # Equalize is batched here: against torchvision's, one image at a time, on the cases its
    # branches tell apart (a flat channel, a few levels, a skewed histogram, noise).
    from torchvision.transforms.functional import equalize

    cases = torch.randint(0, 256, (6, 3, 32, 32), generator=g, dtype=torch.uint8)
    cases[0] = 7
    cases[1, 1] = torch.randint(100, 103, (32, 32), generator=g, dtype=torch.uint8)
    cases[2] = (torch.rand(3, 32, 32, generator=g) ** 4 * 255).to(torch.uint8)
    cases[3, 0, :16] = 0
    batched = randaugment.equalize(cases)
    equalize_diff = max(int((batched[i].int() - equalize(cases[i]).int()).abs().max()) for i in range(len(cases)))
    return {
        "equalizeMaxDiff": equalize_diff,
        "shape": list(out.shape),
        "dtype": str(out.dtype),
        "tableErrors": table_errors,
        "tableNames": table_names,
        "opsDrawn": len(set(ops.flatten().tolist())),
        "maxDiffFromPerImageReference": worst,
        "imagesChanged": changed,
        "sameSeedSame": bool(torch.equal(out, again)),
        "otherSeedSame": bool(torch.equal(out, other)),
        "cudaAvailable": torch.cuda.is_available(),
    }


def check_mixing() -> dict:
    """Image i is filled with the value i, so each pixel of a mixed image says how much of it is
    its own: cutmix's lambda is the share of pixels still i, mixup's solves v = lam i + (1 - lam) j."""
    b, classes, smoothing = 10, 10, 0.1
    x = torch.arange(b, dtype=torch.float64).view(b, 1, 1, 1).expand(b, 3, 32, 32).contiguous()
    y = torch.arange(b)
    partner = b - 1 - torch.arange(b)  # the batch is mixed with its reversal
    rows = []
    for seed in range(40):
        recipe = Recipe(mixup=0.8, cutmix=1.0, mixSwitchProb=0.5)
        mixed, target, lam, kind = mix_batch(x, y, classes, smoothing, recipe, np.random.default_rng(seed))
        own = (mixed == x).double().mean(dim=(1, 2, 3)) if kind == "cutmix" else (mixed[:, 0, 0, 0] - partner) / (y - partner)
        from_targets = (target[torch.arange(b), y] - smoothing / classes) / (1 - smoothing)
        rows.append({
            "kind": kind,
            "lam": lam,
            "fromPixels": own.tolist(),
            "fromTargets": from_targets.tolist(),
            "targetSums": target.sum(-1).tolist(),
            "shape": list(mixed.shape),
            "targetShape": list(target.shape),
        })
    again = mix_batch(x, y, classes, smoothing, Recipe(mixup=0.8, cutmix=1.0), np.random.default_rng(3))
    first = mix_batch(x, y, classes, smoothing, Recipe(mixup=0.8, cutmix=1.0), np.random.default_rng(3))
    return {"rows": rows, "sameSeedSame": bool(torch.equal(again[0], first[0]) and torch.equal(again[1], first[1]))}


def check_droppath() -> dict:
    torch.manual_seed(0)
    cfg = VitConfig(patchSize=8, dModel=32, nLayers=3, nHeads=2, mlpRatio=2)
    model = Vit(cfg).double().train()
    x = torch.randn(4, 3, 32, 32, dtype=torch.float64)
    plain = model(x)[0]
    ones = model(x, torch.ones(3, 2, 4, dtype=torch.float64))[0]
    keep = torch.ones(3, 2, 4, dtype=torch.float64)
    keep[1, 0, 2] = 0.0  # image 2 skips block 1's attention
    keep[2, 1, 0] = 0.0  # image 0 skips block 2's MLP
    keep[0, 0, 3] = 2.0  # image 3's block 0 attention scaled, as a kept branch is
    dropped = model(x, keep)[0]

    def unrolled(i: int) -> torch.Tensor:
        """Image i through the blocks by hand, branch by branch."""
        h = model.patch_embed(x[i : i + 1]).flatten(2).transpose(1, 2)
        h = torch.cat([model.cls_token, h], dim=1) + model.pos_embed
        for n, block in enumerate(model.blocks):
            h = h + keep[n, 0, i] * block.attn(block.norm1(h))
            h = h + keep[n, 1, i] * block.mlp(block.norm2(h))
        return model.head(model.norm(h)[:, 0])[0]

    reference = torch.stack([unrolled(i) for i in range(4)])
    draws = [drop_path_keep(Recipe(dropPath=0.1), 6, 4096, torch.Generator().manual_seed(s), torch.device("cpu")) for s in range(2)]
    stacked = draws[0]
    return {
        "onesSameAsPlain": float((ones - plain).abs().max()),
        "maxDiffFromUnrolled": float((dropped - reference).abs().max()),
        "droppedDiffers": float((dropped - plain).abs().max()),
        "dropRatePerBlock": (stacked == 0).double().mean(dim=(1, 2)).tolist(),
        "meanMultiplierPerBlock": stacked.mean(dim=(1, 2)).tolist(),
        "sameSeedSame": bool(torch.equal(draws[0], drop_path_keep(Recipe(dropPath=0.1), 6, 4096, torch.Generator().manual_seed(0), torch.device("cpu")))),
        "otherSeedSame": bool(torch.equal(draws[0], draws[1])),
        "offIsNone": drop_path_keep(Recipe(), 6, 4, torch.Generator(), torch.device("cpu")) is None,
    }


def check_carry(folder: str, source: str, starter: str) -> dict:
    data = carry.load_carry(folder, starter)
    src = load_cifar(source)
    manifest = json.load(open(os.path.join(folder, carry.MANIFEST)))
    out = {}
    for split in ("train", "test"):
        (x, y), (sx, sy) = data[split], src[split]
        diff = np.abs(x.astype(np.int16) - sx.astype(np.int16)).reshape(len(x), -1).mean(axis=1)
        out[split] = {
            "records": len(y),
            "labelsEqual": bool(np.array_equal(y, sy)),
            "exactRecords": int((diff == 0).sum()),
            "meanAbsError": float(diff.mean()),
            # every record nearer its own source than the next record's: the order is kept
            "orderKept": bool(np.all(diff < np.abs(x.astype(np.int16) - np.roll(sx, 1, axis=0).astype(np.int16)).reshape(len(x), -1).mean(axis=1))),
        }
    out["normalization"] = data["normalization"]
    out["manifestMeanAbsError"] = manifest["meanAbsError"]
    out["packed"] = {"train": manifest["train"]["packed"], "test": manifest["test"]["packed"]}
    out["decodedAsPacked"] = data["carry"]["decodedAsPacked"]
    return out


if __name__ == "__main__":
    what = sys.argv[1:]
    together = {"randaugment": check_randaugment, "mixing": check_mixing, "droppath": check_droppath}
    if what[:1] == ["carry"]:
        torch.set_num_threads(1)
        print(json.dumps(check_carry(*what[1:])))
    elif what and all(name in together for name in what):
        torch.set_num_threads(1)
        print(json.dumps({name: together[name]() for name in what}))
    else:
        sys.exit(f"usage: recipe_check.py {' | '.join(together)} (one or several) | carry DIR SOURCE STARTER")

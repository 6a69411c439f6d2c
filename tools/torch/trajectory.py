"""The twin's side of scripts/twin-trajectory.ts: replays the
engine's first steps of a student run in PyTorch and compares them.

  python3 tools/torch/trajectory.py <dir>

<dir>/initial is the engine's checkpoint before its first step (teacher and student);
<dir>/images.bin the batches it trained on (float32 NHWC, normalised and augmented), and
<dir>/steps.json their labels, sampled tokens, learning rates and the engine's loss terms.
The twin takes the same steps with its own objective, AdamW and clipping (float32, as the
engine), and prints each step's relative difference in every term, and the final weights'
against <dir>/engine-final. Float32 in both means the two part by rounding alone: a
difference that grows faster than that, or a term that is off from the first step, is a
difference in the method.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from mkd import checkpoint  # noqa: E402
from mkd.losses import objective  # noqa: E402


def rel(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max |b|."""
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def main(folder: str) -> None:
    torch.set_num_threads(1)
    manifest, arrays = checkpoint.read(os.path.join(folder, "initial"))
    teacher = checkpoint.load_model(manifest, arrays, "teacher").eval()
    student = checkpoint.load_model(manifest, arrays, "student").train()
    with open(os.path.join(folder, "steps.json")) as fh:
        run = json.load(fh)
    b, h, w, c = run["imageShape"]
    images = np.fromfile(os.path.join(folder, "images.bin"), dtype="<f4").reshape(-1, b, h, w, c)
    optim_cfg = manifest["config"]["optim"]
    opt = torch.optim.AdamW(
        student.param_groups(optim_cfg["weightDecay"]),
        lr=optim_cfg["lr"],
        betas=(optim_cfg["beta1"], optim_cfg["beta2"]),
        eps=optim_cfg["eps"],
    )
    pairs = [tuple(p) for p in run["pairs"]]
    loss_cfg = run["loss"]
    rows = []
    for i, step in enumerate(run["steps"]):
        x = torch.from_numpy(images[i]).permute(0, 3, 1, 2).contiguous()
        y = torch.tensor(step["labels"], dtype=torch.long)
        samples = [torch.tensor(s, dtype=torch.long) for s in step["samples"]]
        for g in opt.param_groups:
            g["lr"] = step["lr"]
        with torch.no_grad():
            t_out = teacher(x)
        out = student(x)
        total, terms = objective(out, t_out, y, loss_cfg, pairs, samples, student.cfg.prefix, teacher.cfg.prefix)
        opt.zero_grad(set_to_none=True)
        total.backward()
        if optim_cfg["gradClip"] > 0:
            torch.nn.utils.clip_grad_norm_(student.parameters(), optim_cfg["gradClip"])
        opt.step()
        engine = run["engine"][i]
        twin = {**{k: float(v) for k, v in terms.items()}, "total": float(total)}
        rows.append({k: abs(engine[k] - v) / abs(v) for k, v in twin.items()})
    final_manifest, final_arrays = checkpoint.read(os.path.join(folder, "engine-final"))
    weights = {name: arr for name, arr in checkpoint.named_app_arrays(student, "student")}
    # The cls head takes no part when CE's weight is 0: the twin leaves it alone (no gradient),
    # the engine's flat AdamW may still decay it; predictions do not read it.
    trained = [name for name in weights if "/head/" not in name]
    worst = max(rel(final_arrays[name], weights[name]) for name in trained)
    change = max(rel(final_arrays[name] - arrays[name], weights[name] - arrays[name]) for name in trained)
    keys = list(rows[0])
    marks = sorted({0, 1, 4, 9, 19, 49, 99, 199, len(rows) - 1} & set(range(len(rows))))
    print(json.dumps({
        "steps": len(rows),
        "relative difference of each term, engine vs twin, at step": {str(s + 1): {k: rows[s][k] for k in keys} for s in marks},
        "largest over all steps": {k: max(r[k] for r in rows) for k in keys},
        "final weights, max |engine - twin| / max |twin|, worst variable (the cls head aside)": worst,
        "weight change over the run, worst variable": change,
    }, indent=1))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: trajectory.py <dir>")
    main(sys.argv[1])

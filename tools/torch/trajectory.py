"""The twin's side of scripts/twin-trajectory.ts: replays the
engine's first steps of a student run in PyTorch and compares them.

  python3 tools/torch/trajectory.py <dir>
  python3 tools/torch/trajectory.py <dir> --whole-run --test-data ../shared/cifar10

<dir>/initial is the engine's checkpoint before its first step (teacher and student);
<dir>/images.bin the batches it trained on (float32 NHWC, normalised and augmented), and
<dir>/steps.json their labels, sampled tokens, learning rates and the engine's loss terms.
The twin takes the same steps with its own objective, AdamW and clipping (float32, as the
engine), and prints each step's relative difference in every term, and the final weights'
against <dir>/engine-final. Float32 in both means the two part by rounding alone: a
difference that grows faster than that, or a term that is off from the first step, is a
difference in the method.

With <dir>/stream.json (written by --whole-run there) it also checks that the stream's
batches, rebuilt here from the training images, are the ones the engine trained on; and
--whole-run then trains the twin on that stream for all its steps from the engine's initial
weights and prints the test accuracy: the engine's draw of data, crops, flips and tokens,
with the twin's arithmetic.
"""

from __future__ import annotations

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from mkd import checkpoint  # noqa: E402
from mkd.data import load_cifar, load_starter_train, normalize  # noqa: E402
from mkd.losses import objective  # noqa: E402
from mkd.train import Dist, evaluate  # noqa: E402


def rel(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max |b|."""
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


class Twin:
    """The engine's initial teacher and student, the twin's AdamW, and one step at a time."""

    def __init__(self, folder: str):
        self.manifest, self.arrays = checkpoint.read(os.path.join(folder, "initial"))
        self.teacher = checkpoint.load_model(self.manifest, self.arrays, "teacher").eval()
        self.student = checkpoint.load_model(self.manifest, self.arrays, "student").train()
        self.optim = self.manifest["config"]["optim"]
        self.opt = torch.optim.AdamW(
            self.student.param_groups(self.optim["weightDecay"]),
            lr=self.optim["lr"],
            betas=(self.optim["beta1"], self.optim["beta2"]),
            eps=self.optim["eps"],
        )

    def step(self, x: torch.Tensor, y: torch.Tensor, samples: list, lr: float, loss_cfg: dict, pairs: list) -> dict:
        for g in self.opt.param_groups:
            g["lr"] = lr
        with torch.no_grad():
            t_out = self.teacher(x)
        out = self.student(x)
        samples = [torch.tensor(s, dtype=torch.long) for s in samples]
        total, terms = objective(out, t_out, y, loss_cfg, pairs, samples, self.student.cfg.prefix, self.teacher.cfg.prefix)
        self.opt.zero_grad(set_to_none=True)
        total.backward()
        if self.optim["gradClip"] > 0:
            torch.nn.utils.clip_grad_norm_(self.student.parameters(), self.optim["gradClip"])
        self.opt.step()
        return {**{k: float(v) for k, v in terms.items()}, "total": float(total)}


def stream_batch(entry: dict, train_x: np.ndarray, train_y: np.ndarray, norm: dict, padding: int = 4):
    """One step's batch from the stream: the engine's images, crops and flips, NCHW."""
    idx = np.asarray(entry["indices"])
    padded = F.pad(normalize(train_x[idx], norm), (padding,) * 4)
    size = train_x.shape[-1]
    crops = entry["crops"]
    x = torch.stack([padded[i, :, oy : oy + size, ox : ox + size] for i, (oy, ox, _) in enumerate(crops)])
    flip = torch.tensor([f == 1 for _, _, f in crops]).view(-1, 1, 1, 1)
    return torch.where(flip, x.flip(3), x), torch.as_tensor(train_y[idx]).long()


def compare(folder: str) -> None:
    twin = Twin(folder)
    with open(os.path.join(folder, "steps.json")) as fh:
        run = json.load(fh)
    b, h, w, c = run["imageShape"]
    images = np.fromfile(os.path.join(folder, "images.bin"), dtype="<f4").reshape(-1, b, h, w, c)
    pairs = [tuple(p) for p in run["pairs"]]
    report: dict = {"steps": len(run["steps"])}
    stream_path = os.path.join(folder, "stream.json")
    if os.path.exists(stream_path):
        with open(stream_path) as fh:
            stream = json.load(fh)
        train_x, train_y = load_starter_train(stream["data"])
        worst = 0.0
        for i, step in enumerate(run["steps"]):
            entry = stream["steps"][i]
            x, y = stream_batch(entry, train_x, train_y, twin.manifest["normalization"])
            worst = max(worst, float(np.abs(x.permute(0, 2, 3, 1).numpy() - images[i]).max()))
            if y.tolist() != step["labels"] or entry["samples"] != step["samples"] or entry["lr"] != step["lr"]:
                raise SystemExit(f"stream.json differs from the engine's step {i}: labels, tokens or rate")
        report["stream.json rebuilds the engine's batches, max |difference|"] = worst
    rows = []
    for i, step in enumerate(run["steps"]):
        x = torch.from_numpy(images[i]).permute(0, 3, 1, 2).contiguous()
        y = torch.tensor(step["labels"], dtype=torch.long)
        twin_terms = twin.step(x, y, step["samples"], step["lr"], run["loss"], pairs)
        engine = run["engine"][i]
        rows.append({k: abs(engine[k] - v) / abs(v) for k, v in twin_terms.items()})
    _, final_arrays = checkpoint.read(os.path.join(folder, "engine-final"))
    weights = dict(checkpoint.named_app_arrays(twin.student, "student"))
    # The cls head takes no part when CE's weight is 0: the twin leaves it alone (no gradient),
    # the engine's flat AdamW may still decay it; predictions do not read it.
    trained = [name for name in weights if "/head/" not in name]
    keys = list(rows[0])
    marks = sorted({0, 1, 4, 9, 19, 49, 99, 199, len(rows) - 1} & set(range(len(rows))))
    report["relative difference of each term, engine vs twin, at step"] = {str(s + 1): {k: rows[s][k] for k in keys} for s in marks}
    report["largest over all steps"] = {k: max(r[k] for r in rows) for k in keys}
    report["final weights, max |engine - twin| / max |twin|, worst variable (the cls head aside)"] = max(
        rel(final_arrays[n], weights[n]) for n in trained
    )
    report["weight change over the run, worst variable"] = max(
        rel(final_arrays[n] - twin.arrays[n], weights[n] - twin.arrays[n]) for n in trained
    )
    print(json.dumps(report, indent=1))


def whole_run(folder: str, test_data: str) -> None:
    twin = Twin(folder)
    with open(os.path.join(folder, "stream.json")) as fh:
        stream = json.load(fh)
    cfg = twin.manifest["config"]
    from mkd.config import effective_layer_pairs

    pairs = [tuple(p) for p in effective_layer_pairs(cfg)]
    norm = twin.manifest["normalization"]
    train_x, train_y = load_starter_train(stream["data"])
    test_x, test_y = load_cifar(test_data)["test"]
    start = time.time()
    window: list = []
    for i, entry in enumerate(stream["steps"]):
        x, y = stream_batch(entry, train_x, train_y, norm)
        window.append(twin.step(x, y, entry["samples"], entry["lr"], cfg["loss"], pairs))
        if (i + 1) % 100 == 0:
            mean = {k: round(sum(r[k] for r in window) / len(window), 5) for k in window[0]}
            print(json.dumps({"steps": i + 1, "mean of the last 100": mean, "seconds": round(time.time() - start)}), flush=True)
            window = []
    twin.student.note_trained_heads(cfg["loss"])
    acc, count = evaluate(twin.student, test_x, test_y, norm, Dist("cpu"))
    acc_1000, _ = evaluate(twin.student, test_x, test_y, norm, Dist("cpu"), 1000)
    print(json.dumps({"testAccuracy": acc, "count": count, "testAccuracy1000": acc_1000, "predictionHeads": twin.student.prediction_heads()}))


if __name__ == "__main__":
    torch.set_num_threads(1)
    argv = sys.argv[1:]
    if len(argv) == 1:
        compare(argv[0])
    elif len(argv) == 4 and argv[1] == "--whole-run" and argv[2] == "--test-data":
        whole_run(argv[0], argv[3])
    else:
        sys.exit("usage: trajectory.py <dir> [--whole-run --test-data <CIFAR-10 dir>]")

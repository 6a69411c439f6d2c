"""Parity harness: the twin's side of scripts/torch-parity.test.ts.

  python3 tools/torch/parity.py <dir>     reads <dir>/checkpoint (teacher + student + the
      student's AdamW moments, written by the TypeScript engine), <dir>/inputs.json and
      <dir>/images.bin (float32 NHWC), runs the same forward pass, loss terms and one
      optimizer step in float64, and writes <dir>/torch.json.
  python3 tools/torch/parity.py --presets  prints every preset's resolved config as JSON.
  python3 tools/torch/parity.py --hash '#v=1&...'  prints the config a share link resolves to.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from mkd import checkpoint  # noqa: E402
from mkd.config import PRESETS, config_from_hash, preset_config  # noqa: E402
from mkd.losses import kd_loss, objective  # noqa: E402


def flat(t: torch.Tensor) -> list[float]:
    return t.detach().reshape(-1).tolist()


def main(folder: str) -> None:
    torch.set_num_threads(1)
    manifest, arrays = checkpoint.read(os.path.join(folder, "checkpoint"))
    with open(os.path.join(folder, "inputs.json")) as fh:
        inp = json.load(fh)
    teacher = checkpoint.load_model(manifest, arrays, "teacher").double()
    student = checkpoint.load_model(manifest, arrays, "student").double()
    b, h, w, c = inp["imageShape"]
    images = np.fromfile(os.path.join(folder, "images.bin"), dtype="<f4").reshape(b, h, w, c)
    x = torch.from_numpy(images.astype(np.float64)).permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW
    labels = torch.tensor(inp["labels"], dtype=torch.long)
    samples = [torch.tensor(s, dtype=torch.long) for s in inp["sampleIndices"]]
    pairs = [tuple(p) for p in inp["pairs"]]
    loss_cfg = inp["loss"]

    out: dict = {}
    with torch.no_grad():
        t_out = teacher(x)
    out["teacher"] = {"logits": flat(t_out[0]), "blocks": [flat(bl) for bl in t_out[2]]}

    s_out = student(x)
    out["student"] = {
        "logits": flat(s_out[0]),
        "distLogits": flat(s_out[1]) if s_out[1] is not None else None,
        "blocks": [flat(bl) for bl in s_out[2]],
    }
    total, terms = objective(s_out, t_out, labels, loss_cfg, pairs, samples, student.cfg.prefix, teacher.cfg.prefix)
    t_pred = t_out[0] if t_out[1] is None else (t_out[0] + t_out[1]) / 2
    s_kd = s_out[1] if s_out[1] is not None else s_out[0]
    out["terms"] = {k: float(v) for k, v in terms.items()}
    out["terms"]["total"] = float(total)
    out["terms"]["kdHard"] = float(kd_loss(s_kd, t_pred, loss_cfg["tau"], "hard"))

    # One AdamW step from the saved moments, as the app's distillStep does.
    optim_cfg = manifest["config"]["optim"]
    opt = torch.optim.AdamW(
        student.param_groups(optim_cfg["weightDecay"]),
        lr=inp["lr"],
        betas=(optim_cfg["beta1"], optim_cfg["beta2"]),
        eps=optim_cfg["eps"],
    )
    entry = next(m for m in manifest["models"] if m["role"] == "student")
    checkpoint.load_adam_state(student, opt, arrays, "student", entry["optimizerStep"])
    total.backward()
    if optim_cfg["gradClip"] > 0:
        torch.nn.utils.clip_grad_norm_(student.parameters(), optim_cfg["gradClip"])
    opt.step()
    out["updated"] = {name: flat(torch.from_numpy(arr)) for name, arr in checkpoint.named_app_arrays(student, "student", opt)}
    with open(os.path.join(folder, "torch.json"), "w") as fh:
        json.dump(out, fh)
    # The other direction: the updated student as a checkpoint for the engine to read.
    checkpoint.write(
        os.path.join(folder, "torch-checkpoint"),
        models=[("student", student, opt)],
        config=manifest["config"],
        normalization=manifest["normalization"],
        dataset=manifest["dataset"],
        phase="student",
        primary="student",
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["--presets"]:
        print(json.dumps({name: preset_config(name) for name in PRESETS}))
    elif len(sys.argv) == 3 and sys.argv[1] == "--hash":
        print(json.dumps(config_from_hash(sys.argv[2])))
    elif len(sys.argv) == 2:
        main(sys.argv[1])
    else:
        sys.exit("usage: parity.py <dir> | --presets")

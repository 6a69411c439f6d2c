"""Copies a teacher trained by the twin into public/models/<name>/ for the app, with a manifest.

  python3 tools/torch/ship_teacher.py --run runs/torch/teacher-tiny --name cifar10-tiny \
      --presets tiny --command "python3 tools/torch/train.py ..."

Writes public/models/<name>/model.json + weights.bin (the app's checkpoint format, weights
only) and manifest.json (config, command, seed, training time, test accuracy on the full test
set and on records 0..999), and adds the teacher to public/models/index.json. Then run `npx biome check --write public/models`
(the repository's lint formats JSON too) and add the accuracy to src/state/pretrained-teachers.ts.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = os.path.join(ROOT, "public", "models")
LIMIT_BYTES = 10 * 2**20


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, help="the --out folder of train.py (teacher phase)")
    p.add_argument("--name", required=True)
    p.add_argument("--presets", required=True, help="comma-separated presets whose teacher this is")
    p.add_argument("--command", required=True, help="the exact training command")
    p.add_argument("--note", default="")
    args = p.parse_args()

    with open(os.path.join(args.run, "result.json")) as fh:
        result = json.load(fh)
    src = os.path.join(args.run, "checkpoint")
    with open(os.path.join(src, "model.json")) as fh:
        model_json = json.load(fh)
    if model_json["phase"] != "teacher" or any(m["optimizerStep"] is not None for m in model_json["models"]):
        sys.exit("ship a teacher-phase checkpoint without optimizer state")
    dest = os.path.join(MODELS, args.name)
    os.makedirs(dest, exist_ok=True)
    for f in ("model.json", "weights.bin"):
        shutil.copyfile(os.path.join(src, f), os.path.join(dest, f))
    size = os.path.getsize(os.path.join(dest, "weights.bin"))
    if size > LIMIT_BYTES:
        sys.exit(f"weights.bin is {size} bytes, over the 10 MB limit")
    cfg = model_json["config"]
    # The accuracy curve: the run's evaluations (records 0..eval-limit of the test set during
    # training, the full test set at the end), one point an evaluation.
    curve = []
    with open(os.path.join(args.run, "metrics.jsonl")) as fh:
        for line in fh:
            row = json.loads(line)
            if "testAccuracy" in row:
                curve.append({"step": row["step"] + 1, "testAccuracy": row["testAccuracy"], "count": row["count"]})
    # The twin records its epoch length (it drops the last partial batch). Results written before
    # it did come from the full CIFAR training files, 50,000 images.
    per_epoch = result.get("stepsPerEpoch") or 50000 // (result["batchPerProcess"] * result["processes"])
    manifest = {
        "name": args.name,
        "dataset": model_json["dataset"]["name"],
        "presets": args.presets.split(","),
        "teacher": model_json["models"][0]["config"],
        "config": cfg,
        "command": args.command,
        "seed": cfg["seed"],
        "steps": result["steps"],
        "batch": result["batchPerProcess"] * result["processes"],
        "trainSeconds": result["trainSeconds"],
        "testAccuracy": result["testAccuracy"],
        "testCount": result["count"],
        "testAccuracy1000": result["testAccuracy1000"],
        "epochs": round(result["steps"] / per_epoch, 2),
        "curve": curve,
        "weightsBytes": size,
        "trainedWith": f"tools/torch (PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s), {platform.processor() or platform.machine()})",
        "date": datetime.date.today().isoformat(),
        "note": args.note,
    }
    # The teacher recipe (mkd/recipe.py) and a carry pack's encoding, when the run had them.
    for key in ("recipe", "data"):
        if key in result:
            manifest[key] = result[key]
    with open(os.path.join(dest, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=2)
        fh.write("\n")
    index_path = os.path.join(MODELS, "index.json")
    index = json.load(open(index_path)) if os.path.exists(index_path) else {"teachers": []}
    entry = {k: manifest[k] for k in ("name", "dataset", "presets", "teacher", "testAccuracy", "testAccuracy1000", "trainSeconds")}
    index["teachers"] = [t for t in index["teachers"] if t["name"] != args.name] + [entry]
    index["teachers"].sort(key=lambda t: t["name"])
    with open(index_path, "w") as fh:
        json.dump(index, fh, indent=2)
        fh.write("\n")
    print(json.dumps(manifest, indent=2))


if __name__ == "__main__":
    main()

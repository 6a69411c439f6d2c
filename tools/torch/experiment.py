"""Do the relation terms help? Students distilled from one teacher with six objectives, at
the same budget, over several seeds; writes a results table (Markdown) and JSON.

  python3 tools/torch/experiment.py --data ../shared/cifar10 --teacher public/models/cifar10-tiny \
      --preset tiny --steps 1500 --batch 64 --seeds 1,2,3 --out docs/EXPERIMENT.md

Arms (paper weights for the relation terms: intra 4, inter 0.1, random 0.2, tau 1, soft KD):
CE only · KD only · KD + all three relation terms · KD + intra · KD + inter · KD + random.
Every arm of a seed starts from the same student weights and sees the same batches, the
same augmentation and (where used) the same random-sampled tokens.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PAPER = {"wIntra": 4, "wInter": 0.1, "wRandom": 0.2, "tau": 1, "kd": "soft"}
ARMS = [
    ("ce-only", "CE only", {"wCe": 1, "wKd": 0, "wMd": 0}),
    ("kd-only", "KD only", {"wCe": 0, "wKd": 1, "wMd": 0}),
    ("kd+all", "KD + intra + inter + random", {"wCe": 0, "wKd": 1, "wMd": 1, **PAPER}),
    ("kd+intra", "KD + intra", {"wCe": 0, "wKd": 1, "wMd": 1, **PAPER, "wInter": 0, "wRandom": 0}),
    ("kd+inter", "KD + inter", {"wCe": 0, "wKd": 1, "wMd": 1, **PAPER, "wIntra": 0, "wRandom": 0}),
    ("kd+random", "KD + random", {"wCe": 0, "wKd": 1, "wMd": 1, **PAPER, "wIntra": 0, "wInter": 0}),
]


def run_arm(args, arm: str, loss: dict, seed: int, work: str) -> dict:
    layer = {"optim": {"batch": args.batch, "steps": args.steps, "warmupSteps": args.warmup}, "loss": loss}
    if args.lr:
        layer["optim"]["lr"] = args.lr
    cfg_path = os.path.join(work, f"{arm}-{seed}.json")
    with open(cfg_path, "w") as fh:
        json.dump(layer, fh)
    out = os.path.join(work, f"{arm}-{seed}")
    cmd = [
        sys.executable, os.path.join(HERE, "train.py"), "--phase", "student", "--data", args.data,
        "--preset", args.preset, "--config", cfg_path, "--teacher", args.teacher, "--seed", str(seed),
        "--out", out, "--threads", str(args.threads), "--log-every", "500",
    ]
    start = time.time()
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"{arm} seed {seed} failed:\n{res.stdout}\n{res.stderr}")
    with open(os.path.join(out, "result.json")) as fh:
        result = json.load(fh)
    result["wallSeconds"] = round(time.time() - start, 1)
    return result


def summarize(values: list[float]) -> dict:
    return {
        "mean": statistics.mean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
        "min": min(values),
        "max": max(values),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--teacher", default=os.path.join(HERE, "..", "..", "public", "models", "cifar10-tiny"))
    p.add_argument("--preset", default="tiny", help="preset of the student architecture")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--lr", type=float)
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--arms", default=",".join(a for a, _, _ in ARMS))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=os.path.join(HERE, "..", "..", "docs", "EXPERIMENT.md"))
    args = p.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    arms = [a for a in ARMS if a[0] in args.arms.split(",")]
    teacher_manifest = os.path.join(args.teacher, "manifest.json")
    teacher_info = json.load(open(teacher_manifest)) if os.path.exists(teacher_manifest) else {}
    command = " ".join(["python3", "tools/torch/experiment.py"] + sys.argv[1:])
    results: dict[str, list[dict]] = {a: [] for a, _, _ in arms}
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="mkd-experiment-") as work:
        for seed in seeds:
            for arm, title, loss in arms:
                r = run_arm(args, arm, loss, seed, work)
                results[arm].append({"seed": seed, **r})
                print(f"{title:30s} seed {seed}: {100 * r['testAccuracy']:.2f}% in {r['trainSeconds']:.0f}s", flush=True)
    total = time.time() - started
    rows = []
    for arm, title, loss in arms:
        accs = [100 * r["testAccuracy"] for r in results[arm]]
        secs = [r["trainSeconds"] for r in results[arm]]
        rows.append({"arm": arm, "title": title, "loss": loss, "accuracy": summarize(accs), "trainSeconds": statistics.mean(secs), "runs": results[arm]})
    payload = {
        "command": command,
        "teacher": {"path": os.path.relpath(args.teacher), **{k: teacher_info.get(k) for k in ("name", "testAccuracy", "teacher")}},
        "preset": args.preset,
        "steps": args.steps,
        "batch": args.batch,
        "seeds": seeds,
        "threads": args.threads,
        "totalSeconds": round(total, 1),
        "rows": rows,
    }
    json_path = os.path.splitext(args.out)[0].lower() + ".json"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(json_path, "w") as fh:
        json.dump(payload, fh, indent=1)
        fh.write("\n")
    base = next(r for r in rows if r["arm"] == "kd-only")["accuracy"]["mean"] if any(r["arm"] == "kd-only" for r in rows) else None
    lines = [
        "| objective | test accuracy, mean ± std (min–max) | vs KD only | train time per run |",
        "| --- | --- | --- | --- |",
    ]
    for r in rows:
        a = r["accuracy"]
        delta = f"{a['mean'] - base:+.2f}" if base is not None else ""
        lines.append(f"| {r['title']} | {a['mean']:.2f}% ± {a['std']:.2f} ({a['min']:.2f}–{a['max']:.2f}) | {delta} | {r['trainSeconds']:.0f} s |")
    table = "\n".join(lines)
    print(table)
    per_seed = ["", "| objective | " + " | ".join(f"seed {s}" for s in seeds) + " |", "| --- |" + " --- |" * len(seeds)]
    for r in rows:
        per_seed.append(f"| {r['title']} | " + " | ".join(f"{100 * x['testAccuracy']:.2f}%" for x in r["runs"]) + " |")
    teacher_acc = payload["teacher"].get("testAccuracy")
    setup = (
        f"Teacher `{payload['teacher']['path']}`"
        + (f" ({100 * teacher_acc:.2f}% test)" if teacher_acc is not None else "")
        + f"; student of the `{args.preset}` preset; {args.steps} steps x {args.batch} images, warmup {args.warmup},"
        + f" {args.threads} thread(s) a run; seeds {', '.join(map(str, seeds))}; {total / 60:.0f} min in all."
        + " Test accuracy on the full CIFAR-10 test set (10,000 images)."
    )
    block = "\n".join(["<!-- results:begin -->", setup, "", f"`{command}`", "", table, *per_seed, "<!-- results:end -->"])
    write_results(args.out, block)


def write_results(path: str, block: str) -> None:
    """Replaces the results block of `path` (between its markers), keeping the rest of the file."""
    text = open(path).read() if os.path.exists(path) else "# Experiment\n\n<!-- results:begin -->\n<!-- results:end -->\n"
    start, end = text.find("<!-- results:begin -->"), text.find("<!-- results:end -->")
    if start < 0 or end < 0:
        text, start, end = text + "\n<!-- results:begin -->\n<!-- results:end -->\n", None, None
        start, end = text.find("<!-- results:begin -->"), text.find("<!-- results:end -->")
    text = text[:start] + block + text[end + len("<!-- results:end -->") :]
    with open(path, "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()

"""Do the relation terms help? Students distilled from one teacher with several objectives, at
the same budget, over several seeds; keeps every run's figures in a JSON file and writes the
tables (Markdown) from it.

  python3 tools/torch/experiment.py --plan default-starter --data ../shared/cifar10 --jobs 2
  python3 tools/torch/experiment.py --table my-table --preset tiny --teacher public/models/cifar10-tiny \\
      --steps 600 --batch 32 --warmup 30 --seeds 1,2,3 --data ../shared/cifar10

A table is a named set of runs with one setting (preset, training data, teacher, steps, batch,
warmup); a run is an objective and a seed. Every finished run goes into the JSON (default
docs/experiment.json) as soon as it ends, and a rerun of the same command skips the runs that
are there and resumes an unfinished one from the state its training keeps (train.py --resume),
so the experiment can go on in pieces: SIGINT or SIGTERM stops the runs in progress, each
saving its place. Within a seed every objective starts from the same student weights and sees
the same batches, augmentation and sampled tokens; only the loss differs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mkd.experiment_plans import OBJECTIVES, PLANS, objective_loss  # noqa: E402
from mkd.experiment_report import write_tables  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# The project's root (teachers, starter set and docs are named from it). A long experiment may
# run from a copy of the twin, so that edits to the tree do not change runs in flight.
ROOT = os.environ.get("MKD_PROJECT_ROOT") or os.path.abspath(os.path.join(HERE, "..", ".."))
RESULT_FIELDS = ("testAccuracy", "testAccuracy1000", "count", "trainSeconds", "trainCount", "predictionHeads", "steps")


def rel(path: str | None) -> str | None:
    return os.path.relpath(os.path.abspath(path), ROOT) if path else None


def load_results(path: str) -> dict:
    if not os.path.exists(path):
        return {"tables": {}}
    with open(path) as fh:
        data = json.load(fh)
    if "tables" not in data:
        raise SystemExit(f"experiment: {path} is not an experiment results file (no 'tables'); give another --json")
    return data


def save_results(path: str, data: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(data, fh, indent=1)
        fh.write("\n")
    os.replace(tmp, path)


def table_settings(plan: dict) -> dict:
    """What every run of a table shares; a rerun under other settings is refused."""
    return {k: plan[k] for k in ("preset", "trainData", "teacher", "steps", "batch", "warmup", "lr")}


def run_key(objective: str, seed: int) -> str:
    return f"{objective}/s{seed}"


class Runner:
    """Runs train.py processes, at most `jobs` at a time, and stops them all on a signal."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self.running: list[tuple[subprocess.Popen, dict]] = []
        self.stopping = False

    def stop(self, *_):
        self.stopping = True
        for proc, _ in self.running:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)


def train_command(args, plan: dict, objective: str, seed: int, out: str) -> tuple[list[str], str]:
    layer = {"optim": {"batch": plan["batch"], "steps": plan["steps"], "warmupSteps": plan["warmup"]}, "loss": objective_loss(objective)}
    if plan["lr"] is not None:
        layer["optim"]["lr"] = plan["lr"]
    os.makedirs(out, exist_ok=True)
    cfg_path = os.path.join(out, "objective.json")
    with open(cfg_path, "w") as fh:
        json.dump(layer, fh)
    cmd = [
        sys.executable, os.path.join(HERE, "train.py"), "--phase", "student", "--data", args.data,
        "--preset", plan["preset"], "--config", cfg_path, "--teacher", os.path.realpath(os.path.join(ROOT, plan["teacher"])),
        "--seed", str(seed), "--out", out, "--threads", str(args.threads), "--device", args.device,
        "--log-every", "500", "--state-every-min", str(args.state_every_min), "--resume",
    ]
    if plan["trainData"]:
        cmd += ["--train-data", os.path.realpath(os.path.join(ROOT, plan["trainData"]))]
    return cmd, cfg_path


def plan_from_args(args) -> dict:
    if args.plan:
        if args.plan not in PLANS:
            raise SystemExit(f"experiment: unknown --plan {args.plan!r}; choose one of: {', '.join(PLANS)}")
        plan = {"table": args.plan, **PLANS[args.plan]}
        if args.only:
            only = args.only.split(",")
            unknown = [o for o in only if o not in {name for name, _ in plan["runs"]}]
            if unknown:
                raise SystemExit(f"experiment: --only {','.join(unknown)} is not in plan {args.plan!r}; it has: " + ", ".join(n for n, _ in plan["runs"]))
            plan["runs"] = [[name, seeds] for name, seeds in plan["runs"] if name in only]
        return plan
    if not args.table:
        raise SystemExit("experiment: give --plan NAME (one of: " + ", ".join(PLANS) + ") or --table NAME with its settings")
    seeds = [int(s) for s in args.seeds.split(",")]
    objectives = args.arms.split(",")
    for o in objectives:
        if o not in OBJECTIVES:
            raise SystemExit(f"experiment: unknown objective {o!r}; choose from: {', '.join(OBJECTIVES)}")
    return {
        "table": args.table,
        "title": args.table,
        "preset": args.preset,
        "trainData": rel(args.train_data),
        "teacher": rel(args.teacher),
        "steps": args.steps,
        "batch": args.batch,
        "warmup": args.warmup,
        "lr": args.lr,
        "runs": [[o, seeds] for o in objectives],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="CIFAR-10 .bin folder: its test set scores every run")
    p.add_argument("--plan", help="a named plan: " + ", ".join(PLANS))
    p.add_argument("--table", help="name of a table given by the flags below (instead of --plan)")
    p.add_argument("--teacher", default=os.path.join(ROOT, "public", "models", "cifar10-tiny"))
    p.add_argument("--train-data", help="train on the starter set in this folder (default: the full training set of --data)")
    p.add_argument("--preset", default="tiny", help="preset of the student architecture")
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--lr", type=float)
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--arms", default="ce-only,kd-only,kd+all,kd+intra,kd+inter,kd+random")
    p.add_argument("--only", help="with --plan: run only these objectives of it now (comma-separated), e.g. the main comparison first")
    p.add_argument("--jobs", type=int, default=1, help="runs at a time (each on --threads threads)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--work", default=os.path.join(ROOT, "runs", "experiment"), help="each run's folder (checkpoints, state) goes under it")
    p.add_argument("--state-every-min", type=float, default=2, help="how often a run saves its place")
    p.add_argument("--json", default=os.path.join(ROOT, "docs", "experiment.json"))
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "EXPERIMENT.md"), help="Markdown whose table blocks are rewritten")
    p.add_argument("--limit", type=int, default=0, help="start at most this many runs, then stop (for pieces and tests)")
    args = p.parse_args()
    args.data = os.path.abspath(args.data)
    plan = plan_from_args(args)
    settings = table_settings(plan)
    results = load_results(args.json)
    table = results["tables"].setdefault(plan["table"], {"title": plan["title"], "settings": settings, "runs": []})
    if table["settings"] != settings:
        diff = [f"{k} ({json.dumps(table['settings'].get(k))} there, {json.dumps(v)} now)" for k, v in settings.items() if table["settings"].get(k) != v]
        raise SystemExit(f"experiment: table {plan['table']!r} in {args.json} ran under other settings: " + "; ".join(diff) + ". Name another --table.")
    teacher_manifest = os.path.join(ROOT, plan["teacher"], "manifest.json")
    if os.path.exists(teacher_manifest):
        info = json.load(open(teacher_manifest))
        table["teacherAccuracy"] = info.get("testAccuracy")
    table["title"] = plan["title"]
    if plan.get("compareTo"):
        table["compareTo"] = plan["compareTo"]
    done = {run_key(r["objective"], r["seed"]) for r in table["runs"]}
    # seed-major, so that a table stopped half-way has whole seeds to compare
    seeds = sorted({s for _, ss in plan["runs"] for s in ss})
    todo = [(o, s) for s in seeds for o, ss in plan["runs"] if s in ss and run_key(o, s) not in done]
    if args.limit:
        todo = todo[: args.limit]
    print(f"experiment {plan['table']}: {len(done)} runs there, {len(todo)} to go, {args.jobs} at a time", flush=True)
    runner = Runner(args.jobs)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, runner.stop)
    failures = []
    while (todo and not runner.stopping) or runner.running:
        while todo and not runner.stopping and len(runner.running) < args.jobs:
            objective, seed = todo.pop(0)
            out = os.path.join(args.work, plan["table"], f"{objective}-s{seed}")
            cmd, _ = train_command(args, plan, objective, seed, out)
            log = open(os.path.join(out, "train.log"), "a")
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            runner.running.append((proc, {"objective": objective, "seed": seed, "out": out, "started": time.time(), "log": log}))
        time.sleep(0.5)
        for proc, job in list(runner.running):
            if proc.poll() is None:
                continue
            runner.running.remove((proc, job))
            job["log"].close()
            result_path = os.path.join(job["out"], "result.json")
            if proc.returncode != 0 or not os.path.exists(result_path):
                if not runner.stopping:
                    failures.append(f"{job['objective']} seed {job['seed']} failed (exit {proc.returncode}); see {job['out']}/train.log")
                continue
            with open(result_path) as fh:
                result = json.load(fh)
            run = {"objective": job["objective"], "seed": job["seed"], **{k: result[k] for k in RESULT_FIELDS if k in result}}
            run["wallSeconds"] = round(time.time() - job["started"], 1)
            # the newest copy of the file: another table's command may have written it meanwhile
            results = load_results(args.json)
            table = results["tables"].setdefault(plan["table"], table)
            table["runs"] = [r for r in table["runs"] if run_key(r["objective"], r["seed"]) != run_key(run["objective"], run["seed"])]
            table["runs"].append(run)
            save_results(args.json, results)
            write_tables(args.out, results)
            print(f"{plan['table']}: {job['objective']} seed {job['seed']}: {100 * run['testAccuracy']:.2f}% ({run['trainSeconds']:.0f} s training)", flush=True)
    results = load_results(args.json)
    write_tables(args.out, results)
    for line in failures:
        print(f"experiment: {line}", file=sys.stderr)
    if runner.stopping:
        print("experiment: stopped; rerun the same command to continue", file=sys.stderr)
        sys.exit(130)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

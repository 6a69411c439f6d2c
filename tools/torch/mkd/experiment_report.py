"""The experiment's tables, written from its results JSON into the Markdown's table blocks.

Each table gets mean ± std per objective and, per objective, the paired difference to KD only
of the same seeds (the table's own KD only runs, or those of the table it is compared to),
with a 95% interval from Student's t: mean ± t(0.975, n-1) · sd / sqrt(n).
"""

from __future__ import annotations

import math
import os
import statistics

from .experiment_plans import objective_title

# t(0.975, df) for df = 1..30; beyond, the normal's 1.96 is within 2%.
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t975(df: int) -> float:
    return T975[df - 1] if df <= len(T975) else 1.96


def summarize(values: list[float]) -> dict:
    return {
        "n": len(values),
        "mean": statistics.mean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
        "min": min(values),
        "max": max(values),
    }


def paired(a: dict[int, float], b: dict[int, float]) -> dict | None:
    """Mean of a - b over the seeds both have, with its 95% interval (None for fewer than 2 seeds)."""
    seeds = sorted(set(a) & set(b))
    if not seeds:
        return None
    diffs = [a[s] - b[s] for s in seeds]
    mean = statistics.mean(diffs)
    if len(diffs) < 2:
        return {"n": 1, "mean": mean, "low": None, "high": None, "seeds": seeds}
    half = t975(len(diffs) - 1) * statistics.stdev(diffs) / math.sqrt(len(diffs))
    return {"n": len(diffs), "mean": mean, "low": mean - half, "high": mean + half, "seeds": seeds}


def by_objective(table: dict) -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {}
    for run in table["runs"]:
        out.setdefault(run["objective"], {})[run["seed"]] = 100 * run["testAccuracy"]
    return out


def table_rows(name: str, results: dict) -> list[dict]:
    table = results["tables"][name]
    accs = by_objective(table)
    base_table = results["tables"].get(table.get("compareTo", name), table)
    base = by_objective(base_table).get("kd-only", {})
    order = [r["objective"] for r in table["runs"]]
    rows = []
    for objective in sorted(accs, key=order.index):
        secs = [r["trainSeconds"] for r in table["runs"] if r["objective"] == objective]
        rows.append({
            "objective": objective,
            "title": objective_title(objective),
            "accuracy": summarize(list(accs[objective].values())),
            "seeds": accs[objective],
            "vsKdOnly": None if objective == "kd-only" and base_table is table else paired(accs[objective], base),
            "trainSeconds": statistics.mean(secs),
        })
    return rows


def fmt_interval(d: dict | None) -> str:
    if d is None:
        return ""
    if d["low"] is None:
        return f"{d['mean']:+.2f} (1 seed)"
    return f"{d['mean']:+.2f} [{d['low']:+.2f}, {d['high']:+.2f}] (n={d['n']})"


def table_markdown(name: str, results: dict) -> str:
    table = results["tables"][name]
    s = table["settings"]
    rows = table_rows(name, results)
    seeds = sorted({r["seed"] for r in table["runs"]})
    data = f"the starter set (`{s['trainData']}`)" if s.get("trainData") else "the full CIFAR-10 training set (50,000 images)"
    teacher = f"`{s['teacher']}`" + (f" ({100 * table['teacherAccuracy']:.2f}% test)" if table.get("teacherAccuracy") else "")
    wall = sum(r.get("wallSeconds", 0) for r in table["runs"])
    compare = f" Differences are to KD only of table `{table['compareTo']}`, same seeds." if table.get("compareTo") else ""
    lines = [
        f"**{table['title']}** (table `{name}`). Teacher {teacher}; student of the `{s['preset']}` preset, trained on {data};"
        f" {s['steps']} steps x {s['batch']} images, warmup {s['warmup']}; {len(table['runs'])} runs, {wall / 3600:.1f} h of run time in all."
        f" Test accuracy on all 10,000 CIFAR-10 test images.{compare}",
        "",
        "| objective | test accuracy, mean ± std (min–max) | seeds | vs KD only, paired: mean [95% interval] | train time per run |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        a = r["accuracy"]
        lines.append(
            f"| {r['title']} | {a['mean']:.2f}% ± {a['std']:.2f} ({a['min']:.2f}–{a['max']:.2f}) | {a['n']} | {fmt_interval(r['vsKdOnly'])} | {r['trainSeconds']:.0f} s |"
        )
    lines += ["", "| objective | " + " | ".join(f"seed {x}" for x in seeds) + " |", "| --- |" + " --- |" * len(seeds)]
    for r in rows:
        lines.append(f"| {r['title']} | " + " | ".join(f"{r['seeds'][x]:.2f}%" if x in r["seeds"] else "–" for x in seeds) + " |")
    return "\n".join(lines)


def write_tables(path: str, results: dict) -> None:
    """Rewrites each table's block (<!-- table:NAME:begin --> ... end) in `path`; a table with no
    block yet gets one at the end of the file."""
    text = open(path).read() if os.path.exists(path) else "# Experiment\n"
    for name, table in results["tables"].items():
        if not table["runs"]:
            continue
        begin, end = f"<!-- table:{name}:begin -->", f"<!-- table:{name}:end -->"
        block = f"{begin}\n{table_markdown(name, results)}\n{end}"
        i, j = text.find(begin), text.find(end)
        if i >= 0 and j > i:
            text = text[:i] + block + text[j + len(end):]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)

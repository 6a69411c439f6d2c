"""The experiment's objectives and its named plans (tools/torch/experiment.py --plan NAME).

An objective is a partial `loss` config layered over the preset's; the relation-term arms use
the paper's weights. The screening variants change one of the paper's knobs of `kd+all` at a
time. The objectives themselves are the app's (src/engine/spec/objectives.ts), read from
app_spec.json.
"""

from __future__ import annotations

from mkd.config import APP_SPEC

# name -> (title, loss layer), from the app's objectives (src/engine/spec/objectives.ts) via app_spec.json
OBJECTIVES: dict[str, tuple[str, dict]] = {name: (o["title"], o["loss"]) for name, o in APP_SPEC["objectives"].items()}


def objective_loss(name: str) -> dict:
    return dict(OBJECTIVES[name][1])


def objective_title(name: str) -> str:
    return OBJECTIVES[name][0] if name in OBJECTIVES else name


DEFAULT_SCALE = {
    "preset": "default",
    "teacher": "public/models/cifar10-default",
    "steps": 2000,
    "batch": 64,
    "warmup": 100,
    "lr": None,
}
STARTER = "public/data/starter"
FIVE, THREE, ONE = [1, 2, 3, 4, 5], [1, 2, 3], [1]

PLANS: dict[str, dict] = {
    "default-starter": {
        "title": "Default preset on the starter set",
        **DEFAULT_SCALE,
        "trainData": STARTER,
        "runs": [["ce-only", FIVE], ["kd-only", FIVE], ["kd+all", FIVE], ["kd+intra", THREE], ["kd+inter", THREE], ["kd+random", THREE]],
    },
    "default-full": {
        "title": "Default preset on the full training set",
        **DEFAULT_SCALE,
        "trainData": None,
        "runs": [["ce-only", THREE], ["kd-only", THREE], ["kd+all", THREE]],
    },
    "default-screen": {
        "title": "The paper's knobs, one seed each (default preset, starter set)",
        **DEFAULT_SCALE,
        "trainData": STARTER,
        "compareTo": "default-starter",
        "runs": [[name, ONE] for name in OBJECTIVES if name.startswith("kd+all:")],
    },
}

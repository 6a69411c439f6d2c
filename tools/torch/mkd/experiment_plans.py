"""The experiment's objectives and its named plans (tools/torch/experiment.py --plan NAME).

An objective is a partial `loss` config layered over the preset's; the relation-term arms use
the paper's weights (intra 4, inter 0.1, random 0.2, tau 1, soft KD). The screening variants
change one of the paper's knobs of `kd+all` at a time.
"""

from __future__ import annotations

PAPER = {"wIntra": 4, "wInter": 0.1, "wRandom": 0.2, "tau": 1, "kd": "soft"}
KD_ALL = {"wCe": 0, "wKd": 1, "wMd": 1, **PAPER}

# name -> (title, loss layer)
OBJECTIVES: dict[str, tuple[str, dict]] = {
    "ce-only": ("CE only", {"wCe": 1, "wKd": 0, "wMd": 0}),
    "kd-only": ("KD only", {"wCe": 0, "wKd": 1, "wMd": 0}),
    "kd+all": ("KD + intra + inter + random", KD_ALL),
    "kd+intra": ("KD + intra", {**KD_ALL, "wInter": 0, "wRandom": 0}),
    "kd+inter": ("KD + inter", {**KD_ALL, "wIntra": 0, "wRandom": 0}),
    "kd+random": ("KD + random", {**KD_ALL, "wIntra": 0, "wInter": 0}),
    # the paper's knobs, one at a time, for a 6-block student and teacher
    "kd+all:pairs-all": ("KD + all, layer pairs: all six", {**KD_ALL, "layerPairs": [[i, i] for i in range(6)]}),
    "kd+all:pairs-late": ("KD + all, layer pairs: late only", {**KD_ALL, "layerPairs": [[4, 4], [5, 5]]}),
    "kd+all:k64": ("KD + all, K 64", {**KD_ALL, "k": 64}),
    "kd+all:intra1": ("KD + all, intra weight 1", {**KD_ALL, "wIntra": 1}),
    "kd+all:intra16": ("KD + all, intra weight 16", {**KD_ALL, "wIntra": 16}),
    "kd+all:tau4": ("KD + all, tau 4", {**KD_ALL, "tau": 4}),
}


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

"""The app's RunConfig in Python: defaults, presets, partial-config layers and share links.

Field names are those of src/engine/config.ts; share-link keys those of the README's
"Share links" table (src/state/url-codec.ts). The parity test checks that every preset
resolves here to exactly what presetConfig() gives in TypeScript.
"""

from __future__ import annotations

import copy
import json
import math
import re
from urllib.parse import parse_qsl

DEFAULT_TEACHER = {
    "imageSize": 32,
    "patchSize": 4,
    "channels": 3,
    "dModel": 128,
    "nLayers": 6,
    "nHeads": 4,
    "mlpRatio": 4,
    "numClasses": 10,
    "distillToken": False,
}

DEFAULT_CONFIG = {
    "preset": "default",
    "seed": 1,
    "data": "starter",
    "backend": "auto",
    "teacher": DEFAULT_TEACHER,
    "student": {**DEFAULT_TEACHER, "dModel": 64, "nHeads": 2, "distillToken": True},
    "loss": {
        "wCe": 0,
        "wKd": 1,
        "wMd": 1,
        "wIntra": 4,
        "wInter": 0.1,
        "wRandom": 0.2,
        "tau": 1,
        "k": 192,
        "kd": "soft",
        "labelSmoothing": 0,
        "layerPairs": [],
    },
    "optim": {
        "lr": 5e-4,
        "weightDecay": 0.05,
        "beta1": 0.9,
        "beta2": 0.999,
        "eps": 1e-8,
        "batch": 64,
        "steps": 2000,
        "teacherSteps": 2000,
        "warmupSteps": 100,
        "gradClip": 1,
    },
    "baseline": "none",
}

PRESETS = {
    "default": {},
    "paper": {
        "loss": {"wCe": 0, "wKd": 1, "wMd": 1, "wIntra": 4, "wInter": 0.1, "wRandom": 0.2, "tau": 1, "kd": "soft", "k": 64},
        "optim": {"lr": 5e-4, "weightDecay": 0.05},
    },
    "ce-only": {"loss": {"wCe": 1, "wKd": 0, "wMd": 0}},
    "kd-only": {"loss": {"wCe": 0, "wKd": 1, "wMd": 0}},
    "relations-only": {"loss": {"wCe": 0, "wKd": 0, "wMd": 1}},
    "tiny": {
        "teacher": {"patchSize": 8, "dModel": 32, "nLayers": 2, "nHeads": 2, "mlpRatio": 2},
        "student": {"patchSize": 8, "dModel": 16, "nLayers": 2, "nHeads": 2, "mlpRatio": 2},
        "loss": {"k": 32},
        "optim": {"batch": 16, "steps": 300, "teacherSteps": 300, "warmupSteps": 20, "lr": 1e-3},
    },
}

NESTED = ("teacher", "student", "loss", "optim")

# Share-link key -> dot paths into RunConfig (src/state/url-codec.ts KEY_SPECS).
URL_KEYS = {
    "preset": ["preset"],
    "seed": ["seed"],
    "data": ["data"],
    "backend": ["backend"],
    "patch": ["teacher.patchSize", "student.patchSize"],
    "tDim": ["teacher.dModel"],
    "tDepth": ["teacher.nLayers"],
    "tHeads": ["teacher.nHeads"],
    "tMlp": ["teacher.mlpRatio"],
    "sDim": ["student.dModel"],
    "sDepth": ["student.nLayers"],
    "sHeads": ["student.nHeads"],
    "sMlp": ["student.mlpRatio"],
    "sDistill": ["student.distillToken"],
    "lr": ["optim.lr"],
    "batch": ["optim.batch"],
    "steps": ["optim.steps"],
    "tSteps": ["optim.teacherSteps"],
    "warmup": ["optim.warmupSteps"],
    "wd": ["optim.weightDecay"],
    "clip": ["optim.gradClip"],
    "beta1": ["optim.beta1"],
    "beta2": ["optim.beta2"],
    "eps": ["optim.eps"],
    "wCe": ["loss.wCe"],
    "wKd": ["loss.wKd"],
    "wMd": ["loss.wMd"],
    "wIntra": ["loss.wIntra"],
    "wInter": ["loss.wInter"],
    "wRandom": ["loss.wRandom"],
    "tau": ["loss.tau"],
    "kd": ["loss.kd"],
    "k": ["loss.k"],
    "ls": ["loss.labelSmoothing"],
    "baseline": ["baseline"],
    "pairs": ["loss.layerPairs"],
}
INT_PATHS = {
    "seed", "teacher.patchSize", "student.patchSize", "teacher.dModel", "teacher.nLayers", "teacher.nHeads",
    "student.dModel", "student.nLayers", "student.nHeads", "optim.batch", "optim.steps", "optim.teacherSteps",
    "optim.warmupSteps", "loss.k",
}
STRING_PATHS = {"preset", "data", "backend", "loss.kd", "baseline"}


def apply_layers(base: dict, *layers: dict) -> dict:
    """Layers in order over a base config; nested objects merge one level deep (as applyLayers)."""
    out = copy.deepcopy(base)
    for layer in layers:
        for key, value in layer.items():
            if key in NESTED:
                out[key] = {**out[key], **value}
            else:
                out[key] = value
    return out


def preset_config(name: str) -> dict:
    if name not in PRESETS:
        raise ValueError(f'Unknown preset "{name}"; choose one of: {", ".join(PRESETS)}.')
    return apply_layers(DEFAULT_CONFIG, PRESETS[name], {"preset": name})


def _parse_value(path: str, raw: str):
    if path in STRING_PATHS:
        return raw
    if path == "student.distillToken":
        if raw in ("true", "1"):
            return True
        if raw in ("false", "0"):
            return False
        raise ValueError(f"not true or false: {raw}")
    if path == "loss.layerPairs":
        if raw in ("", "auto"):
            return []
        return [[int(a) for a in re.split(r"[-:]", p)] for p in re.split(r"[_,.]", raw)]
    n = float(raw)
    if not math.isfinite(n):
        raise ValueError(f"not a number: {raw}")
    if path in INT_PATHS:
        if not n.is_integer():
            raise ValueError(f"not a whole number: {raw}")
        return int(n)
    return int(n) if n.is_integer() and "." not in raw and "e" not in raw.lower() else n


def config_from_hash(hash_: str) -> dict:
    """A share link's hash (or the whole link) -> RunConfig. Unlike the page, a bad key is an error."""
    text = hash_.split("#", 1)[1] if "#" in hash_ else hash_
    pairs = parse_qsl(text, keep_blank_values=True)
    values = dict(pairs)
    cfg = preset_config(values.get("preset", "default"))
    for key, raw in pairs:
        if key in ("v", "preset"):
            continue
        if key not in URL_KEYS:
            raise ValueError(f"unknown share-link key {key!r}")
        value = _parse_value(URL_KEYS[key][0], raw)
        for path in URL_KEYS[key]:
            head, _, leaf = path.partition(".")
            if leaf:
                cfg[head][leaf] = value
            else:
                cfg[head] = value
    return cfg


def load_config(preset: str | None = None, config_file: str | None = None, url: str | None = None) -> dict:
    """defaults -> preset -> share link -> config file (a partial RunConfig, as `npm run train --config`)."""
    cfg = config_from_hash(url) if url else preset_config(preset or "default")
    if url and preset:
        raise ValueError("give --preset or --url, not both (the link names its preset)")
    if config_file:
        with open(config_file) as fh:
            layer = json.load(fh)
        if "preset" in layer and not url and not preset:
            cfg = preset_config(layer["preset"])
        cfg = apply_layers(cfg, layer)
    return cfg


def default_layer_pairs(student_depth: int, teacher_depth: int) -> list[list[int]]:
    """Early blocks with early, late with late: 2/3 of the shallower depth, half at each end."""
    shallow = min(student_depth, teacher_depth)
    count = max(1, math.ceil(2 * shallow / 3))
    early = math.ceil(count / 2)
    late = count - early
    pairs = [[i, i] for i in range(early)]
    pairs += [[student_depth - j, teacher_depth - j] for j in range(late, 0, -1)]
    return pairs


def effective_layer_pairs(cfg: dict) -> list[list[int]]:
    pairs = cfg["loss"]["layerPairs"]
    return [list(p) for p in pairs] if pairs else default_layer_pairs(cfg["student"]["nLayers"], cfg["teacher"]["nLayers"])


def learning_rate_at(step: int, optim: dict, steps: int) -> float:
    """Linear warmup to the peak rate, then cosine decay to zero at the last step."""
    lr, warmup = optim["lr"], optim["warmupSteps"]
    if warmup > 0 and step < warmup:
        return lr * (step + 1) / warmup
    span = max(1, steps - warmup)
    progress = min(1.0, (step - warmup) / span)
    return 0.5 * lr * (1 + math.cos(math.pi * progress))

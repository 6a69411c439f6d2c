"""The app's RunConfig in Python: defaults, presets, partial-config layers and share links.

Field names are those of src/engine/spec/config.ts; the defaults, presets and share-link keys are
read from app_spec.json, written from the app's field table (src/engine/spec/fields.ts). The parity test checks that every preset
resolves here to exactly what presetConfig() gives in TypeScript.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
from urllib.parse import parse_qsl

# Defaults, presets and share-link keys come from the app's field table (src/engine/spec/fields.ts)
# through app_spec.json, which `npm run docs` writes and scripts/docs.test.ts keeps current.
with open(os.path.join(os.path.dirname(__file__), "app_spec.json")) as _fh:
    APP_SPEC = json.load(_fh)

DEFAULT_CONFIG: dict = APP_SPEC["defaults"]
DEFAULT_TEACHER: dict = DEFAULT_CONFIG["teacher"]
PRESETS: dict[str, dict] = APP_SPEC["presets"]

NESTED = ("teacher", "student", "loss", "optim")

# Share-link key -> dot paths into RunConfig (src/state/url-keys.ts KEY_SPECS).
URL_KEYS: dict[str, list[str]] = APP_SPEC["urlKeys"]
INT_PATHS = {p for p, kind in APP_SPEC["pathKinds"].items() if kind == "int"}
STRING_PATHS = {p for p, kind in APP_SPEC["pathKinds"].items() if kind in ("enum", "preset")}


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

"""The training state that makes a run resumable with the same result as one uninterrupted run.

A checkpoint in the app's format holds weights (and, optionally, AdamW moments) but not the
trainer's position: the step, the epoch's data order, and the random streams that draw the
augmentation, mixup and cutmix, RandAugment and stochastic depth, and the sampled tokens.
`<out>/state.pt` holds all of that. It is written atomically (temp name, then rename), every few
minutes and when the process is told to stop (SIGINT/SIGTERM), so a run can go on in pieces over
days: `train.py ... --resume`.

`run_signature` names everything that shapes the run's numbers; a resume with a different
signature is refused, because it would not continue the same run.
"""

from __future__ import annotations

import json
import os

import numpy as np
import torch

from .recipe import Recipe

STATE_FILE = "state.pt"
DEFAULT_RECIPE = {k: v for k, v in Recipe().to_json().items() if k != "mixup"}


def run_signature(cfg: dict, args, steps: int, world: int, recipe: dict | None = None) -> dict:
    """recipe: the teacher recipe's fields (mkd/recipe.py). mixup keeps its key of old; the others
    join under "recipe" when any differs from its default, so runs without them resume as before."""
    recipe = dict(recipe or {})
    mixup = recipe.pop("mixup", getattr(args, "mixup", 0.0))
    out = {
        "config": cfg,
        "phase": args.phase,
        "steps": steps,
        "processes": world,
        "cropPadding": args.crop_padding,
        "flip": args.flip,
        "mixup": mixup,
        "teacher": os.path.abspath(args.teacher) if args.teacher else None,
        "data": os.path.abspath(args.data),
        "trainData": os.path.abspath(args.train_data) if getattr(args, "train_data", None) else None,
        "threads": args.threads,
    }
    if recipe and recipe != DEFAULT_RECIPE:
        out["recipe"] = recipe
    return out


def signature_diff(saved: dict, now: dict) -> list[str]:
    """Names of the fields that differ, dotted (config.optim.lr), for the refusal message."""
    out: list[str] = []

    def walk(a, b, path: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                walk(a.get(key), b.get(key), f"{path}.{key}" if path else key)
        elif json.dumps(a) != json.dumps(b):
            out.append(f"{path} ({json.dumps(a)} saved, {json.dumps(b)} now)")

    walk(saved, now, "")
    return out


def save_state(path: str, **state) -> None:
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_state(path: str) -> dict:
    # The state holds numpy arrays and numpy's generator state: torch >= 2.6 loads only plain
    # tensors unless told otherwise (the file is the run's own, written by save_state).
    return torch.load(path, map_location="cpu", weights_only=False)


def rng_states(order_gen: torch.Generator, local_gen: torch.Generator, np_gen: np.random.Generator, sample_gen: torch.Generator, recipe_gen: torch.Generator) -> dict:
    return {
        "order": order_gen.get_state(),
        "local": local_gen.get_state(),
        "numpy": np_gen.bit_generator.state,
        "samples": sample_gen.get_state(),
        "recipe": recipe_gen.get_state(),
    }


def restore_rngs(states: dict, order_gen: torch.Generator, local_gen: torch.Generator, np_gen: np.random.Generator, sample_gen: torch.Generator, recipe_gen: torch.Generator) -> None:
    order_gen.set_state(states["order"])
    local_gen.set_state(states["local"])
    np_gen.bit_generator.state = states["numpy"]
    sample_gen.set_state(states["samples"])
    if "recipe" in states:  # states saved before the recipe's stream existed never drew from it
        recipe_gen.set_state(states["recipe"])

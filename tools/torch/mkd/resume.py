"""The training state that makes a run resumable with the same result as one uninterrupted run.

A checkpoint in the app's format holds weights (and, optionally, AdamW moments) but not the
trainer's position: the step, the epoch's data order, and the random streams that draw the
augmentation, mixup and sampled tokens. `<out>/state.pt` holds all of that. It is written
atomically (temp name, then rename), every few minutes and when the process is told to stop
(SIGINT/SIGTERM), so a run can go on in pieces over days: `train.py ... --resume`.

`run_signature` names everything that shapes the run's numbers; a resume with a different
signature is refused, because it would not continue the same run.
"""

from __future__ import annotations

import json
import os

import numpy as np
import torch

STATE_FILE = "state.pt"


def run_signature(cfg: dict, args, steps: int, world: int) -> dict:
    return {
        "config": cfg,
        "phase": args.phase,
        "steps": steps,
        "processes": world,
        "cropPadding": args.crop_padding,
        "flip": args.flip,
        "mixup": args.mixup,
        "teacher": os.path.abspath(args.teacher) if args.teacher else None,
        "data": os.path.abspath(args.data),
        "trainData": os.path.abspath(args.train_data) if getattr(args, "train_data", None) else None,
        "threads": args.threads,
    }


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
    return torch.load(path, map_location="cpu")


def rng_states(order_gen: torch.Generator, local_gen: torch.Generator, np_gen: np.random.Generator, sample_gen: torch.Generator) -> dict:
    return {"order": order_gen.get_state(), "local": local_gen.get_state(), "numpy": np_gen.bit_generator.state, "samples": sample_gen.get_state()}


def restore_rngs(states: dict, order_gen: torch.Generator, local_gen: torch.Generator, np_gen: np.random.Generator, sample_gen: torch.Generator) -> None:
    order_gen.set_state(states["order"])
    local_gen.set_state(states["local"])
    np_gen.bit_generator.state = states["numpy"]
    sample_gen.set_state(states["samples"])

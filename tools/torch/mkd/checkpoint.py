"""The app's checkpoint format (src/engine/spec/checkpoint-format.ts): model.json + weights.bin.

model.json is a TF.js weights manifest with the run's config, normalisation, dataset and
models; weights.bin holds float32 tensors, little-endian, concatenated in manifest order.
Weight names are `<role>/<app name>` (e.g. `teacher/blocks/0/attn/qkv/kernel`) and
optimizer moments `optimizer/<role>/m/<app name>` and `.../v/...`. Layouts differ from
PyTorch's: Dense kernels are [in, out] (torch Linear: [out, in]); the patch kernel is
[P, P, C, D] (torch Conv2d: [D, C, P, P]); LayerNorm weight/bias are gamma/beta.
"""

from __future__ import annotations

import json
import os

import numpy as np
import torch

from .model import Vit, VitConfig

FORMAT = "manifold-kd-playground/checkpoint"
VERSION = 1
WEIGHTS_FILE = "weights.bin"


def app_name(torch_name: str, module: torch.nn.Module) -> str:
    """PyTorch parameter name -> the app's name (blocks.0.norm1.weight -> blocks/0/norm1/gamma)."""
    owner_name, _, leaf = torch_name.rpartition(".")
    owner = module.get_submodule(owner_name) if owner_name else module
    base = torch_name.replace(".", "/")
    if isinstance(owner, torch.nn.LayerNorm):
        return base[: -len(leaf)] + ("gamma" if leaf == "weight" else "beta")
    if isinstance(owner, (torch.nn.Linear, torch.nn.Conv2d)) and leaf == "weight":
        return base[: -len(leaf)] + "kernel"
    return base


def to_app(tensor: torch.Tensor, owner: torch.nn.Module, leaf: str) -> np.ndarray:
    t = tensor.detach().to(torch.float32).cpu()
    if leaf == "weight" and isinstance(owner, torch.nn.Linear):
        t = t.t()  # [out, in] -> [in, out]
    elif leaf == "weight" and isinstance(owner, torch.nn.Conv2d):
        t = t.permute(2, 3, 1, 0)  # [D, C, P, P] -> [P, P, C, D]
    return np.ascontiguousarray(t.numpy())


def from_app(array: np.ndarray, owner: torch.nn.Module, leaf: str) -> torch.Tensor:
    t = torch.from_numpy(np.array(array, dtype=np.float32))
    if leaf == "weight" and isinstance(owner, torch.nn.Linear):
        t = t.t()
    elif leaf == "weight" and isinstance(owner, torch.nn.Conv2d):
        t = t.permute(3, 2, 0, 1)  # [P, P, C, D] -> [D, C, P, P]
    return t.contiguous()


def _owner(module: torch.nn.Module, torch_name: str):
    owner_name, _, leaf = torch_name.rpartition(".")
    return (module.get_submodule(owner_name) if owner_name else module), leaf


def app_order(model: Vit) -> list[str]:
    """PyTorch names in the app's parameter order (vit.ts listParams), for a byte-identical layout."""
    names = ["patch_embed.weight", "patch_embed.bias", "cls_token"]
    if model.dist_token is not None:
        names.append("dist_token")
    names.append("pos_embed")
    for i in range(len(model.blocks)):
        for part in ["norm1", "attn.qkv", "attn.proj", "norm2", "mlp.fc1", "mlp.fc2"]:
            names += [f"blocks.{i}.{part}.weight", f"blocks.{i}.{part}.bias"]
    names += ["norm.weight", "norm.bias", "head.weight", "head.bias"]
    if model.head_dist is not None:
        names += ["head_dist.weight", "head_dist.bias"]
    return names


def read(path: str) -> tuple[dict, dict[str, np.ndarray]]:
    """Reads a checkpoint folder (or its model.json). Returns (manifest, {name: float32/int32 array})."""
    json_path = path if path.endswith(".json") else os.path.join(path, "model.json")
    with open(json_path) as fh:
        manifest = json.load(fh)
    if manifest.get("format") != FORMAT:
        raise ValueError(f'{json_path} is not a checkpoint of this app (no "format": "{FORMAT}")')
    if manifest.get("version") != VERSION:
        raise ValueError(f"checkpoint version {manifest.get('version')} is not supported (reads {VERSION})")
    folder = os.path.dirname(json_path)
    arrays: dict[str, np.ndarray] = {}
    for group in manifest["weightsManifest"]:
        data = b"".join(open(os.path.join(folder, p), "rb").read() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            dtype = {"float32": "<f4", "int32": "<i4"}[spec["dtype"]]
            n = int(np.prod(spec["shape"])) if spec["shape"] else 1
            arrays[spec["name"]] = np.frombuffer(data, dtype=dtype, count=n, offset=offset).reshape(spec["shape"])
            offset += 4 * n
        if offset != len(data):
            raise ValueError(f"weights file has {len(data)} bytes, model.json describes {offset}")
    return manifest, arrays


def load_model(manifest: dict, arrays: dict, role: str | None = None) -> Vit:
    """Builds the model of `role` (default: the manifest's primary) with its saved weights."""
    role = role or manifest["primary"]
    entry = next((m for m in manifest["models"] if m["role"] == role), None)
    if entry is None:
        raise ValueError(f'checkpoint has no model "{role}" (it has: {", ".join(m["role"] for m in manifest["models"])})')
    model = Vit(VitConfig(**entry["config"]))
    load_weights(model, arrays, role)
    if "trainedHeads" in entry:
        model.trained_heads = dict(entry["trainedHeads"])
    elif role == "teacher":  # older checkpoints: a teacher learned from CE
        model.trained_heads = {"cls": True, "dist": False}
    else:
        baseline = next((b["loss"] for b in manifest.get("baselines", []) if b["name"] == role), None)
        model.note_trained_heads(baseline or manifest["config"]["loss"])
    return model


def load_weights(model: Vit, arrays: dict, role: str) -> None:
    with torch.no_grad():
        for name, p in model.named_parameters():
            owner, leaf = _owner(model, name)
            key = f"{role}/{app_name(name, model)}"
            if key not in arrays:
                raise ValueError(f'checkpoint lacks weight "{key}"')
            t = from_app(arrays[key], owner, leaf)
            if tuple(t.shape) != tuple(p.shape):
                raise ValueError(f'weight "{key}" has shape {list(arrays[key].shape)}, the model needs another')
            p.copy_(t.to(p.dtype))


def load_adam_state(model: Vit, optimizer: torch.optim.Optimizer, arrays: dict, role: str, step: int) -> None:
    """Copies the app's AdamW moments into a torch AdamW over model.parameters()."""
    for name, p in model.named_parameters():
        owner, leaf = _owner(model, name)
        base = app_name(name, model)
        m = from_app(arrays[f"optimizer/{role}/m/{base}"], owner, leaf).to(p.dtype)
        v = from_app(arrays[f"optimizer/{role}/v/{base}"], owner, leaf).to(p.dtype)
        state = optimizer.state[p]
        state["step"] = torch.tensor(float(step))
        state["exp_avg"] = m.clone()
        state["exp_avg_sq"] = v.clone()


def named_app_arrays(model: Vit, role: str, optimizer: torch.optim.Optimizer | None = None):
    out = []
    for name in app_order(model):
        p = model.get_parameter(name)
        owner, leaf = _owner(model, name)
        out.append((f"{role}/{app_name(name, model)}", to_app(p, owner, leaf)))
    if optimizer is not None:
        for name in app_order(model):
            p = model.get_parameter(name)
            owner, leaf = _owner(model, name)
            st = optimizer.state.get(p, {})
            for key, slot in (("m", "exp_avg"), ("v", "exp_avg_sq")):
                t = st.get(slot, torch.zeros_like(p))
                out.append((f"optimizer/{role}/{key}/{app_name(name, model)}", to_app(t, owner, leaf)))
    return out


def write(
    folder: str,
    *,
    models: list[tuple[str, Vit, torch.optim.Optimizer | None]],
    config: dict,
    normalization: dict,
    dataset: dict,
    phase: str,
    primary: str,
    extra: dict | None = None,
) -> None:
    """Writes model.json + weights.bin in the app's format (no trainer position: not resumable in the app)."""
    os.makedirs(folder, exist_ok=True)
    specs, chunks, entries = [], [], []
    for role, model, optimizer in models:
        for name, arr in named_app_arrays(model, role, optimizer):
            specs.append({"name": name, "shape": list(arr.shape), "dtype": "float32"})
            chunks.append(arr.astype("<f4").tobytes())
        step = None
        if optimizer is not None:
            steps = [int(s["step"]) for s in optimizer.state.values() if "step" in s]
            step = max(steps) if steps else 0
        entries.append({"role": role, "config": model.cfg.to_json(), "optimizerStep": step, "trainedHeads": dict(model.trained_heads)})
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "phase": phase,
        "primary": primary,
        "config": config,
        "normalization": normalization,
        "dataset": dataset,
        "models": entries,
        "baselines": [],
        "position": None,
        "weightsManifest": [{"paths": [WEIGHTS_FILE], "weights": specs}],
    }
    if extra:
        manifest.update(extra)
    tmp = os.path.join(folder, WEIGHTS_FILE + ".tmp")
    with open(tmp, "wb") as fh:
        for c in chunks:
            fh.write(c)
    os.replace(tmp, os.path.join(folder, WEIGHTS_FILE))
    with open(os.path.join(folder, "model.json.tmp"), "w") as fh:
        json.dump(manifest, fh, indent=1)
    os.replace(os.path.join(folder, "model.json.tmp"), os.path.join(folder, "model.json"))

"""A small pre-norm ViT / DeiT in PyTorch, the twin of src/engine/vit.ts.

  image [B, C, H, W]
  -> patch embedding (stride-P convolution)               [B, N, D]
  -> prepend cls (and distillation) token, add position   [B, T, D]
  -> depth x block: x += attn(LN(x)); x += mlp(LN(x))
  -> final LayerNorm -> linear head on the cls token (and on the distillation token)

forward() returns the logits, the distillation logits (or None) and every block's output
(the residual stream after the block, before the final LayerNorm), which the relation
terms compare. Parameter layouts are PyTorch's (Linear weight [out, in], Conv2d weight
[D, C, P, P]); checkpoint.py converts to and from the app's layouts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

# timm's ViT LayerNorm epsilon (PyTorch's default 1e-5 would differ from the app).
LN_EPS = 1e-6
# timm / DeiT initialise weights, tokens and position embedding with trunc_normal(std=.02).
INIT_STD = 0.02


@dataclass
class VitConfig:
    """Mirrors VitConfig in src/engine/spec/config.ts (same field names, camelCase kept)."""

    imageSize: int = 32
    patchSize: int = 4
    channels: int = 3
    dModel: int = 128
    nLayers: int = 6
    nHeads: int = 4
    mlpRatio: float = 4
    numClasses: int = 10
    distillToken: bool = False

    @property
    def patches(self) -> int:
        return (self.imageSize // self.patchSize) ** 2

    @property
    def prefix(self) -> int:
        return 2 if self.distillToken else 1

    def to_json(self) -> dict:
        ratio = self.mlpRatio
        return {
            "imageSize": self.imageSize,
            "patchSize": self.patchSize,
            "channels": self.channels,
            "dModel": self.dModel,
            "nLayers": self.nLayers,
            "nHeads": self.nHeads,
            "mlpRatio": int(ratio) if float(ratio).is_integer() else ratio,
            "numClasses": self.numClasses,
            "distillToken": self.distillToken,
        }


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        dh = d // self.heads
        qkv = self.qkv(x).reshape(b, t, 3, self.heads, dh).permute(2, 0, 3, 1, 4)  # [3, B, H, T, dh]
        q, k, v = qkv[0], qkv[1], qkv[2]  # [B, H, T, dh]
        attn = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(dh))  # [B, H, T, T]
        mixed = attn.softmax(dim=-1) @ v  # [B, H, T, dh]
        return self.proj(mixed.transpose(1, 2).reshape(b, t, d))  # [B, T, D]


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))  # exact (erf) GELU


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, hidden: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=LN_EPS)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=LN_EPS)
        self.mlp = Mlp(dim, hidden)

    def forward(self, x: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
        """keep: stochastic depth's per-image multipliers [2, B] for the two branches, or None."""
        if keep is None:
            x = x + self.attn(self.norm1(x))
            return x + self.mlp(self.norm2(x))
        x = x + self.attn(self.norm1(x)) * keep[0].view(-1, 1, 1)
        return x + self.mlp(self.norm2(x)) * keep[1].view(-1, 1, 1)


class Vit(nn.Module):
    def __init__(self, cfg: VitConfig):
        super().__init__()
        problems = config_problems(cfg)
        if problems:
            raise ValueError("Invalid ViT config: " + "; ".join(problems))
        self.cfg = cfg
        d = cfg.dModel
        hidden = int(round(cfg.mlpRatio * d))
        self.patch_embed = nn.Conv2d(cfg.channels, d, kernel_size=cfg.patchSize, stride=cfg.patchSize)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d))
        self.dist_token = nn.Parameter(torch.zeros(1, 1, d)) if cfg.distillToken else None
        self.pos_embed = nn.Parameter(torch.zeros(1, cfg.prefix + cfg.patches, d))
        self.blocks = nn.ModuleList(Block(d, cfg.nHeads, hidden) for _ in range(cfg.nLayers))
        self.norm = nn.LayerNorm(d, eps=LN_EPS)
        self.head = nn.Linear(d, cfg.numClasses)
        self.head_dist = nn.Linear(d, cfg.numClasses) if cfg.distillToken else None
        self.trained_heads = {"cls": False, "dist": False}
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for p in [self.cls_token, self.dist_token, self.pos_embed]:
            if p is not None:
                nn.init.trunc_normal_(p, std=INIT_STD, a=-2 * INIT_STD, b=2 * INIT_STD)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                nn.init.trunc_normal_(m.weight, std=INIT_STD, a=-2 * INIT_STD, b=2 * INIT_STD)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, images: torch.Tensor, keep: torch.Tensor | None = None):
        """images [B, C, H, W], normalised; keep: stochastic depth's branch multipliers
        [depth, 2, B] (training only; mkd/recipe.py draws them), or None.
        Returns (logits, dist_logits | None, blocks)."""
        b = images.shape[0]
        x = self.patch_embed(images).flatten(2).transpose(1, 2)  # [B, N, D], row-major grid
        prefix = [self.cls_token.expand(b, -1, -1)]
        if self.dist_token is not None:
            prefix.append(self.dist_token.expand(b, -1, -1))
        x = torch.cat(prefix + [x], dim=1) + self.pos_embed  # [B, T, D]
        blocks = []
        for i, block in enumerate(self.blocks):
            x = block(x, None if keep is None else keep[i])
            blocks.append(x)
        out = self.norm(x)
        logits = self.head(out[:, 0])  # [B, classes]
        dist = self.head_dist(out[:, 1]) if self.head_dist is not None else None
        return logits, dist, blocks

    def note_trained_heads(self, loss: dict | None) -> None:
        """Records the heads a step with these loss weights trains (None: the teacher phase's CE).

        As src/engine/spec/heads.ts: CE trains the class head, KD the distillation head (or the
        class head when there is no distillation token)."""
        has_dist = self.head_dist is not None
        if loss is None:
            self.trained_heads["cls"] = True
            return
        if loss["wCe"] > 0 or (loss["wKd"] > 0 and not has_dist):
            self.trained_heads["cls"] = True
        if has_dist and loss["wKd"] > 0:
            self.trained_heads["dist"] = True

    def prediction_heads(self) -> str:
        """'cls', 'dist' or 'both': trained heads only; both when both (or neither) were trained."""
        if self.head_dist is None:
            return "cls"
        cls, dist = self.trained_heads["cls"], self.trained_heads["dist"]
        return "dist" if dist and not cls else "cls" if cls and not dist else "both"

    def predict(self, logits: torch.Tensor, dist: torch.Tensor | None) -> torch.Tensor:
        """Logits of the trained head(s): an untrained head's random output would only add noise."""
        heads = self.prediction_heads()
        if dist is None or heads == "cls":
            return logits
        return dist if heads == "dist" else (logits + dist) / 2

    def patch_tokens(self, block_output: torch.Tensor) -> torch.Tensor:
        """[B, prefix + N, D] -> [B, N, D]: cls and distillation tokens dropped."""
        return block_output[:, self.cfg.prefix :]

    def param_groups(self, weight_decay: float) -> list[dict]:
        """Weight decay on weight matrices only (kernels), as timm / DeiT and the app."""
        decay, rest = [], []
        for name, p in self.named_parameters():
            (decay if p.ndim >= 2 and "token" not in name and "pos_embed" not in name else rest).append(p)
        return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


def config_problems(cfg: VitConfig) -> list[str]:
    out = []
    for key in ["imageSize", "patchSize", "channels", "dModel", "nLayers", "nHeads", "numClasses"]:
        v = getattr(cfg, key)
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            out.append(f"{key} must be a positive integer, got {v}")
    if out:
        return out
    if cfg.imageSize % cfg.patchSize:
        out.append(f"imageSize {cfg.imageSize} is not a multiple of patchSize {cfg.patchSize}")
    if cfg.dModel % cfg.nHeads:
        out.append(f"dModel {cfg.dModel} is not a multiple of nHeads {cfg.nHeads}")
    if not cfg.mlpRatio > 0 or not float(cfg.mlpRatio * cfg.dModel).is_integer():
        out.append(f"mlpRatio {cfg.mlpRatio} must be positive and give a whole MLP width")
    return out

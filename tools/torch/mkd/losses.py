"""Loss terms, in the official code's form (element means, averaged over layer pairs).

Spec: ../shared/docs/manifold-distillation.md. The twin of src/engine/losses.ts and
objective.ts, written from the spec:
  total = wCe*CE + wKd*KD + wMd * mean over layer pairs of (wIntra*intra + wInter*inter + wRandom*random)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

NORM_EPS = 1e-12


def relation_maps(tokens: torch.Tensor, sample: torch.Tensor):
    """tokens [B, N, D] (patch tokens). Returns intra [B, N, N], inter [N, B, B], random [K, K]."""
    b, n, d = tokens.shape
    f = F.normalize(tokens, dim=-1, eps=NORM_EPS)  # every entry below is a cosine
    intra = f @ f.transpose(1, 2)  # [B, N, N]
    by_pos = f.transpose(0, 1)  # [N, B, D]
    inter = by_pos @ by_pos.transpose(1, 2)  # [N, B, B]
    fk = f.reshape(b * n, d)[sample]  # [K, D]
    rand = fk @ fk.t()  # [K, K]
    return intra, inter, rand


def manifold_terms(student: torch.Tensor, teacher: torch.Tensor, sample: torch.Tensor):
    """Intra-image, inter-image and random-sampled terms of one layer pair (same K indices)."""
    if student.shape[:2] != teacher.shape[:2]:
        raise ValueError(f"student {tuple(student.shape)} and teacher {tuple(teacher.shape)} differ in B or N")
    s = relation_maps(student, sample)
    t = relation_maps(teacher, sample)
    return tuple(((a - b) ** 2).mean() for a, b in zip(s, t))


def sample_indices(total: int, k: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """K distinct token indices in [0, total), uniformly."""
    if k > total:
        raise ValueError(f"K = {k} is larger than the {total} tokens in the batch (B*N)")
    return torch.randperm(total, generator=generator)[:k]


def kd_loss(student: torch.Tensor, teacher: torch.Tensor, tau: float, kind: str) -> torch.Tensor:
    """soft: KL(softmax(t/tau) || softmax(s/tau)) * tau^2, batch mean. hard: CE against argmax t."""
    if kind == "hard":
        return F.cross_entropy(student, teacher.argmax(dim=-1))
    log_ps = F.log_softmax(student / tau, dim=-1)
    log_pt = F.log_softmax(teacher / tau, dim=-1)
    return (log_pt.exp() * (log_pt - log_ps)).sum(-1).mean() * tau * tau


def cross_entropy(logits: torch.Tensor, labels: torch.Tensor, smoothing: float = 0.0) -> torch.Tensor:
    """Mean CE; label smoothing moves `smoothing` of the mass to a uniform spread over all classes."""
    log_p = F.log_softmax(logits, dim=-1)
    target = F.one_hot(labels.long(), logits.shape[-1]).to(log_p.dtype)
    if smoothing > 0:
        target = target * (1 - smoothing) + smoothing / logits.shape[-1]
    return -(target * log_p).sum(-1).mean()


def active_terms(loss: dict) -> list[str]:
    """Terms that are computed at all: a 0 weight skips the term (as the app does)."""
    out = []
    if loss["wCe"] > 0:
        out.append("ce")
    if loss["wKd"] > 0:
        out.append("kd")
    if loss["wMd"] > 0:
        for key, w in [("intra", "wIntra"), ("inter", "wInter"), ("random", "wRandom")]:
            if loss[w] > 0:
                out.append(key)
    return out


def objective(
    student_out,
    teacher_out,
    labels: torch.Tensor,
    loss: dict,
    pairs: list[tuple[int, int]],
    samples: list[torch.Tensor],
    s_prefix: int,
    t_prefix: int,
):
    """Returns (total, {term: unweighted value}). With a distillation head, KD trains it and CE the cls head."""
    s_logits, s_dist, s_blocks = student_out
    t_logits, t_dist, t_blocks = teacher_out
    t_pred = t_logits if t_dist is None else (t_logits + t_dist) / 2
    active = active_terms(loss)
    terms: dict[str, torch.Tensor] = {}
    parts = []
    if "ce" in active:
        terms["ce"] = cross_entropy(s_logits, labels, loss.get("labelSmoothing", 0.0))
        parts.append(loss["wCe"] * terms["ce"])
    if "kd" in active:
        terms["kd"] = kd_loss(s_dist if s_dist is not None else s_logits, t_pred, loss["tau"], loss["kd"])
        parts.append(loss["wKd"] * terms["kd"])
    rel = [k for k in ("intra", "inter", "random") if k in active]
    if rel:
        per_pair = [
            manifold_terms(s_blocks[s][:, s_prefix:], t_blocks[t][:, t_prefix:], samples[i])
            for i, (s, t) in enumerate(pairs)
        ]
        md = 0.0
        for j, key in enumerate(("intra", "inter", "random")):
            if key in rel:
                terms[key] = torch.stack([p[j] for p in per_pair]).mean()
                md = md + loss["w" + key.capitalize()] * terms[key]
        parts.append(loss["wMd"] * md)
    if not parts:
        raise ValueError("Every loss weight is 0: give at least one term a positive weight.")
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total, terms

"""Training loop of the twin: teacher phase (CE on labels) or student phase (the
distillation objective against a frozen teacher), on one process or many (DDP).

Multi-process: started by torchrun (WORLD_SIZE > 1), gloo on CPU, NCCL on GPUs. Every
process draws the same global order each epoch and takes its own slice of each global
batch, so `optim.batch` is the batch of ONE process (as the official code's "64 per GPU");
the relation terms use each process's local batch, as the official code does. Gradients
are averaged by DistributedDataParallel.
"""

from __future__ import annotations

import faulthandler
import gc
import json
import math
import os
import signal
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F

from . import checkpoint
from .config import effective_layer_pairs, learning_rate_at
from .data import augment, channel_stats, load_cifar, load_starter_train, normalize
from .losses import active_terms, cross_entropy, objective, sample_indices
from .model import Vit, VitConfig
from .randaugment import rand_augment
from .recipe import Recipe, drop_path_keep, mix_batch, mixing_on
from .resume import STATE_FILE, load_state, restore_rngs, rng_states, run_signature, save_state, signature_diff


def log(msg: str) -> None:
    if int(os.environ.get("RANK", "0")) == 0:
        print(msg, flush=True)


class Dist:
    """Process group facts; a single process when not started by torchrun."""

    def __init__(self, device_arg: str):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        use_cuda = device_arg == "cuda" or (device_arg == "auto" and torch.cuda.is_available())
        self.device = torch.device(f"cuda:{self.local_rank}" if use_cuda else "cpu")
        if use_cuda:
            torch.cuda.set_device(self.device)
        if self.world > 1:
            # torchrun stops its workers with SIGTERM (on its own SIGTERM, or a worker's failure):
            # each then prints where it was before it goes, so a stuck run shows its place.
            faulthandler.register(signal.SIGTERM, chain=True)
            dist.init_process_group("nccl" if use_cuda else "gloo")

    @property
    def main(self) -> bool:
        return self.rank == 0

    def all_sum(self, values: list[float]) -> list[float]:
        if self.world == 1:
            return values
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return t.tolist()

    def close(self) -> None:
        """Tears the process group down on every process together. The caller first drops its
        DistributedDataParallel wrapper: that holds the gloo group (its reducer too), so
        destroy_process_group alone left the group to die when train() returned, each process
        on its own; a worker was once seen stuck there after its peer had exited (its stack at
        train()'s return), and torchrun waited on it."""
        if self.world > 1:
            gc.collect()  # the wrapper's reference cycles, so the group goes in destroy below
            dist.barrier()
            dist.destroy_process_group()


@torch.no_grad()
def evaluate(model: Vit, images: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor, norm: dict, d: Dist, limit: int | None = None, batch: int = 500) -> tuple[float, int]:
    """Test accuracy over the first `limit` records, split across processes (images and labels
    as numpy arrays, or as tensors already on the device)."""
    n = min(limit or len(labels), len(labels))
    was_training = model.training
    model.eval()
    correct = torch.zeros((), dtype=torch.int64, device=d.device)
    idx = np.arange(d.rank, n, d.world)
    for i in range(0, len(idx), batch):
        sel = idx[i : i + batch]
        x = normalize(images[sel], norm).to(d.device)
        logits, dist_logits, _ = model(x)
        pred = model.predict(logits, dist_logits).argmax(-1)
        correct += (pred == torch.as_tensor(labels[sel]).to(d.device)).sum()
    correct = int(correct)
    model.train(was_training)
    total_correct, total = d.all_sum([float(correct), float(len(idx))])
    return total_correct / max(1.0, total), int(total)


def on_device(array: np.ndarray, device: torch.device) -> torch.Tensor:
    """A whole data set as one tensor on the device: batches are gathered (and augmented) there,
    so one CPU core does not starve a GPU. On the CPU the tensor shares the array's memory."""
    return torch.from_numpy(np.require(array, requirements=["C", "W"])).to(device)


def train(args, cfg: dict, recipe: Recipe | None = None) -> dict:
    recipe = recipe or Recipe()
    d = Dist(args.device)
    torch.set_num_threads(args.threads)
    seed = cfg["seed"]
    torch.manual_seed(seed)
    data = load_cifar(args.data)
    if getattr(args, "train_data", None):
        # the page's training records (the starter set); the test set stays the full one of --data
        data["train"] = load_starter_train(args.train_data)
    classes = len(data["classNames"])
    for role in ("teacher", "student"):
        cfg[role]["numClasses"] = classes
    # A carry pack brings the exact statistics of the images it re-encoded.
    norm = data.get("normalization") if not getattr(args, "train_data", None) else None
    norm = norm or channel_stats(data["train"][0])
    train_x, train_y = data["train"]
    test_x, test_y = data["test"]
    optim_cfg = cfg["optim"]
    phase = args.phase
    steps = args.steps or (optim_cfg["teacherSteps"] if phase == "teacher" else optim_cfg["steps"])
    batch = optim_cfg["batch"]
    pairs = effective_layer_pairs(cfg)

    if phase == "teacher":
        torch.manual_seed(seed)
        model = Vit(VitConfig(**cfg["teacher"]))
        teacher = None
    else:
        manifest, arrays = checkpoint.read(args.teacher)
        teacher = checkpoint.load_model(manifest, arrays, "teacher").to(d.device).eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
        cfg["teacher"] = teacher.cfg.to_json()
        norm = manifest.get("normalization", norm)
        torch.manual_seed(seed + 1)
        model = Vit(VitConfig(**cfg["student"]))
    model = model.to(d.device).train()
    # A head may take no part in the loss (e.g. the cls head when CE's weight is 0).
    net = torch.nn.parallel.DistributedDataParallel(model, find_unused_parameters=phase == "student") if d.world > 1 else model
    opt = torch.optim.AdamW(
        model.param_groups(optim_cfg["weightDecay"]),
        lr=optim_cfg["lr"],
        betas=(optim_cfg["beta1"], optim_cfg["beta2"]),
        eps=optim_cfg["eps"],
    )
    order_gen = torch.Generator().manual_seed(seed)  # the same on every process
    local_gen = torch.Generator().manual_seed(seed * 1009 + 17 + d.rank)  # augmentation
    # The sampled tokens draw from their own stream, so that objectives with other layer pairs
    # (one draw a pair) still see the same augmentation as the others of their seed.
    sample_gen = torch.Generator().manual_seed(seed * 1013 + 29 + d.rank)
    np_gen = np.random.default_rng(seed * 7919 + d.rank)  # mixup's and cutmix's draws
    # RandAugment's ops and stochastic depth's drops: a stream of their own, so runs without them
    # draw everything else as before.
    recipe_gen = torch.Generator().manual_seed(seed * 1021 + 37 + d.rank)
    per_epoch = len(train_y) // (batch * d.world)
    if args.epochs:
        steps = args.epochs * per_epoch
    loss_cfg = cfg["loss"]
    names = ["ce"] if phase == "teacher" else active_terms(loss_cfg)
    patches = model.cfg.patches
    k = min(loss_cfg["k"], batch * patches)

    out_dir = args.out
    if d.main:
        os.makedirs(out_dir, exist_ok=True)
    state_path = os.path.join(out_dir, STATE_FILE)
    signature = run_signature(cfg, args, steps, d.world, recipe.to_json())
    first_step, epoch, order, metrics_bytes, prior_seconds = 0, -1, None, 0, 0.0
    mix_off_epoch = None  # the first epoch that did not mix
    if args.resume and os.path.exists(state_path):
        state = load_state(state_path)
        diff = signature_diff(state["signature"], signature)
        if diff:
            raise ValueError(f"--resume: {out_dir} holds another run; it differs in " + "; ".join(diff))
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        restore_rngs(state["rngs"], order_gen, local_gen, np_gen, sample_gen, recipe_gen)
        first_step, epoch, order = state["step"], state["epoch"], state["order"]
        model.trained_heads = dict(state.get("heads", model.trained_heads))
        metrics_bytes, prior_seconds = state["metricsBytes"], state["trainSeconds"]
        mix_off_epoch = state.get("mixOffEpoch")
        log(f"resumed at step {first_step} (epoch {epoch}) from {state_path}")
    elif os.path.exists(state_path):
        raise ValueError(f"{out_dir} already holds a run ({STATE_FILE}): pass --resume to continue it, or choose another --out")
    metrics = None
    if d.main:
        metrics = open(os.path.join(out_dir, "metrics.jsonl"), "a+")
        metrics.truncate(metrics_bytes)  # rows written after the state was saved are written again
        metrics.seek(metrics_bytes)

    def save(step_done: int, extra: dict | None = None) -> None:
        if not d.main:
            return
        models = [("teacher", model if phase == "teacher" else teacher, opt if phase == "teacher" and args.save_optimizer else None)]
        if phase == "student":
            models.append(("student", model, opt if args.save_optimizer else None))
        saved_cfg = json.loads(json.dumps(cfg))
        saved_cfg["data"] = "cifar10" if data["name"] == "cifar10" else saved_cfg["data"]
        checkpoint.write(
            os.path.join(out_dir, "checkpoint"),
            models=models,
            config=saved_cfg,
            normalization=norm,
            dataset={"name": data["name"], "classNames": data["classNames"]},
            phase=phase,
            primary=phase,
            extra={"twin": {"step": step_done, "steps": steps, **(extra or {})}},
        )

    budget = (args.time_budget_min or 0) * 60
    if budget and d.world > 1:
        raise ValueError("--time-budget-min runs on one process only (each would stop at another step)")
    if budget:
        steps = 10**9  # until the time is up; the schedule follows the clock instead of the step
    start = time.time() - prior_seconds
    last_save = last_state = time.time()
    warm_end = None  # when warmup ended, for the time-based cosine
    stop_requested = []

    def save_resumable(step_done: int) -> None:
        if not args.state_every_min or not d.main:
            return
        if metrics:
            metrics.flush()
        save_state(
            state_path,
            signature=signature,
            model=model.state_dict(),
            optimizer=opt.state_dict(),
            rngs=rng_states(order_gen, local_gen, np_gen, sample_gen, recipe_gen),
            step=step_done,
            epoch=epoch,
            order=order,
            metricsBytes=metrics.tell() if metrics else 0,
            heads=dict(model.trained_heads),
            trainSeconds=time.time() - start,
            mixOffEpoch=mix_off_epoch,
        )

    if args.state_every_min and d.world == 1:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop_requested.append(True))
    last_step = min(steps, first_step + args.max_steps) if args.max_steps else steps
    log(f"{phase} phase: {steps} steps x {batch} images x {d.world} process(es), {per_epoch} steps an epoch, device {d.device}")
    if phase == "teacher" and recipe != Recipe():
        log(f"recipe: {json.dumps(recipe.to_json())}")
    train_xd, train_yd = on_device(train_x, d.device), on_device(train_y, d.device)
    test_xd, test_yd = on_device(test_x, d.device), on_device(test_y, d.device)
    order_dev = None  # this epoch's order on the device
    mixing = None  # whether this epoch mixes
    done = first_step
    for step in range(first_step, last_step):
        if stop_requested:
            break
        if budget:
            now = time.time() - start
            if step >= optim_cfg["warmupSteps"] and warm_end is None:
                warm_end = now
            if now >= budget and step > first_step:
                break  # in warmup too: a budget shorter than the warmup ends there
        if step % per_epoch == 0:
            epoch += 1
            order = torch.randperm(len(train_y), generator=order_gen).numpy()
            order_dev, mixing = None, None
        if order_dev is None:
            order_dev = on_device(order, d.device)
        if mixing is None and phase == "teacher":
            run_done = (time.time() - start) / budget if budget else epoch * per_epoch / max(1, steps)
            mixing = mixing_on(recipe, epoch, run_done)
            if recipe.mixes and not mixing and mix_off_epoch is None:
                mix_off_epoch = epoch
                log(f"mixup/cutmix off from epoch {epoch} (mixOff {recipe.mixOff})")
        at = (step % per_epoch) * batch * d.world + d.rank * batch
        sel = order_dev[at : at + batch]
        pixels = train_xd[sel]
        if phase == "teacher" and recipe.randAugmentOps:
            pixels = rand_augment(pixels, recipe.randAugmentOps, recipe.randAugmentMagnitude, recipe_gen)
        x = augment(normalize(pixels, norm), local_gen, padding=args.crop_padding, flip=args.flip)
        y = train_yd[sel]
        soft_y = None
        if phase == "teacher" and mixing:
            x, soft_y, _, _ = mix_batch(x, y, classes, loss_cfg.get("labelSmoothing", 0.0), recipe, np_gen)
        if budget and warm_end is not None:
            progress = min(1.0, (time.time() - start - warm_end) / max(1.0, budget - warm_end))
            lr = 0.5 * optim_cfg["lr"] * (1 + math.cos(math.pi * progress))
        else:
            lr = learning_rate_at(step, optim_cfg, steps)
        for g in opt.param_groups:
            g["lr"] = lr
        model.note_trained_heads(None if phase == "teacher" else loss_cfg)
        keep = drop_path_keep(recipe, model.cfg.nLayers, len(y), recipe_gen, d.device) if phase == "teacher" else None
        out = net(x) if keep is None else net(x, keep)
        if soft_y is not None:
            total = -(soft_y * F.log_softmax(out[0], dim=-1)).sum(-1).mean()
            terms = {"ce": total}
        elif phase == "teacher":
            total = cross_entropy(out[0], y, loss_cfg.get("labelSmoothing", 0.0))
            terms = {"ce": total}
        else:
            with torch.no_grad():
                t_out = teacher(x)
            samples = [sample_indices(batch * patches, k, sample_gen).to(d.device) for _ in pairs]
            total, terms = objective(out, t_out, y, loss_cfg, pairs, samples, model.cfg.prefix, teacher.cfg.prefix)
        opt.zero_grad(set_to_none=True)
        total.backward()
        if optim_cfg["gradClip"] > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), optim_cfg["gradClip"])
        opt.step()
        done = step + 1
        if (step + 1) % args.log_every == 0 or step == steps - 1:
            with torch.no_grad():
                acc = (model.predict(out[0], out[1]).argmax(-1) == y).double().mean().item()
            vals = d.all_sum([float(terms[n]) for n in names] + [float(total), acc])
            vals = [v / d.world for v in vals]
            row = {"step": step, "epoch": epoch, "lr": lr, **dict(zip(names + ["total", "accuracy"], vals))}
            if metrics:
                metrics.write(json.dumps(row) + "\n")
                metrics.flush()
            elapsed = time.time() - start
            eta = (budget - elapsed) if budget else elapsed / (step + 1) * (steps - step - 1)
            log(f"step {step + 1}/{'time' if budget else steps} ep {epoch} lr {lr:.2e} " + " ".join(f"{n} {v:.4f}" for n, v in zip(names + ["total", "acc"], vals)) + f" | {elapsed:.0f}s, eta {eta:.0f}s")
            if not math.isfinite(vals[len(names)]):
                raise FloatingPointError(f"loss is {vals[len(names)]} at step {step}")
        if args.eval_every and (step + 1) % args.eval_every == 0 and step != steps - 1:
            acc, count = evaluate(model, test_xd, test_yd, norm, d, args.eval_limit)
            if metrics:
                metrics.write(json.dumps({"step": step, "testAccuracy": acc, "count": count}) + "\n")
                metrics.flush()
            log(f"eval at step {step + 1}: {acc:.4f} on {count}")
        if args.save_every_min and time.time() - last_save > args.save_every_min * 60:
            save(step + 1, {"trainSeconds": round(time.time() - start, 1), "partial": True})
            last_save = time.time()
        if args.state_every_min and (time.time() - last_state > args.state_every_min * 60):
            save_resumable(step + 1)
            last_state = time.time()
    if done < steps and args.state_every_min and not budget:
        # stopped early (--max-steps, or a signal): keep the position, not a finished run
        save_resumable(done)
        save(done, {"trainSeconds": round(time.time() - start, 1), "partial": True})
        if metrics:
            metrics.close()
        log(f"stopped at step {done} of {steps}; continue with the same command and --resume")
        del net  # the DDP wrapper holds the process group: see Dist.close
        d.close()
        return {"phase": phase, "steps": done, "partial": True}
    steps = done
    save_resumable(done)  # a --resume of a finished run trains no more steps
    train_seconds = time.time() - start
    acc_full, count_full = evaluate(model, test_xd, test_yd, norm, d)
    acc_1000, _ = evaluate(model, test_xd, test_yd, norm, d, 1000)
    result = {
        "phase": phase,
        "steps": steps,
        "processes": d.world,
        "batchPerProcess": batch,
        "stepsPerEpoch": per_epoch,
        "trainCount": len(train_y),
        "trainSeconds": round(train_seconds, 1),
        "testAccuracy": acc_full,
        "count": count_full,
        "testAccuracy1000": acc_1000,
        "predictionHeads": model.prediction_heads(),
    }
    if phase == "teacher" and recipe != Recipe():
        result["recipe"] = {**recipe.to_json(), "mixOffEpoch": mix_off_epoch, "epochs": epoch + 1}
    if "carry" in data:
        result["data"] = {"carry": data["carry"]}
    if metrics:
        metrics.write(json.dumps({"step": steps - 1, "testAccuracy": acc_full, "count": count_full}) + "\n")
        metrics.close()
    save(steps, {"trainSeconds": round(train_seconds, 1), "partial": False, "testAccuracy": acc_full, "testAccuracy1000": acc_1000})
    if d.main:
        with open(os.path.join(out_dir, "result.json"), "w") as fh:
            json.dump(result, fh, indent=1)
    log(json.dumps(result))
    del net  # the DDP wrapper holds the process group: see Dist.close
    d.close()
    return result

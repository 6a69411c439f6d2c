"""Times the twin's student-phase training step, for `npm run bench` (scripts/lib/torch-bench.ts).

  python3 tools/torch/bench_step.py --threads 1 --warmup 3 --timed 5 < config.json

config.json is a whole RunConfig, the benchmark's size as src/engine/diagnostics/benchmark.ts builds it.
The step is mkd/train.py's student step on a fixed batch, as the app's benchmark runs it:
frozen teacher forward, student forward and backward, gradient clip, AdamW, and one read of
the loss (the app's step ends with a read of its metrics too). On the CPU by default: the
benchmark compares it with wasm on the same cores; --device cuda times it on a GPU beside the
app's WebGPU step there (scripts/real-gpu.ts). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

from mkd.config import effective_layer_pairs  # noqa: E402
from mkd.losses import objective, sample_indices  # noqa: E402
from mkd.model import Vit, VitConfig  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, required=True, help="torch.set_num_threads")
    p.add_argument("--warmup", type=int, default=3, help="steps run before the timed ones (the first is reported apart)")
    p.add_argument("--timed", type=int, default=5)
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    args = p.parse_args()
    if args.threads < 1 or args.warmup < 1 or args.timed < 1:
        p.error("--threads, --warmup and --timed must be at least 1")
    cfg = json.load(sys.stdin)
    torch.set_num_threads(args.threads)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        p.error("--device cuda: PyTorch sees no CUDA GPU here")
    device = torch.device(args.device)
    torch.manual_seed(cfg["seed"])
    teacher = Vit(VitConfig(**cfg["teacher"])).to(device).eval()
    for q in teacher.parameters():
        q.requires_grad_(False)
    student = Vit(VitConfig(**cfg["student"])).to(device).train()
    optim = cfg["optim"]
    opt = torch.optim.AdamW(
        student.param_groups(optim["weightDecay"]),
        lr=optim["lr"],
        betas=(optim["beta1"], optim["beta2"]),
        eps=optim["eps"],
    )
    batch = optim["batch"]
    t = cfg["teacher"]
    gen = torch.Generator().manual_seed(7)
    x = torch.randn(batch, t["channels"], t["imageSize"], t["imageSize"], generator=gen).to(device)
    y = (torch.arange(batch) % t["numClasses"]).to(device)
    pairs = effective_layer_pairs(cfg)
    tokens = batch * student.cfg.patches
    k = min(cfg["loss"]["k"], tokens)

    def step() -> float:
        t0 = time.perf_counter()
        with torch.no_grad():
            t_out = teacher(x)
        s_out = student(x)
        samples = [sample_indices(tokens, k, gen).to(device) for _ in pairs]
        total, _ = objective(s_out, t_out, y, cfg["loss"], pairs, samples, student.cfg.prefix, teacher.cfg.prefix)
        opt.zero_grad(set_to_none=True)
        total.backward()
        if optim["gradClip"] > 0:
            torch.nn.utils.clip_grad_norm_(student.parameters(), optim["gradClip"])
        opt.step()
        loss = float(total)
        if loss != loss:
            raise FloatingPointError("the loss is NaN")
        return (time.perf_counter() - t0) * 1000

    first = step()
    for _ in range(args.warmup - 1):
        step()
    times = sorted(step() for _ in range(args.timed))
    print(
        json.dumps(
            {
                "torchVersion": torch.__version__,
                "threads": torch.get_num_threads(),
                "device": str(device),
                "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
                "batch": batch,
                "firstStepMs": first,
                "medianStepMs": times[(len(times) - 1) // 2],
                "stepsTimed": len(times),
            }
        )
    )


if __name__ == "__main__":
    main()

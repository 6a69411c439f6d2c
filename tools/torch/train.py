"""The twin's trainer. Same config as the app (preset, share link, or a partial config JSON).

  python3 tools/torch/train.py --phase teacher --data ../shared/cifar10 --preset tiny --out runs/t
  python3 tools/torch/train.py --phase student --data ../shared/cifar10 --url '#v=1&preset=default&seed=1' \
      --teacher public/models/cifar10-default --out runs/s
  torchrun --nproc_per_node 8 tools/torch/train.py ...   (DDP: gloo on CPU, NCCL on GPUs)

Writes <out>/metrics.jsonl (as `npm run train`), <out>/checkpoint/ (the app's format:
load it in the page with "Import teacher", or with `npm run eval`) and <out>/result.json.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mkd.config import load_config  # noqa: E402
from mkd.recipe import Recipe  # noqa: E402
from mkd.recipe import resolve as resolve_recipe  # noqa: E402
from mkd.train import train  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--phase", choices=["teacher", "student"], required=True)
    p.add_argument("--data", required=True, help="folder of CIFAR-10/100 .bin files (or one above it)")
    p.add_argument("--train-data", help="train on the app's starter set in this folder (e.g. public/data/starter); test on --data's full test set")
    p.add_argument("--preset", help="preset name (default: default)")
    p.add_argument("--url", help="a share link or its hash (#v=1&preset=...)")
    p.add_argument("--config", help="a partial RunConfig JSON, layered last")
    p.add_argument("--teacher", help="teacher checkpoint folder (student phase)")
    p.add_argument("--steps", type=int, help="steps of this phase (default: the config's)")
    p.add_argument("--seed", type=int)
    p.add_argument("--out", required=True)
    p.add_argument("--threads", type=int, default=int(os.environ.get("TORCH_THREADS", "1")), help="CPU threads per process")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--eval-every", type=int, default=0)
    p.add_argument("--eval-limit", type=int, default=1000)
    p.add_argument("--time-budget-min", type=float, help="train until this many minutes pass, cosine over time (one process)")
    p.add_argument("--save-every-min", type=float, default=0, help="save a checkpoint every N minutes")
    p.add_argument("--save-optimizer", action="store_true", help="keep AdamW moments in the checkpoint")
    p.add_argument("--crop-padding", type=int, default=4, help="random-crop padding (0 = no crop)")
    p.add_argument("--no-flip", dest="flip", action="store_false")
    # The teacher recipe (mkd/recipe.py): these flags win over the config file's "recipe" block.
    p.add_argument("--mixup", type=float, help="mixup alpha in the teacher phase (0 = off, the default)")
    p.add_argument("--cutmix", type=float, help="cutmix alpha in the teacher phase (0 = off, the default)")
    p.add_argument("--mix-switch-prob", type=float, help="with mixup and cutmix both on: the chance a batch is cutmix (default 0.5)")
    p.add_argument("--mix-off", type=float, help="mixing stops from the first epoch starting after this fraction of the run (default 1 = never)")
    p.add_argument("--randaugment-ops", type=int, help="RandAugment ops per image (0 = off, the default)")
    p.add_argument("--randaugment-magnitude", type=int, help="RandAugment magnitude, 0..30 (default 9)")
    p.add_argument("--drop-path", type=float, help="stochastic depth: drop rate of the last block (0 = off, the default)")
    p.add_argument("--epochs", type=int, help="train this many epochs (overrides --steps)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its state.pt")
    p.add_argument("--state-every-min", type=float, default=0, help="keep a resumable state.pt, saved every N minutes and on SIGINT/SIGTERM")
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps of this invocation (a piece of a longer run)")
    args = p.parse_args()
    if args.phase == "student" and not args.teacher:
        p.error("--teacher is required in the student phase")
    try:
        cfg = load_config(args.preset, args.config, args.url)
    except (ValueError, OSError) as err:
        p.error(str(err))
    if args.seed is not None:
        cfg["seed"] = args.seed
    try:
        recipe = resolve_recipe(cfg.pop("recipe", None), args)
    except (ValueError, TypeError) as err:
        p.error(str(err))
    if args.phase == "student" and recipe != Recipe():
        print("train.py: the recipe (mixup, cutmix, RandAugment, stochastic depth) is for the teacher phase; ignored", file=sys.stderr)
    if args.resume and not args.state_every_min:
        p.error("--resume needs --state-every-min (the run keeps its position in state.pt)")
    os.makedirs(args.out, exist_ok=True)
    try:
        train(args, cfg, recipe)
    except ValueError as err:
        if "holds another run" in str(err) or "already holds a run" in str(err):
            print(f"train.py: {err}", file=sys.stderr)
            sys.exit(2)
        raise


if __name__ == "__main__":
    main()

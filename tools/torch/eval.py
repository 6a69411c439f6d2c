"""Test accuracy of a checkpoint in the app's format, measured by the twin.

  python3 tools/torch/eval.py --checkpoint public/models/cifar10-tiny --data ../shared/cifar10 [--limit N] [--model ROLE]

Prints {"testAccuracy": ..., "count": N}, as `npm run eval`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mkd import checkpoint  # noqa: E402
from mkd.data import load_cifar  # noqa: E402
from mkd.train import Dist, evaluate  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--limit", type=int)
    p.add_argument("--model", help="role to evaluate (default: the checkpoint's primary model)")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    try:
        manifest, arrays = checkpoint.read(args.checkpoint)
        model = checkpoint.load_model(manifest, arrays, args.model)
        data = load_cifar(args.data)
    except (ValueError, OSError) as err:
        print(f"eval: {err}", file=sys.stderr)
        sys.exit(2)
    test_x, test_y = data["test"]
    acc, count = evaluate(model, test_x, test_y, manifest["normalization"], Dist("cpu"), args.limit)
    print(json.dumps({"testAccuracy": acc, "count": count}))


if __name__ == "__main__":
    main()

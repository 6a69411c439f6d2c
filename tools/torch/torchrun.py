"""`torchrun` for any torch: python3 tools/torch/torchrun.py --nproc_per_node N tools/torch/train.py ...

The same arguments as torchrun. It works around a bug of torch < 2.0 on Python 3.11
(Debian bookworm's python3-torch 1.13): Std.from_str("0") returns None because Python 3.11
no longer iterates zero-valued flags, and torchrun then fails with "'NoneType' object has
no attribute 'get'". With a recent torch, plain `torchrun` does the same thing.
"""

from __future__ import annotations

import sys

from torch.distributed.elastic.multiprocessing import api
from torch.distributed.run import main

_original = api.Std.from_str.__func__


def _from_str(cls, vm: str):
    value = _original(cls, vm)
    if value is None and vm.strip().isdigit():
        return cls(int(vm))
    return value


api.Std.from_str = classmethod(_from_str)

if __name__ == "__main__":
    sys.exit(main())

/**
 * Finds a Python with PyTorch for the twin (tools/torch/): $TORCH_PYTHON, else
 * /usr/bin/python3 (Debian's python3-torch installs into the system Python), else python3.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export type TorchPython = { python: string; torchVersion: string } | { python: null; reason: string };

const PROBE = 'import torch, numpy; print(torch.__version__)';

/** The first candidate that imports torch and numpy; otherwise why none did. */
export function findTorchPython(): TorchPython {
  const fromEnv = process.env.TORCH_PYTHON;
  const candidates = fromEnv ? [fromEnv] : ['/usr/bin/python3', 'python3'];
  const tried: string[] = [];
  for (const python of candidates) {
    if (python.startsWith('/') && !existsSync(python)) {
      tried.push(`${python}: not found`);
      continue;
    }
    const res = spawnSync(python, ['-c', PROBE], { encoding: 'utf8', timeout: 60_000 });
    if (res.status === 0) return { python, torchVersion: res.stdout.trim() };
    const why = res.error ? res.error.message : (res.stderr.trim().split('\n').pop() ?? `exit ${res.status}`);
    tried.push(`${python}: ${why}`);
  }
  return {
    python: null,
    reason:
      `no Python with torch and numpy (${tried.join('; ')}). Install python3-torch and libopenblas0-pthread ` +
      '(Debian/Ubuntu) or set TORCH_PYTHON.',
  };
}

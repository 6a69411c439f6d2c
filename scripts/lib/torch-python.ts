/**
 * Finds a Python with PyTorch for the twin (tools/torch/): $TORCH_PYTHON, else
 * /usr/bin/python3 (Debian's python3-torch installs into the system Python), else python3.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export type TorchPython =
  | {
      python: string;
      torchVersion: string;
      /** Which of the optional modules asked for it could not import. */
      lacking: string[];
    }
  | { python: null; reason: string };

/** Prints torch's version, then each optional module (its arguments) that fails to import. */
const PROBE = [
  'import importlib, sys, torch, numpy',
  'print(torch.__version__)',
  'for name in sys.argv[1:]:',
  '    try: importlib.import_module(name)',
  '    except Exception: print(name)',
].join('\n');

/**
 * The first candidate that imports torch and numpy; otherwise why none did. `optional`
 * modules (torchvision, say) are tried in the same process, which saves a test file a second
 * torch import just to learn whether it may run.
 */
export function findTorchPython(optional: readonly string[] = []): TorchPython {
  const fromEnv = process.env.TORCH_PYTHON;
  const candidates = fromEnv ? [fromEnv] : ['/usr/bin/python3', 'python3'];
  const tried: string[] = [];
  for (const python of candidates) {
    if (python.startsWith('/') && !existsSync(python)) {
      tried.push(`${python}: not found`);
      continue;
    }
    const res = spawnSync(python, ['-c', PROBE, ...optional], { encoding: 'utf8', timeout: 60_000 });
    if (res.status === 0) {
      const [torchVersion = '', ...lacking] = res.stdout.trim().split('\n');
      return { python, torchVersion, lacking };
    }
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

import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDir, prepareOut, truncateMetrics } from './out-dir';

const tempDir = () => mkdtempSync(path.join(tmpdir(), 'kd-out-'));

/** A finished run's files, as the CLI leaves them. */
function earlierRun(out: string): void {
  mkdirSync(path.join(out, 'checkpoint'), { recursive: true });
  writeFileSync(path.join(out, 'checkpoint', 'model.json'), '{}');
  writeFileSync(path.join(out, 'metrics.jsonl'), '{"step":0}\n');
}

describe('--out is checked before any work', () => {
  it('creates missing parents, and fails at once (no hang) where a folder cannot be made', async () => {
    const out = path.join(tempDir(), 'a', 'b', 'c');
    await prepareOut(out, { force: false });
    expect(existsSync(out)).toBe(true);
    // Node's own recursive mkdir never returns for this path.
    await expect(makeDir('/proc/kd-playground/x')).rejects.toThrow(
      /cannot create the folder \/proc\/kd-playground/,
    );
    await expect(prepareOut('/proc/kd-playground', { force: false })).rejects.toThrow(
      /^--out \/proc\/kd-playground: /,
    );
  });

  it('refuses a file where the run writes its checkpoint folder, or where --out itself should be', async () => {
    const out = tempDir();
    writeFileSync(path.join(out, 'checkpoint'), 'not a folder');
    await expect(prepareOut(out, { force: true })).rejects.toThrow(
      `${path.join(out, 'checkpoint')} is a file, where the run writes its checkpoint`,
    );
    const file = path.join(tempDir(), 'file');
    writeFileSync(file, '');
    await expect(prepareOut(path.join(file, 'out'), { force: false })).rejects.toThrow(
      `${file} is a file, not a folder`,
    );
  });

  it('keeps an earlier run unless it is continued or --force replaces it', async () => {
    const out = tempDir();
    earlierRun(out);
    await expect(prepareOut(out, { force: false })).rejects.toThrow(
      `already holds a run (checkpoint, metrics.jsonl); continue it with --resume ${path.join(out, 'checkpoint')}`,
    );
    // A checkpoint of another folder does not continue this one.
    const other = tempDir();
    earlierRun(other);
    await expect(
      prepareOut(out, { force: false, resumeDir: path.join(other, 'checkpoint') }),
    ).rejects.toThrow(/already holds a run/);
    const continuing = await prepareOut(out, { force: false, resumeDir: path.join(out, 'checkpoint') });
    expect(continuing.continuing).toBe(true);
    expect(existsSync(path.join(out, 'metrics.jsonl'))).toBe(true);

    const replaced = await prepareOut(out, { force: true });
    expect(replaced.continuing).toBe(false);
    expect(existsSync(path.join(out, 'checkpoint'))).toBe(false);
    expect(existsSync(path.join(out, 'metrics.jsonl'))).toBe(false);
  });
});

describe('metrics of a resumed run', () => {
  it('keeps the steps before the checkpoint and evaluations up to it, and drops a line cut short', async () => {
    const file = path.join(tempDir(), 'metrics.jsonl');
    const lines = [
      { step: 0, total: 1 },
      { step: 1, total: 1 },
      { step: 2, testAccuracy: 0.1 },
      { step: 2, total: 1 },
      { step: 3, total: 1 },
      { step: 4, testAccuracy: 0.2 },
    ].map((l) => JSON.stringify(l));
    writeFileSync(file, `${lines.join('\n')}\n{"step":5,"tot`);
    expect(await truncateMetrics(file, 2)).toBe(3);
    expect(readFileSync(file, 'utf8')).toBe(`${lines.slice(0, 3).join('\n')}\n`);
  });
});

/**
 * `npm run experiment` goes on in pieces over days (tools/torch/experiment.py): stopped by
 * SIGINT while a run is in flight and started again with the same command, it must end with
 * the same figures as one uninterrupted experiment, skip the runs already finished, and
 * resume the stopped one from its saved place. Skipped, with the reason, when no Python
 * with torch is found.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFakeCifar } from './lib/fake-cifar';
import { findTorchPython } from './lib/torch-python';

const ROOT = path.resolve(import.meta.dirname, '..');
const EXPERIMENT = path.join(ROOT, 'tools/torch/experiment.py');
const found = findTorchPython();
if ('reason' in found) console.warn(`torch experiment tests skipped: ${found.reason}`);

let dir = '';
const args = (name: string) => [
  EXPERIMENT,
  '--data',
  path.join(dir, 'data'),
  '--table',
  'resume-check',
  '--preset',
  'tiny',
  '--teacher',
  path.join(ROOT, 'public/models/cifar10-tiny'),
  '--steps',
  '200',
  '--batch',
  '16',
  '--warmup',
  '5',
  '--seeds',
  '1,2',
  '--arms',
  'kd-only,kd+all',
  '--state-every-min',
  '0.001',
  '--json',
  path.join(dir, name, 'experiment.json'),
  '--out',
  path.join(dir, name, 'EXPERIMENT.md'),
  '--work',
  path.join(dir, name, 'work'),
];

type Run = { objective: string; seed: number; testAccuracy: number; testAccuracy1000: number };
const runs = (name: string): Run[] =>
  JSON.parse(readFileSync(path.join(dir, name, 'experiment.json'), 'utf8')).tables['resume-check'].runs;
const figures = (name: string) =>
  runs(name)
    .map((r) => [`${r.objective}/${r.seed}`, r.testAccuracy, r.testAccuracy1000] as const)
    .sort((a, b) => a[0].localeCompare(b[0]));

function finished(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

describe.skipIf(!found.python)('npm run experiment survives interruption', () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'torch-experiment-'));
    writeFakeCifar(path.join(dir, 'data'));
    const whole = spawnSync(found.python!, args('whole'), { encoding: 'utf8', timeout: 300_000 });
    if (whole.status !== 0) throw new Error(`experiment.py failed:\n${whole.stdout}\n${whole.stderr}`);
  }, 320_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('SIGINT mid-run, then the same command: the same figures as one uninterrupted experiment', async () => {
    const child = spawn(found.python!, args('pieces'), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (b) => {
      out += b;
    });
    child.stderr!.on('data', (b) => {
      out += b;
    });
    // Stop once the first run is finished and the second has saved its place.
    const second = path.join(dir, 'pieces', 'work', 'resume-check', 'kd+all-s1', 'state.pt');
    const deadline = Date.now() + 240_000;
    while (!existsSync(second) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(second), out).toBe(true);
    child.kill('SIGINT');
    expect(await finished(child), out).toBe(130);
    expect(out).toContain('rerun the same command to continue');
    const before = runs('pieces');
    expect(before.map((r) => `${r.objective}/${r.seed}`)).toEqual(['kd-only/1']);

    const again = spawnSync(found.python!, args('pieces'), { encoding: 'utf8', timeout: 300_000 });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('1 runs there, 3 to go');
    const log = readFileSync(
      path.join(dir, 'pieces', 'work', 'resume-check', 'kd+all-s1', 'train.log'),
      'utf8',
    );
    expect(log).toMatch(/resumed at step [1-9]\d* /);
    expect(figures('pieces')).toEqual(figures('whole'));
    // A third start finds nothing to do.
    const third = spawnSync(found.python!, args('pieces'), { encoding: 'utf8', timeout: 60_000 });
    expect(third.status).toBe(0);
    expect(third.stdout).toContain('4 runs there, 0 to go');
  }, 600_000);

  it('refuses to add runs to a table made under other settings, naming them', () => {
    const changed = args('whole').map((a) => (a === '200' ? '201' : a));
    const res = spawnSync(found.python!, changed, { encoding: 'utf8', timeout: 60_000 });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/ran under other settings: steps \(200 there, 201 now\)/);
  });
});

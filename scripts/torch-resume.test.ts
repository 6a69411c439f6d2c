/**
 * The twin's teacher runs go on in pieces over days (tools/torch/mkd/resume.py): a run
 * stopped anywhere, by --max-steps or by SIGTERM, and continued with --resume must end
 * exactly as one uninterrupted run (same weights to the byte, same metrics lines). A resume
 * with other settings is refused with a message naming them. Skipped, with the reason,
 * when no Python with torch is found.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFakeCifar } from './lib/fake-cifar';
import { findTorchPython } from './lib/torch-python';

const TRAIN = path.resolve(import.meta.dirname, '../tools/torch/train.py');
const found = findTorchPython();
if ('reason' in found) console.warn(`torch resume tests skipped: ${found.reason}`);

let dir = '';
const args = (out: string, extra: string[] = []) => [
  TRAIN,
  '--phase',
  'teacher',
  '--data',
  path.join(dir, 'data'),
  '--preset',
  'tiny',
  '--config',
  path.join(dir, 'recipe.json'),
  '--epochs',
  '3',
  '--mixup',
  '0.4',
  '--log-every',
  '4',
  '--eval-every',
  '10',
  '--state-every-min',
  '60',
  '--out',
  path.join(dir, out),
  ...extra,
];

function run(out: string, extra: string[] = []) {
  return spawnSync(found.python!, args(out, extra), { encoding: 'utf8', timeout: 120_000 });
}

const read = (out: string, file: string) => readFileSync(path.join(dir, out, file));

describe.skipIf(!found.python)('the twin resumes a run exactly', () => {
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'torch-resume-'));
    writeFakeCifar(path.join(dir, 'data'));
    // label smoothing, mixup and random crops all draw from the streams the state keeps
    writeFileSync(
      path.join(dir, 'recipe.json'),
      JSON.stringify({ optim: { batch: 32, warmupSteps: 5 }, loss: { labelSmoothing: 0.1 } }),
    );
    const whole = run('whole');
    if (whole.status !== 0) throw new Error(`train.py failed:\n${whole.stdout}\n${whole.stderr}`);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stopped by --max-steps and resumed twice: the same weights and metrics as one run', () => {
    for (const extra of [['--max-steps', '7'], ['--max-steps', '9', '--resume'], ['--resume']]) {
      const res = run('pieces', extra);
      expect(res.status, res.stderr).toBe(0);
    }
    // 640 images / 32 = 20 steps an epoch, 60 steps: stopped at 7 and 16
    expect(read('pieces', 'checkpoint/weights.bin').equals(read('whole', 'checkpoint/weights.bin'))).toBe(
      true,
    );
    expect(read('pieces', 'metrics.jsonl').toString()).toBe(read('whole', 'metrics.jsonl').toString());
    const result = JSON.parse(read('pieces', 'result.json').toString());
    // The run records its epoch length, which ship_teacher.py turns into epochs.
    expect(result).toMatchObject({
      steps: 60,
      trainCount: 640,
      stepsPerEpoch: 20,
      testAccuracy: JSON.parse(read('whole', 'result.json').toString()).testAccuracy,
    });
  });

  it('stopped by SIGTERM at whatever step it had reached, then resumed: the same weights', async () => {
    const child = spawn(found.python!, args('signalled'), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('step 4/')) child.kill('SIGTERM');
      });
      child.on('error', reject);
      child.on('exit', () => resolve());
    });
    expect(output).toMatch(/stopped at step \d+ of 60; continue with the same command and --resume/);
    const res = run('signalled', ['--resume']);
    expect(res.status, res.stderr).toBe(0);
    expect(read('signalled', 'checkpoint/weights.bin').equals(read('whole', 'checkpoint/weights.bin'))).toBe(
      true,
    );
  });

  it('a run with the whole teacher recipe, stopped before and after mixing stops, resumes exactly', () => {
    // RandAugment and stochastic depth draw from a stream of their own, cutmix and mixup from
    // mixup's; 3 epochs with mixOff 0.5: epoch 2 does not mix, and the pieces stop in epochs 1 and 2.
    const recipe = ['--randaugment-ops', '2', '--drop-path', '0.1', '--cutmix', '1', '--mix-off', '0.5'];
    const whole = run('recipe-whole', recipe);
    expect(whole.status, whole.stderr).toBe(0);
    for (const extra of [['--max-steps', '25'], ['--max-steps', '20', '--resume'], ['--resume']]) {
      const res = run('recipe-pieces', [...recipe, ...extra]);
      expect(res.status, res.stderr).toBe(0);
    }
    const weights = (out: string) => read(out, 'checkpoint/weights.bin');
    expect(weights('recipe-pieces').equals(weights('recipe-whole'))).toBe(true);
    expect(weights('recipe-whole').equals(read('whole', 'checkpoint/weights.bin'))).toBe(false);
    expect(read('recipe-pieces', 'metrics.jsonl').toString()).toBe(
      read('recipe-whole', 'metrics.jsonl').toString(),
    );
    const result = JSON.parse(read('recipe-pieces', 'result.json').toString());
    expect(result.recipe).toMatchObject({ mixOffEpoch: 2, epochs: 3, mixup: 0.4, cutmix: 1 });
    const other = run('recipe-whole', [...recipe.slice(0, -2), '--mix-off', '0.75', '--resume']);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/differs in recipe\.mixOff \(0\.5 saved, 0\.75 now\)/);
  }, 600_000); // five runs of the tiny model, slow on a shared 2-core machine

  it('refuses to resume with other settings, and to start over a run without --resume', () => {
    const other = run('whole', ['--resume', '--mixup', '0.2']);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/holds another run; it differs in mixup \(0\.4 saved, 0\.2 now\)/);
    const again = run('whole');
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/already holds a run \(state\.pt\): pass --resume/);
  });
});

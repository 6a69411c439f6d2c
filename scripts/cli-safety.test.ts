/**
 * The command line as a careless or hostile user meets it: every refusal is one line on
 * stderr and exit 2, before any training; an interruption loses nothing but the step in
 * flight; a checkpoint is read as data. Each case here failed before these checks existed.
 */
import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckpointManifest } from '../src/engine/spec/checkpoint-format';
import { ROOT, runCommand, runScript, type ScriptRun } from './lib/run-script';

const SHIPPED = path.join(ROOT, 'public', 'models', 'cifar10-tiny');

/** Runs `npm run train` or `npm run eval`'s script with these arguments; see runScript. */
function cli(
  script: 'train' | 'eval',
  args: string[],
  watch?: (stderr: string, child: ChildProcess) => void,
  limitMs = 300_000,
): Promise<ScriptRun> {
  return runScript(script, args, { watch, limitMs });
}

/** `npm run train` of this phase on the built-in shapes, with these flags. */
function trainOnShapes(phase: 'teacher' | 'student', ...flags: string[]): Promise<ScriptRun> {
  return cli('train', ['--phase', phase, '--data', 'synthetic', ...flags]);
}

const tempDir = () => mkdtempSync(path.join(tmpdir(), 'kd-safety-'));
const TINY = ['--preset', 'tiny', '--eval-limit', '100', '--log-every', '1'];

/** Exit 2 with exactly one line on stderr, which matches every pattern. */
function expectRefusal(r: ScriptRun, ...patterns: (RegExp | string)[]): void {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  for (const p of patterns) expect(lines[0]).toMatch(p);
  expect(lines[0]).not.toMatch(/\bat .*\.ts:\d+/);
}

/** A copy of the shipped CIFAR-10 teacher with its model.json edited. */
function editedTeacher(
  edit: (manifest: CheckpointManifest) => void,
  weights?: (f: Float32Array) => void,
): string {
  const dir = path.join(tempDir(), 'teacher');
  cpSync(SHIPPED, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
  edit(manifest);
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(manifest));
  if (weights) {
    const bytes = new Uint8Array(readFileSync(path.join(dir, 'weights.bin')));
    weights(new Float32Array(bytes.buffer));
    writeFileSync(path.join(dir, 'weights.bin'), bytes);
  }
  return dir;
}

function metricLines(out: string): Record<string, number>[] {
  const rows: Record<string, number>[] = [];
  for (const line of readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').split('\n')) {
    try {
      rows.push(JSON.parse(line));
    } catch {
      // An empty line, or one a SIGKILL cut short.
    }
  }
  return rows;
}

describe.concurrent('command line: refused before any work, one line, exit 2', () => {
  it('an --out whose checkpoint name is taken by a file (it used to train, then die with EEXIST)', async () => {
    const out = tempDir();
    writeFileSync(path.join(out, 'checkpoint'), 'mine');
    const r = await cli('train', ['--phase', 'teacher', '--data', 'synthetic', ...TINY, '--out', out]);
    expectRefusal(r, `${path.join(out, 'checkpoint')} is a file`, 'choose another --out');
    expect(existsSync(path.join(out, 'metrics.jsonl'))).toBe(false);
    expect(readFileSync(path.join(out, 'checkpoint'), 'utf8')).toBe('mine');
  });

  it('an --out that cannot be created (it used to hang with no output)', async () => {
    const r = await cli(
      'train',
      ['--phase', 'teacher', '--data', 'synthetic', '--out', '/proc/kd-x/run'],
      undefined,
      90_000,
    );
    expectRefusal(r, /^train: --out \/proc\/kd-x\/run: cannot create the folder \/proc\/kd-x/);
  });

  it('an --out that holds an earlier run, unless --force', async () => {
    const out = tempDir();
    writeFileSync(path.join(out, 'metrics.jsonl'), '{"step":0,"total":1}\n');
    const r = await cli('train', ['--phase', 'teacher', '--data', 'synthetic', ...TINY, '--out', out]);
    expectRefusal(r, 'already holds a run (metrics.jsonl)', '--resume', '--force');
    expect(readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')).toBe('{"step":0,"total":1}\n');
  });

  it.each([
    [['--seed', '-1'], '--seed must be a non-negative integer, got "-1"'],
    [['--steps', '-5'], '--steps must be a positive integer, got "-5"'],
    [['--steps', '0x3'], '--steps must be a positive integer, got "0x3"'],
    [['--mixup', 'Infinity'], '--mixup must be a number from 0 to 10, got "Infinity"'],
  ])('the flag values %j', async (flags, message) => {
    const r = await trainOnShapes('teacher', '--out', tempDir(), ...flags);
    expectRefusal(r, message);
  });

  it('a missing --teacher folder, named as --teacher (it was reported under --checkpoint)', async () => {
    const missing = path.join(tempDir(), 'no-teacher');
    const r = await trainOnShapes('student', '--teacher', missing, '--out', tempDir());
    expectRefusal(r, `--teacher ${missing}: no model.json there`);
  });

  it('a teacher whose model.json points its weights outside its folder (it read /etc/passwd)', async () => {
    const dir = editedTeacher((m) => {
      m.weightsManifest[0]!.paths = ['../../../../../../../../etc/passwd'];
    });
    const r = await trainOnShapes('student', '--teacher', dir, '--out', tempDir());
    expectRefusal(r, '"../../../../../../../../etc/passwd"', 'plain file names inside the checkpoint folder');
  });

  it('an int32 teacher, named as such (it ended in a stack trace, exit 1)', async () => {
    const dir = editedTeacher((m) => {
      for (const w of m.weightsManifest[0]!.weights) w.dtype = 'int32';
    });
    const r = await cli('eval', ['--checkpoint', dir, '--data', 'synthetic']);
    expectRefusal(r, /weight "teacher\/[^"]+" is int32, not float32/);
  });

  it('a NaN teacher, named as such and not blamed on the learning rate', async () => {
    const dir = editedTeacher(
      () => {},
      (f) => {
        f[100] = Number.NaN;
      },
    );
    const r = await cli('train', [
      ...['--phase', 'student', '--data', 'synthetic', '--other-data', ...TINY],
      ...['--steps', '3', '--teacher', dir, '--out', tempDir()],
    ]);
    expectRefusal(r, /weight "teacher\/[^"]+" holds NaN values/);
    expect(r.stderr).not.toMatch(/learning rate/);
  });

  it('a CIFAR-10 teacher distilled on the built-in shapes, naming both; --other-data goes ahead', async () => {
    const r = await trainOnShapes('student', '--teacher', SHIPPED, '--out', tempDir());
    expectRefusal(
      r,
      'was trained on cifar10 (10 classes: airplane',
      'but --data is synthetic (10 classes: disc',
      '--other-data',
    );
  });

  it('eval of a CIFAR-10 teacher on the shapes (it printed 10% as if nothing were wrong); --other-data evaluates', async () => {
    const r = await cli('eval', ['--checkpoint', SHIPPED, '--data', 'synthetic', '--limit', '50']);
    expectRefusal(r, `--checkpoint ${SHIPPED} was trained on cifar10`, 'but --data is synthetic');
    const forced = await cli('eval', [
      '--checkpoint',
      SHIPPED,
      '--data',
      'synthetic',
      '--limit',
      '50',
      '--other-data',
    ]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout).count).toBe(50);
  });

  it('a config that cannot fit, at once and saying what to shrink (it failed after a minute: "Invalid array length")', async () => {
    const dir = tempDir();
    const config = path.join(dir, 'huge.json');
    writeFileSync(config, JSON.stringify({ optim: { batch: 4096 } }));
    const out = path.join(dir, 'out');
    const r = await trainOnShapes('teacher', '--config', config, '--out', out);
    expectRefusal(r, /needs about \d+(\.\d)? GB for training on wasm/, 'Lower the batch size (now 4096)');
    expect(existsSync(path.join(out, 'metrics.jsonl'))).toBe(false);
  });

  it('a checkpoint edited to a negative step (it trained with a negative learning rate)', async () => {
    const dir = editedTeacher((m) => {
      m.position = { step: -3, epoch: 0, cursor: 0, rng: { order: {}, augment: {}, sample: {} } };
    });
    const r = await trainOnShapes('teacher', '--resume', dir, '--out', tempDir());
    expectRefusal(r, 'Checkpoint position has step -3; it must be a count');
  });
});

// Each test spawns up to four CLI runs, each starting tsx and TF.js: on two busy cores that alone
// can take half a minute a run. The waits are functional (no time is asserted), so they are long.
describe('command line: an interrupted run loses nothing', { timeout: 600_000 }, () => {
  const STEPS = 24;
  const run = (out: string, extra: string[] = []) => [
    '--phase',
    'teacher',
    '--data',
    'synthetic',
    ...TINY,
    '--steps',
    String(STEPS),
    '--eval-every',
    '8',
    ...extra,
    '--out',
    out,
  ];
  /** Waits for the progress line of step `at` (or later) and then does `act`. */
  const atStep = (at: number, act: (child: ChildProcess) => void) => {
    let done = false;
    return (stderr: string, child: ChildProcess) => {
      const steps = [...stderr.matchAll(/\] (\d+)\/\d+ /g)].map((m) => Number(m[1]));
      if (!done && steps.length && steps[steps.length - 1]! >= at) {
        done = true;
        act(child);
      }
    };
  };
  /** The uninterrupted run every interruption is compared with: trained once, on first use. */
  let reference: Promise<string> | null = null;
  const referenceRun = () =>
    (reference ??= (async () => {
      const out = path.join(tempDir(), 'reference');
      const whole = await cli('train', run(out));
      expect(whole.code, whole.stderr).toBe(0);
      return out;
    })());
  const trainingLines = (out: string) => metricLines(out).filter((l) => 'total' in l);
  const checkpointStep = (out: string) =>
    JSON.parse(readFileSync(path.join(out, 'checkpoint', 'model.json'), 'utf8')).position.step as number;

  it('SIGINT at a random step saves, says how to continue, and --resume ends exactly as a run never stopped', async () => {
    const root = tempDir();
    const reference = await referenceRun();

    const out = path.join(root, 'interrupted');
    const at = 2 + Math.floor(Math.random() * (STEPS - 8));
    const stopped = await cli(
      'train',
      run(out),
      atStep(at, (c) => c.kill('SIGINT')),
    );
    expect(stopped.code, stopped.stderr).toBe(130);
    const last = stopped.stderr.trim().split('\n').pop()!;
    const saved = checkpointStep(out);
    expect(saved).toBeGreaterThanOrEqual(at);
    expect(saved).toBeLessThan(STEPS);
    // Nothing lost: the checkpoint is at the last step whose metrics were written.
    expect(trainingLines(out).at(-1)!.step).toBe(saved - 1);
    expect(last).toContain(`stopped by SIGINT at step ${saved} of ${STEPS}`);
    const command = last.split('Continue with: npm run train -- ')[1]!;
    expect(command).toContain(`--resume ${path.join(out, 'checkpoint')}`);

    const resumed = await cli('train', command.split(' '));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(metricLines(out)).toEqual(metricLines(reference));
    expect(readFileSync(path.join(out, 'checkpoint', 'weights.bin'))).toEqual(
      readFileSync(path.join(reference, 'checkpoint', 'weights.bin')),
    );

    // The finished run, resumed with another preset: refused, naming what differs.
    const conflict = await cli('train', [
      ...run(out, ['--preset', 'default']),
      '--resume',
      path.join(out, 'checkpoint'),
    ]);
    expectRefusal(
      conflict,
      'the saved run differs from --preset default',
      'teacher.dModel 32 vs 128',
      'drop --preset',
    );
  });

  it('Ctrl-C in a terminal (SIGINT to npm, its shell and the script at once) saves as well', async () => {
    const out = path.join(tempDir(), 'ctrl-c');
    // The signal goes to every process of the job's group, the launcher included.
    const npm = ['npm', 'run', '--silent', 'train', '--', ...run(out)];
    const r = await runCommand(npm, {
      watch: atStep(4, (c) => process.kill(-c.pid!, 'SIGINT')),
      detached: true,
    });
    expect(r.stderr).toMatch(/stopped by SIGINT at step \d+ of 24/);
    const saved = checkpointStep(out);
    expect(trainingLines(out).at(-1)!.step).toBe(saved - 1);
  });

  it('SIGKILL loses at most the checkpoint interval, and --resume still ends exactly as a run never stopped', async () => {
    const root = tempDir();
    const reference = await referenceRun();

    const out = path.join(root, 'killed');
    const every = ['--checkpoint-every', '5', '--checkpoint-minutes', '0'];
    const killed = await cli(
      'train',
      run(out, every),
      atStep(13, (c) => c.kill('SIGKILL')),
    );
    expect(killed.signal).toBe('SIGKILL');
    const saved = checkpointStep(out);
    const reached = (trainingLines(out).at(-1)?.step ?? -1) + 1;
    expect(saved % 5).toBe(0);
    expect(reached - saved).toBeLessThanOrEqual(5);
    expect(reached - saved).toBeGreaterThanOrEqual(0);

    const resumed = await cli('train', [...run(out, every), '--resume', path.join(out, 'checkpoint')]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(metricLines(out)).toEqual(metricLines(reference));
  });
});

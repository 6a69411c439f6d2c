import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runScript } from './lib/run-script';

const run = (script: 'train' | 'eval', args: string[]) => runScript(script, args);

/** The one-line message of a refused command. */
function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

describe.concurrent('command line: refusals', () => {
  it.each([
    [['--phase', 'teacher', '--data', 'synthetic'], /--out is required/],
    [['--phase', 'coach', '--data', 'synthetic', '--out', '/tmp/x'], /--phase must be teacher or student/],
    [
      ['--phase', 'teacher', '--data', 'synthetic', '--out', '/tmp/x', '--steps', 'many'],
      /--steps must be a positive integer, got "many"/,
    ],
    [
      ['--phase', 'teacher', '--data', 'synthetic', '--out', '/tmp/x', '--frobnicate'],
      /Unknown option '--frobnicate'/,
    ],
    [['--phase', 'teacher', '--data', '/nonexistent/cifar', '--out', '/tmp/x'], /no such file or folder/],
    [['--phase', 'student', '--data', 'synthetic', '--out', '/tmp/x'], /needs --teacher/],
    [
      ['--phase', 'teacher', '--data', 'synthetic', '--out', '/tmp/x', '--preset', 'huge'],
      /unknown preset "huge"/,
    ],
    [
      ['--phase', 'teacher', '--data', 'synthetic', '--out', '/tmp/x', '--backend', 'cuda'],
      /--backend must be wasm or cpu/,
    ],
    [
      ['--phase', 'teacher', '--data', 'synthetic', '--out', '/tmp/x', '--step', 'turbo'],
      /--step must be fast or reference, got "turbo"/,
    ],
  ])('train %j exits 2 with one line naming the problem', async (args, message) => {
    const r = await run('train', args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(lastLine(r.stderr)).toMatch(message);
  });

  it('refuses a config file with an unknown field or a bad value, naming it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kd-cli-'));
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ optim: { lr: -1 }, colour: 'blue' }));
    const r = await run('train', [
      '--phase',
      'teacher',
      '--data',
      'synthetic',
      '--out',
      dir,
      '--config',
      file,
    ]);
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toMatch(/optim\.lr/);
    expect(lastLine(r.stderr)).toMatch(/colour/);
  });

  it('refuses a corrupt CIFAR folder with a message naming the file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kd-cli-'));
    for (const name of [
      'data_batch_1.bin',
      'data_batch_2.bin',
      'data_batch_3.bin',
      'data_batch_4.bin',
      'data_batch_5.bin',
      'test_batch.bin',
    ]) {
      writeFileSync(path.join(dir, name), new Uint8Array(3073 * 2 + 5));
    }
    const r = await run('train', ['--phase', 'teacher', '--data', dir, '--out', path.join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toMatch(/data_batch_1\.bin/);
    expect(lastLine(r.stderr)).toMatch(/truncated|not a CIFAR/);
  });

  it('eval refuses a folder without a checkpoint', async () => {
    const r = await run('eval', ['--checkpoint', tmpdir(), '--data', 'synthetic']);
    expect(r.code).toBe(2);
    expect(lastLine(r.stderr)).toMatch(/no model\.json/);
  });
});

describe('command line: a teacher, then a distilled student', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'kd-cli-'));
  const teacherOut = path.join(out, 'teacher');
  // The tiny preset on the built-in shapes, 12 steps, evaluated on 200 images.
  const tinyRun = (phase: string, ...flags: string[]) =>
    run('train', [
      '--phase',
      phase,
      '--data',
      'synthetic',
      '--preset',
      'tiny',
      '--steps',
      '12',
      '--eval-limit',
      '200',
      ...flags,
    ]);
  beforeAll(async () => {
    const t = await tinyRun('teacher', '--out', teacherOut);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/ETA/);
  });

  it('writes metrics.jsonl with every loss term and a checkpoint that eval reads', async () => {
    const studentOut = path.join(out, 'student');
    const s = await tinyRun(
      'student',
      '--teacher',
      path.join(teacherOut, 'checkpoint'),
      '--config',
      writeConfig(out),
      '--out',
      studentOut,
    );
    expect(s.code, s.stderr).toBe(0);
    const lines = readFileSync(path.join(studentOut, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const training = lines.filter((l) => 'total' in l);
    expect(training).toHaveLength(12);
    for (const term of ['ce', 'kd', 'intra', 'inter', 'random', 'total']) {
      expect(
        training.every((l) => Number.isFinite(l[term])),
        term,
      ).toBe(true);
    }
    const evals = lines.filter((l) => 'testAccuracy' in l);
    expect(evals.length).toBeGreaterThan(0);
    const last = evals[evals.length - 1];

    const e = await run('eval', [
      '--checkpoint',
      path.join(studentOut, 'checkpoint'),
      '--data',
      'synthetic',
      '--limit',
      '200',
    ]);
    expect(e.code, e.stderr).toBe(0);
    const result = JSON.parse(e.stdout);
    expect(result.count).toBe(200);
    // The same weights on the same 200 test images: eval agrees with the trainer's own evaluation.
    expect(result.testAccuracy).toBeCloseTo(last.testAccuracy, 6);
  });

  it("scales the student's inputs by its teacher's statistics, not by its own data's", async () => {
    // A teacher that says it was trained on inputs of other statistics than this data's (as
    // cifar10-default, trained on 50,000 images, against the 10,000 of the starter set).
    const teacherDir = path.join(out, 'other-stats-teacher');
    cpSync(path.join(teacherOut, 'checkpoint'), teacherDir, { recursive: true });
    const manifestPath = path.join(teacherDir, 'model.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    const teacherStats = { mean: [0.3, 0.4, 0.5], std: [0.2, 0.25, 0.3] };
    expect(manifest.normalization).not.toEqual(teacherStats);
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, normalization: teacherStats }));

    const studentOut = path.join(out, 'student-other-stats');
    const s = await run('train', [
      '--phase',
      'student',
      '--data',
      'synthetic',
      '--preset',
      'tiny',
      '--steps',
      '2',
      '--teacher',
      teacherDir,
      '--out',
      studentOut,
    ]);
    expect(s.code, s.stderr).toBe(0);
    const saved = JSON.parse(readFileSync(path.join(studentOut, 'checkpoint', 'model.json'), 'utf8'));
    expect(saved.normalization).toEqual(teacherStats);
  });
});

function writeConfig(dir: string): string {
  const file = path.join(dir, 'all-terms.json');
  writeFileSync(file, JSON.stringify({ loss: { wCe: 0.5, wKd: 1, wMd: 1 } }));
  return file;
}

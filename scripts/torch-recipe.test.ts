/**
 * The twin's teacher recipe (tools/torch/mkd/recipe.py, randaugment.py) and the carry pack
 * (mkd/carry.py). tools/torch/recipe_check.py measures each augmentation against a reference that
 * does not share its code (torchvision's own op on one image, lambda read off the pixels, a
 * forward pass unrolled by hand, the pack's source files); this file judges the figures. Then
 * real train.py runs: the switch-off epoch, the checkpoint format, the pack as --data, and the
 * GPU script (scripts/gpu/train-teacher.sh) on the CPU with a budget of seconds. Skipped, with
 * the reason, when no Python with torch (and torchvision, for RandAugment) is found.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tryBackend } from '../src/engine/backend';
import { decodeCheckpoint } from '../src/engine/checkpoint';
import { sha256Hex } from '../src/engine/data/cifar';
import { selectStarterRecords } from '../src/engine/data/starter';
import { DEFAULT_CONFIG } from '../src/engine/spec/config';
import { writeFakeCifar } from './lib/fake-cifar';
import { readCheckpointDir } from './lib/node-files';
import { formatManifest } from './lib/starter-build';
import { findTorchPython } from './lib/torch-python';

const ROOT = path.resolve(import.meta.dirname, '..');
const TORCH = path.join(ROOT, 'tools/torch');
const found = findTorchPython(['torchvision', 'PIL']);
const torchvision = found.python !== null && found.lacking.length === 0;
if ('reason' in found) console.warn(`torch recipe tests skipped: ${found.reason}`);
else if (!torchvision)
  console.warn('torch recipe tests skipped: no torchvision and PIL (apt-get install python3-torchvision)');

const RECORDS = 128; // per fake file: 640 training records, 128 test records
/** The switch-off runs' set: 160 training records, 5 steps of 32 an epoch (the epochs are what counts). */
const SWITCH_OFF_RECORDS = 32;
const PER_CLASS = 8; // the fake starter set: the first 8 of each class
const STARTER_TEST = 50;

let dir = '';

function python(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(found.python!, args, {
    encoding: 'utf8',
    timeout: 300_000,
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  return res;
}

function check<T>(what: string, ...args: string[]): T {
  const res = python([path.join(TORCH, 'recipe_check.py'), what, ...args]);
  if (res.status !== 0) throw new Error(`recipe_check.py ${what} failed:\n${res.stderr}`);
  return JSON.parse(res.stdout) as T;
}

type AugmentationCheck = 'randaugment' | 'mixing' | 'droppath';
let augmentationFigures: Record<AugmentationCheck, unknown> | undefined;

/** One check's figures; the three are measured together, in one recipe_check.py, on first use. */
function augmentation<T>(what: AugmentationCheck): T {
  augmentationFigures ??= check<Record<AugmentationCheck, unknown>>('randaugment', 'mixing', 'droppath');
  return augmentationFigures[what] as T;
}

/** train.py, teacher phase, tiny preset, 4 epochs of 5 steps on the small fake set. */
function trainTeacher(out: string, extra: string[]) {
  const res = python([
    path.join(TORCH, 'train.py'),
    ...['--phase', 'teacher', '--preset', 'tiny', '--config', path.join(dir, 'batch32.json')],
    ...['--data', path.join(dir, 'small'), '--epochs', '4', '--log-every', '5', '--out', path.join(dir, out)],
    ...extra,
  ]);
  expect(res.status, res.stderr).toBe(0);
  return {
    log: res.stdout,
    result: JSON.parse(readFileSync(path.join(dir, out, 'result.json'), 'utf8')),
    model: JSON.parse(readFileSync(path.join(dir, out, 'checkpoint/model.json'), 'utf8')),
  };
}

/** A starter set of the fake source, written as the app's builder writes one (TypeScript side). */
async function writeFakeStarter(source: string, out: string): Promise<void> {
  const read = (name: string) => readFileSync(path.join(source, name));
  const train = Buffer.concat([1, 2, 3, 4, 5].map((i) => read(`data_batch_${i}.bin`)));
  const labels = Array.from({ length: train.length / 3073 }, (_, i) => train[i * 3073]!);
  const chosen = selectStarterRecords(labels, PER_CLASS);
  const trainRecords = Buffer.concat(chosen.map((i) => train.subarray(i * 3073, (i + 1) * 3073)));
  const testRecords = read('test_batch.bin').subarray(0, STARTER_TEST * 3073);
  mkdirSync(out, { recursive: true });
  const entry = async (name: string, records: Buffer) => {
    const gz = gzipSync(records);
    writeFileSync(path.join(out, name), gz);
    return {
      name,
      records: records.length / 3073,
      sha256: await sha256Hex(records),
      gzipBytes: gz.length,
      gzipSha256: await sha256Hex(gz),
    };
  };
  const manifest = {
    format: 'cifar10-starter' as const,
    version: 1 as const,
    classNames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
    selection: { train: 'test fixture', test: 'test fixture' },
    perClass: PER_CLASS,
    train: await entry('train.bin.gz', trainRecords),
    test: await entry('test.bin.gz', testRecords),
  };
  writeFileSync(path.join(out, 'manifest.json'), formatManifest(manifest));
}

/** Per-channel mean and std of the source's training pixels / 255 (the exact normalisation). */
function channelStats(source: string): { mean: number[]; std: number[] } {
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  let n = 0;
  for (const i of [1, 2, 3, 4, 5]) {
    const bytes = readFileSync(path.join(source, `data_batch_${i}.bin`));
    for (let r = 0; r < bytes.length / 3073; r++) {
      for (let c = 0; c < 3; c++) {
        for (let p = 0; p < 1024; p++) {
          const v = bytes[r * 3073 + 1 + c * 1024 + p]! / 255;
          sum[c]! += v;
          sq[c]! += v * v;
        }
      }
      n += 1024;
    }
  }
  const mean = sum.map((s) => s / n);
  return { mean, std: sq.map((s, c) => Math.sqrt(s / n - mean[c]! ** 2)) };
}

describe.skipIf(!found.python || !torchvision)('the twin teacher recipe', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'torch-recipe-'));
    writeFakeCifar(path.join(dir, 'data'));
    writeFakeCifar(path.join(dir, 'small'), SWITCH_OFF_RECORDS);
    writeFakeCifar(path.join(dir, 'smooth'), RECORDS, true);
    await writeFakeStarter(path.join(dir, 'smooth'), path.join(dir, 'starter'));
    writeFileSync(path.join(dir, 'batch32.json'), JSON.stringify({ optim: { batch: 32, warmupSteps: 5 } }));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('RandAugment: each image gets its own ops, each as torchvision applies it to that image alone', () => {
    const r = augmentation<Record<string, unknown>>('randaugment');
    expect(r.shape).toEqual([96, 3, 32, 32]);
    expect(r.dtype).toBe('torch.uint8');
    expect(r.tableNames, 'the op set is torchvision RandAugment').toBe(true);
    expect(r.tableErrors, 'magnitudes at every bin as torchvision').toEqual([]);
    expect(r.opsDrawn, 'all 14 ops drawn across the batch').toBe(14);
    expect(r.maxDiffFromPerImageReference).toBe(0);
    expect(r.equalizeMaxDiff, 'the batched equalize, as torchvision per image').toBe(0);
    expect(r.imagesChanged as number).toBeGreaterThan(80);
    expect(r.sameSeedSame).toBe(true);
    expect(r.otherSeedSame).toBe(false);
  });

  it('mixup and cutmix: soft targets sum to 1 and give each label the share of the image it has', () => {
    type Row = {
      kind: string;
      lam: number | null;
      fromPixels: number[];
      fromTargets: number[];
      targetSums: number[];
      shape: number[];
      targetShape: number[];
    };
    const { rows, sameSeedSame } = augmentation<{ rows: Row[]; sameSeedSame: boolean }>('mixing');
    expect(sameSeedSame).toBe(true);
    // mixSwitchProb 0.5 over 40 batches: both kinds, neither rare
    for (const kind of ['mixup', 'cutmix'])
      expect(rows.filter((r) => r.kind === kind).length, kind).toBeGreaterThan(8);
    for (const r of rows) {
      expect(r.shape).toEqual([10, 3, 32, 32]);
      expect(r.targetShape).toEqual([10, 10]);
      for (const s of r.targetSums) expect(s).toBeCloseTo(1, 12);
      for (const [i, share] of r.fromPixels.entries()) {
        expect(r.fromTargets[i]!, `${r.kind} image ${i}`).toBeCloseTo(share, 10);
        expect(share).toBeCloseTo(r.lam!, 10);
      }
      if (r.kind === 'cutmix') {
        // a whole number of pixels pasted: lambda is the unpasted share of the 1024
        expect(Math.abs(r.lam! * 1024 - Math.round(r.lam! * 1024))).toBeLessThan(1e-9);
      }
    }
  });

  it('stochastic depth: kept branches scaled, dropped ones skipped per image, rates rising to dropPath', () => {
    const r = augmentation<Record<string, number | number[] | boolean>>('droppath');
    expect(r.onesSameAsPlain).toBe(0);
    expect(r.maxDiffFromUnrolled as number).toBeLessThan(1e-12);
    expect(r.droppedDiffers as number).toBeGreaterThan(1e-6);
    const rates = r.dropRatePerBlock as number[];
    rates.forEach((rate, block) => {
      const p = (0.1 * block) / 5;
      const sigma = Math.sqrt((p * (1 - p)) / (2 * 4096));
      expect(Math.abs(rate - p), `block ${block}`).toBeLessThanOrEqual(5 * sigma);
    });
    for (const m of r.meanMultiplierPerBlock as number[]) expect(Math.abs(m - 1)).toBeLessThan(0.02);
    expect(r.sameSeedSame).toBe(true);
    expect(r.otherSeedSame).toBe(false);
    expect(r.offIsNone).toBe(true);
  });

  it('mixing stops at its switch-off epoch; the recipe leaves the checkpoint format as it was', () => {
    const recipe = ['--randaugment-ops', '2', '--drop-path', '0.1', '--mixup', '0.8', '--cutmix', '1'];
    const full = trainTeacher('full', [...recipe, '--mix-off', '0.6']);
    const early = trainTeacher('early', ['--cutmix', '1', '--mix-off', '0.25']);
    const never = trainTeacher('never', ['--cutmix', '1']);
    const plain = trainTeacher('plain', []);
    // 4 epochs: epoch e starts at e/4 of the run; the first to start at or after mixOff stops mixing
    expect(full.result.recipe).toMatchObject({ mixOffEpoch: 3, epochs: 4, dropPath: 0.1, randAugmentOps: 2 });
    expect(full.log).toMatch(/mixup\/cutmix off from epoch 3 /);
    expect(early.result.recipe.mixOffEpoch).toBe(1);
    expect(never.result.recipe.mixOffEpoch).toBe(null);
    expect(plain.result.recipe).toBeUndefined();
    const specs = (m: { weightsManifest: { weights: unknown[] }[] }) => m.weightsManifest[0]!.weights;
    expect(specs(full.model)).toEqual(specs(plain.model));
    expect(full.model.models).toEqual(plain.model.models);
    expect(Object.keys(full.model.config).sort()).toEqual(Object.keys(plain.model.config).sort());
  }, 600_000); // real train.py runs, slow on a shared 2-core machine

  it('the carry pack rebuilds the set: labels and starter records exact, the rest close and in order', () => {
    const pack = path.join(dir, 'pack');
    const res = python([
      path.join(TORCH, 'pack_cifar10.py'),
      ...['--data', path.join(dir, 'smooth'), '--starter', path.join(dir, 'starter'), '--out', pack],
    ]);
    expect(res.status, res.stderr).toBe(0);
    const printed = JSON.parse(res.stdout);
    expect(printed.quality.test).toBe(95);
    type Split = {
      records: number;
      labelsEqual: boolean;
      exactRecords: number;
      meanAbsError: number;
      orderKept: boolean;
    };
    const r = check<{
      train: Split;
      test: Split;
      normalization: { mean: number[]; std: number[] };
      manifestMeanAbsError: { train: number; test: number };
      packed: { train: number; test: number };
      decodedAsPacked: { train: boolean; test: boolean };
    }>('carry', pack, path.join(dir, 'smooth'), path.join(dir, 'starter'));
    expect(r.train).toMatchObject({ records: 5 * RECORDS, labelsEqual: true, orderKept: true });
    expect(r.test).toMatchObject({ records: RECORDS, labelsEqual: true, orderKept: true });
    expect(r.packed).toEqual({ train: 5 * RECORDS - 10 * PER_CLASS, test: RECORDS - STARTER_TEST });
    // the starter's records come back byte-exact (JPEG gets none of these gradients exact)
    expect(r.train.exactRecords).toBeGreaterThanOrEqual(10 * PER_CLASS);
    expect(r.test.exactRecords).toBeGreaterThanOrEqual(STARTER_TEST);
    expect(r.train.meanAbsError).toBeLessThan(3);
    expect(r.test.meanAbsError).toBeLessThan(3);
    // the manifest's error is over the packed records alone, so it is the larger
    expect(r.manifestMeanAbsError.train).toBeGreaterThanOrEqual(r.train.meanAbsError);
    expect(r.decodedAsPacked).toEqual({ train: true, test: true });
    const exact = channelStats(path.join(dir, 'smooth'));
    for (const c of [0, 1, 2]) {
      expect(r.normalization.mean[c]!).toBeCloseTo(exact.mean[c]!, 9);
      expect(r.normalization.std[c]!).toBeCloseTo(exact.std[c]!, 6);
    }
  });

  it('the carry pack refuses what does not fit, and a starter set of another source', () => {
    const tight = python([
      path.join(TORCH, 'pack_cifar10.py'),
      ...['--data', path.join(dir, 'smooth'), '--starter', path.join(dir, 'starter')],
      ...['--out', path.join(dir, 'tight'), '--margin-mib', '40'],
    ]);
    expect(tight.status).toBe(2);
    expect(tight.stderr).toMatch(/pack_cifar10: only -?[\d.]+ MiB left beside the tracked tree, too little/);
    expect(existsSync(path.join(dir, 'tight'))).toBe(false);
    const other = python([
      path.join(TORCH, 'pack_cifar10.py'),
      ...[
        '--data',
        path.join(dir, 'data'),
        '--starter',
        path.join(dir, 'starter'),
        '--out',
        path.join(dir, 'x'),
      ],
    ]);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/was not built from --data .*rebuild it with npm run data:starter/);
  });

  it('the GPU script runs end to end on the CPU: the app reads its teacher, trained on the pack', async () => {
    const out = path.join(dir, 'gpu-out');
    const res = spawnSync('bash', [path.join(ROOT, 'scripts/gpu/train-teacher.sh')], {
      encoding: 'utf8',
      timeout: 600_000,
      cwd: ROOT,
      env: {
        ...process.env,
        PYTHON: found.python!,
        DEVICE: 'cpu',
        THREADS: '1',
        BUDGET_MIN: '0.05',
        DATA: path.join(dir, 'pack'),
        RUN: path.join(dir, 'gpu-run', 'run'),
        OUT: out,
      },
    });
    expect(res.status, res.stderr).toBe(0);
    const result = JSON.parse(readFileSync(path.join(out, 'result.json'), 'utf8'));
    expect(result).toMatchObject({ phase: 'teacher', trainCount: 5 * RECORDS, count: RECORDS });
    expect(result.recipe).toMatchObject({ randAugmentOps: 2, cutmix: 1, dropPath: 0.1 });
    expect(result.data.carry.quality.test).toBe(95);
    const env = JSON.parse(readFileSync(path.join(out, 'env.json'), 'utf8'));
    expect(env.device).toBe('cpu');
    expect(readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')).toMatch(/"testAccuracy"/);
    expect(readFileSync(path.join(out, 'train.log'), 'utf8')).toMatch(/recipe: /);
    const problem = await tryBackend('cpu');
    if (problem) throw new Error(problem);
    const files = await readCheckpointDir(path.join(out, 'checkpoint'));
    const decoded = await decodeCheckpoint(files.manifest, files.weights);
    const teacher = decoded.models.get('teacher')!;
    expect(teacher.model.config).toEqual({ ...DEFAULT_CONFIG.teacher, numClasses: 10 });
    for (const m of decoded.models.values()) m.model.dispose();
  }, 600_000); // real train.py runs, slow on a shared 2-core machine
});

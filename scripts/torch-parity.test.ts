/**
 * Parity with the PyTorch twin (tools/torch/): the same weights and inputs must give the
 * same logits, every block output, each loss term and one optimizer step's updated weights,
 * within 1e-4 relative, and checkpoints must move both ways. Skipped, with the reason, when
 * no Python with torch is found (scripts/lib/torch-python.ts).
 *
 * Relative error of a tensor: max |ts - torch| / max |torch| (scale-relative, so entries
 * near zero do not blow it up); of a scalar: |ts - torch| / |torch|. The twin runs in
 * float64, the engine in float32 on the cpu backend.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tryBackend } from '../src/engine/backend';
import { decodeCheckpoint, encodeCheckpoint } from '../src/engine/checkpoint';
import { kdLoss } from '../src/engine/losses';
import { activeTerms, distillationObjective, teacherTargets } from '../src/engine/objective';
import { AdamW } from '../src/engine/optim';
import {
  DEFAULT_CONFIG,
  DEFAULT_OPTIM,
  effectiveLayerPairs,
  type LossConfig,
  type RunConfig,
  type VitConfig,
} from '../src/engine/spec/config';
import { PRESET_NAMES, presetConfig } from '../src/engine/spec/presets';
import { distillStep } from '../src/engine/step';
import { distinctWeightsLoss, gaussian, mulberry32 } from '../src/engine/test-utils';
import * as tf from '../src/engine/tf';
import { Vit } from '../src/engine/vit';
import { scaleCommands } from '../src/state/run-at-scale';
import { readCheckpointDir, writeCheckpointDir } from './lib/node-files';
import { findTorchPython } from './lib/torch-python';

const TOL = 1e-4;
const TWIN = path.resolve(import.meta.dirname, '../tools/torch/parity.py');
const found = findTorchPython();
if ('reason' in found) console.warn(`torch parity tests skipped: ${found.reason}`);

const TEACHER: VitConfig = {
  imageSize: 32,
  patchSize: 8,
  channels: 3,
  dModel: 32,
  nLayers: 3,
  nHeads: 2,
  mlpRatio: 2,
  numClasses: 10,
  distillToken: false,
};
const STUDENT: VitConfig = { ...TEACHER, dModel: 16, nLayers: 2, distillToken: true };
const BATCH = 4;
const PATCHES = 16;
const K = 24;
/** Label smoothing on too. */
const LOSS: LossConfig = { ...distinctWeightsLoss(K), labelSmoothing: 0.1 };
const CONFIG: RunConfig = {
  ...DEFAULT_CONFIG,
  preset: 'default',
  teacher: TEACHER,
  student: STUDENT,
  loss: LOSS,
  optim: { ...DEFAULT_OPTIM, lr: 1e-2, batch: BATCH, gradClip: 1 },
};
const LR = 1e-2;
/** Adam's step count in the saved moments: the update is not the sign-like first step. */
const OPT_STEP = 7;

/** max |a - b| / max |b|. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return Number.isFinite(diff) ? diff / Math.max(scale, 1e-30) : Number.POSITIVE_INFINITY;
}

interface TwinOutput {
  teacher: { logits: number[]; blocks: number[][] };
  student: { logits: number[]; distLogits: number[] | null; blocks: number[][] };
  terms: Record<string, number>;
  updated: Record<string, number[]>;
}

function runTwin(args: string[]): string {
  const res = spawnSync(found.python!, [TWIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  if (res.status !== 0) throw new Error(`parity.py ${args.join(' ')} failed: ${res.stderr || res.error}`);
  return res.stdout;
}

describe.skipIf(!found.python)(`the PyTorch twin (${found.python ? found.torchVersion : 'absent'})`, () => {
  let dir = '';
  const errors: Record<string, number> = {};
  beforeAll(async () => {
    const problem = await tryBackend('cpu');
    if (problem) throw new Error(problem);
    dir = mkdtempSync(path.join(tmpdir(), 'torch-parity-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (Object.keys(errors).length) console.info('torch parity, max relative errors:', errors);
  });

  it('resolves every preset to the same config as the app', () => {
    const twin = JSON.parse(runTwin(['--presets'])) as Record<string, RunConfig>;
    expect(Object.keys(twin).sort()).toEqual([...PRESET_NAMES].sort());
    for (const name of PRESET_NAMES) expect(twin[name]).toEqual(presetConfig(name));
  });

  it('reads the share-link hash of the Run at scale command as the app does', () => {
    const configs: RunConfig[] = [
      presetConfig('default'),
      {
        ...presetConfig('tiny'),
        seed: 9,
        data: 'cifar10',
        student: { ...presetConfig('tiny').student, dModel: 24, distillToken: false },
        loss: {
          ...presetConfig('tiny').loss,
          wCe: 0.25,
          kd: 'hard',
          tau: 3,
          layerPairs: [
            [0, 0],
            [1, 1],
          ],
        },
        optim: { ...presetConfig('tiny').optim, lr: 0.0007, batch: 48, warmupSteps: 5, eps: 1e-7 },
      },
    ];
    for (const config of configs) {
      const [command] = scaleCommands(config, { processes: 2, teacher: null });
      const hash = /--url '([^']*)'/.exec(command!)![1]!;
      expect(JSON.parse(runTwin(['--hash', hash]))).toEqual(config);
    }
  });

  it('agrees on logits, block outputs, loss terms and one AdamW step, and reads its checkpoints back', async () => {
    const rng = mulberry32(7);
    const teacher = Vit.create(TEACHER, 3, false);
    const student = Vit.create(STUDENT, 4);
    // Move every weight off its init (biases and LayerNorm included) so no slot is trivially 0 or 1.
    for (const model of [teacher, student]) {
      for (const p of model.namedVariables()) {
        const noise = gaussian(rng, p.variable.size, 0.05);
        tf.tidy(() => p.variable.assign(p.variable.add(tf.tensor(noise, p.variable.shape))));
      }
    }
    const optimizer = new AdamW(student.namedVariables(), CONFIG.optim);
    const moments = {
      m: optimizer.params.map((p) => tf.tensor(gaussian(rng, p.variable.size, 1e-3), p.variable.shape)),
      v: optimizer.params.map((p) =>
        tf.tidy(() =>
          tf
            .tensor(gaussian(rng, p.variable.size, 1e-3), p.variable.shape)
            .square()
            .add(1e-8),
        ),
      ),
    };
    optimizer.setState({ step: OPT_STEP, ...moments });
    tf.dispose([...moments.m, ...moments.v]);

    const ckpt = await encodeCheckpoint({
      phase: 'student',
      primary: 'student',
      config: CONFIG,
      normalization: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
      dataset: { name: 'cifar10', classNames: Array.from({ length: 10 }, (_, i) => `c${i}`) },
      models: [
        { role: 'teacher', model: teacher, optimizer: null },
        { role: 'student', model: student, optimizer },
      ],
      baselines: [],
      position: null,
      epochOrder: null,
    });
    await writeCheckpointDir(path.join(dir, 'checkpoint'), ckpt);

    const images = gaussian(rng, BATCH * 32 * 32 * 3);
    const labels = Int32Array.from({ length: BATCH }, () => Math.floor(rng() * 10));
    const pairs = effectiveLayerPairs(LOSS, STUDENT, TEACHER);
    const sampleIndices = pairs.map(() => {
      const pool = Array.from({ length: BATCH * PATCHES }, (_, i) => i);
      for (let i = 0; i < K; i++) {
        const j = i + Math.floor(rng() * (pool.length - i));
        [pool[i], pool[j]] = [pool[j]!, pool[i]!];
      }
      return Int32Array.from(pool.slice(0, K));
    });
    writeFileSync(path.join(dir, 'images.bin'), new Uint8Array(images.buffer));
    writeFileSync(
      path.join(dir, 'inputs.json'),
      JSON.stringify({
        imageShape: [BATCH, 32, 32, 3],
        labels: Array.from(labels),
        pairs,
        sampleIndices: sampleIndices.map((s) => Array.from(s)),
        loss: LOSS,
        lr: LR,
      }),
    );

    // The engine's side, before the step.
    const x = tf.tensor4d(images, [BATCH, 32, 32, 3]);
    const y = tf.tensor1d(labels, 'int32');
    const ours = tf.tidy(() => {
      const tOut = teacher.apply(x);
      const sOut = student.apply(x);
      const target = teacherTargets(teacher, tOut, pairs);
      const idx = sampleIndices.map((s) => tf.tensor1d(s, 'int32'));
      const obj = distillationObjective(student, sOut, target, y, LOSS, pairs, idx);
      const read = (t: tf.Tensor) => Array.from(t.dataSync());
      return {
        teacher: { logits: read(tOut.logits), blocks: tOut.blocks.map(read) },
        student: {
          logits: read(sOut.logits),
          distLogits: read(sOut.distLogits!),
          blocks: sOut.blocks.map(read),
        },
        terms: {
          ...Object.fromEntries(activeTerms(LOSS).map((k) => [k, obj.term(k).dataSync()[0]!])),
          total: obj.total.dataSync()[0]!,
          kdHard: kdLoss(sOut.distLogits!, target.logits, { tau: LOSS.tau, kind: 'hard' }).dataSync()[0]!,
        },
      };
    });
    const metrics = distillStep(
      { student, teacher, optimizer, loss: LOSS, pairs, lr: LR, sampleIndices },
      { images: x, labels: y },
    );
    metrics.dispose();
    const after = await encodeCheckpoint({
      phase: 'student',
      primary: 'student',
      config: CONFIG,
      normalization: ckpt.manifest.normalization,
      dataset: ckpt.manifest.dataset,
      models: [{ role: 'student', model: student, optimizer }],
      baselines: [],
      position: null,
      epochOrder: null,
    });
    const updated = tf.io.decodeWeights(after.weights, after.manifest.weightsManifest[0]!.weights);

    runTwin([dir]);
    const twin = JSON.parse(readFileSync(path.join(dir, 'torch.json'), 'utf8')) as TwinOutput;

    const check = (name: string, a: ArrayLike<number>, b: ArrayLike<number>): void => {
      const e = relErr(a, b);
      errors[name] = Math.max(errors[name] ?? 0, e);
      expect(e, name).toBeLessThan(TOL);
    };
    check('teacher logits', ours.teacher.logits, twin.teacher.logits);
    for (const [i, b] of ours.teacher.blocks.entries()) check('teacher blocks', b, twin.teacher.blocks[i]!);
    check('student logits', ours.student.logits, twin.student.logits);
    check('student dist logits', ours.student.distLogits, twin.student.distLogits!);
    for (const [i, b] of ours.student.blocks.entries()) check('student blocks', b, twin.student.blocks[i]!);
    expect(Object.keys(twin.terms).sort()).toEqual(Object.keys(ours.terms).sort());
    for (const [term, value] of Object.entries(ours.terms))
      check(`term ${term}`, [value], [twin.terms[term]!]);

    expect(Object.keys(twin.updated).sort()).toEqual(Object.keys(updated).sort());
    let worstDelta = 0;
    const before = tf.io.decodeWeights(ckpt.weights, ckpt.manifest.weightsManifest[0]!.weights);
    for (const [name, t] of Object.entries(updated)) {
      const mine = t.dataSync();
      check(name.startsWith('optimizer/') ? 'updated moments' : 'updated weights', mine, twin.updated[name]!);
      const start = before[name];
      if (start && !name.startsWith('optimizer/')) {
        const s = start.dataSync();
        const d1 = Array.from(mine, (v, i) => v - s[i]!);
        const d2 = twin.updated[name]!.map((v, i) => v - s[i]!);
        worstDelta = Math.max(worstDelta, relErr(d1, d2));
      }
    }
    errors['weight change (informative)'] = worstDelta;
    expect(worstDelta, 'the step itself (updated - initial)').toBeLessThan(1e-3);
    tf.dispose([...Object.values(updated), ...Object.values(before), x, y]);

    // The other way: the twin wrote its updated student as a checkpoint; the engine reads it.
    const back = await readCheckpointDir(path.join(dir, 'torch-checkpoint'));
    const decoded = await decodeCheckpoint(back.manifest, back.weights);
    const reread = decoded.models.get('student')!;
    for (const p of reread.model.namedVariables()) {
      const mine = student.namedVariables().find((q) => q.name === p.name)!;
      check('twin checkpoint read by the engine', p.variable.dataSync(), mine.variable.dataSync());
    }
    expect(reread.optimizer?.step).toBe(OPT_STEP + 1);
    for (const m of decoded.models.values()) {
      m.model.dispose();
      m.optimizer?.dispose();
    }
    teacher.dispose();
    student.dispose();
    optimizer.dispose();
  });
});

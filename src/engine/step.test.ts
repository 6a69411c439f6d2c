import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendName, tryBackend } from './backend';
import { crossEntropy, kdLoss, manifoldTerms } from './losses';
import { AdamW, createOptimizer, type ParamOptimizer } from './optim';
import { DEFAULT_OPTIM, type LayerPair, type LossConfig, type OptimConfig } from './spec/config';
import type { StepKind } from './spec/step-kind';
import { type Batch, distillMetricNames, distillStep, TEACHER_METRIC_NAMES, teacherStep } from './step';
import {
  distinctWeightsLoss,
  maxAbsDiff,
  maxRelDiff,
  mulberry32,
  randomBatch,
  scoped,
  snapshot,
  TINY_STUDENT,
  TINY_TEACHER,
  WASM_PATHS,
} from './test-utils';
import * as tf from './tf';
import { Vit } from './vit';

async function useBackend(name: BackendName): Promise<void> {
  const problem = await tryBackend(name, { wasmPaths: WASM_PATHS });
  if (problem) throw new Error(problem);
}

beforeAll(() => useBackend('cpu'));
afterAll(() => useBackend('cpu'));

const BATCH = 6;
const PATCHES = 16; // (16 / 4)^2
const K = 12;
/** Asymmetric pairs: reading them as [teacher, student] would compare other blocks. */
const PAIRS: LayerPair[] = [
  [0, 1],
  [1, 1],
];
const LOSS: LossConfig = distinctWeightsLoss(K);
const OPTIM: OptimConfig = { ...DEFAULT_OPTIM, lr: 1e-3, batch: BATCH, steps: 100, warmupSteps: 0 };

interface Setup {
  teacher: Vit;
  student: Vit;
  optimizer: ParamOptimizer;
  kind: StepKind;
  batch: Batch;
  /** K token indices per layer pair, from a seeded Fisher-Yates draw. */
  sampleIndices: Int32Array[];
  dispose(): void;
}

function sampleIndices(rng: () => number): Int32Array[] {
  return PAIRS.map(() => {
    const pool = Array.from({ length: BATCH * PATCHES }, (_, i) => i);
    for (let i = 0; i < K; i++) {
      const j = i + Math.floor(rng() * (pool.length - i));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return Int32Array.from(pool.slice(0, K));
  });
}

function setup(seed = 1, teacherSeed = 100, kind: StepKind = 'reference'): Setup {
  const rng = mulberry32(seed);
  const teacher = Vit.create(TINY_TEACHER, teacherSeed, false);
  const student = Vit.create(TINY_STUDENT, seed + 200);
  const optimizer = createOptimizer(student.namedVariables(), OPTIM, kind);
  const batch = randomBatch(rng, TINY_TEACHER, BATCH);
  return {
    teacher,
    student,
    optimizer,
    kind,
    batch,
    sampleIndices: sampleIndices(rng),
    dispose() {
      teacher.dispose();
      student.dispose();
      optimizer.dispose();
      tf.dispose([batch.images, batch.labels]);
    },
  };
}

function step(s: Setup, loss: LossConfig = LOSS, lr = OPTIM.lr): Float32Array {
  const metrics = distillStep(
    {
      student: s.student,
      teacher: s.teacher,
      optimizer: s.optimizer,
      loss,
      pairs: PAIRS,
      lr,
      sampleIndices: s.sampleIndices,
      stepKind: s.kind,
    },
    s.batch,
  );
  const values = metrics.dataSync() as Float32Array;
  metrics.dispose();
  return values;
}

function named(loss: LossConfig, values: Float32Array): Record<string, number> {
  const names = distillMetricNames(loss);
  expect(values.length).toBe(names.length);
  return Object.fromEntries(names.map((n, i) => [n, values[i]!]));
}

describe('distillStep metrics', () => {
  it('lists only the active terms, then total and accuracy, and returns a vector of that length', () => {
    const all = ['ce', 'kd', 'intra', 'inter', 'random', 'total', 'accuracy'];
    expect(distillMetricNames(LOSS)).toEqual(all);
    expect(distillMetricNames({ ...LOSS, wMd: 0 })).toEqual(['ce', 'kd', 'total', 'accuracy']);
    expect(distillMetricNames({ ...LOSS, wInter: 0 })).toEqual([
      'ce',
      'kd',
      'intra',
      'random',
      'total',
      'accuracy',
    ]);
    expect(distillMetricNames({ ...LOSS, wCe: 0, wIntra: 0 })).toEqual([
      'kd',
      'inter',
      'random',
      'total',
      'accuracy',
    ]);
    expect(distillMetricNames({ ...LOSS, wKd: 0, wMd: 0 })).toEqual(['ce', 'total', 'accuracy']);
    expect(TEACHER_METRIC_NAMES).toEqual(['ce', 'total', 'accuracy']);

    for (const loss of [LOSS, { ...LOSS, wInter: 0 }, { ...LOSS, wMd: 0 }]) {
      const s = setup(2);
      expect(step(s, loss)).toHaveLength(distillMetricNames(loss).length);
      s.dispose();
    }
  });

  it('every term equals its loss function on the pre-step weights: CE on the cls head, KD on the distillation head, relation terms averaged over layer pairs', () => {
    const s = setup(3);
    const expected = scoped(() => {
      const t = s.teacher.apply(s.batch.images);
      const o = s.student.apply(s.batch.images);
      const perPair = PAIRS.map(([si, ti], i) =>
        manifoldTerms(s.student.patchTokens(o.blocks[si]!), s.teacher.patchTokens(t.blocks[ti]!), {
          k: K,
          sampleIndices: s.sampleIndices[i]!,
        }),
      );
      const avg = (key: 'intra' | 'inter' | 'random') =>
        perPair.reduce((a, p) => a + p[key].dataSync()[0]!, 0) / PAIRS.length;
      const kdOpts = { tau: LOSS.tau, kind: LOSS.kd };
      // DeiT prediction: the mean of both heads.
      const logits = o.logits.arraySync();
      const dist = o.distLogits!.arraySync();
      const labels = Array.from(s.batch.labels.dataSync());
      const argmax = (row: number[]) => row.indexOf(Math.max(...row));
      const correct = logits.filter(
        (row, b) => argmax(row.map((v, j) => v + dist[b]![j]!)) === labels[b],
      ).length;
      return {
        ce: crossEntropy(o.logits, s.batch.labels).dataSync()[0]!,
        kd: kdLoss(o.distLogits!, t.logits, kdOpts).dataSync()[0]!,
        kdOnClsHead: kdLoss(o.logits, t.logits, kdOpts).dataSync()[0]!,
        intra: avg('intra'),
        inter: avg('inter'),
        random: avg('random'),
        accuracy: correct / BATCH,
      };
    });
    const got = named(LOSS, step(s));
    for (const key of ['ce', 'kd', 'intra', 'inter', 'random'] as const) {
      expect(Math.abs(got[key]! - expected[key]) / expected[key], key).toBeLessThan(1e-5);
    }
    expect(got.accuracy).toBeCloseTo(expected.accuracy, 6);
    // The two heads really disagree, so the KD check above tells them apart.
    expect(Math.abs(expected.kdOnClsHead - expected.kd) / expected.kd).toBeGreaterThan(1e-2);
    s.dispose();
  });

  it('accuracy is the share of images whose mean of both heads picks the label', () => {
    const s = setup(12);
    // Head biases that make the cls head pick class 0, the distillation head class 1 and
    // their mean class 2 (logits from the small initial head weights are ~0.1).
    s.student.params.headB.assign(tf.tensor1d([2, 0, 1.5, -5, -5]));
    s.student.params.distHeadB!.assign(tf.tensor1d([0, 2, 1.5, -5, -5]));
    const { logits, dist } = scoped(() => {
      const o = s.student.apply(s.batch.images);
      return { logits: o.logits.arraySync(), dist: o.distLogits!.arraySync() };
    });
    const argmax = (row: number[]) => row.indexOf(Math.max(...row));
    expect(logits.map(argmax)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(dist.map(argmax)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(logits.map((row, b) => argmax(row.map((v, j) => v + dist[b]![j]!)))).toEqual([2, 2, 2, 2, 2, 2]);
    // Four images labelled with the mean's choice, two with a class nobody picks: 4/6 for the
    // mean, 0 for either head alone.
    s.batch.labels.dispose();
    s.batch.labels = tf.tensor1d([2, 2, 2, 2, 3, 4], 'int32');
    const got = named(LOSS, step(s));
    expect(got.accuracy).toBeCloseTo(4 / 6, 6);
    s.dispose();
  });

  it('the total is wCe*ce + wKd*kd + wMd*(wIntra*intra + wInter*inter + wRandom*random) of the returned terms', () => {
    for (const loss of [LOSS, { ...LOSS, wInter: 0 }, { ...LOSS, wCe: 0, wMd: 2 }, { ...LOSS, wMd: 0 }]) {
      const s = setup(4);
      const m = named(loss, step(s, loss));
      const md = loss.wIntra * (m.intra ?? 0) + loss.wInter * (m.inter ?? 0) + loss.wRandom * (m.random ?? 0);
      const expected = loss.wCe * (m.ce ?? 0) + loss.wKd * (m.kd ?? 0) + loss.wMd * md;
      expect(Math.abs(m.total! - expected) / expected).toBeLessThan(1e-5);
      s.dispose();
    }
  });
});

describe('distillStep training', () => {
  it('keeps the teacher bit-identical over 3 steps while every student variable changes', () => {
    const s = setup(5);
    const teacherBefore = snapshot(s.teacher.variables());
    const studentBefore = snapshot(s.student.variables());
    for (let i = 0; i < 3; i++) step(s);
    expect(snapshot(s.teacher.variables())).toEqual(teacherBefore);
    const studentAfter = snapshot(s.student.variables());
    s.student.namedVariables().forEach((p, i) => {
      const changed = studentAfter[i]!.some((v, j) => v !== studentBefore[i]![j]);
      expect({ name: p.name, changed }).toEqual({ name: p.name, changed: true });
    });
    s.dispose();
  });

  it('keeps the teacher frozen even when its variables are trainable', () => {
    const s = setup(6);
    const trainableTeacher = Vit.create(TINY_TEACHER, 100, true);
    const before = snapshot(trainableTeacher.variables());
    for (let i = 0; i < 2; i++) step({ ...s, teacher: trainableTeacher });
    expect(snapshot(trainableTeacher.variables())).toEqual(before);
    trainableTeacher.dispose();
    s.dispose();
  });

  it('holds a constant number of tensors from step 2 to step 20', () => {
    const s = setup(7);
    let afterStep2 = -1;
    for (let i = 1; i <= 20; i++) {
      step(s);
      if (i === 2) afterStep2 = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(afterStep2);
    s.dispose();
  });

  it('with CE alone the step ignores the teacher and leaves the unused distillation head untouched', () => {
    const ceOnly: LossConfig = { ...LOSS, wKd: 0, wMd: 0 };
    const a = setup(8, 100);
    const b = setup(8, 101); // same student and data, another teacher
    const headBefore = snapshot([a.student.params.distHeadW!, a.student.params.distHeadB!]);
    const ma = [step(a, ceOnly), step(a, ceOnly)];
    const mb = [step(b, ceOnly), step(b, ceOnly)];
    expect(mb).toEqual(ma);
    expect(snapshot(b.student.variables())).toEqual(snapshot(a.student.variables()));
    expect(snapshot([a.student.params.distHeadW!, a.student.params.distHeadB!])).toEqual(headBefore);
    a.dispose();
    b.dispose();
  });

  it('teacherStep overfits a fixed small batch within 30 steps', () => {
    const rng = mulberry32(9);
    const teacher = Vit.create(TINY_TEACHER, 9);
    const optimizer = new AdamW(teacher.namedVariables(), { ...OPTIM, weightDecay: 0 });
    const batch = randomBatch(rng, TINY_TEACHER, 8);
    const history: number[][] = [];
    for (let i = 0; i < 30; i++) {
      const m = teacherStep({ teacher, optimizer, labelSmoothing: 0, lr: 3e-3 }, batch);
      history.push(Array.from(m.dataSync()));
      m.dispose();
    }
    const [ce0, total0] = history[0]!;
    const [ceLast, , accLast] = history.at(-1)!;
    // Untrained: about ln(5) = 1.61 for 5 classes.
    expect(ce0).toBeGreaterThan(1.2);
    expect(ce0).toBe(total0);
    expect(ceLast).toBeLessThan(0.3 * ce0!);
    expect(accLast).toBe(1);
    tf.dispose([batch.images, batch.labels]);
    teacher.dispose();
    optimizer.dispose();
  });
});

describe('distillStep across backends', () => {
  it('gives the same metrics on cpu and wasm within 1e-3 relative', async () => {
    const run = async (backend: BackendName) => {
      await useBackend(backend);
      expect(tf.getBackend()).toBe(backend);
      const s = setup(10);
      try {
        return Array.from(step(s));
      } finally {
        s.dispose();
      }
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    await useBackend('cpu');
    const names = distillMetricNames(LOSS);
    expect(cpu).toHaveLength(names.length);
    names.forEach((name, i) => {
      if (name === 'accuracy') expect(wasm[i], name).toBe(cpu[i]);
      else expect(maxRelDiff([wasm[i]!], [cpu[i]!]), name).toBeLessThan(1e-3);
    });
  });
});

describe('fast step against the reference step', () => {
  // On cpu and wasm the fast step differs by its flat optimizer (there are no fused kernels
  // here); the WebGPU kernels are compared in the browser (e2e/benchmark.spec.ts).
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`gives the same loss terms at each of 3 steps and the same weights after them on ${backend}`, async () => {
      await useBackend(backend);
      const ref = setup(12, 100, 'reference');
      const fast = setup(12, 100, 'fast');
      try {
        expect(snapshot(fast.student.variables())).toEqual(snapshot(ref.student.variables()));
        const names = distillMetricNames(LOSS);
        // Three steps, as the browser comparison: over longer runs Adam's division by
        // sqrt(v) amplifies rounding differences in near-zero gradients, as any two float
        // summation orders would.
        for (let k = 0; k < 3; k++) {
          const a = step(ref, LOSS, 3e-3);
          const b = step(fast, LOSS, 3e-3);
          names.forEach((name, i) => {
            expect(maxRelDiff([b[i]!], [a[i]!]), `step ${k + 1} ${name}`).toBeLessThan(1e-4);
          });
        }
        const wRef = snapshot(ref.student.variables());
        const wFast = snapshot(fast.student.variables());
        const wStart = snapshot(setup(12, 100).student.variables());
        ref.student.namedVariables().forEach((p, i) => {
          // Measured against how far 3 steps moved the variable: Adam divides by sqrt(v), so
          // where a gradient is near zero a different float summation order (the clip norm)
          // shows up at about 1e-4 of the step, not of the weight.
          const moved = maxAbsDiff(wRef[i]!, wStart[i]!);
          expect(moved, p.name).toBeGreaterThan(1e-3);
          expect(maxAbsDiff(wFast[i]!, wRef[i]!) / moved, p.name).toBeLessThan(1e-3);
        });
      } finally {
        ref.dispose();
        fast.dispose();
        await useBackend('cpu');
      }
    });
  }

  // wasm: its own routes (kernels/wasm-ops.ts) with their saved tensors.
  it.each(['cpu', 'wasm'] as const)(
    'the fast step holds a constant number of tensors from step 2 to step 20 on %s',
    async (backend) => {
      await useBackend(backend);
      const s = setup(13, 100, 'fast');
      try {
        let afterStep2 = -1;
        for (let i = 1; i <= 20; i++) {
          step(s);
          if (i === 2) afterStep2 = tf.memory().numTensors;
        }
        expect(tf.memory().numTensors).toBe(afterStep2);
      } finally {
        s.dispose();
        await useBackend('cpu');
      }
    },
  );
});

// A sanity check of this file's own helper: distinct, in-range indices.
describe('test helper', () => {
  it('draws K distinct token indices in [0, B*N) per layer pair', () => {
    for (const idx of sampleIndices(mulberry32(11))) {
      expect(idx).toHaveLength(K);
      expect(new Set(idx).size).toBe(K);
      expect(Math.min(...idx)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...idx)).toBeLessThan(BATCH * PATCHES);
    }
  });
});

/**
 * Predictions come from trained heads only. Which heads a loss trains is checked against
 * the gradients themselves (a head is trained when its weights get a non-zero gradient),
 * and an untrained head is shown unable to change any prediction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tryBackend } from '../backend';
import { decodeCheckpoint, encodeCheckpoint } from '../checkpoint';
import { distillationObjective, teacherTargets } from '../objective';
import { mulberry32, randomBatch, scoped, TINY_STUDENT, TINY_TEACHER } from '../test-utils';
import * as tf from '../tf';
import { Vit } from '../vit';
import { DEFAULT_LOSS, type LossConfig } from './config';
import { headsTrainedBy, predictionHeads } from './heads';
import { presetConfig } from './presets';

beforeAll(async () => {
  const problem = await tryBackend('cpu');
  if (problem) throw new Error(problem);
});

const PAIRS: [number, number][] = [[1, 1]];
let teacher: Vit;
let student: Vit;
beforeAll(() => {
  teacher = Vit.create(TINY_TEACHER, 1, false);
  student = Vit.create(TINY_STUDENT, 2);
});
afterAll(() => {
  teacher.dispose();
  student.dispose();
});

/** Which heads get a non-zero gradient from the distillation objective with these weights. */
function headsWithGradient(model: Vit, loss: LossConfig): { cls: boolean; dist: boolean } {
  return scoped(() => {
    const { images, labels } = randomBatch(mulberry32(5), model.config, 4);
    const target = teacherTargets(teacher, teacher.apply(images), PAIRS);
    const p = model.params;
    const heads = [p.headW, ...(p.distHeadW ? [p.distHeadW] : [])];
    const idx = [tf.tensor1d(new Int32Array([0, 3, 5, 9]), 'int32')];
    const { grads } = tf.variableGrads(
      () => distillationObjective(model, model.apply(images), target, labels, loss, PAIRS, idx).total,
      [...heads, p.patchW], // the patch embedding keeps the loss connected when no head is
    );
    const nonZero = (v: tf.Variable | null) =>
      v !== null && grads[v.name] !== undefined && grads[v.name]!.abs().max().dataSync()[0]! > 0;
    return { cls: nonZero(p.headW), dist: nonZero(p.distHeadW) };
  });
}

describe('heads trained by a loss', () => {
  const cases = [
    { wCe: 1, wKd: 0 },
    { wCe: 0, wKd: 1 },
    { wCe: 0.5, wKd: 1 },
    { wCe: 0, wKd: 0 },
  ];
  for (const weights of cases) {
    for (const withDist of [true, false]) {
      it(`wCe ${weights.wCe}, wKd ${weights.wKd}, ${withDist ? 'with' : 'without'} a distillation token: the heads that get a gradient`, () => {
        const model = withDist ? student : Vit.create({ ...TINY_STUDENT, distillToken: false }, 3);
        // wMd 1 keeps a loss with a gradient somewhere when both head weights are 0.
        const loss: LossConfig = {
          ...DEFAULT_LOSS,
          ...weights,
          wMd: 1,
          wIntra: 1,
          wInter: 0,
          wRandom: 0,
          k: 4,
        };
        expect(headsTrainedBy(loss, withDist)).toEqual(headsWithGradient(model, loss));
        if (!withDist) model.dispose();
      });
    }
  }
});

describe('predictions', () => {
  it('with only the distillation head trained, the class head cannot change a prediction', () => {
    const model = Vit.create(TINY_STUDENT, 4);
    model.noteTrainedHeads(headsTrainedBy({ wCe: 0, wKd: 1 }, true));
    expect(model.predictionHeads()).toBe('dist');
    const images = randomBatch(mulberry32(9), TINY_STUDENT, 8).images;
    const predict = () => scoped(() => Array.from(model.predictLogits(model.apply(images)).dataSync()));
    const distOnly = scoped(() => Array.from(model.apply(images).distLogits!.dataSync()));
    const before = predict();
    expect(before).toEqual(distOnly);
    // Any class head at all: large random weights.
    const rng = mulberry32(11);
    const p = model.params;
    p.headW.assign(tf.randomUniform(p.headW.shape, -50, 50, 'float32', Math.floor(rng() * 1e6)));
    p.headB.assign(tf.randomUniform(p.headB.shape, -50, 50, 'float32', Math.floor(rng() * 1e6)));
    expect(predict()).toEqual(before);
    // The trained head does move predictions.
    p.distHeadB!.assign(tf.randomUniform(p.distHeadB!.shape, -50, 50, 'float32', 7));
    expect(predict()).not.toEqual(before);
    images.dispose();
    model.dispose();
  });

  it('averages both heads (DeiT) once both are trained, and a CE weight turned on mid-run adds the class head', () => {
    const model = Vit.create(TINY_STUDENT, 5);
    model.noteTrainedHeads(headsTrainedBy({ wCe: 0, wKd: 1 }, true));
    model.noteTrainedHeads(headsTrainedBy({ wCe: 0.5, wKd: 1 }, true));
    expect(model.predictionHeads()).toBe('both');
    const images = randomBatch(mulberry32(2), TINY_STUDENT, 3).images;
    const [got, mean] = scoped(() => {
      const out = model.apply(images);
      const a = out.logits.dataSync();
      const b = out.distLogits!.dataSync();
      return [Array.from(model.predictLogits(out).dataSync()), Array.from(a, (v, i) => (v + b[i]!) / 2)];
    });
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(mean[i]!, 6);
    images.dispose();
    model.dispose();
  });

  it('a model without a distillation token predicts from its class head whatever was trained', () => {
    expect(predictionHeads({ cls: false, dist: false }, false)).toBe('cls');
    expect(predictionHeads({ cls: true, dist: true }, false)).toBe('cls');
  });
});

describe('checkpoints', () => {
  it('keep the trained heads, and infer them for older checkpoints from the loss', async () => {
    const config = presetConfig('tiny');
    const model = Vit.create({ ...config.student, numClasses: 10 }, 6);
    model.noteTrainedHeads(headsTrainedBy({ wCe: 0, wKd: 1 }, true));
    const encoded = await encodeCheckpoint({
      phase: 'student',
      primary: 'student',
      config: { ...config, loss: { ...config.loss, wCe: 0, wKd: 1 } },
      normalization: { mean: [0, 0, 0], std: [1, 1, 1] },
      dataset: { name: 'synthetic', classNames: Array.from({ length: 10 }, (_, i) => `c${i}`) },
      models: [{ role: 'student', model, optimizer: null }],
      baselines: [],
      position: null,
      epochOrder: null,
    });
    const decoded = await decodeCheckpoint(encoded.manifest, encoded.weights, { withOptimizers: false });
    expect(decoded.models.get('student')!.model.predictionHeads()).toBe('dist');
    decoded.models.get('student')!.model.dispose();
    // An older manifest: no trainedHeads; the run's loss says KD only.
    const older = {
      ...encoded.manifest,
      models: encoded.manifest.models.map(({ trainedHeads: _, ...m }) => m),
    };
    const legacy = await decodeCheckpoint(older, encoded.weights, { withOptimizers: false });
    expect(legacy.models.get('student')!.model.predictionHeads()).toBe('dist');
    legacy.models.get('student')!.model.dispose();
    model.dispose();
  });
});

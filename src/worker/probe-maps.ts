/**
 * The relation maps the page draws: a few fixed test images (the probe batch) run through
 * the teacher and the student, and the maps of the viewed layer pair read back in one transfer.
 */

import type { Dataset } from '../engine/data/dataset';
import { DeviceImageSet, type Normalization } from '../engine/data/gpu-data';
import { randomSampleIndices } from '../engine/losses';
import { probeRelationMaps } from '../engine/probe';
import { makeRng } from '../engine/random';
import { effectiveLayerPairs, type LayerPair, patchCount } from '../engine/spec/config';
import * as tf from '../engine/tf';
import type { Run } from './run';
import type { WorkerEvent } from './shared/protocol';

/** Images in the probe batch: enough for the inter-image map to mean something, few enough to read fast. */
const PROBE_BATCH = 8;

/** The probe batch on the device, with its RGB bytes and labels for the page. */
export class ProbeBatch {
  readonly images: tf.Tensor4D;
  readonly rgb: Uint8Array[];
  readonly labels: number[];
  private readonly set: DeviceImageSet;

  constructor(dataset: Dataset, normalization: Normalization) {
    const count = Math.min(PROBE_BATCH, dataset.test.count);
    const bytes = dataset.test.imageSize ** 2 * 3;
    const subset = {
      images: dataset.test.images.subarray(0, count * bytes),
      labels: dataset.test.labels.subarray(0, count),
      count,
      imageSize: dataset.test.imageSize,
    };
    this.set = new DeviceImageSet(subset, normalization);
    const idx = tf.range(0, count, 1, 'int32') as tf.Tensor1D;
    this.images = this.set.images(idx);
    idx.dispose();
    this.rgb = Array.from({ length: count }, (_, i) => subset.images.slice(i * bytes, (i + 1) * bytes));
    this.labels = Array.from(subset.labels);
  }

  dispose(): void {
    this.images.dispose();
    this.set.dispose();
  }
}

/** The maps event for the run's current view, with the buffers to transfer. */
export async function readMaps(
  run: Run,
  probe: ProbeBatch,
): Promise<{ event: Extract<WorkerEvent, { type: 'maps' }>; transfer: Transferable[] }> {
  const { trainer } = run;
  const config = trainer.config;
  const pairs =
    run.phase === 'student'
      ? trainer.pairs
      : effectiveLayerPairs(config.loss, config.student, config.teacher);
  const pairIndex = Math.min(run.view.pair, pairs.length - 1);
  const picked = run.view.blocks;
  // A pair picked on the block-match grid, when both blocks exist; else the configured one.
  const pair =
    picked && picked[0] < config.student.nLayers && picked[1] < config.teacher.nLayers
      ? ([picked[0], picked[1]] as LayerPair)
      : pairs[pairIndex]!;
  const n = patchCount(config.teacher);
  const b = probe.images.shape[0];
  const image = Math.min(run.view.image, b - 1);
  const position = Math.min(run.view.position, n - 1);
  const k = Math.min(config.loss.k, b * n, 192);
  // A fixed sample per run, so the K x K map changes only because the models do.
  const sampleIndices = randomSampleIndices(b * n, k, makeRng(config.seed, 'probe-sample'));
  const student = run.phase === 'student' ? (trainer.students[0]?.model ?? null) : null;
  const step = trainer.step;
  run.lastMaps = { time: performance.now(), step };
  const maps = await probeRelationMaps(trainer.teacher, student, probe.images, pair, {
    image,
    position,
    sampleIndices,
  });
  const imageRgb = probe.rgb[image]!.slice();
  const transfer: Transferable[] = [
    maps.teacher.intra.buffer,
    maps.teacher.inter.buffer,
    maps.teacher.random.buffer,
    imageRgb.buffer,
  ];
  if (maps.student)
    transfer.push(maps.student.intra.buffer, maps.student.inter.buffer, maps.student.random.buffer);
  if (maps.blockMatch) transfer.push(maps.blockMatch.buffer);
  const event: Extract<WorkerEvent, { type: 'maps' }> = {
    type: 'maps',
    runId: run.runId,
    phase: run.phase,
    step,
    maps: {
      view: { pair: pairIndex, image, position, blocks: picked ?? null },
      blocks: [pair[0], pair[1]],
      patches: n,
      batch: b,
      k,
      teacher: maps.teacher,
      student: maps.student,
      image: imageRgb,
      imageSize: config.teacher.imageSize,
      labels: probe.labels,
      blockMatch: maps.blockMatch
        ? {
            studentBlocks: config.student.nLayers,
            teacherBlocks: config.teacher.nLayers,
            values: maps.blockMatch,
          }
        : null,
    },
  };
  return { event, transfer };
}

/**
 * Each step's metrics stay on the device as one small vector per trained model, until the
 * loop asks for them: read() fetches every pending vector in one transfer. This is what keeps
 * the training step free of GPU sync points (one readback per many steps, not per step).
 */

import type { MetricRow, MetricValues } from './spec/run-records';
import type { MetricName } from './step';
import * as tf from './tf';

/**
 * Fewest steps between metric reads in the training loop (worker/run-loop.ts): at most one
 * metrics readback per this many steps. The benchmark spreads its one read over as many.
 */
export const MIN_STEPS_PER_READ = 10;

export type { MetricRow, MetricValues } from './spec/run-records';

/** One model's metric vector of one step, still on the device. */
export interface PendingPart {
  name: string;
  names: MetricName[];
  values: tf.Tensor1D;
}

interface PendingStep {
  step: number;
  epoch: number;
  lr: number;
  /** Per trained model, in order: its name, metric names and the vector on the device. */
  parts: PendingPart[];
}

export class PendingMetrics {
  private steps: PendingStep[] = [];

  /** Takes ownership of the parts' tensors. */
  push(step: number, epoch: number, lr: number, parts: PendingPart[]): void {
    this.steps.push({ step, epoch, lr, parts });
  }

  /** Steps run but not yet read. */
  get count(): number {
    return this.steps.length;
  }

  /** Every pending step's metrics, in one device transfer; the buffer is empty afterwards. */
  async read(): Promise<MetricRow[]> {
    const pending = this.steps;
    this.steps = [];
    if (!pending.length) return [];
    const vectors = pending.flatMap((p) => p.parts.map((part) => part.values));
    const all = tf.concat(vectors);
    tf.dispose(vectors);
    const data = await all.data(); // GPU→CPU sync point
    all.dispose();
    let offset = 0;
    return pending.map((p) => {
      const row: MetricRow = { step: p.step, epoch: p.epoch, lr: p.lr, values: {}, baselines: {} };
      for (const part of p.parts) {
        const values: MetricValues = {};
        part.names.forEach((n, i) => {
          values[n] = data[offset + i]!;
        });
        offset += part.names.length;
        if (part.name === 'teacher' || part.name === 'student') row.values = values;
        else row.baselines[part.name] = values;
      }
      return row;
    });
  }

  dispose(): void {
    for (const p of this.steps) tf.dispose(p.parts.map((x) => x.values));
    this.steps = [];
  }
}

/**
 * The records a run reports as it goes: each step's metrics and each evaluation. Types only,
 * so the page can hold them without importing the trainer.
 */
import type { PredictionHeads } from './heads';
import type { LossTerm } from './terms';

export type MetricName = LossTerm | 'total' | 'accuracy';

/** One step's metrics for one model. */
export type MetricValues = Partial<Record<MetricName, number>>;

export interface MetricRow {
  step: number;
  epoch: number;
  lr: number;
  /** The trained model's metrics: the teacher's in the teacher phase, the student's otherwise. */
  values: MetricValues;
  /** Baseline students' metrics by name. */
  baselines: Record<string, MetricValues>;
}

export interface EvalResult {
  step: number;
  /** Test accuracy (0..1) by model role: 'teacher', 'student', baseline names. */
  accuracy: Record<string, number>;
  /** The heads each model's predictions came from (trained heads only, see heads.ts). */
  heads: Record<string, PredictionHeads>;
  count: number;
}

import { OBJECTIVES, type Objective, type ObjectiveId } from '../engine/spec/objectives';

/**
 * The in-page ablation (issue #16, item 3): which objectives to compare, the queue of runs they
 * make, and the results table, in the form of docs/EXPERIMENT.md (tools/torch/experiment.py).
 * Pure data: the state layer runs the queue, the UI shows it.
 */

export type { Objective, ObjectiveId } from '../engine/spec/objectives';
export { OBJECTIVES } from '../engine/spec/objectives';

export function objectiveById(id: ObjectiveId): Objective {
  const found = OBJECTIVES.find((o) => o.id === id);
  if (!found)
    throw new Error(`Unknown objective "${id}": use one of ${OBJECTIVES.map((o) => o.id).join(', ')}.`);
  return found;
}

export interface ExperimentDefinition {
  objectives: ObjectiveId[];
  seeds: number[];
  /** Student steps of each run. */
  steps: number;
}

export interface QueuedRun {
  objective: ObjectiveId;
  seed: number;
}

/**
 * The runs, seed by seed (every objective of seed 1, then of seed 2 …), as the Python tool runs
 * them: stopping part-way leaves complete seeds for every objective. Objectives keep OBJECTIVES' order.
 */
export function experimentQueue(def: ExperimentDefinition): QueuedRun[] {
  const objectives = OBJECTIVES.filter((o) => def.objectives.includes(o.id));
  return def.seeds.flatMap((seed) => objectives.map((o) => ({ objective: o.id, seed })));
}

/** What is wrong with a definition, as messages that say what to do; empty when it can run. */
export function experimentProblems(def: ExperimentDefinition): string[] {
  const problems: string[] = [];
  if (def.objectives.length === 0) problems.push('Choose at least one objective.');
  if (def.seeds.length === 0) problems.push('Give at least one seed, e.g. "1, 2, 3".');
  if (new Set(def.seeds).size !== def.seeds.length)
    problems.push('Each seed once: remove the repeated seed.');
  if (def.seeds.some((s) => !Number.isInteger(s) || s < 0))
    problems.push('Seeds are whole numbers from 0 up, e.g. "1, 2, 3".');
  if (!Number.isInteger(def.steps) || def.steps < 1)
    problems.push('Steps per run must be a whole number from 1 up.');
  return problems;
}

/** Seeds typed as "1, 2, 3" (commas or spaces); null when something is not a whole number. */
export function parseSeeds(text: string): number[] | null {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (parts.some((p) => !/^\d+$/.test(p))) return null;
  return parts.map(Number);
}

/** A run's student curve, thinned (experiment-curves.ts): parallel arrays, NaN where nothing was finite. */
export interface RunCurve {
  step: number[];
  /** The run's own objective (its weighted total), as the worker reported it. */
  loss: number[];
  /** Accuracy on each training batch (0..1). */
  trainAccuracy: number[];
}

/** One finished run: its final test accuracy (0..1) as the run reported it. */
export interface RunResult extends QueuedRun {
  testAccuracy: number;
  trainSeconds: number;
  /** The student's curve, thinned (absent in experiments saved before curves were kept). */
  curve?: RunCurve;
}

export interface Summary {
  mean: number;
  /** Sample standard deviation (n - 1), 0 for one value: Python's statistics.stdev. */
  std: number;
  min: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, min: Math.min(...values), max: Math.max(...values) };
}

export interface ResultRow {
  objective: ObjectiveId;
  title: string;
  /** Test accuracy in percent. */
  accuracy: Summary;
  /** Mean accuracy minus KD only's, in percentage points; null without a KD-only result. */
  vsKdOnly: number | null;
  trainSeconds: number;
  /** Percent accuracy by seed. */
  bySeed: Map<number, number>;
}

/** The results table: one row per objective with results, in OBJECTIVES' order. */
export function resultRows(results: readonly RunResult[]): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const o of OBJECTIVES) {
    const runs = results.filter((r) => r.objective === o.id);
    if (runs.length === 0) continue;
    rows.push({
      objective: o.id,
      title: o.title,
      accuracy: summarize(runs.map((r) => 100 * r.testAccuracy)),
      vsKdOnly: null,
      trainSeconds: summarize(runs.map((r) => r.trainSeconds)).mean,
      bySeed: new Map(runs.map((r) => [r.seed, 100 * r.testAccuracy])),
    });
  }
  const base = rows.find((r) => r.objective === 'kd-only')?.accuracy.mean;
  if (base !== undefined) for (const r of rows) r.vsKdOnly = r.accuracy.mean - base;
  return rows;
}

const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;

/** "31.10% ± 0.43 (30.61–31.39)", as docs/EXPERIMENT.md writes it. */
export function formatAccuracy(a: Summary): string {
  return `${a.mean.toFixed(2)}% ± ${a.std.toFixed(2)} (${a.min.toFixed(2)}–${a.max.toFixed(2)})`;
}

export function formatVsKdOnly(v: number | null): string {
  return v === null ? '' : signed(v);
}

const markdownTable = (rows: readonly ResultRow[], mark = '') => [
  '| objective | test accuracy, mean ± std (min–max) | vs KD only | train time per run |',
  '| --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.title}${mark} | ${formatAccuracy(r.accuracy)} | ${formatVsKdOnly(r.vsKdOnly)} | ${Math.round(r.trainSeconds)} s |`,
  ),
];

/** Reference rows for an export: the twin's runs of the same settings, kept apart from one's own. */
export interface ExportReference {
  /** Says where the rows come from, e.g. "PyTorch twin, Default preset on the starter set". */
  source: string;
  rows: readonly ResultRow[];
  runs: readonly RunResult[];
}

/**
 * The table as Markdown, the same columns as docs/EXPERIMENT.md; the reference runs, when
 * given, follow as a second table whose every row says "(reference)".
 */
export function resultsMarkdown(rows: readonly ResultRow[], reference?: ExportReference): string {
  const lines = rows.length ? markdownTable(rows) : [];
  if (reference?.rows.length) {
    if (lines.length) lines.push('');
    lines.push(`Reference runs (${reference.source}):`, '', ...markdownTable(reference.rows, ' (reference)'));
  }
  return `${lines.join('\n')}\n`;
}

const csvCell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/**
 * One line per run (objective, seed, accuracy), for a spreadsheet; accuracy in percent. The
 * source column says whose run it is: "own" (run here) or "reference" (the twin's runs).
 */
export function resultsCsv(results: readonly RunResult[], reference: readonly RunResult[] = []): string {
  const order = new Map(OBJECTIVES.map((o, i) => [o.id, i]));
  const sorted = (runs: readonly RunResult[]) =>
    [...runs].sort(
      (a, b) => (order.get(a.objective) ?? 0) - (order.get(b.objective) ?? 0) || a.seed - b.seed,
    );
  const line = (r: RunResult, source: string) =>
    [
      r.objective,
      objectiveById(r.objective).title,
      String(r.seed),
      (100 * r.testAccuracy).toFixed(4),
      Number.isFinite(r.trainSeconds) ? r.trainSeconds.toFixed(1) : '',
      source,
    ]
      .map(csvCell)
      .join(',');
  const lines = [
    'objective,title,seed,test_accuracy_percent,train_seconds,source',
    ...sorted(results).map((r) => line(r, 'own')),
    ...sorted(reference).map((r) => line(r, 'reference')),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Reference runs (issue #26, item 4): the PyTorch twin's measured runs (docs/experiment.json,
 * written by tools/torch/experiment.py) for the settings on the page. The file is bundled at
 * build time, so the page, the README block (scripts/docs.ts) and the tests read the same
 * figures, and new seeds show up with the next build, never by hand. TF-free: the page imports it.
 */
import { z } from 'zod';
import experimentFile from '../../docs/experiment.json';
import { defaultLayerPairs, type LossConfig, type RunConfig } from '../engine/spec/config';
import { findPreset, presetConfig } from '../engine/spec/presets';
import {
  OBJECTIVES,
  type ObjectiveId,
  type ResultRow,
  type RunResult,
  resultRows,
  type Summary,
} from './experiment-plan';
import { PRETRAINED_TEACHERS } from './pretrained-teachers';

const runSchema = z.object({
  objective: z.string(),
  seed: z.number().int(),
  testAccuracy: z.number().min(0).max(1),
  trainSeconds: z.number().nonnegative().optional(),
  /** Test images the accuracy was measured on. */
  count: z.number().int().positive().optional(),
  /** Training images the run drew its batches from. */
  trainCount: z.number().int().positive().optional(),
});

const tableSchema = z.object({
  title: z.string(),
  settings: z.object({
    preset: z.string(),
    /** Folder of the training data under the repository ('public/data/starter'); null: the full CIFAR-10 set. */
    trainData: z.string().nullable(),
    /** Folder of the shipped teacher ('public/models/cifar10-default'). */
    teacher: z.string(),
    steps: z.number().int().positive(),
    batch: z.number().int().positive(),
    /** null or absent: the preset's own. */
    warmup: z.number().int().nonnegative().nullable().optional(),
    lr: z.number().positive().nullable().optional(),
  }),
  teacherAccuracy: z.number().min(0).max(1).optional(),
  /** Set on screening tables, which vary knobs of another table's objective. */
  compareTo: z.string().optional(),
  command: z.string().optional(),
  runs: z.array(runSchema),
});

const fileSchema = z.object({ tables: z.record(z.string(), tableSchema) });

export type ReferenceTable = z.infer<typeof tableSchema>;
export type ReferenceTables = Record<string, ReferenceTable>;

/** Tables of docs/experiment.json, checked: a malformed file fails the build's tests, not the page. */
export function parseReferenceTables(json: unknown): ReferenceTables {
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(`docs/experiment.json does not hold experiment tables: ${parsed.error.message}`);
  return parsed.data.tables;
}

export const REFERENCE_TABLES: ReferenceTables = parseReferenceTables(experimentFile);

/** Which teacher and data a run uses, beside its config. */
export interface ReferenceContext {
  config: RunConfig;
  /** The shipped teacher the run starts from (its folder name), null when it trains one here. */
  teacher: string | null;
  /** Training images of the loaded data, when the worker has said. */
  trainCount?: number | null;
}

export interface Reference {
  /** Key of the table in docs/experiment.json. */
  table: string;
  title: string;
  settings: ReferenceTable['settings'];
  /** The shipped teacher's folder name. */
  teacher: string;
  teacherAccuracy: number | null;
  /** Test images each run was measured on (10,000: the whole CIFAR-10 test set). */
  testCount: number | null;
  /** One row per objective with runs, in OBJECTIVES' order; accuracies in percent. */
  rows: ResultRow[];
  /** Every run of those rows, for the exports. */
  runs: RunResult[];
  /** The objective the config's loss weights are, when they are one of OBJECTIVES. */
  current: ObjectiveId | null;
}

const folderName = (p: string) => p.split('/').filter(Boolean).at(-1) ?? p;

const OBJECTIVE_IDS = new Set<string>(OBJECTIVES.map((o) => o.id));

/** The page's dataset for a table's training data: the starter set's folder, or null for full CIFAR-10. */
function datasetOf(trainData: string | null): RunConfig['data'] | null {
  if (trainData === null) return 'cifar10';
  return folderName(trainData) === 'starter' ? 'starter' : null;
}

/** The config a table's runs trained with, up to the loss (which says the objective); null for an unknown preset. */
function tableConfig(settings: ReferenceTable['settings']): RunConfig | null {
  if (!findPreset(settings.preset)) return null;
  const base = presetConfig(settings.preset);
  return {
    ...base,
    optim: {
      ...base.optim,
      steps: settings.steps,
      batch: settings.batch,
      warmupSteps: settings.warmup ?? base.optim.warmupSteps,
      lr: settings.lr ?? base.optim.lr,
    },
  };
}

/** JSON with every object's keys sorted: a config echoed by the worker (zod's key order) equals
 * the same config built from the presets (the field table's order). */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
        )
      : v,
  );
}

const sameJson = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

/**
 * Whether the teacher a table distilled from is the one shipped under its name today: a folder
 * can be replaced by a better teacher (tiny-long used an earlier 49.81% cifar10-tiny), and runs
 * from another teacher are no reference. Accuracies are kept to 4 decimals in both files.
 */
export function teacherStillShipped(table: ReferenceTable): boolean {
  const shipped = PRETRAINED_TEACHERS.find((t) => t.name === folderName(table.settings.teacher));
  if (!shipped) return false;
  return table.teacherAccuracy === undefined || Math.abs(shipped.testAccuracy - table.teacherAccuracy) < 5e-5;
}

/**
 * Whether a config trains what a table measured: the same teacher and student shapes, the
 * same optimizer and schedule (the teacher's own steps aside: the teacher is shipped), the
 * same data and the same shipped teacher (the one shipped today). The seed and backend do not matter: the table is
 * over seeds, and the backends agree (docs/twin.md). The loss picks the row, not the table.
 */
export function matchesTable(table: ReferenceTable, ctx: ReferenceContext): boolean {
  const want = tableConfig(table.settings);
  if (!want) return false;
  const { config } = ctx;
  const optim = (c: RunConfig) => ({ ...c.optim, teacherSteps: 0 });
  if (!sameJson(config.teacher, want.teacher) || !sameJson(config.student, want.student)) return false;
  if (!sameJson(optim(config), optim(want))) return false;
  if (config.data !== datasetOf(table.settings.trainData)) return false;
  if (ctx.teacher !== folderName(table.settings.teacher) || !teacherStillShipped(table)) return false;
  // Full CIFAR-10 is whatever files the person gave: only the whole training set matches.
  const trainCount = table.runs.find((r) => r.trainCount !== undefined)?.trainCount;
  if (config.data === 'cifar10' && ctx.trainCount !== trainCount) return false;
  return true;
}

/**
 * Only the loss settings that change what a run computes: a term's own settings do not matter
 * while its weight is 0 (CE only is CE only at any tau, K or layer pairs).
 */
function effectiveLoss(loss: LossConfig, studentDepth: number, teacherDepth: number) {
  const md = loss.wMd !== 0 && (loss.wIntra !== 0 || loss.wInter !== 0 || loss.wRandom !== 0);
  const pairs = loss.layerPairs.length ? loss.layerPairs : defaultLayerPairs(studentDepth, teacherDepth);
  return {
    wCe: loss.wCe,
    labelSmoothing: loss.wCe !== 0 ? loss.labelSmoothing : null,
    wKd: loss.wKd,
    tau: loss.wKd !== 0 ? loss.tau : null,
    kd: loss.wKd !== 0 ? loss.kd : null,
    wMd: md ? loss.wMd : 0,
    relations: md ? [loss.wIntra, loss.wInter, loss.wRandom, pairs] : null,
    k: md && loss.wRandom !== 0 ? loss.k : null,
  };
}

/** The objective of OBJECTIVES a config's loss is, over a preset's loss settings; null when none. */
export function currentObjective(config: RunConfig, preset: string): ObjectiveId | null {
  if (!findPreset(preset)) return null;
  const base = presetConfig(preset).loss;
  const depth = [config.student.nLayers, config.teacher.nLayers] as const;
  const mine = effectiveLoss(config.loss, ...depth);
  const found = OBJECTIVES.find((o) => sameJson(mine, effectiveLoss({ ...base, ...o.loss }, ...depth)));
  return found?.id ?? null;
}

/**
 * The reference for a config: the first table (screening tables aside) whose settings it
 * trains with and that has runs of the page's objectives; null when there is none.
 */
export function referenceFor(
  ctx: ReferenceContext,
  tables: ReferenceTables = REFERENCE_TABLES,
): Reference | null {
  for (const [name, table] of Object.entries(tables)) {
    if (table.compareTo !== undefined || !matchesTable(table, ctx)) continue;
    const runs: RunResult[] = table.runs
      .filter((r) => OBJECTIVE_IDS.has(r.objective))
      .map((r) => ({
        objective: r.objective as ObjectiveId,
        seed: r.seed,
        testAccuracy: r.testAccuracy,
        trainSeconds: r.trainSeconds ?? Number.NaN,
      }));
    if (runs.length === 0) continue;
    return {
      table: name,
      title: table.title,
      settings: table.settings,
      teacher: folderName(table.settings.teacher),
      teacherAccuracy: table.teacherAccuracy ?? null,
      testCount: table.runs.find((r) => r.count !== undefined)?.count ?? null,
      rows: resultRows(runs),
      runs,
      current: currentObjective(ctx.config, table.settings.preset),
    };
  }
  return null;
}

/**
 * What a table measured, in words, for the panel's "no reference" line: "Default preset on the
 * starter set (preset default, the starter set, teacher cifar10-default, 2,000 steps of 64)".
 */
export function describeTable(table: ReferenceTable): string {
  const { preset, trainData, teacher, steps, batch, warmup, lr } = table.settings;
  const data =
    trainData === null ? 'all 50,000 CIFAR-10 training images' : `the ${folderName(trainData)} set`;
  const extra = [warmup != null && `warmup ${warmup}`, lr != null && `lr ${lr}`].filter(Boolean);
  return `${table.title} (preset ${preset}, ${data}, teacher ${folderName(teacher)}, ${steps.toLocaleString(
    'en-US',
  )} steps of ${batch}${extra.length ? `, ${extra.join(', ')}` : ''})`;
}

/** "56.9% ± 0.4" (percent, one decimal); one seed has no spread: "56.9% (1 seed)". */
export function formatMeanStd(a: Summary, seeds: number): string {
  return seeds > 1 ? `${a.mean.toFixed(1)}% ± ${a.std.toFixed(1)}` : `${a.mean.toFixed(1)}% (1 seed)`;
}

/** Short objective names for the chart's marks. */
const SHORT_TITLES: Record<ObjectiveId, string> = {
  'ce-only': 'CE only',
  'kd-only': 'KD only',
  'kd+all': 'KD + all',
  'kd+intra': 'KD + intra',
  'kd+inter': 'KD + inter',
  'kd+random': 'KD + random',
};

export function shortTitle(id: ObjectiveId): string {
  return SHORT_TITLES[id];
}

/** A horizontal mark on the accuracy chart: where a reference objective ends, as 0..1. */
export interface ReferenceMark {
  objective: ObjectiveId;
  value: number;
  std: number;
  label: string;
}

/**
 * The marks for the test-accuracy chart: the current objective's reference and KD only's (the
 * baseline the relation terms add to), each labelled "reference: KD + all 56.9% ± 0.4".
 */
export function referenceMarks(ref: Reference | null): ReferenceMark[] {
  if (!ref) return [];
  const ids = [...new Set<ObjectiveId>([...(ref.current ? [ref.current] : []), 'kd-only'])];
  return ids.flatMap((id) => {
    const row = ref.rows.find((r) => r.objective === id);
    if (!row) return [];
    const a = row.accuracy;
    return [
      {
        objective: id,
        value: a.mean / 100,
        std: a.std / 100,
        label: `reference: ${shortTitle(id)} ${formatMeanStd(a, row.bySeed.size)}`,
      },
    ];
  });
}

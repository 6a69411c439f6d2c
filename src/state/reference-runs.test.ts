import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../engine/spec/config';
import { applyLayers, type ConfigLayer, presetConfig } from '../engine/spec/presets';
import { referenceRun as run, STARTER_SETTINGS, starterTable } from './reference-fixtures';
import {
  currentObjective,
  describeTable,
  formatMeanStd,
  parseReferenceTables,
  REFERENCE_TABLES,
  type ReferenceTables,
  referenceFor,
  referenceMarks,
  teacherStillShipped,
} from './reference-runs';

/** Made-up figures whose mean and std are plain by hand (see each test). */
const TABLES: ReferenceTables = parseReferenceTables({
  tables: {
    screen: {
      title: 'knobs',
      settings: STARTER_SETTINGS,
      compareTo: 'starter',
      runs: [run('kd+all:k64', 1, 0.9)],
    },
    starter: starterTable([
      run('kd-only', 1, 0.5),
      run('kd-only', 2, 0.52),
      run('kd+all', 1, 0.56),
      run('kd+all', 2, 0.57),
      run('kd+all', 3, 0.58),
      run('ce-only', 1, 0.48),
    ]),
    full: {
      title: 'Default preset on the full training set',
      settings: { ...STARTER_SETTINGS, trainData: null },
      runs: [run('kd-only', 1, 0.6, 50000)],
    },
  },
});

const edited = (layer: ConfigLayer, preset = 'default'): RunConfig =>
  applyLayers(presetConfig(preset), layer);
const ctx = (config: RunConfig, teacher: string | null = 'cifar10-default', trainCount?: number) => ({
  config,
  teacher,
  trainCount,
});

describe('which settings have a reference', () => {
  it('the default run (no hash) has the starter table, with KD + all as its objective; screens are skipped', () => {
    const ref = referenceFor(ctx(presetConfig('default')), TABLES);
    expect(ref?.table).toBe('starter');
    expect(ref?.current).toBe('kd+all');
    expect(ref?.teacherAccuracy).toBe(0.7625);
    expect(ref?.rows.map((r) => r.objective)).toEqual(['ce-only', 'kd-only', 'kd+all']);
  });

  it('the key order does not matter: the worker echoes a config in its schema order', () => {
    const reversed = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).reverse()) as T;
    const config = presetConfig('default');
    const echoed: RunConfig = {
      ...reversed(config),
      teacher: reversed(config.teacher),
      student: reversed(config.student),
      optim: reversed(config.optim),
      loss: reversed(config.loss),
    };
    expect(JSON.stringify(echoed.optim)).not.toBe(JSON.stringify(config.optim));
    expect(referenceFor(ctx(echoed), TABLES)?.table).toBe('starter');
    expect(referenceFor(ctx(echoed), TABLES)?.current).toBe('kd+all');
  });

  it('the seed and the backend do not matter; the model, schedule, data and teacher do', () => {
    expect(referenceFor(ctx(edited({ seed: 9, backend: 'wasm' })), TABLES)?.table).toBe('starter');
    expect(referenceFor(ctx(edited({ optim: { teacherSteps: 50 } })), TABLES)?.table).toBe('starter');
    const none: [string, RunConfig, string | null][] = [
      ['student width', edited({ student: { dModel: 72 } }), 'cifar10-default'],
      ['student depth', edited({ student: { nLayers: 4 } }), 'cifar10-default'],
      ['no distillation token', edited({ student: { distillToken: false } }), 'cifar10-default'],
      ['steps', edited({ optim: { steps: 1000 } }), 'cifar10-default'],
      ['batch', edited({ optim: { batch: 32 } }), 'cifar10-default'],
      ['learning rate', edited({ optim: { lr: 1e-3 } }), 'cifar10-default'],
      ['weight decay', edited({ optim: { weightDecay: 0 } }), 'cifar10-default'],
      ['the built-in shapes', edited({ data: 'synthetic' }), 'cifar10-default'],
      ['a teacher trained here', presetConfig('default'), null],
      ['the tiny preset', presetConfig('tiny'), 'cifar10-tiny'],
    ];
    for (const [what, config, teacher] of none)
      expect(referenceFor(ctx(config, teacher), TABLES), what).toBeNull();
  });

  it('runs distilled from an earlier teacher of the same name are no reference', () => {
    const replaced = parseReferenceTables({
      tables: { starter: { ...TABLES.starter, teacherAccuracy: 0.4981 } },
    });
    expect(referenceFor(ctx(presetConfig('default')), replaced)).toBeNull();
    // The live file's tiny-long table used the earlier 49.81% cifar10-tiny: not today's.
    expect(teacherStillShipped(REFERENCE_TABLES['tiny-long']!)).toBe(false);
    expect(teacherStillShipped(REFERENCE_TABLES['default-starter']!)).toBe(true);
  });

  it('full CIFAR-10 matches only the whole 50,000-image training set', () => {
    const cifar = edited({ data: 'cifar10' });
    expect(referenceFor(ctx(cifar, 'cifar10-default', 50000), TABLES)?.table).toBe('full');
    expect(referenceFor(ctx(cifar, 'cifar10-default', 10000), TABLES)).toBeNull();
    expect(referenceFor(ctx(cifar, 'cifar10-default'), TABLES)).toBeNull();
  });
});

describe('the current objective follows the loss weights', () => {
  it('names each objective of the experiment, from presets or edited weights', () => {
    const cases: [RunConfig, string | null][] = [
      [presetConfig('default'), 'kd+all'],
      [presetConfig('kd-only'), 'kd-only'],
      [presetConfig('ce-only'), 'ce-only'],
      // Manifold weight 0 on the default is KD only, whatever the relation weights say.
      [edited({ loss: { wMd: 0, wIntra: 9 } }), 'kd-only'],
      [edited({ loss: { wInter: 0, wRandom: 0 } }), 'kd+intra'],
      [edited({ loss: { wIntra: 0, wRandom: 0 } }), 'kd+inter'],
      [edited({ loss: { wIntra: 0, wInter: 0 } }), 'kd+random'],
      // CE only at any KD temperature is CE only.
      [edited({ loss: { wCe: 1, wKd: 0, wMd: 0, tau: 4 } }), 'ce-only'],
      // None of them: a different K, tau, layer pairs or a mix of CE and KD.
      [presetConfig('paper'), null],
      [edited({ loss: { tau: 4 } }), null],
      [edited({ loss: { layerPairs: [[5, 5]] } }), null],
      [edited({ loss: { wCe: 1 } }), null],
      [edited({ loss: { wIntra: 16 } }), null],
    ];
    for (const [config, want] of cases)
      expect(currentObjective(config, 'default'), JSON.stringify(config.loss)).toBe(want);
  });

  it('the layer pairs the default picks are the default, written out or not', () => {
    expect(
      currentObjective(
        edited({
          loss: {
            layerPairs: [
              [0, 0],
              [1, 1],
              [4, 4],
              [5, 5],
            ],
          },
        }),
        'default',
      ),
    ).toBe('kd+all');
  });

  it('other loss settings keep the table and drop only the mark', () => {
    const ref = referenceFor(ctx(presetConfig('paper')), TABLES);
    expect(ref?.table).toBe('starter');
    expect(ref?.current).toBeNull();
  });
});

describe('mean ± std and the chart marks', () => {
  it('rows hold each objective’s mean and sample std over its seeds, in percent', () => {
    const ref = referenceFor(ctx(presetConfig('default')), TABLES)!;
    const kdAll = ref.rows.find((r) => r.objective === 'kd+all')!;
    // 56, 57, 58: mean 57, squared deviations 1 + 0 + 1 over n - 1 = 2 -> std 1.
    expect(kdAll.accuracy.mean).toBeCloseTo(57, 10);
    expect(kdAll.accuracy.std).toBeCloseTo(1, 10);
    expect([...kdAll.bySeed.keys()]).toEqual([1, 2, 3]);
    expect(formatMeanStd(kdAll.accuracy, 3)).toBe('57.0% ± 1.0');
    // 50, 52: mean 51, std sqrt((1 + 1) / 1) = 1.414...
    expect(formatMeanStd(ref.rows.find((r) => r.objective === 'kd-only')!.accuracy, 2)).toBe('51.0% ± 1.4');
    expect(formatMeanStd({ mean: 48, std: 0, min: 48, max: 48 }, 1)).toBe('48.0% (1 seed)');
  });

  it('marks the current objective and KD only, once each, as 0..1 accuracies', () => {
    const marks = referenceMarks(referenceFor(ctx(presetConfig('default')), TABLES));
    expect(marks.map((m) => m.label)).toEqual([
      'reference: KD + all 57.0% ± 1.0',
      'reference: KD only 51.0% ± 1.4',
    ]);
    expect(marks[0]!.value).toBeCloseTo(0.57, 10);
    expect(marks[0]!.std).toBeCloseTo(0.01, 10);
    const kdOnly = referenceMarks(referenceFor(ctx(presetConfig('kd-only')), TABLES));
    expect(kdOnly.map((m) => m.objective)).toEqual(['kd-only']);
    // No current objective: KD only still shows where the baseline lands.
    expect(referenceMarks(referenceFor(ctx(presetConfig('paper')), TABLES)).map((m) => m.objective)).toEqual([
      'kd-only',
    ]);
    expect(referenceMarks(null)).toEqual([]);
  });
});

describe('describeTable', () => {
  it('says what a table measured, for the line shown when none matches', () => {
    expect(describeTable(TABLES.starter!)).toBe(
      'Default preset on the starter set (preset default, the starter set, teacher cifar10-default, 2,000 steps of 64, warmup 100)',
    );
    expect(describeTable(TABLES.full!)).toContain('all 50,000 CIFAR-10 training images');
  });
});

describe('docs/experiment.json', () => {
  it('is read whole: the default run’s reference has every run of its table, averaged per objective', () => {
    const raw = JSON.parse(readFileSync(new URL('../../docs/experiment.json', import.meta.url), 'utf8'));
    const runs = raw.tables['default-starter'].runs as { objective: string; testAccuracy: number }[];
    const ref = referenceFor(ctx(presetConfig('default')), REFERENCE_TABLES)!;
    expect(ref.table).toBe('default-starter');
    expect(ref.runs).toHaveLength(runs.length);
    for (const row of ref.rows) {
      const values = runs.filter((r) => r.objective === row.objective).map((r) => 100 * r.testAccuracy);
      // Welford's running mean and variance: a different route to the same figures.
      let mean = 0;
      let m2 = 0;
      values.forEach((v, i) => {
        const d = v - mean;
        mean += d / (i + 1);
        m2 += d * (v - mean);
      });
      expect(row.accuracy.mean).toBeCloseTo(mean, 9);
      expect(row.accuracy.std).toBeCloseTo(values.length > 1 ? Math.sqrt(m2 / (values.length - 1)) : 0, 9);
    }
  });

  it('a malformed file is refused with a message naming it', () => {
    expect(() => parseReferenceTables({ tables: { t: { title: 'x', runs: [] } } })).toThrow(
      /docs\/experiment\.json/,
    );
    expect(() => parseReferenceTables([])).toThrow(/experiment tables/);
  });
});

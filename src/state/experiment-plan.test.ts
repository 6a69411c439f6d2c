import { describe, expect, it } from 'vitest';
import {
  experimentProblems,
  experimentQueue,
  formatAccuracy,
  formatVsKdOnly,
  parseSeeds,
  type RunResult,
  resultRows,
  resultsCsv,
  resultsMarkdown,
} from './experiment-plan';

// The reference: docs/EXPERIMENT.md, written by tools/torch/experiment.py (Python's statistics
// module). Its per-seed accuracies and the summary cells it printed for them.
const PER_SEED: Record<string, [number, number, number]> = {
  'ce-only': [24.9, 24.99, 25.23],
  'kd-only': [27.57, 27.52, 27.9],
  'kd+all': [30.14, 28.07, 28.78],
};
const PRINTED = [
  { title: 'CE only', accuracy: '25.04% ± 0.17 (24.90–25.23)', vs: '-2.62' },
  { title: 'KD only', accuracy: '27.66% ± 0.21 (27.52–27.90)', vs: '+0.00' },
  { title: 'KD + intra + inter + random', accuracy: '29.00% ± 1.05 (28.07–30.14)', vs: '+1.33' },
];

const results: RunResult[] = Object.entries(PER_SEED).flatMap(([objective, accs]) =>
  accs.map((a, i) => ({
    objective: objective as RunResult['objective'],
    seed: i + 1,
    testAccuracy: a / 100,
    trainSeconds: 80,
  })),
);

describe('resultRows', () => {
  it('reproduces the Python tool’s mean ± std (min–max) and difference from KD only', () => {
    const rows = resultRows(results);
    expect(
      rows.map((r) => ({
        title: r.title,
        accuracy: formatAccuracy(r.accuracy),
        vs: formatVsKdOnly(r.vsKdOnly),
      })),
    ).toEqual(PRINTED);
  });

  it('has no difference column without a KD-only result', () => {
    const rows = resultRows(results.filter((r) => r.objective !== 'kd-only'));
    expect(rows.every((r) => r.vsKdOnly === null)).toBe(true);
  });
});

describe('exports', () => {
  it('Markdown has the table of docs/EXPERIMENT.md, one line per objective', () => {
    const md = resultsMarkdown(resultRows(results)).trim().split('\n');
    expect(md[0]).toBe(
      '| objective | test accuracy, mean ± std (min–max) | vs KD only | train time per run |',
    );
    expect(md).toHaveLength(2 + PRINTED.length);
    for (const [i, p] of PRINTED.entries())
      expect(md[2 + i]).toBe(`| ${p.title} | ${p.accuracy} | ${p.vs} | 80 s |`);
  });

  it('CSV has one line per run with its objective, seed and accuracy in percent', () => {
    const lines = resultsCsv(results).trim().split('\n');
    expect(lines[0]).toBe('objective,title,seed,test_accuracy_percent,train_seconds,source');
    expect(lines).toHaveLength(1 + results.length);
    expect(lines).toContain('kd+all,KD + intra + inter + random,2,28.0700,80.0,own');
  });

  it('marks reference runs as such in both exports, after the runs made here', () => {
    const reference = [
      { objective: 'kd-only' as const, seed: 7, testAccuracy: 0.5, trainSeconds: Number.NaN },
    ];
    const lines = resultsCsv(results, reference).trim().split('\n');
    expect(lines).toHaveLength(2 + results.length);
    expect(lines.at(-1)).toBe('kd-only,KD only,7,50.0000,,reference');
    expect(lines.filter((l) => l.endsWith(',own'))).toHaveLength(results.length);

    const md = resultsMarkdown(resultRows(results), {
      source: 'PyTorch twin',
      rows: resultRows(reference),
      runs: reference,
    }).trim();
    const [own, ref] = md.split('Reference runs (PyTorch twin):');
    expect(own!.trim().split('\n')).toHaveLength(2 + PRINTED.length);
    expect(own).not.toContain('(reference)');
    expect(ref!.trim().split('\n').at(-1)).toMatch(/^\| KD only \(reference\) \| 50\.00% ± 0\.00 /);
    // Only the reference: no empty table of one's own above it.
    expect(resultsMarkdown([], { source: 'x', rows: resultRows(reference), runs: reference })).toMatch(
      /^Reference runs \(x\):/,
    );
  });
});

describe('experimentQueue', () => {
  it('runs every objective of a seed before the next seed, in the tool’s objective order', () => {
    expect(experimentQueue({ objectives: ['kd+all', 'kd-only'], seeds: [3, 1], steps: 10 })).toEqual([
      { objective: 'kd-only', seed: 3 },
      { objective: 'kd+all', seed: 3 },
      { objective: 'kd-only', seed: 1 },
      { objective: 'kd+all', seed: 1 },
    ]);
  });

  it('says what to fix in a definition that cannot run', () => {
    expect(experimentProblems({ objectives: ['kd-only'], seeds: [1, 2], steps: 10 })).toEqual([]);
    expect(experimentProblems({ objectives: [], seeds: [1, 1], steps: 0 })).toEqual([
      'Choose at least one objective.',
      'Each seed once: remove the repeated seed.',
      'Steps per run must be a whole number from 1 up.',
    ]);
    expect(parseSeeds('1, 2 3')).toEqual([1, 2, 3]);
    expect(parseSeeds('1, two')).toBeNull();
  });
});

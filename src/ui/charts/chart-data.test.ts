import { describe, expect, it } from 'vitest';
import {
  buildChartData,
  ghostField,
  lastFinite,
  type MetricRow,
  nearestIndex,
  rawField,
  smoothField,
} from './chart-data';
import { formatValue, slugify } from './format';

const rowsOf = (n: number, f: (i: number) => Partial<MetricRow>): MetricRow[] =>
  Array.from({ length: n }, (_, i) => ({ step: i, ...f(i) }));

describe('buildChartData', () => {
  it('smooths each series over all rows and counts its finite points', () => {
    const rows = rowsOf(3, (i) => ({ ce: i + 1, kd: i === 1 ? Number.NaN : 2 }));
    const data = buildChartData(rows, ['ce', 'kd', 'intra'], 0.5, false, []);
    expect(data.traces.map((t) => t.finiteCount)).toEqual([3, 2, 0]);
    expect(data.traces[0]!.smoothed[2]).toBeCloseTo(17 / 7, 12);
    expect(data.points).toHaveLength(3);
    expect(data.points[1]![rawField(1)]).toBeUndefined();
    expect(data.points[2]![smoothField(1)]).toBeCloseTo(2, 12);
    expect(data.points[0]![smoothField(2)]).toBeUndefined();
  });

  it('thins thousands of rows to the limit but keeps the last one', () => {
    const rows = rowsOf(5000, (i) => ({ ce: 1 / (i + 1) }));
    const data = buildChartData(rows, ['ce'], 0.9, false, [], 1500);
    expect(data.points.length).toBeLessThanOrEqual(1500);
    expect(data.points.at(-1)!.step).toBe(4999);
    expect(data.traces[0]!.finiteCount).toBe(5000);
    expect(data.traces[0]!.smoothed).toHaveLength(5000);
  });

  it('drops non-positive values on a log axis', () => {
    const rows = rowsOf(3, (i) => ({ ce: i - 1 }));
    const data = buildChartData(rows, ['ce'], 0, true, []);
    expect(data.points.map((p) => p[rawField(0)])).toEqual([undefined, undefined, 1]);
    expect(data.traces[0]!.drawnCount).toBe(1);
  });

  it('merges earlier runs in by step', () => {
    const rows = rowsOf(2, () => ({ ce: 1 }));
    const ghost = {
      label: 'wIntra 4→0',
      rows: [
        { step: 1, ce: 3 },
        { step: 5, ce: 3 },
      ],
    };
    const data = buildChartData(rows, ['ce'], 0, false, [ghost]);
    expect(data.points.map((p) => p.step)).toEqual([0, 1, 5]);
    expect(data.points[1]![ghostField(0, 0)]).toBe(3);
    expect(data.points[2]![smoothField(0)]).toBeUndefined();
  });
});

describe('chart helpers', () => {
  it('finds the nearest step', () => {
    expect(nearestIndex([], 3)).toBe(-1);
    expect(nearestIndex([0, 10, 20], 14)).toBe(1);
    expect(nearestIndex([0, 10, 20], 16)).toBe(2);
    expect(nearestIndex([0, 10, 20], 99)).toBe(2);
  });

  it('finds the last finite smoothed value', () => {
    const data = buildChartData(
      rowsOf(3, (i) => ({ ce: i === 2 ? Number.NaN : 4 })),
      ['ce'],
      0,
      false,
      [],
    );
    expect(lastFinite(data.traces[0]!, data.steps)).toEqual({ step: 1, value: 4 });
  });

  it('formats values and slugs titles', () => {
    expect(formatValue(0.123456)).toBe('0.1235');
    expect(formatValue(12345)).toBe('1.23e+4');
    expect(formatValue(Number.NaN)).toBe('NaN');
    expect(slugify('Loss terms (train)')).toBe('loss-terms-train');
  });
});

import { describe, expect, it } from 'vitest';
import {
  buildChartData,
  ChartDataBuilder,
  ghostField,
  lastFinite,
  type MetricRow,
  nearestIndex,
  rawField,
  smoothField,
} from './chart-data';
import { formatStep, formatValue, slugify } from './format';

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
    const data = buildChartData(rows, ['ce'], 0.9, false, [], { maxPoints: 1500 });
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
    expect([0, 2500, 9999, 10_000, 12_500, 150_000, 1_250_000].map(formatStep)).toEqual([
      '0',
      '2500',
      '9999',
      '10k',
      '12.5k',
      '150k',
      '1.25M',
    ]);
    expect(slugify('Loss terms (train)')).toBe('loss-terms-train');
  });
});

describe('buildChartData axes', () => {
  it('spans the drawn steps and every value, raw, smoothed and earlier runs', () => {
    const rows = rowsOf(5, (i) => ({ ce: [2.2, 1.1, 0.4, 0.9, 0.6][i] }));
    const ghost = { label: 'earlier', rows: [{ step: 6, ce: 3.6 }] };
    const data = buildChartData(rows, ['ce'], 0.5, false, [ghost]);
    // Steps 0..6 (the ghost's last step included); values 0.4..3.6 -> step 1 on the 1-2-5 ladder.
    expect(data.x?.domain).toEqual([0, 6]);
    expect(data.y).toEqual({ domain: [0, 4], ticks: [0, 1, 2, 3, 4] });
  });

  it('keeps the axes while a run grows: steps to the planned total, values from 0 over every row', () => {
    // 40 of 300 planned steps; one spike in a row that thinning to 100 points does not draw.
    const rows = rowsOf(1000, (i) => ({ ce: i === 3 ? 9 : 1 + i / 1000 }));
    const data = buildChartData(rows, ['ce'], 0, false, [], { maxPoints: 100, stepsTotal: 300 });
    expect(data.points.some((p) => p.step === 3)).toBe(false);
    expect(data.y).toEqual({ domain: [0, 10], ticks: [0, 2, 4, 6, 8, 10] });
    // More steps than planned (a resumed run) still fit.
    expect(data.x).toEqual({ domain: [0, 1000], ticks: [0, 200, 400, 600, 800, 1000] });
    const early = buildChartData(rows.slice(0, 40), ['ce'], 0, false, [], { stepsTotal: 300 });
    expect(early.x).toEqual({ domain: [0, 300], ticks: [0, 100, 200, 300] });
    // Before the first row the step axis is already the one the rows will get; without a plan
    // there is no axis yet.
    expect(buildChartData([], ['ce'], 0, false, [], { stepsTotal: 300 }).x).toEqual(early.x);
    expect(buildChartData([], ['ce'], 0, false, []).x).toBeUndefined();
    // Negative values extend the axis below 0; a fixed range overrides the values.
    const signed = buildChartData(
      rowsOf(3, (i) => ({ ce: i - 2.5 })),
      ['ce'],
      0,
      false,
      [],
    );
    expect(signed.y?.domain).toEqual([-2.5, 0]);
    const fixed = buildChartData(rows, ['ce'], 0, false, [], { yRange: [0, 1] });
    expect(fixed.y?.ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('uses a log ladder on a log axis and has no axes without data', () => {
    const rows = rowsOf(3, (i) => ({ ce: [0.03, 0.5, 2.3][i] }));
    expect(buildChartData(rows, ['ce'], 0, true, []).y?.domain).toEqual([0.02, 5]);
    const empty = buildChartData(
      rowsOf(2, () => ({ ce: Number.NaN })),
      ['ce'],
      0,
      false,
      [],
    );
    expect(empty.y).toBeUndefined();
    expect(buildChartData([], ['ce'], 0, false, []).x).toBeUndefined();
  });
});

describe('ChartDataBuilder', () => {
  // The reference is a fresh build from all rows (itself checked against hand-computed values above).
  const plain = (d: ReturnType<typeof buildChartData>) => JSON.parse(JSON.stringify(d));

  it('extends its series as rows are appended and matches a fresh build after every redraw', () => {
    let seed = 11;
    const rand = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const builder = new ChartDataBuilder();
    const ghost = { label: 'earlier', rows: rowsOf(300, (i) => ({ ce: 3 / (i + 1), kd: 1 })) };
    let rows: MetricRow[] = [];
    let keys = ['ce', 'kd'];
    let smoothing = 0.6;
    for (let redraw = 0; redraw < 40; redraw++) {
      const more = rowsOf(1 + Math.floor(rand() * 60), (i) => ({
        step: rows.length + i,
        ce: rand() < 0.05 ? Number.NaN : 2 + rand(),
        kd: rand(),
        intra: rand() < 0.5 ? undefined : rand(),
      }));
      rows = rows.concat(more); // as the store appends: the old row objects are kept
      if (redraw === 10) smoothing = 0.9;
      if (redraw === 20) keys = ['ce', 'kd', 'intra'];
      if (redraw === 30) rows = rows.filter((_, i) => i % 2 === 0); // the store thinning a long run
      if (redraw === 35) rows = rows.map((r) => ({ ...r, ce: 5 })); // a new run as long as the last
      const ghosts = redraw >= 25 ? [ghost] : [];
      const log = redraw % 7 === 0;
      const got = builder.build(rows, keys, smoothing, log, ghosts, { maxPoints: 200 });
      expect(plain(got)).toEqual(
        plain(buildChartData(rows, keys, smoothing, log, ghosts, { maxPoints: 200 })),
      );
    }
  });
});

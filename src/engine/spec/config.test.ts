import { describe, expect, it } from 'vitest';
import { countParameters } from '../vit';
import {
  DEFAULT_CONFIG,
  DEFAULT_LOSS,
  DEFAULT_STUDENT,
  DEFAULT_TEACHER,
  defaultLayerPairs,
  effectiveLayerPairs,
  type LayerPair,
  patchCount,
  prefixTokenCount,
  type RunConfig,
  type VitConfig,
  vitConfigProblems,
} from './config';
import { numberLimits, runConfigSchema } from './config-schema';

describe('defaultLayerPairs', () => {
  it('gives the official DeiT-Tiny (12) <- CaiT-S24 (24) pairs: the first four with the first four, the last four with the last four', () => {
    expect(defaultLayerPairs(12, 24)).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
      [8, 20],
      [9, 21],
      [10, 22],
      [11, 23],
    ]);
  });

  const depths: [number, number][] = [];
  for (let s = 1; s <= 14; s++) for (const t of [1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 24, 32]) depths.push([s, t]);

  it('keeps every pair in range and strictly increasing on both sides, for many depth pairs', () => {
    for (const [s, t] of depths) {
      const pairs = defaultLayerPairs(s, t);
      const where = `student ${s}, teacher ${t}: ${JSON.stringify(pairs)}`;
      expect(pairs.length, where).toBeGreaterThan(0);
      expect(pairs.length, where).toBeLessThanOrEqual(Math.min(s, t));
      for (const [a, b] of pairs) {
        expect(Number.isInteger(a) && a >= 0 && a < s, where).toBe(true);
        expect(Number.isInteger(b) && b >= 0 && b < t, where).toBe(true);
      }
      for (let i = 1; i < pairs.length; i++) {
        expect(pairs[i]![0] > pairs[i - 1]![0], where).toBe(true);
        expect(pairs[i]![1] > pairs[i - 1]![1], where).toBe(true);
      }
    }
  });

  it('pairs early blocks with early blocks and late with late, about as many at each end, first with first and last with last', () => {
    const early = (index: number, depth: number) => index < depth / 2;
    for (const [s, t] of depths) {
      const pairs = defaultLayerPairs(s, t);
      const where = `student ${s}, teacher ${t}: ${JSON.stringify(pairs)}`;
      for (const [a, b] of pairs) expect(early(a, s), where).toBe(early(b, t));
      const nEarly = pairs.filter(([a]) => early(a, s)).length;
      expect(Math.abs(nEarly - (pairs.length - nEarly)), where).toBeLessThanOrEqual(1);
      expect(pairs[0], where).toEqual([0, 0]);
      if (pairs.length >= 2) expect(pairs.at(-1), where).toEqual([s - 1, t - 1]);
    }
  });

  it('treats student and teacher alike: swapping the depths swaps each pair', () => {
    for (const [s, t] of depths) {
      const swapped = defaultLayerPairs(t, s).map(([a, b]): LayerPair => [b, a]);
      expect(swapped, `student ${s}, teacher ${t}`).toEqual(defaultLayerPairs(s, t));
    }
  });
});

describe('effectiveLayerPairs', () => {
  it('uses the configured pairs when there are any, the default pairs otherwise', () => {
    const student = { ...DEFAULT_STUDENT, nLayers: 12 };
    const teacher = { ...DEFAULT_TEACHER, nLayers: 24 };
    const custom: LayerPair[] = [
      [2, 5],
      [11, 23],
    ];
    expect(effectiveLayerPairs({ ...DEFAULT_LOSS, layerPairs: custom }, student, teacher)).toEqual(custom);
    expect(effectiveLayerPairs({ ...DEFAULT_LOSS, layerPairs: [] }, student, teacher)).toEqual(
      defaultLayerPairs(12, 24),
    );
  });
});

describe('vitConfigProblems', () => {
  const valid: VitConfig = {
    imageSize: 32,
    patchSize: 4,
    channels: 3,
    dModel: 64,
    nLayers: 4,
    nHeads: 4,
    mlpRatio: 4,
    numClasses: 10,
    distillToken: true,
  };

  it('finds nothing wrong with a valid config or with the defaults', () => {
    expect(vitConfigProblems(valid)).toEqual([]);
    expect(vitConfigProblems({ ...valid, mlpRatio: 0.5 })).toEqual([]);
    expect(vitConfigProblems(DEFAULT_CONFIG.teacher)).toEqual([]);
    expect(vitConfigProblems(DEFAULT_CONFIG.student)).toEqual([]);
  });

  const positiveIntegers = [
    'imageSize',
    'patchSize',
    'channels',
    'dModel',
    'nLayers',
    'nHeads',
    'numClasses',
  ] as const;
  for (const key of positiveIntegers) {
    it(`rejects a ${key} that is zero, negative, fractional or not a number, naming ${key} and the role`, () => {
      for (const bad of [0, -2, 2.5, Number.NaN]) {
        const problems = vitConfigProblems({ ...valid, [key]: bad }, 'student');
        expect(problems.length, `${key} = ${bad}`).toBeGreaterThan(0);
        expect(problems.join(' '), `${key} = ${bad}`).toContain(key);
        expect(problems.join(' '), `${key} = ${bad}`).toContain('student');
      }
    });
  }

  it('rejects an imageSize that is not a multiple of patchSize, naming both values', () => {
    const problems = vitConfigProblems({ ...valid, imageSize: 30, patchSize: 4 });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/imageSize 30.*patchSize 4/);
  });

  it('rejects a dModel that is not a multiple of nHeads, naming both values', () => {
    const problems = vitConfigProblems({ ...valid, dModel: 30, nHeads: 4 });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/dModel 30.*nHeads 4/);
  });

  it('rejects an mlpRatio that is not positive or gives a fractional MLP width', () => {
    for (const mlpRatio of [0, -1, Number.NaN, 1.3]) {
      const problems = vitConfigProblems({ ...valid, mlpRatio });
      expect(problems, `mlpRatio ${mlpRatio}`).toHaveLength(1);
      expect(problems[0], `mlpRatio ${mlpRatio}`).toContain('mlpRatio');
    }
  });

  it('reports every independent problem at once', () => {
    const problems = vitConfigProblems({ ...valid, imageSize: 30, dModel: 30 });
    expect(problems).toHaveLength(2);
  });
});

describe('default configuration', () => {
  it('has 64 patch tokens per 32x32 image, one prefix token for the teacher and two for the student', () => {
    expect(patchCount(DEFAULT_TEACHER)).toBe(64);
    expect(prefixTokenCount(DEFAULT_TEACHER)).toBe(1);
    expect(prefixTokenCount(DEFAULT_STUDENT)).toBe(2);
  });

  it('samples no more tokens than a batch holds, and the student has about a quarter of the teacher parameters', () => {
    const { loss, optim, student, teacher } = DEFAULT_CONFIG;
    expect(loss.k).toBeLessThanOrEqual(optim.batch * patchCount(student));
    const ratio = countParameters(student) / countParameters(teacher);
    expect(ratio).toBeGreaterThan(0.2);
    expect(ratio).toBeLessThan(0.3);
  });
});

describe('numberLimits', () => {
  const paths = [
    'seed',
    'teacher.dModel',
    'student.mlpRatio',
    'loss.wCe',
    'loss.wIntra',
    'loss.tau',
    'loss.k',
    'optim.lr',
    'optim.batch',
    'optim.steps',
  ] as const;

  it.each(paths)('gives for %s exactly the range a config passes validation in', (path) => {
    const { min, max, integer } = numberLimits(path);
    const withValue = (v: number): RunConfig => {
      const [head, leaf] = path.split('.') as [keyof RunConfig, string | undefined];
      if (leaf === undefined) return { ...DEFAULT_CONFIG, [head]: v };
      return { ...DEFAULT_CONFIG, [head]: { ...(DEFAULT_CONFIG[head] as object), [leaf]: v } };
    };
    const valid = (v: number) => runConfigSchema.safeParse(withValue(v)).success;
    expect(valid(min)).toBe(true);
    expect(valid(max)).toBe(true);
    expect(valid(min - Math.max(1, Math.abs(min)) * 0.01)).toBe(false);
    expect(valid(max + Math.max(1, Math.abs(max)) * 0.01)).toBe(false);
    expect(valid(min + 0.5)).toBe(!integer);
  });

  it('refuses a field that is not a bounded number', () => {
    expect(() => numberLimits('loss.kd' as 'loss.k')).toThrow(
      'loss.kd is not a bounded number in the field table.',
    );
  });
});

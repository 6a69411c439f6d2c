import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from './config';
import { runConfigProblems, runConfigSchema } from './config-schema';
import { FIELDS, fieldAt, numberInput } from './fields';
import { formatLayerPairs, parseLayerPairs } from './layer-pairs';
import { PRESETS, presetConfig } from './presets';

/** Every leaf path of an object, e.g. 'loss.wIntra'. */
function leaves(obj: object, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v) ? leaves(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

describe('the field table', () => {
  it('declares every config leaf exactly once', () => {
    const declared = FIELDS.flatMap((f) => f.paths);
    expect(new Set(declared).size).toBe(declared.length);
    expect([...declared].sort()).toEqual(leaves(DEFAULT_CONFIG).sort());
  });

  it('gives defaults that the schema accepts and that make a valid run', () => {
    expect(runConfigSchema.safeParse(DEFAULT_CONFIG).success).toBe(true);
    expect(runConfigProblems(DEFAULT_CONFIG)).toEqual([]);
    for (const p of PRESETS) expect(runConfigProblems(presetConfig(p.name)), p.name).toEqual([]);
  });

  it('keeps each number default inside its own bounds, and the schema enforces those bounds', () => {
    for (const field of FIELDS) {
      if (field.kind !== 'int' && field.kind !== 'number') continue;
      expect(field.default, field.paths[0]).toBeGreaterThanOrEqual(field.min);
      expect(field.default, field.paths[0]).toBeLessThanOrEqual(field.max);
      const [head, leaf] = field.paths[0]!.split('.') as [keyof typeof DEFAULT_CONFIG, string];
      const over = leaf
        ? { ...DEFAULT_CONFIG, [head]: { ...(DEFAULT_CONFIG[head] as object), [leaf]: field.max * 2 + 1 } }
        : { ...DEFAULT_CONFIG, [head]: field.max * 2 + 1 };
      expect(runConfigSchema.safeParse(over).success, field.paths[0]).toBe(false);
    }
  });

  it('gives each share-link key and each label once', () => {
    const keys = FIELDS.flatMap((f) => (f.key ? [f.key] : []));
    expect(new Set(keys).size).toBe(keys.length);
    const labels = FIELDS.map((f) => f.label);
    expect(new Set(labels).size).toBe(labels.length - 1); // the two models' distillation token share one
  });

  it('names the weight inputs as the interfaces document fixes them', () => {
    const labels = ['wCe', 'wKd', 'wMd', 'wIntra', 'wInter', 'wRandom'].map(
      (k) => numberInput(`loss.${k}`).label,
    );
    // ../shared/docs/interfaces.md, "Accessible names".
    expect(labels).toEqual([
      'CE weight',
      'KD weight',
      'Manifold weight',
      'Intra-image weight',
      'Inter-image weight',
      'Random-sampled weight',
    ]);
    expect(fieldAt('loss.kd').kind).toBe('enum');
  });
});

describe('layer pairs as text', () => {
  it('round-trips and reads the older forms', () => {
    const pairs: [number, number][] = [
      [0, 0],
      [1, 2],
      [5, 11],
    ];
    expect(parseLayerPairs(formatLayerPairs(pairs))).toEqual({ ok: true, value: pairs });
    expect(parseLayerPairs('0:0 1:2, 5:11')).toEqual({ ok: true, value: pairs });
    expect(parseLayerPairs('0-0.1-2,5-11')).toEqual({ ok: true, value: pairs });
    expect(parseLayerPairs('auto')).toEqual({ ok: true, value: [] });
    expect(parseLayerPairs('')).toEqual({ ok: true, value: [] });
    expect(formatLayerPairs([])).toBe('auto');
    const bad = parseLayerPairs('0-0_x');
    expect(bad.ok).toBe(false);
  });
});

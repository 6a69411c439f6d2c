/**
 * The share URL's keys: KEY_SPECS, derived from the field table (engine/spec/fields.ts), maps each
 * hash key to RunConfig dot paths and a codec; plus the link version and the migrations of older links. url-codec.ts reads and
 * writes hashes with it; docs/share-links.md is generated from it (npm run docs).
 */
import type { LayerPair, RunConfig } from '../engine/spec/config';
import { FIELDS, type FieldSpec } from '../engine/spec/fields';
import { formatLayerPairs, parseLayerPairs } from '../engine/spec/layer-pairs';
import { PRESET_NAMES } from '../engine/spec/presets';
import { type ExperimentDefinition, OBJECTIVES, type ObjectiveId } from './experiment-plan';

/** The version this code writes; bump it (and add a migration) when a key changes meaning. */
export const CURRENT_VERSION = 1;

/** A dot path to one leaf of RunConfig, e.g. 'optim.lr'. */
export type ConfigPath = {
  [K in keyof RunConfig]: RunConfig[K] extends object ? `${K}.${keyof RunConfig[K] & string}` : K;
}[keyof RunConfig];

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Turns one hash value into a typed value and back. */
export interface Codec<T> {
  /** How the value is written, for the docs (e.g. 'number', 'soft | hard'). */
  type: string;
  parse(raw: string): Parsed<T>;
  format(value: T): string;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Any finite decimal number; written as String(n) without a '+' (which some tools read as a space). */
export const numberCodec: Codec<number> = {
  type: 'number',
  parse(raw) {
    const n = Number(raw);
    if (!DECIMAL.test(raw) || !Number.isFinite(n)) return { ok: false, reason: 'not a number' };
    return { ok: true, value: n };
  },
  format: (n) => String(n).replace('e+', 'e'),
};

export const intCodec: Codec<number> = {
  type: 'integer',
  parse(raw) {
    const parsed = numberCodec.parse(raw);
    if (!parsed.ok) return parsed;
    if (!Number.isInteger(parsed.value)) return { ok: false, reason: 'not a whole number' };
    return parsed;
  },
  format: numberCodec.format,
};

/** Written as true / false; 1 / 0 are read too. */
export const boolCodec: Codec<boolean> = {
  type: 'true | false',
  parse(raw) {
    if (raw === 'true' || raw === '1') return { ok: true, value: true };
    if (raw === 'false' || raw === '0') return { ok: true, value: false };
    return { ok: false, reason: 'not true or false' };
  },
  format: (b) => String(b),
};

export function enumCodec<T extends string>(names: readonly T[]): Codec<T> {
  return {
    type: names.join(' | '),
    parse(raw) {
      if ((names as readonly string[]).includes(raw)) return { ok: true, value: raw as T };
      return { ok: false, reason: `not one of ${names.join(', ')}` };
    },
    format: (v) => v,
  };
}

/** Layer pairs in the one text form of spec/layer-pairs.ts, which also reads the older forms. */
export const pairsCodec: Codec<LayerPair[]> = {
  type: 'student-teacher pairs joined by _, or auto',
  parse: parseLayerPairs,
  format: formatLayerPairs,
};

/** One row of the table: a hash key, the config leaves it sets, its codec and what it means. */
export interface KeySpec {
  key: string;
  /** Usually one; `patch` sets both models' patchSize, which must be equal. Read from the first. */
  paths: readonly ConfigPath[];
  codec: Codec<unknown>;
  description: string;
}

function codecFor(field: FieldSpec): Codec<unknown> {
  switch (field.kind) {
    case 'int':
      return intCodec as Codec<unknown>;
    case 'number':
      return numberCodec as Codec<unknown>;
    case 'bool':
      return boolCodec as Codec<unknown>;
    case 'enum':
      return enumCodec(field.options.map((o) => o.value)) as Codec<unknown>;
    case 'preset':
      return enumCodec(PRESET_NAMES) as Codec<unknown>;
    case 'pairs':
      return pairsCodec as Codec<unknown>;
  }
}

/**
 * Every key a share URL may hold besides `v`, in the order they are written: the field table's
 * (spec/fields.ts) keyed rows, in its order. Keys that depend on others (pairs, k, warmup) come
 * after them, so that conflict repair, which reverts keys from the end, gives up the dependent
 * setting first.
 */
export const KEY_SPECS: readonly KeySpec[] = FIELDS.flatMap((field) =>
  field.key
    ? [
        {
          key: field.key,
          paths: field.paths as ConfigPath[],
          codec: codecFor(field),
          description: field.help,
        },
      ]
    : [],
);

/**
 * An objective in a link: its id with '+' written as '-' (kd+all → kd-all), since some tools
 * read a '+' in a URL as a space. Reading takes either.
 */
const objectiveInLink = (id: ObjectiveId) => id.replace('+', '-');

/** Experiment objectives joined by `_` (kd-only_kd-all), each once, in the panel's order. */
export const objectivesCodec: Codec<ObjectiveId[]> = {
  type: `objectives joined by _: ${OBJECTIVES.map((o) => objectiveInLink(o.id)).join(', ')}`,
  parse(raw) {
    const parts = raw.split(/[_,]/).filter(Boolean);
    if (parts.length === 0) return { ok: false, reason: 'no objective: name at least one' };
    const ids = new Set<ObjectiveId>();
    for (const part of parts) {
      const found = OBJECTIVES.find((o) => o.id === part || objectiveInLink(o.id) === part);
      if (!found)
        return {
          ok: false,
          reason: `'${part}' is not an objective; use ${OBJECTIVES.map((o) => objectiveInLink(o.id)).join(', ')}`,
        };
      ids.add(found.id);
    }
    return { ok: true, value: OBJECTIVES.map((o) => o.id).filter((id) => ids.has(id)) };
  },
  format: (ids) => ids.map(objectiveInLink).join('_'),
};

/** Seeds joined by `_` (1_2_3), each a whole number once; the range is the config's seed's. */
export const seedsCodec: Codec<number[]> = {
  type: 'whole numbers joined by _',
  parse(raw) {
    const parts = raw.split(/[_,]/).filter(Boolean);
    if (parts.length === 0) return { ok: false, reason: 'no seed: give at least one, e.g. 1_2_3' };
    const seeds: number[] = [];
    for (const part of parts) {
      if (!/^\d+$/.test(part)) return { ok: false, reason: `'${part}' is not a whole number` };
      const seed = Number(part);
      if (seeds.includes(seed))
        return { ok: false, reason: `seed ${seed} appears twice; give each seed once` };
      seeds.push(seed);
    }
    return { ok: true, value: seeds };
  },
  format: (seeds) => seeds.join('_'),
};

/**
 * The Experiment panel's form: what a link fills it with (it never starts the experiment, and
 * results never go in a link).
 */
export interface ExperimentKeySpec {
  key: string;
  field: keyof ExperimentDefinition;
  codec: Codec<unknown>;
  /** The config leaf whose range each value (each seed) must be in. */
  range?: ConfigPath;
  description: string;
}

export const EXPERIMENT_KEY_SPECS: readonly ExperimentKeySpec[] = [
  {
    key: 'expObjectives',
    field: 'objectives',
    codec: objectivesCodec as Codec<unknown>,
    description: 'Experiment panel: the objectives to compare (default ce-only_kd-only_kd-all)',
  },
  {
    key: 'expSeeds',
    field: 'seeds',
    codec: seedsCodec as Codec<unknown>,
    range: 'seed',
    description: 'Experiment panel: the seeds, each run for every objective (default 1_2_3)',
  },
  {
    key: 'expSteps',
    field: 'steps',
    codec: intCodec as Codec<unknown>,
    range: 'optim.steps',
    description: 'Experiment panel: student steps per run (default: steps)',
  },
];

/** For the README: every key, the config path(s) it sets, how it is written and what it means. */
export const URL_KEYS: readonly { key: string; path: string; type: string; description: string }[] = [
  {
    key: 'v',
    path: '(link version)',
    type: 'integer',
    description: `Version of the link format; this build writes ${CURRENT_VERSION} and migrates older links`,
  },
  ...KEY_SPECS.map((s) => ({
    key: s.key,
    path: s.paths.join(' + '),
    type: s.codec.type,
    description: s.description,
  })),
  ...EXPERIMENT_KEY_SPECS.map((s) => ({
    key: s.key,
    path: `experiment.${s.field}`,
    type: s.codec.type,
    description: s.description,
  })),
];

// ---------------------------------------------------------------------------------------
// Versions

/** A link's keys and values in order, before they are interpreted. */
export type RawParams = [key: string, value: string][];

/**
 * MIGRATIONS[n] turns a version-n link into a version-(n+1) link by rewriting its raw keys and
 * values; reading applies them in turn from the link's version up to CURRENT_VERSION. When a
 * key is renamed or changes meaning, bump CURRENT_VERSION and add the step here (with a test).
 */
export const MIGRATIONS: Record<number, (params: RawParams) => RawParams> = {
  // v0 named the KD and manifold weights after the official code's --distillation-alpha and
  // --distillation-beta; v1 calls them wKd and wMd, like the loss they weigh.
  0: (params) =>
    params.map(([k, v]): [string, string] => [k === 'alpha' ? 'wKd' : k === 'beta' ? 'wMd' : k, v]),
};

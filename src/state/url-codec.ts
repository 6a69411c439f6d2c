/**
 * The share URL: a RunConfig as `#v=1&preset=…&seed=…&key=value…` and back. Pure (no DOM),
 * so it runs in Node tests; the browser side lives in url-sync.ts.
 *
 * - One table (KEY_SPECS) maps each hash key to RunConfig dot paths and a codec. Enum values
 *   go in by name, numbers as `String(n)` (5e-4 → `0.0005`, 1e-7 → `1e-7`).
 * - Writing: `v`, `preset` and `seed` always, every other key only when it differs from the
 *   effective defaults of the config's preset (presetConfig), in table order.
 * - Reading never throws: defaults → preset → URL. An unknown key, a value that does not
 *   parse or is out of range, and a value that conflicts with another (runConfigProblems)
 *   each give a notice and keep the preset's value.
 * - Versions: `v` is CURRENT_VERSION. An older link is migrated on read, one version at a
 *   time, through MIGRATIONS (which rewrite the raw key/value list); a newer one is read as
 *   well as it can be, with a notice.
 */
import type { z } from 'zod';
import type { LayerPair, RunConfig } from '../engine/config';
import { runConfigProblems, runConfigSchema } from '../engine/config-schema';
import { findPreset, PRESET_NAMES, presetConfig } from '../engine/presets';

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

/**
 * Layer pairs as `student-teacher` joined by `_`: `0-0_1-1_5-5` (only unreserved URL
 * characters, so nothing gets percent-encoded). `auto` (or empty) is the empty list, which
 * means defaultLayerPairs(). Reading also accepts `:` inside a pair and `,` or `.` between pairs.
 */
export const pairsCodec: Codec<LayerPair[]> = {
  type: 'student-teacher pairs joined by _, or auto',
  parse(raw) {
    if (raw === '' || raw === 'auto') return { ok: true, value: [] };
    const pairs: LayerPair[] = [];
    for (const part of raw.split(/[_,.]/)) {
      const m = /^(\d+)[-:](\d+)$/.exec(part);
      if (!m) return { ok: false, reason: `'${part}' is not a student-teacher block pair like 0-0` };
      pairs.push([Number(m[1]), Number(m[2])]);
    }
    return { ok: true, value: pairs };
  },
  format: (pairs) => (pairs.length ? pairs.map(([s, t]) => `${s}-${t}`).join('_') : 'auto'),
};

/** One row of the table: a hash key, the config leaves it sets, its codec and what it means. */
export interface KeySpec {
  key: string;
  /** Usually one; `patch` sets both models' patchSize, which must be equal. Read from the first. */
  paths: readonly ConfigPath[];
  codec: Codec<unknown>;
  description: string;
}

function spec<T>(
  key: string,
  paths: ConfigPath | ConfigPath[],
  codec: Codec<T>,
  description: string,
): KeySpec {
  return { key, paths: Array.isArray(paths) ? paths : [paths], codec: codec as Codec<unknown>, description };
}

/**
 * Every key a share URL may hold besides `v`, in the order they are written. Keys that
 * depend on others (pairs, k, warmup) come after them, so that conflict repair, which
 * reverts keys from the end, gives up the dependent setting first.
 */
export const KEY_SPECS: readonly KeySpec[] = [
  spec(
    'preset',
    'preset',
    enumCodec(PRESET_NAMES),
    'Base layer over the defaults; the other keys override it',
  ),
  spec('seed', 'seed', intCodec, 'Seed for init, data order, augmentation and the random-sampled tokens'),
  spec('data', 'data', enumCodec(['synthetic', 'cifar10'] as const), 'Training data'),
  spec(
    'backend',
    'backend',
    enumCodec(['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const),
    'TF.js backend (auto picks the fastest that passes its self-test)',
  ),
  spec(
    'patch',
    ['teacher.patchSize', 'student.patchSize'],
    intCodec,
    'Patch side in pixels, for both models (32 / patch squared = patch tokens per image)',
  ),
  spec('tDim', 'teacher.dModel', intCodec, 'Teacher token width (embedding dimension)'),
  spec('tDepth', 'teacher.nLayers', intCodec, 'Teacher transformer blocks'),
  spec('tHeads', 'teacher.nHeads', intCodec, 'Teacher attention heads (must divide tDim)'),
  spec('tMlp', 'teacher.mlpRatio', numberCodec, 'Teacher MLP width as a multiple of tDim'),
  spec('sDim', 'student.dModel', intCodec, 'Student token width (embedding dimension)'),
  spec('sDepth', 'student.nLayers', intCodec, 'Student transformer blocks'),
  spec('sHeads', 'student.nHeads', intCodec, 'Student attention heads (must divide sDim)'),
  spec('sMlp', 'student.mlpRatio', numberCodec, 'Student MLP width as a multiple of sDim'),
  spec('sDistill', 'student.distillToken', boolCodec, "Student has DeiT's distillation token and head"),
  spec('lr', 'optim.lr', numberCodec, 'Peak AdamW learning rate (after warmup, cosine-decayed to 0)'),
  spec('batch', 'optim.batch', intCodec, 'Images per step'),
  spec('steps', 'optim.steps', intCodec, 'Student training steps'),
  spec(
    'tSteps',
    'optim.teacherSteps',
    intCodec,
    'Teacher training steps, when the app trains its own teacher',
  ),
  spec('warmup', 'optim.warmupSteps', intCodec, 'Linear learning-rate warmup steps (at most steps)'),
  spec('wd', 'optim.weightDecay', numberCodec, 'AdamW decoupled weight decay'),
  spec('clip', 'optim.gradClip', numberCodec, 'Global gradient-norm clip (0 = off)'),
  spec('beta1', 'optim.beta1', numberCodec, 'AdamW beta1'),
  spec('beta2', 'optim.beta2', numberCodec, 'AdamW beta2'),
  spec('eps', 'optim.eps', numberCodec, 'AdamW epsilon'),
  spec('wCe', 'loss.wCe', numberCodec, 'Weight of cross-entropy on the labels'),
  spec('wKd', 'loss.wKd', numberCodec, "Weight of KD on the teacher's logits"),
  spec('wMd', 'loss.wMd', numberCodec, 'Weight of the manifold (relation) terms together'),
  spec('wIntra', 'loss.wIntra', numberCodec, 'Weight of the intra-image (patch x patch) relation term'),
  spec('wInter', 'loss.wInter', numberCodec, 'Weight of the inter-image (image x image) relation term'),
  spec('wRandom', 'loss.wRandom', numberCodec, 'Weight of the random-sampled (K x K tokens) relation term'),
  spec('tau', 'loss.tau', numberCodec, 'KD temperature'),
  spec(
    'kd',
    'loss.kd',
    enumCodec(['soft', 'hard'] as const),
    'KD on soft (tempered) or hard (argmax) teacher labels',
  ),
  spec('k', 'loss.k', intCodec, 'Tokens drawn for the random-sampled term (at most batch x patches)'),
  spec('ls', 'loss.labelSmoothing', numberCodec, 'Label smoothing of the CE term (0 = none)'),
  spec(
    'baseline',
    'baseline',
    enumCodec(['none', 'ce-only', 'kd-only'] as const),
    'A second student trained on the same batches with CE only or KD only, for comparison',
  ),
  spec(
    'pairs',
    'loss.layerPairs',
    pairsCodec,
    'Student-teacher block pairs for the relation terms, e.g. 0-0_1-1_5-5; auto = early and late blocks',
  ),
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
];

const SPEC_BY_KEY = new Map(KEY_SPECS.map((s) => [s.key, s]));

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

// ---------------------------------------------------------------------------------------
// Paths

function getPath(config: RunConfig, path: ConfigPath): unknown {
  const [head, leaf] = path.split('.') as [keyof RunConfig, string | undefined];
  const top = config[head];
  return leaf === undefined ? top : (top as unknown as Record<string, unknown>)[leaf];
}

/** A copy of config with one leaf replaced (the objects along the path are copied too). */
function setPath(config: RunConfig, path: ConfigPath, value: unknown): RunConfig {
  const [head, leaf] = path.split('.') as [keyof RunConfig, string | undefined];
  if (leaf === undefined) return { ...config, [head]: value };
  return { ...config, [head]: { ...(config[head] as object), [leaf]: value } };
}

/** The zod schema of one leaf, from runConfigSchema: the range a URL value must be in. */
function leafSchema(path: ConfigPath): z.ZodType {
  let schema: unknown = runConfigSchema;
  for (const part of path.split('.')) schema = (schema as { shape: Record<string, unknown> }).shape[part];
  return schema as z.ZodType;
}

function readSpec(spec: KeySpec, config: RunConfig): string {
  return spec.codec.format(getPath(config, spec.paths[0]!));
}

// ---------------------------------------------------------------------------------------
// Encode

/**
 * `#v=1&preset=…&seed=…` plus every key whose value differs from the preset's effective
 * defaults, in table order. A preset name this build does not know is written as 'default'
 * (with every difference from it), since a link can only name a known preset.
 */
export function encodeHash(config: RunConfig): string {
  const preset = findPreset(config.preset) ? config.preset : 'default';
  const base = presetConfig(preset);
  const parts = [`v=${CURRENT_VERSION}`, `preset=${encodeURIComponent(preset)}`];
  for (const spec of KEY_SPECS) {
    if (spec.key === 'preset') continue;
    const value = readSpec(spec, config);
    if (spec.key === 'seed' || value !== readSpec(spec, base))
      parts.push(`${spec.key}=${encodeURIComponent(value)}`);
  }
  return `#${parts.join('&')}`;
}

// ---------------------------------------------------------------------------------------
// Decode

export interface DecodedHash {
  config: RunConfig;
  /** One sentence per thing that was not taken as written, for a visible notice. */
  notices: string[];
}

function splitHash(hash: string, notices: string[]): RawParams {
  const params: RawParams = [];
  const body = hash.replace(/^[#?]/, '');
  for (const part of body.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    try {
      params.push([decodeURIComponent(rawKey), decodeURIComponent(rawValue)]);
    } catch {
      notices.push(`ignored '${part}': it is not valid URL text`);
    }
  }
  return params;
}

/** Reads the link's version and migrates its params to CURRENT_VERSION. */
function migrate(params: RawParams, notices: string[]): RawParams {
  const versions = params.filter(([k]) => k === 'v');
  let rest = params.filter(([k]) => k !== 'v');
  if (versions.length === 0) {
    if (rest.length) notices.push(`the link has no version (v); read it as version ${CURRENT_VERSION}`);
    return rest;
  }
  const raw = versions[versions.length - 1]![1];
  const version = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(version)) {
    notices.push(`unreadable link version v='${raw}'; read it as version ${CURRENT_VERSION}`);
    return rest;
  }
  if (version > CURRENT_VERSION) {
    notices.push(`this link was made by a newer version (v=${version}); some settings may be ignored`);
    return rest;
  }
  for (let from = version; from < CURRENT_VERSION; from++) {
    const step = MIGRATIONS[from];
    if (!step) {
      notices.push(`no migration from link version ${from}; read it as version ${from + 1}`);
      continue;
    }
    rest = step(rest);
  }
  return rest;
}

/** Parses and range-checks one value; the reason when it cannot be used. */
function parseValue(spec: KeySpec, raw: string): Parsed<unknown> {
  const parsed = spec.codec.parse(raw);
  if (!parsed.ok) return parsed;
  for (const path of spec.paths) {
    const checked = leafSchema(path).safeParse(parsed.value);
    if (!checked.success) {
      const message = checked.error.issues.map((i) => i.message).join('; ');
      return { ok: false, reason: message.charAt(0).toLowerCase() + message.slice(1) };
    }
  }
  return parsed;
}

/** A URL key that parsed and was applied: kept unless it conflicts with another. */
interface AppliedKey {
  spec: KeySpec;
  raw: string;
  value: unknown;
}

function applySpec(config: RunConfig, spec: KeySpec, value: unknown): RunConfig {
  let out = config;
  for (const path of spec.paths) out = setPath(out, path, value);
  return out;
}

function revertSpec(config: RunConfig, spec: KeySpec, base: RunConfig): RunConfig {
  let out = config;
  for (const path of spec.paths) out = setPath(out, path, getPath(base, path));
  return out;
}

/**
 * The config a hash describes, and a notice for everything that was not taken as written.
 * Never throws. Precedence: DEFAULT_CONFIG → the named preset → the link's keys.
 */
export function decodeHash(hash: string): DecodedHash {
  const notices: string[] = [];
  const params = migrate(splitHash(hash, notices), notices);

  // Later duplicates win, as if the link had been edited by appending.
  const values = new Map<string, string>();
  for (const [key, value] of params) {
    if (values.has(key)) notices.push(`setting '${key}' appears more than once; used the last`);
    values.set(key, value);
  }
  for (const key of values.keys()) {
    if (!SPEC_BY_KEY.has(key)) notices.push(`ignored unknown setting '${key}'`);
  }

  let presetName = 'default';
  const rawPreset = values.get('preset');
  if (rawPreset !== undefined) {
    if (findPreset(rawPreset)) presetName = rawPreset;
    else notices.push(`unknown preset '${rawPreset}'; used 'default' (one of ${PRESET_NAMES.join(', ')})`);
  }
  const base = presetConfig(presetName);
  let config = base;

  const applied: AppliedKey[] = [];
  for (const spec of KEY_SPECS) {
    if (spec.key === 'preset') continue;
    const raw = values.get(spec.key);
    if (raw === undefined) continue;
    const parsed = parseValue(spec, raw);
    if (!parsed.ok) {
      notices.push(
        `ignored ${spec.key}='${raw}' (${parsed.reason}); kept the default ${readSpec(spec, base)}`,
      );
      continue;
    }
    config = applySpec(config, spec, parsed.value);
    applied.push({ spec, raw, value: parsed.value });
  }

  return { config: repair(config, base, applied, notices), notices };
}

/**
 * Resolves conflicts between fields (runConfigProblems) by reverting URL keys to the preset's
 * values. First, from the end of the table, each key whose revert removes a problem. If some
 * remain (no single revert fixes them), keys are reverted from the end until the config is
 * valid, and then each of those that is not needed after all is given back.
 */
function repair(start: RunConfig, base: RunConfig, applied: AppliedKey[], notices: string[]): RunConfig {
  let config = start;
  let problems = runConfigProblems(config);
  if (!problems.length) return config;
  const reasons = new Map<AppliedKey, string[]>();

  for (const item of [...applied].reverse()) {
    if (!problems.length) break;
    const next = revertSpec(config, item.spec, base);
    const nextProblems = runConfigProblems(next);
    if (nextProblems.length < problems.length) {
      reasons.set(
        item,
        problems.filter((p) => !nextProblems.includes(p)),
      );
      config = next;
      problems = nextProblems;
    }
  }

  if (problems.length) {
    const remaining = problems;
    const forced: AppliedKey[] = [];
    for (const item of [...applied].reverse()) {
      if (!problems.length) break;
      if (reasons.has(item)) continue;
      config = revertSpec(config, item.spec, base);
      problems = runConfigProblems(config);
      forced.push(item);
    }
    for (const item of forced.reverse()) {
      const next = applySpec(config, item.spec, item.value);
      if (!problems.length && !runConfigProblems(next).length) config = next;
      else reasons.set(item, remaining);
    }
  }

  for (const item of applied) {
    const why = reasons.get(item);
    if (why) {
      notices.push(
        `ignored ${item.spec.key}='${item.raw}' (${why.join('; ')}); kept the default ${readSpec(item.spec, base)}`,
      );
    }
  }
  if (problems.length) {
    // Only reachable if a preset itself is invalid; the URL holds nothing more to undo.
    notices.push(`the preset's own settings are invalid (${problems.join('; ')})`);
  }
  return config;
}

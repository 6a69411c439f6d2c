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
import type { RunConfig } from '../engine/spec/config';
import { leafSchema, runConfigProblems } from '../engine/spec/config-schema';
import { findPreset, PRESET_NAMES, presetConfig } from '../engine/spec/presets';
import type { ExperimentDefinition } from './experiment-plan';
import {
  type ConfigPath,
  CURRENT_VERSION,
  EXPERIMENT_KEY_SPECS,
  type ExperimentKeySpec,
  KEY_SPECS,
  type KeySpec,
  MIGRATIONS,
  type RawParams,
} from './url-keys';

export { CURRENT_VERSION, EXPERIMENT_KEY_SPECS, KEY_SPECS, MIGRATIONS, URL_KEYS } from './url-keys';

const KNOWN_KEYS = new Set([...KEY_SPECS, ...EXPERIMENT_KEY_SPECS].map((s) => s.key));

/** The Experiment panel's definition as far as a link gives it (url-keys.ts, EXPERIMENT_KEY_SPECS). */
export type ExperimentLink = Partial<ExperimentDefinition>;

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

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

function readSpec(spec: KeySpec, config: RunConfig): string {
  return spec.codec.format(getPath(config, spec.paths[0]!));
}

// ---------------------------------------------------------------------------------------
// Encode

/**
 * `#v=1&preset=…&seed=…` plus every key whose value differs from the preset's effective
 * defaults, in table order. A preset name this build does not know is written as 'default'
 * (with every difference from it), since a link can only name a known preset. Then the
 * experiment keys of the parts of `experiment` given (experiment-form.ts picks them).
 */
export function encodeHash(config: RunConfig, experiment: ExperimentLink = {}): string {
  const preset = findPreset(config.preset) ? config.preset : 'default';
  const base = presetConfig(preset);
  const parts = [`v=${CURRENT_VERSION}`, `preset=${encodeURIComponent(preset)}`];
  for (const spec of KEY_SPECS) {
    if (spec.key === 'preset') continue;
    const value = readSpec(spec, config);
    if (spec.key === 'seed' || value !== readSpec(spec, base))
      parts.push(`${spec.key}=${encodeURIComponent(value)}`);
  }
  for (const spec of EXPERIMENT_KEY_SPECS) {
    const value = experiment[spec.field];
    if (value !== undefined) parts.push(`${spec.key}=${encodeURIComponent(spec.codec.format(value))}`);
  }
  return `#${parts.join('&')}`;
}

// ---------------------------------------------------------------------------------------
// Decode

export interface DecodedHash {
  config: RunConfig;
  /** The experiment keys that parsed: they fill the Experiment panel's form, never start it. */
  experiment: ExperimentLink;
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
    if (!KNOWN_KEYS.has(key)) notices.push(`ignored unknown setting '${key}'`);
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

  // Warmup depends on steps. The preset's warmup shrinks to fit the link's steps (as the CLI's
  // --steps does): a short run is taken as asked, and a warmup too long for it is the key refused.
  const fitted = Math.min(base.optim.warmupSteps, config.optim.steps);
  const repairBase = { ...base, optim: { ...base.optim, warmupSteps: fitted } };
  if (!applied.some((a) => a.spec.key === 'warmup') && config.optim.warmupSteps > fitted)
    config = { ...config, optim: { ...config.optim, warmupSteps: fitted } };
  config = repair(config, repairBase, applied, notices);
  return { config, experiment: decodeExperiment(values, notices), notices };
}

/** Parses and range-checks one experiment value (each seed against the config's seed range). */
function parseExperimentValue(spec: ExperimentKeySpec, raw: string): Parsed<unknown> {
  const parsed = spec.codec.parse(raw);
  if (!parsed.ok || !spec.range) return parsed;
  const schema = leafSchema(spec.range);
  for (const v of Array.isArray(parsed.value) ? parsed.value : [parsed.value]) {
    const checked = schema.safeParse(v);
    if (!checked.success) {
      const message = checked.error.issues.map((i) => i.message).join('; ');
      const what = Array.isArray(parsed.value) ? `${spec.field.replace(/s$/, '')} ${v}: ` : '';
      return { ok: false, reason: what + message.charAt(0).toLowerCase() + message.slice(1) };
    }
  }
  return parsed;
}

/** The experiment keys that parse; each one that does not gives a notice and leaves the form's value. */
function decodeExperiment(values: Map<string, string>, notices: string[]): ExperimentLink {
  const experiment: Record<string, unknown> = {};
  for (const spec of EXPERIMENT_KEY_SPECS) {
    const raw = values.get(spec.key);
    if (raw === undefined) continue;
    const parsed = parseExperimentValue(spec, raw);
    if (parsed.ok) experiment[spec.field] = parsed.value;
    else
      notices.push(
        `ignored ${spec.key}='${raw}' (${parsed.reason}); the Experiment panel keeps its own ${spec.field}`,
      );
  }
  return experiment as ExperimentLink;
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

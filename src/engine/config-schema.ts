/**
 * Validation of a RunConfig from outside (a config file, a share URL, a message, a
 * checkpoint): each problem is reported with the field's path and what is allowed.
 */
import { z } from 'zod';
import { effectiveLayerPairs, patchCount, type RunConfig, vitConfigProblems } from './config';
import { type ConfigLayer, PRESET_NAMES } from './presets';

// zod compiles parsers with new Function unless told not to, and probing for that trips the
// page's Content-Security-Policy (no eval). Configs are small: the interpreted parser is enough.
z.config({ jitless: true });

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const num = (min: number, max: number) => z.number().min(min).max(max);

export const vitSchema = z.strictObject({
  imageSize: int(8, 256),
  patchSize: int(1, 64),
  channels: int(3, 3),
  dModel: int(4, 1024),
  nLayers: int(1, 24),
  nHeads: int(1, 32),
  mlpRatio: num(0.25, 8),
  numClasses: int(2, 1000),
  distillToken: z.boolean(),
});

export const lossSchema = z.strictObject({
  wCe: num(0, 100),
  wKd: num(0, 100),
  wMd: num(0, 100),
  wIntra: num(0, 1000),
  wInter: num(0, 1000),
  wRandom: num(0, 1000),
  tau: num(0.05, 100),
  k: int(1, 65536),
  kd: z.enum(['soft', 'hard']),
  labelSmoothing: num(0, 0.99),
  layerPairs: z.array(z.tuple([int(0, 23), int(0, 23)])).max(24),
});

export const optimSchema = z.strictObject({
  lr: num(0, 1),
  weightDecay: num(0, 10),
  beta1: num(0, 0.9999),
  beta2: num(0, 0.99999),
  eps: num(1e-12, 1),
  batch: int(1, 4096),
  steps: int(1, 10_000_000),
  teacherSteps: int(1, 10_000_000),
  warmupSteps: int(0, 10_000_000),
  gradClip: num(0, 1e6),
});

export const runConfigSchema = z.strictObject({
  preset: z.string().min(1),
  seed: int(0, 2 ** 31 - 1),
  data: z.enum(['starter', 'synthetic', 'cifar10']),
  backend: z.enum(['auto', 'webgpu', 'webgl', 'wasm', 'cpu']),
  teacher: vitSchema,
  student: vitSchema,
  loss: lossSchema,
  optim: optimSchema,
  baseline: z.enum(['none', 'ce-only', 'kd-only']),
});

// The schema is the one description of a RunConfig's fields and limits: this fails to compile
// when it and the RunConfig type disagree in any field.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _schemaIsRunConfig: Same<z.infer<typeof runConfigSchema>, RunConfig> = true;
void _schemaIsRunConfig;

/** A config layer (e.g. a --config file): every field optional, unknown fields refused. */
export const configLayerSchema = z.strictObject({
  preset: z.enum(PRESET_NAMES as [string, ...string[]]).optional(),
  seed: runConfigSchema.shape.seed.optional(),
  data: runConfigSchema.shape.data.optional(),
  backend: runConfigSchema.shape.backend.optional(),
  teacher: vitSchema.partial().optional(),
  student: vitSchema.partial().optional(),
  loss: lossSchema.partial().optional(),
  optim: optimSchema.partial().optional(),
  baseline: runConfigSchema.shape.baseline.optional(),
});

/** A numeric field's range, as form inputs take it. */
export interface NumberLimits {
  min: number;
  max: number;
  integer: boolean;
}

type NumericPath =
  | 'seed'
  | `${'teacher' | 'student'}.${keyof z.infer<typeof vitSchema>}`
  | `loss.${keyof z.infer<typeof lossSchema>}`
  | `optim.${keyof z.infer<typeof optimSchema>}`;

/**
 * The range of a numeric config field (e.g. 'loss.wIntra'), read from the schema above: the
 * settings form, the share-link codec and the worker's command check all take limits from here.
 */
export function numberLimits(path: NumericPath): NumberLimits {
  let schema: unknown = runConfigSchema;
  for (const part of path.split('.')) schema = (schema as { shape: Record<string, unknown> }).shape[part];
  if (!(schema instanceof z.ZodNumber) || schema.minValue === null || schema.maxValue === null) {
    throw new Error(`${path} is not a bounded number in the config schema.`);
  }
  return { min: schema.minValue, max: schema.maxValue, integer: schema.isInt };
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ');
}

/** Parses a layer from JSON data; throws an Error listing every problem. */
export function parseConfigLayer(data: unknown, source = 'config'): ConfigLayer {
  const result = configLayerSchema.safeParse(data);
  if (!result.success) throw new Error(`Invalid ${source}: ${describeIssues(result.error)}.`);
  return result.data as ConfigLayer;
}

/**
 * Problems of a whole config, including those between fields (the two models must cut
 * images into the same patches; K must fit in a batch; layer pairs must exist). Empty when valid.
 */
export function runConfigProblems(cfg: RunConfig): string[] {
  const parsed = runConfigSchema.safeParse(cfg);
  if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  const problems = [
    ...vitConfigProblems(cfg.teacher, 'teacher'),
    ...vitConfigProblems(cfg.student, 'student'),
  ];
  if (problems.length) return problems;
  const { teacher, student, loss, optim } = cfg;
  if (teacher.imageSize !== student.imageSize || teacher.patchSize !== student.patchSize) {
    problems.push(
      `teacher and student must see the same patches (imageSize/patchSize ${teacher.imageSize}/${teacher.patchSize} vs ${student.imageSize}/${student.patchSize})`,
    );
  }
  if (teacher.numClasses !== student.numClasses) {
    problems.push(`teacher has ${teacher.numClasses} classes, student ${student.numClasses}`);
  }
  const tokens = optim.batch * patchCount(student);
  if (loss.wMd > 0 && loss.wRandom > 0 && loss.k > tokens) {
    problems.push(`K = ${loss.k} exceeds the ${tokens} patch tokens in a batch (batch x patches); lower K`);
  }
  if (optim.warmupSteps > optim.steps)
    problems.push(`warmupSteps ${optim.warmupSteps} exceeds steps ${optim.steps}`);
  for (const [s, t] of effectiveLayerPairs(loss, student, teacher)) {
    if (s >= student.nLayers)
      problems.push(`layer pair uses student block ${s}; the student has ${student.nLayers}`);
    if (t >= teacher.nLayers)
      problems.push(`layer pair uses teacher block ${t}; the teacher has ${teacher.nLayers}`);
  }
  return problems;
}

export function assertValidConfig(cfg: RunConfig): RunConfig {
  const problems = runConfigProblems(cfg);
  if (problems.length) throw new Error(`Invalid config: ${problems.join('; ')}.`);
  return cfg;
}

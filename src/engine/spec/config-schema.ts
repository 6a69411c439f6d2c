/**
 * Validation of a RunConfig from outside (a config file, a share URL, a message, a
 * checkpoint): each problem is reported with the field's path and what is allowed.
 */
import { z } from 'zod';
import { effectiveLayerPairs, patchCount, type RunConfig, vitConfigProblems } from './config';
import {
  BACKEND_OPTIONS,
  BASELINE_OPTIONS,
  DATA_OPTIONS,
  KD_OPTIONS,
  numberFieldAt,
  optionValues,
} from './fields';
import { type ConfigLayer, PRESET_NAMES } from './presets';

// zod compiles parsers with new Function unless told not to, and probing for that trips the
// page's Content-Security-Policy (no eval). Configs are small: the interpreted parser is enough.
z.config({ jitless: true });

/** A numeric leaf's zod schema, its bounds read from the field table. */
function num(path: string): z.ZodNumber {
  const field = numberFieldAt(path);
  const schema = z.number().min(field.min).max(field.max);
  return field.kind === 'int' ? schema.int() : schema;
}

// A model's bounds are the same for both roles; the teacher's rows give them.
export const vitSchema = z.strictObject({
  imageSize: num('teacher.imageSize'),
  patchSize: num('teacher.patchSize'),
  channels: num('teacher.channels'),
  dModel: num('teacher.dModel'),
  nLayers: num('teacher.nLayers'),
  nHeads: num('teacher.nHeads'),
  mlpRatio: num('teacher.mlpRatio'),
  numClasses: num('teacher.numClasses'),
  distillToken: z.boolean(),
});

const blockIndex = z
  .number()
  .int()
  .min(0)
  .max(numberFieldAt('teacher.nLayers').max - 1);

export const lossSchema = z.strictObject({
  wCe: num('loss.wCe'),
  wKd: num('loss.wKd'),
  wMd: num('loss.wMd'),
  wIntra: num('loss.wIntra'),
  wInter: num('loss.wInter'),
  wRandom: num('loss.wRandom'),
  tau: num('loss.tau'),
  k: num('loss.k'),
  kd: z.enum(optionValues(KD_OPTIONS)),
  labelSmoothing: num('loss.labelSmoothing'),
  layerPairs: z.array(z.tuple([blockIndex, blockIndex])).max(numberFieldAt('teacher.nLayers').max),
});

export const optimSchema = z.strictObject({
  lr: num('optim.lr'),
  weightDecay: num('optim.weightDecay'),
  beta1: num('optim.beta1'),
  beta2: num('optim.beta2'),
  eps: num('optim.eps'),
  batch: num('optim.batch'),
  steps: num('optim.steps'),
  teacherSteps: num('optim.teacherSteps'),
  warmupSteps: num('optim.warmupSteps'),
  gradClip: num('optim.gradClip'),
});

export const runConfigSchema = z.strictObject({
  preset: z.string().min(1),
  seed: num('seed'),
  data: z.enum(optionValues(DATA_OPTIONS)),
  backend: z.enum(optionValues(BACKEND_OPTIONS)),
  teacher: vitSchema,
  student: vitSchema,
  loss: lossSchema,
  optim: optimSchema,
  baseline: z.enum(optionValues(BASELINE_OPTIONS)),
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
 * The range of a numeric config field (e.g. 'loss.wIntra'), from the field table: the settings
 * form, the share-link codec and the worker's command check all take limits from here.
 */
export function numberLimits(path: NumericPath): NumberLimits {
  const field = numberFieldAt(path);
  return { min: field.min, max: field.max, integer: field.kind === 'int' };
}

/** The zod schema of one leaf (e.g. 'optim.lr'): the range a value from outside must be in. */
export function leafSchema(path: string): z.ZodType {
  let schema: unknown = runConfigSchema;
  for (const part of path.split('.')) schema = (schema as { shape: Record<string, unknown> }).shape[part];
  if (!schema) throw new Error(`${path} is not a config field.`);
  return schema as z.ZodType;
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

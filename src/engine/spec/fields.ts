/**
 * Every setting of a run, declared once: its config path(s), default, bounds or options, share-link
 * key, label and one-line help. DEFAULT_CONFIG (config.ts), the config schema, the share-link
 * table (state/url-keys.ts, docs/share-links.md), the form's fields, the chart's term labels and
 * the twin's JSON (tools/torch/mkd/app_spec.json) are all derived from FIELDS.
 *
 * The order is the share link's: keys that depend on others (k, warmup, pairs) come after them.
 * TF-free, so the page may import it.
 */
import type { LayerPair } from './config';
import {
  BACKEND_OPTIONS,
  BASELINE_OPTIONS,
  DATA_OPTIONS,
  type FieldOption,
  KD_OPTIONS,
  TERM_LABELS,
} from './options';

export {
  BACKEND_OPTIONS,
  BASELINE_OPTIONS,
  DATA_OPTIONS,
  type FieldOption,
  KD_OPTIONS,
  optionValues,
  TERM_LABELS,
} from './options';

interface FieldBase {
  /** Config leaves it sets: usually one; `patch` sets both models' patchSize, which must be equal. */
  paths: readonly string[];
  /** Share-link key; none for settings a link never holds (image size, channels, classes). */
  key?: string;
  label: string;
  help: string;
}

export interface NumberFieldSpec extends FieldBase {
  kind: 'int' | 'number';
  default: number;
  min: number;
  max: number;
  /** The form's arrow step. */
  step?: number;
}

export type FieldSpec =
  | NumberFieldSpec
  | (FieldBase & { kind: 'bool'; default: boolean })
  | (FieldBase & { kind: 'enum'; default: string; options: readonly FieldOption[] })
  | (FieldBase & { kind: 'preset'; default: string })
  | (FieldBase & { kind: 'pairs'; default: LayerPair[] });

type Role = 'teacher' | 'student';
const ROLE_NAME: Record<Role, string> = { teacher: 'Teacher', student: 'Student' };

const int = (min: number, max: number) => ({ kind: 'int' as const, min, max });
const num = (min: number, max: number) => ({ kind: 'number' as const, min, max });

// 32 / 4 = 8x8 = 64 patch tokens.
const PATCH: FieldSpec = {
  paths: ['teacher.patchSize', 'student.patchSize'],
  key: 'patch',
  ...int(1, 64),
  default: 4,
  label: 'Patch size',
  help: 'Patch side in pixels, for both models (32 / patch squared = patch tokens per image)',
};

/**
 * A model's fields. The student is half the teacher's width at the same depth (about a quarter
 * of its parameters), with DeiT's distillation token.
 */
function modelFields(role: Role): FieldSpec[] {
  // Rows in RunConfig's key order (checkpoints are compared as JSON); the patch row sets both models.
  const R = ROLE_NAME[role];
  const k = (suffix: string) => `${role[0]}${suffix}`;
  const teacher = role === 'teacher';
  const path = (leaf: string) => [`${role}.${leaf}`];
  const fields: FieldSpec[] = [
    {
      paths: path('imageSize'),
      ...int(8, 256),
      default: 32,
      label: `${R} image size`,
      help: 'Side of the square input image in pixels',
    },
    ...(teacher ? [PATCH] : []),
    {
      paths: path('channels'),
      ...int(3, 3),
      default: 3,
      label: `${R} channels`,
      help: 'Input channels (RGB)',
    },
    {
      paths: path('dModel'),
      key: k('Dim'),
      ...int(4, 1024),
      default: teacher ? 128 : 64,
      step: 8,
      label: `${R} width`,
      help: `${R} token width (embedding dimension)`,
    },
    {
      paths: path('nLayers'),
      key: k('Depth'),
      ...int(1, 24),
      default: 6,
      label: `${R} depth`,
      help: `${R} transformer blocks`,
    },
    {
      paths: path('nHeads'),
      key: k('Heads'),
      ...int(1, 32),
      default: teacher ? 4 : 2,
      label: `${R} heads`,
      help: `${R} attention heads (must divide ${k('Dim')})`,
    },
    {
      paths: path('mlpRatio'),
      key: k('Mlp'),
      ...num(0.25, 8),
      default: 4,
      step: 0.5,
      label: `${R} MLP ratio`,
      help: `${R} MLP width as a multiple of ${k('Dim')}`,
    },
    {
      paths: path('numClasses'),
      ...int(2, 1000),
      default: 10,
      label: `${R} classes`,
      help: 'Output classes',
    },
  ];
  const distill = {
    paths: path('distillToken'),
    kind: 'bool' as const,
    default: !teacher,
    label: 'Distillation token (DeiT)',
  };
  fields.push(
    teacher
      ? { ...distill, help: "Teacher has DeiT's distillation token and head" }
      : { ...distill, key: 'sDistill', help: "Student has DeiT's distillation token and head" },
  );
  return fields;
}

/** A loss weight: its label and the chart's name of its term come from one word. */
function weight(term: keyof typeof TERM_LABELS, defaultValue: number, help: string): FieldSpec {
  const key = `w${term.charAt(0).toUpperCase()}${term.slice(1)}`;
  const name = TERM_LABELS[term];
  const label = `${name.charAt(0).toUpperCase()}${name.slice(1)} weight`;
  const max = term === 'ce' || term === 'kd' ? 100 : 1000;
  return { paths: [`loss.${key}`], key, ...num(0, max), default: defaultValue, step: 0.1, label, help };
}

export const FIELDS: readonly FieldSpec[] = [
  {
    paths: ['preset'],
    key: 'preset',
    kind: 'preset',
    default: 'default',
    label: 'Preset',
    help: 'Base layer over the defaults; the other keys override it',
  },
  {
    paths: ['seed'],
    key: 'seed',
    ...int(0, 2 ** 31 - 1),
    default: 1,
    label: 'Seed',
    help: 'Seed for init, data order, augmentation and the random-sampled tokens',
  },
  {
    paths: ['data'],
    key: 'data',
    kind: 'enum',
    options: DATA_OPTIONS,
    default: 'starter',
    label: 'Dataset',
    help: 'Training data',
  },
  {
    paths: ['backend'],
    key: 'backend',
    kind: 'enum',
    options: BACKEND_OPTIONS,
    default: 'auto',
    label: 'Backend',
    help: 'TF.js backend (auto picks the fastest that passes its self-test)',
  },
  ...modelFields('teacher'),
  ...modelFields('student'),
  {
    paths: ['optim.lr'],
    key: 'lr',
    ...num(0, 1),
    default: 5e-4,
    step: 0.0001,
    label: 'Learning rate',
    help: 'Peak AdamW learning rate (after warmup, cosine-decayed to 0)',
  },
  {
    paths: ['optim.batch'],
    key: 'batch',
    ...int(1, 4096),
    default: 64,
    label: 'Batch size',
    help: 'Images per step',
  },
  {
    paths: ['optim.steps'],
    key: 'steps',
    ...int(1, 10_000_000),
    default: 2000,
    label: 'Student steps',
    help: 'Student training steps',
  },
  {
    paths: ['optim.teacherSteps'],
    key: 'tSteps',
    ...int(1, 10_000_000),
    default: 2000,
    label: 'Teacher steps',
    help: 'Teacher training steps, when the app trains its own teacher',
  },
  {
    paths: ['optim.warmupSteps'],
    key: 'warmup',
    ...int(0, 10_000_000),
    default: 100,
    label: 'Warmup steps',
    help: 'Linear learning-rate warmup steps (at most steps)',
  },
  {
    paths: ['optim.weightDecay'],
    key: 'wd',
    ...num(0, 10),
    default: 0.05,
    label: 'Weight decay',
    help: 'AdamW decoupled weight decay',
  },
  {
    paths: ['optim.gradClip'],
    key: 'clip',
    ...num(0, 1e6),
    default: 1,
    label: 'Gradient clip',
    help: 'Global gradient-norm clip (0 = off)',
  },
  {
    paths: ['optim.beta1'],
    key: 'beta1',
    ...num(0, 0.9999),
    default: 0.9,
    label: 'Beta1',
    help: 'AdamW beta1',
  },
  {
    paths: ['optim.beta2'],
    key: 'beta2',
    ...num(0, 0.99999),
    default: 0.999,
    label: 'Beta2',
    help: 'AdamW beta2',
  },
  {
    paths: ['optim.eps'],
    key: 'eps',
    ...num(1e-12, 1),
    default: 1e-8,
    label: 'Epsilon',
    help: 'AdamW epsilon',
  },
  weight('ce', 0, 'Weight of cross-entropy on the labels'),
  weight('kd', 1, "Weight of KD on the teacher's logits"),
  {
    paths: ['loss.wMd'],
    key: 'wMd',
    ...num(0, 100),
    default: 1,
    step: 0.1,
    label: 'Manifold weight',
    help: 'Weight of the manifold (relation) terms together',
  },
  // The official ImageNet weights (intra 4, inter 0.1, random 0.2) in the code's element-mean form.
  weight('intra', 4, 'Weight of the intra-image (patch x patch) relation term'),
  weight('inter', 0.1, 'Weight of the inter-image (image x image) relation term'),
  weight('random', 0.2, 'Weight of the random-sampled (K x K tokens) relation term'),
  {
    paths: ['loss.tau'],
    key: 'tau',
    ...num(0.05, 100),
    default: 1,
    step: 0.5,
    label: 'Temperature (tau)',
    help: 'KD temperature',
  },
  {
    paths: ['loss.kd'],
    key: 'kd',
    kind: 'enum',
    options: KD_OPTIONS,
    default: 'soft',
    label: 'KD kind',
    help: 'KD on soft (tempered) or hard (argmax) teacher labels',
  },
  // 192 of 64 patches x batch 64 = 4096 tokens, as the official code samples.
  {
    paths: ['loss.k'],
    key: 'k',
    ...int(1, 65536),
    default: 192,
    step: 16,
    label: 'Random sample size (K)',
    help: 'Tokens drawn for the random-sampled term (at most batch x patches)',
  },
  {
    paths: ['loss.labelSmoothing'],
    key: 'ls',
    ...num(0, 0.99),
    default: 0,
    label: 'Label smoothing',
    help: 'Label smoothing of the CE term (0 = none)',
  },
  {
    paths: ['baseline'],
    key: 'baseline',
    kind: 'enum',
    options: BASELINE_OPTIONS,
    default: 'none',
    label: 'Baseline student',
    help: 'A second student trained on the same batches with CE only or KD only, for comparison',
  },
  {
    paths: ['loss.layerPairs'],
    key: 'pairs',
    kind: 'pairs',
    default: [],
    label: 'Layer pairs (student-teacher)',
    help: 'Student-teacher block pairs for the relation terms, e.g. 0-0_1-1_5-5; auto = early and late blocks',
  },
];

const BY_PATH = new Map<string, FieldSpec>(FIELDS.flatMap((f) => f.paths.map((p) => [p, f] as const)));

/** The field that sets a config leaf, e.g. 'loss.wIntra'; throws for a path no field sets. */
export function fieldAt(path: string): FieldSpec {
  const field = BY_PATH.get(path);
  if (!field) throw new Error(`No field sets ${path}.`);
  return field;
}

/** A numeric field by path; throws when the path is not a number. */
export function numberFieldAt(path: string): NumberFieldSpec {
  const field = fieldAt(path);
  if (field.kind !== 'int' && field.kind !== 'number')
    throw new Error(`${path} is not a bounded number in the field table.`);
  return field;
}

/** Every field's default, as a nested object of the RunConfig's shape (config.ts types it). */
export function fieldDefaults(): Record<string, unknown> {
  const entries = FIELDS.flatMap((f) => f.paths.map((p) => [p, f.default] as const));
  // The student's keys in the teacher's order, so that both models serialize alike.
  const order = entries.map(([p]) => p);
  const rank = (p: string) => {
    const asTeacher = order.indexOf(p.replace(/^student\./, 'teacher.'));
    return asTeacher >= 0 ? asTeacher : order.indexOf(p);
  };
  const out: Record<string, unknown> = {};
  for (const [path, value] of [...entries].sort((a, b) => rank(a[0]) - rank(b[0]))) {
    const [head, leaf] = path.split('.') as [string, string | undefined];
    const copy = Array.isArray(value) ? [...value] : value;
    if (leaf === undefined) out[head] = copy;
    else out[head] = { ...(out[head] as object | undefined), [leaf]: copy };
  }
  return out;
}

/** What a form's number input takes from a numeric field: its label, help, range and step. */
export function numberInput(path: string): {
  label: string;
  help: string;
  min: number;
  max: number;
  integer: boolean;
  step?: number;
} {
  const { label, help, min, max, kind, step } = numberFieldAt(path);
  return { label, help, min, max, integer: kind === 'int', ...(step === undefined ? {} : { step }) };
}

/** An enum field's options by path, for a form's select. */
export function fieldOptions(path: string): readonly FieldOption[] {
  const field = fieldAt(path);
  if (field.kind !== 'enum') throw new Error(`${path} is not an enum field.`);
  return field.options;
}

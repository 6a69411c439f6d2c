/**
 * Every knob of a run, typed with named fields. Presets (presets.ts) and the share URL
 * are partial layers over DEFAULT_CONFIG.
 */
import {
  type BACKEND_OPTIONS,
  type BASELINE_OPTIONS,
  type DATA_OPTIONS,
  fieldDefaults,
  type KD_OPTIONS,
} from './fields';

/** Shape of one vision transformer (DeiT-style, pre-norm). */
export interface VitConfig {
  /** Side of the square input image in pixels (CIFAR: 32). */
  imageSize: number;
  /** Side of a square patch; imageSize must be a multiple. 32 / 4 = 8x8 = 64 patch tokens. */
  patchSize: number;
  /** Input channels (RGB). */
  channels: number;
  /** Token width (embedding dimension). */
  dModel: number;
  /** Number of transformer blocks. */
  nLayers: number;
  /** Attention heads; dModel must be a multiple. */
  nHeads: number;
  /** MLP hidden width as a multiple of dModel (ViT and DeiT use 4). */
  mlpRatio: number;
  /** Output classes. */
  numClasses: number;
  /** Adds DeiT's distillation token and head; KD then trains that head, CE the cls head. */
  distillToken: boolean;
}

/** A student block index paired with a teacher block index for the relation terms. */
export type LayerPair = [student: number, teacher: number];

/** total = wCe*CE + wKd*KD + wMd * mean over layer pairs of (wIntra*intra + wInter*inter + wRandom*random). */
export interface LossConfig {
  wCe: number;
  wKd: number;
  wMd: number;
  wIntra: number;
  wInter: number;
  wRandom: number;
  /** KD temperature. */
  tau: number;
  /** Tokens drawn for the random-sampled term; must not exceed batch * patches. */
  k: number;
  kd: KdKind;
  /** Label smoothing for the CE term (0 = plain one-hot). */
  labelSmoothing: number;
  /** Blocks compared by the relation terms; empty means defaultLayerPairs(). */
  layerPairs: LayerPair[];
}

export interface OptimConfig {
  /** Peak AdamW learning rate, reached after warmup and decayed by a cosine to 0. */
  lr: number;
  /** Decoupled weight decay on weight matrices (not biases, norms, tokens or position). */
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Images per step. */
  batch: number;
  /** Training steps of the student phase (and of the teacher phase in the CLI, when given there). */
  steps: number;
  /** Training steps of the teacher phase when the app trains its own teacher first. */
  teacherSteps: number;
  /** Linear warmup steps. */
  warmupSteps: number;
  /** Clip the global gradient norm to this value (0 = no clipping). */
  gradClip: number;
}

/** 'starter': the CIFAR-10 starter set shipped with the app; 'synthetic': the built-in shapes; 'cifar10': files the user gives. */
export type DatasetName = (typeof DATA_OPTIONS)[number]['value'];
export type BackendChoice = (typeof BACKEND_OPTIONS)[number]['value'];
export type KdKind = (typeof KD_OPTIONS)[number]['value'];

/** A second student trained on the very same batches with a plain objective, for comparison. */
export type BaselineChoice = (typeof BASELINE_OPTIONS)[number]['value'];

export interface RunConfig {
  preset: string;
  /** Drives init, data order, augmentation and the random-sampled indices. */
  seed: number;
  data: DatasetName;
  backend: BackendChoice;
  teacher: VitConfig;
  student: VitConfig;
  loss: LossConfig;
  optim: OptimConfig;
  /** Baseline student beside the distilled one ('none' to train only the distilled one). */
  baseline: BaselineChoice;
}

/** Every default comes from the field table (spec/fields.ts), where each is declared once. */
export const DEFAULT_CONFIG: RunConfig = fieldDefaults() as unknown as RunConfig;
export const DEFAULT_TEACHER: VitConfig = DEFAULT_CONFIG.teacher;
/** Half the teacher's width at the same depth: about a quarter of its parameters. */
export const DEFAULT_STUDENT: VitConfig = DEFAULT_CONFIG.student;
export const DEFAULT_LOSS: LossConfig = DEFAULT_CONFIG.loss;
export const DEFAULT_OPTIM: OptimConfig = DEFAULT_CONFIG.optim;

/** Patch tokens per image. */
export function patchCount(cfg: VitConfig): number {
  return (cfg.imageSize / cfg.patchSize) ** 2;
}

/** Tokens in front of the patch tokens: cls, plus the distillation token when present. */
export function prefixTokenCount(cfg: VitConfig): number {
  return cfg.distillToken ? 2 : 1;
}

/** Reasons a model config cannot be built; empty when it is valid. */
export function vitConfigProblems(cfg: VitConfig, role = 'model'): string[] {
  const problems: string[] = [];
  const positiveInts: (keyof VitConfig)[] = [
    'imageSize',
    'patchSize',
    'channels',
    'dModel',
    'nLayers',
    'nHeads',
    'numClasses',
  ];
  for (const key of positiveInts) {
    const v = cfg[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      problems.push(`${role} ${key} must be a positive integer, got ${v}`);
  }
  if (problems.length) return problems;
  if (cfg.imageSize % cfg.patchSize !== 0)
    problems.push(`${role} imageSize ${cfg.imageSize} is not a multiple of patchSize ${cfg.patchSize}`);
  if (cfg.dModel % cfg.nHeads !== 0)
    problems.push(`${role} dModel ${cfg.dModel} is not a multiple of nHeads ${cfg.nHeads}`);
  if (!(cfg.mlpRatio > 0) || !Number.isInteger(cfg.mlpRatio * cfg.dModel)) {
    problems.push(`${role} mlpRatio ${cfg.mlpRatio} must be positive and give a whole MLP width`);
  }
  return problems;
}

/**
 * Pairs early student blocks with early teacher blocks and late with late, spread evenly.
 * The official DeiT-Tiny (12) <- CaiT-S24 (24) setting pairs 8 blocks, the first four and
 * the last four; the same rule pairs 2/3 of the shallower model's depth, half at each end.
 */
export function defaultLayerPairs(studentDepth: number, teacherDepth: number): LayerPair[] {
  const shallow = Math.min(studentDepth, teacherDepth);
  const count = Math.max(1, Math.ceil((2 * shallow) / 3));
  const early = Math.ceil(count / 2);
  const late = count - early;
  const pairs: LayerPair[] = [];
  for (let i = 0; i < early; i++) pairs.push([i, i]);
  for (let j = late; j > 0; j--) pairs.push([studentDepth - j, teacherDepth - j]);
  return pairs;
}

/** The layer pairs a run uses: the configured ones, or the default for the two depths. */
export function effectiveLayerPairs(loss: LossConfig, student: VitConfig, teacher: VitConfig): LayerPair[] {
  return loss.layerPairs.length ? loss.layerPairs : defaultLayerPairs(student.nLayers, teacher.nLayers);
}

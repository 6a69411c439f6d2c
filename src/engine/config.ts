/**
 * Every knob of a run, typed with named fields. Presets (presets.ts) and the share URL
 * are partial layers over DEFAULT_CONFIG.
 */

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
  kd: 'soft' | 'hard';
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
export type DatasetName = 'starter' | 'synthetic' | 'cifar10';
export type BackendChoice = 'auto' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** A second student trained on the very same batches with a plain objective, for comparison. */
export type BaselineChoice = 'none' | 'ce-only' | 'kd-only';

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

export const DEFAULT_TEACHER: VitConfig = {
  imageSize: 32,
  patchSize: 4,
  channels: 3,
  dModel: 128,
  nLayers: 6,
  nHeads: 4,
  mlpRatio: 4,
  numClasses: 10,
  distillToken: false,
};

/** Half the teacher's width at the same depth: about a quarter of its parameters. */
export const DEFAULT_STUDENT: VitConfig = { ...DEFAULT_TEACHER, dModel: 64, nHeads: 2, distillToken: true };

export const DEFAULT_LOSS: LossConfig = {
  wCe: 0,
  wKd: 1,
  wMd: 1,
  // The official ImageNet weights (intra 4, inter 0.1, random 0.2) in the code's element-mean form.
  wIntra: 4,
  wInter: 0.1,
  wRandom: 0.2,
  tau: 1,
  // 192 of 64 patches x batch 64 = 4096 tokens, as the official code samples.
  k: 192,
  kd: 'soft',
  labelSmoothing: 0,
  layerPairs: [],
};

export const DEFAULT_OPTIM: OptimConfig = {
  lr: 5e-4,
  weightDecay: 0.05,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  batch: 64,
  steps: 2000,
  teacherSteps: 2000,
  warmupSteps: 100,
  gradClip: 1,
};

export const DEFAULT_CONFIG: RunConfig = {
  preset: 'default',
  seed: 1,
  data: 'starter',
  backend: 'auto',
  teacher: DEFAULT_TEACHER,
  student: DEFAULT_STUDENT,
  loss: DEFAULT_LOSS,
  optim: DEFAULT_OPTIM,
  baseline: 'none',
};

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

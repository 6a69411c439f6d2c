/**
 * Presets are partial configs layered over DEFAULT_CONFIG; a share URL or a config file
 * overrides them in turn (defaults -> preset -> overrides). Each says what it is for and
 * what to expect.
 */
import { DEFAULT_CONFIG, type RunConfig } from './config';
import { PAPER_OBJECTIVE } from './objectives';

/** A partial RunConfig: any nested field may be left out. */
export type ConfigLayer = {
  [K in keyof RunConfig]?: RunConfig[K] extends object ? Partial<RunConfig[K]> : RunConfig[K];
};

export interface Preset {
  name: string;
  title: string;
  /** What it is for and what to expect. */
  description: string;
  layer: ConfigLayer;
}

export const PRESETS: Preset[] = [
  {
    name: 'default',
    title: 'Default',
    description:
      'Teacher ViT 128 wide, 6 blocks; student 64 wide, 6 blocks, with a distillation token; KD plus all three ' +
      'relation terms at the official weights. Sized for a laptop GPU; on the wasm or cpu backend use Tiny.',
    layer: {},
  },
  {
    name: 'paper',
    title: 'Paper',
    description:
      'The official ImageNet objective (no label CE; soft KD at tau 1; intra 4, inter 0.1, random 0.2; AdamW 5e-4, ' +
      'wd 0.05) on CIFAR-size models. The element-mean form keeps these weights meaningful at any size; ' +
      'K is scaled from 192 of 12,544 tokens to 64 of 4,096.',
    layer: {
      loss: { ...PAPER_OBJECTIVE, k: 64 },
      optim: { lr: 5e-4, weightDecay: 0.05 },
    },
  },
  {
    name: 'ce-only',
    title: 'CE only',
    description: 'The student learns from labels alone: the baseline that distillation has to beat.',
    layer: { loss: { wCe: 1, wKd: 0, wMd: 0 } },
  },
  {
    name: 'kd-only',
    title: 'KD only',
    description:
      "Soft KD from the teacher's logits, no relation terms: the baseline the manifold terms add to.",
    layer: { loss: { wCe: 0, wKd: 1, wMd: 0 } },
  },
  {
    name: 'relations-only',
    title: 'Relations only',
    description:
      'Only the three relation terms: the student copies how the teacher relates patches, never its outputs. ' +
      'Relation losses fall; accuracy stays near chance, since no term trains the head.',
    layer: { loss: { wCe: 0, wKd: 0, wMd: 1 } },
  },
  {
    name: 'tiny',
    title: 'Tiny (fast demo)',
    description:
      'Patch 8 (16 tokens), teacher 32 wide x 2 blocks, student 16 wide x 2 blocks, batch 16: seconds per hundred ' +
      'steps on any backend. For trying the controls, not for accuracy.',
    layer: {
      teacher: { patchSize: 8, dModel: 32, nLayers: 2, nHeads: 2, mlpRatio: 2 },
      student: { patchSize: 8, dModel: 16, nLayers: 2, nHeads: 2, mlpRatio: 2 },
      loss: { k: 32 },
      optim: { batch: 16, steps: 300, teacherSteps: 300, warmupSteps: 20, lr: 1e-3 },
    },
  },
];

export const PRESET_NAMES = PRESETS.map((p) => p.name);

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}

/** Applies layers in order over a base config; nested objects merge one level deep. */
export function applyLayers(base: RunConfig, ...layers: ConfigLayer[]): RunConfig {
  let out: RunConfig = base;
  for (const layer of layers) {
    out = {
      ...out,
      ...(layer as Partial<RunConfig>),
      teacher: { ...out.teacher, ...layer.teacher },
      student: { ...out.student, ...layer.student },
      loss: { ...out.loss, ...layer.loss },
      optim: { ...out.optim, ...layer.optim },
    };
  }
  return out;
}

/** The effective defaults of a preset: DEFAULT_CONFIG with the preset applied. */
export function presetConfig(name: string): RunConfig {
  const preset = findPreset(name);
  if (!preset) throw new Error(`Unknown preset "${name}"; choose one of: ${PRESET_NAMES.join(', ')}.`);
  return applyLayers(DEFAULT_CONFIG, preset.layer, { preset: name });
}

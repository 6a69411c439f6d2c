/**
 * Teachers trained on CIFAR-10 with the PyTorch twin (tools/torch/) and shipped in
 * public/models/<name>/ (model.json + weights.bin, the app's checkpoint format, plus a
 * manifest.json saying how each was trained). When the data is CIFAR-10 and the config's
 * teacher has a shipped twin's shape, a run starts from it instead of training a teacher.
 */
import { type CheckpointManifest, validateManifest } from '../engine/checkpoint-format';
import type { RunConfig, VitConfig } from '../engine/config';
import { presetConfig } from '../engine/presets';

export interface PretrainedTeacher {
  /** Folder under public/models/. */
  name: string;
  /** The teacher's shape; a run uses this teacher when its config's teacher is the same. */
  teacher: VitConfig;
  /** Test accuracy (0..1) on the full CIFAR-10 test set, from its manifest.json. */
  testAccuracy: number;
  /** Presets whose teacher this is. */
  presets: string[];
}

/** Checked against public/models/<name>/manifest.json by pretrained-teachers.test.ts. */
export const PRETRAINED_TEACHERS: readonly PretrainedTeacher[] = [
  {
    name: 'cifar10-tiny',
    teacher: presetConfig('tiny').teacher,
    testAccuracy: 0.4981,
    presets: ['tiny'],
  },
  {
    name: 'cifar10-default',
    teacher: presetConfig('default').teacher,
    testAccuracy: 0.5458,
    presets: ['default', 'paper', 'ce-only', 'kd-only', 'relations-only'],
  },
];

function sameShape(a: VitConfig, b: VitConfig): boolean {
  return (Object.keys(a) as (keyof VitConfig)[]).every((k) => a[k] === b[k]);
}

/** The shipped teacher for this config, if its data is CIFAR-10 and one has its teacher's shape. */
export function pretrainedTeacherFor(config: RunConfig): PretrainedTeacher | null {
  if (config.data !== 'cifar10') return null;
  return PRETRAINED_TEACHERS.find((t) => sameShape(t.teacher, config.teacher)) ?? null;
}

/** Fetches a shipped teacher's checkpoint from the site (works under any base path). */
export async function fetchPretrainedTeacher(
  teacher: PretrainedTeacher,
): Promise<{ manifest: CheckpointManifest; weights: ArrayBuffer }> {
  // Vite's base ('./': relative, so the build works from any folder); Node tests have no env.
  const env = (import.meta as ImportMeta & { env?: { BASE_URL?: string } }).env;
  const base = `${env?.BASE_URL ?? './'}models/${teacher.name}/`;
  const get = async (file: string) => {
    const res = await fetch(base + file);
    if (!res.ok)
      throw new Error(`Could not load the pretrained teacher (${base}${file}: HTTP ${res.status}).`);
    return res;
  };
  const [json, bin] = await Promise.all([get('model.json'), get('weights.bin')]);
  const manifest = validateManifest(await json.json());
  return { manifest, weights: await bin.arrayBuffer() };
}

/**
 * Teachers shipped in public/models/<name>/ (model.json + weights.bin, the app's checkpoint
 * format, plus a manifest.json saying how each was trained): CIFAR-10 ones trained with the
 * PyTorch twin (tools/torch/), used on the starter set and on full CIFAR-10 alike, and
 * built-in-shapes ones trained with `npm run train`. When the config's teacher has a shipped
 * teacher's shape for its data, a run starts from it instead of training a teacher.
 */

import type { RunConfig, VitConfig } from '../engine/spec/config';
import { isCifar10Dataset } from '../engine/spec/dataset-names';
import { presetConfig } from '../engine/spec/presets';

export interface PretrainedTeacher {
  /** Folder under public/models/. */
  name: string;
  /** What it was trained on: CIFAR-10 (used on the starter set too) or the built-in shapes. */
  dataset: 'cifar10' | 'synthetic';
  /** The teacher's shape; a run uses this teacher when its config's teacher is the same. */
  teacher: VitConfig;
  /** Test accuracy (0..1) on its data's full test set, from its manifest.json. */
  testAccuracy: number;
  /** Presets whose teacher this is. */
  presets: string[];
}

/** Checked against public/models/<name>/manifest.json by pretrained-teachers.test.ts. */
export const PRETRAINED_TEACHERS: readonly PretrainedTeacher[] = [
  {
    name: 'cifar10-tiny',
    dataset: 'cifar10',
    teacher: presetConfig('tiny').teacher,
    testAccuracy: 0.585,
    presets: ['tiny'],
  },
  {
    name: 'cifar10-default',
    dataset: 'cifar10',
    teacher: presetConfig('default').teacher,
    testAccuracy: 0.7625,
    presets: ['default', 'paper', 'ce-only', 'kd-only', 'relations-only'],
  },
  {
    name: 'shapes-tiny',
    dataset: 'synthetic',
    teacher: presetConfig('tiny').teacher,
    testAccuracy: 0.712,
    presets: ['tiny'],
  },
];

function sameShape(a: VitConfig, b: VitConfig): boolean {
  return (Object.keys(a) as (keyof VitConfig)[]).every((k) => a[k] === b[k]);
}

/** The shipped teacher for this config's data (starter and full CIFAR-10 share one) and teacher shape. */
export function pretrainedTeacherFor(config: RunConfig): PretrainedTeacher | null {
  const dataset = config.data === 'synthetic' ? 'synthetic' : 'cifar10';
  return (
    PRETRAINED_TEACHERS.find((t) => t.dataset === dataset && sameShape(t.teacher, config.teacher)) ?? null
  );
}

/** Whether a teacher can judge the loaded data (by the worker's dataset name): same classes. */
export function teacherFitsData(teacher: PretrainedTeacher, dataName: string | undefined): boolean {
  return teacher.dataset === 'synthetic' ? dataName === 'synthetic' : isCifar10Dataset(dataName);
}

/**
 * Where a shipped teacher is for the worker, which downloads it (worker/site-teacher.ts, with its
 * progress on the page): its name and the absolute URL of its folder under the page's base (Vite's
 * base is relative, so the build works from any folder).
 */
export function siteTeacher(teacher: PretrainedTeacher): { name: string; url: string } {
  const base = (import.meta as ImportMeta & { env?: { BASE_URL?: string } }).env?.BASE_URL ?? './';
  return { name: teacher.name, url: new URL(`${base}models/${teacher.name}/`, document.baseURI).href };
}

/**
 * Teachers shipped in public/models/<name>/ (model.json + weights.bin, the app's checkpoint
 * format, plus a manifest.json saying how each was trained): CIFAR-10 ones trained with the
 * PyTorch twin (tools/torch/), used on the starter set and on full CIFAR-10 alike, and
 * built-in-shapes ones trained with `npm run train`. When the config's teacher has a shipped
 * teacher's shape for its data, a run starts from it instead of training a teacher.
 */
import { type CheckpointManifest, validateManifest } from '../engine/checkpoint-format';
import type { RunConfig, VitConfig } from '../engine/config';
import { isCifar10Dataset } from '../engine/data/starter';
import { presetConfig } from '../engine/presets';

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

type TeacherFiles = { manifest: CheckpointManifest; weights: ArrayBuffer };
const fetched = new Map<string, Promise<TeacherFiles>>();

/**
 * A shipped teacher's checkpoint, fetched from the site once (a run's start and the judging of
 * dropped images share it; the worker gets copies, so the cached buffer stays whole).
 */
export function fetchPretrainedTeacher(teacher: PretrainedTeacher): Promise<TeacherFiles> {
  let files = fetched.get(teacher.name);
  if (!files) {
    files = fetchTeacherFiles(teacher);
    fetched.set(teacher.name, files);
    files.catch(() => fetched.delete(teacher.name));
  }
  return files;
}

/** Fetches a shipped teacher's checkpoint from the site (works under any base path). */
async function fetchTeacherFiles(teacher: PretrainedTeacher): Promise<TeacherFiles> {
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

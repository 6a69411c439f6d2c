/**
 * The options of each enum setting, with their labels in the form, and the loss terms' names:
 * each written once, for the field table (fields.ts), the config types and the schema.
 */

/** One choice of an enum setting: its value (as written in a link) and its label in the form. */
export interface FieldOption {
  value: string;
  label: string;
}

export const DATA_OPTIONS = [
  { value: 'starter', label: 'CIFAR-10 starter (shipped)' },
  { value: 'synthetic', label: 'Built-in shapes (synthetic, offline)' },
  { value: 'cifar10', label: 'CIFAR-10 / CIFAR-100 (full set, your files)' },
] as const satisfies readonly FieldOption[];

/** Backends are shown by name. */
export const BACKEND_OPTIONS = (['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const).map((value) => ({
  value,
  label: value,
})) satisfies readonly FieldOption[];

export const BASELINE_OPTIONS = [
  { value: 'none', label: 'none' },
  { value: 'ce-only', label: 'CE only (same batches)' },
  { value: 'kd-only', label: 'KD only (same batches)' },
] as const satisfies readonly FieldOption[];

export const KD_OPTIONS = [
  { value: 'soft', label: 'soft (KL at tau)' },
  { value: 'hard', label: "hard (teacher's argmax)" },
] as const satisfies readonly FieldOption[];

type Values<T extends readonly FieldOption[]> = T[number]['value'];

/** An option list's values as a non-empty tuple, as z.enum and the link codec take them. */
export function optionValues<T extends readonly FieldOption[]>(options: T): [Values<T>, ...Values<T>[]] {
  return options.map((o) => o.value) as [Values<T>, ...Values<T>[]];
}

/** The loss terms a weight row scales, with the name the chart gives each. */
export const TERM_LABELS = {
  ce: 'CE',
  kd: 'KD',
  intra: 'intra-image',
  inter: 'inter-image',
  random: 'random-sampled',
} as const;

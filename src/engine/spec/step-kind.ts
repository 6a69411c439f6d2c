/**
 * The one switch between the two implementations of a training step, chosen when a rig
 * (rig.ts) is built and carried by name down to each op. Both compute the same values;
 * 'reference' is the straightforward one (per-variable AdamW, plain TF.js ops) the fast one
 * is checked against, 'fast' runs far fewer kernels (one flat AdamW, fused kernels where the
 * backend has them). The bench reports each measurement's kind under this name.
 */
export type StepKind = 'fast' | 'reference';

export const STEP_KINDS: readonly StepKind[] = ['reference', 'fast'];

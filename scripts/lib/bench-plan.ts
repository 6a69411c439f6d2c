/**
 * What `npm run bench` measures: which backend runs which sizes, where (Chromium's worker
 * or Node), and how many steps each size gets. Kept apart from the runner so the content of
 * a run (--quick above all) is tested without running one.
 */
import { BACKENDS, type BackendName } from '../../src/engine/backend';
import { BENCH_SIZES, type BenchSize } from '../../src/engine/diagnostics/benchmark';
import type { BenchJob } from '../../src/worker/shared/bench-protocol';
import { UsageError } from './cli';

export const BROWSER_BACKENDS: BackendName[] = [...BACKENDS];

type Steps = Record<BenchSize, { timed: number; count: number; profile: boolean }>;

/**
 * Steps timed and counted per size, after the three steps of the loss trace. On SwiftShader
 * a default-size step takes a minute or more, so the large sizes get few.
 */
const STEPS: Steps = {
  tiny: { timed: 10, count: 10, profile: true },
  small: { timed: 2, count: 2, profile: true },
  default: { timed: 1, count: 1, profile: false },
};
const QUICK_STEPS: Steps = {
  tiny: { timed: 5, count: 5, profile: true },
  small: { timed: 2, count: 2, profile: true },
  default: { timed: 1, count: 1, profile: false },
};

/**
 * --quick on WebGPU at the default size: the fast step alone, its first step, two steps
 * back to back (dispatches, uploads, readbacks and enqueue time per step over two) and one
 * under tf.profile (TF.js kernels per step), on a batch of 8. The model, the kernels, the
 * uploads (the random-sampled term keeps the preset's K: 8 images hold 512 patch tokens)
 * and the enqueue work are the preset's; only the emulated milliseconds shrink, from ~200 s
 * a step at batch 64 to a few. The dispatch count is the preset's less TF.js's split-K
 * fills, which its matmuls take from a batch of about 32 (docs/performance.md).
 */
export const QUICK_WEBGPU_DEFAULT: BenchJob = {
  size: 'default',
  kinds: ['fast'],
  traceSteps: 1,
  timedSteps: 0,
  countSteps: 2,
  profile: true,
  batch: 8,
};

/** The batch whose kernel shapes the WebGPU default-size job records: the preset's own. */
export const KERNEL_SHAPES_BATCH = 64;

export function jobsFor(backend: BackendName, sizes: readonly BenchSize[], quick: boolean): BenchJob[] {
  const steps = quick ? QUICK_STEPS : STEPS;
  return sizes.map((size) => {
    const job: BenchJob =
      quick && backend === 'webgpu' && size === 'default'
        ? { ...QUICK_WEBGPU_DEFAULT }
        : {
            size,
            timedSteps: steps[size].timed,
            countSteps: steps[size].count,
            profile: steps[size].profile,
          };
    return backend === 'webgpu' && size === 'default'
      ? { ...job, kernelShapesBatch: KERNEL_SHAPES_BATCH }
      : job;
  });
}

/** Steps PyTorch times per size, after three warm-up steps (its steps are short). */
export const torchTimedSteps = (quick: boolean): number => (quick ? 5 : 10);

function listArg<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  flag: string,
): T[] | null {
  if (value === undefined) return null;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T))
      throw new UsageError(`--${flag} takes a comma list of ${allowed.join(', ')}; "${item}" is not one`);
  }
  return items as T[];
}

/**
 * Which sizes each backend runs by default. WebGL and plain-JS cpu are fallbacks, and too
 * slow here (emulated GL, no SIMD) for the larger sizes in a run of under half an hour.
 */
function defaultPlan(quick: boolean): Map<BackendName, BenchSize[]> {
  if (quick)
    return new Map<BackendName, BenchSize[]>([
      ['webgpu', ['tiny', 'default']],
      ['wasm', ['tiny', 'small']],
    ]);
  return new Map<BackendName, BenchSize[]>([
    ['webgpu', ['tiny', 'small', 'default']],
    ['webgl', ['tiny', 'small']],
    ['wasm', ['tiny', 'small', 'default']],
    ['cpu', ['tiny']],
  ]);
}

export interface PlanOptions {
  quick: boolean;
  backends?: string;
  sizes?: string;
  /** WebGPU in Node (Dawn) instead of Chromium: no browser runs at all. */
  nodeWebgpu: boolean;
  noNode: boolean;
}

export interface BenchPlan {
  /** Backends run in Chromium's worker, each with its sizes (empty: no browser). */
  browser: Map<BackendName, BenchSize[]>;
  /** Sizes run on WebGPU in Node (--node-webgpu). */
  nodeWebgpu: BenchSize[];
  /** Sizes run on wasm in Node. */
  nodeWasm: BenchSize[];
  /** Only what was asked for (--backends or --sizes): the committed docs are not rewritten. */
  partial: boolean;
}

export function benchPlan(opts: PlanOptions): BenchPlan {
  const backends = listArg(opts.backends, BROWSER_BACKENDS, 'backends');
  const sizes = listArg(opts.sizes, BENCH_SIZES, 'sizes');
  if (opts.nodeWebgpu && backends?.some((b) => b !== 'webgpu'))
    throw new UsageError(
      `--node-webgpu measures WebGPU in Node and runs no browser; --backends ${opts.backends} asks for more (leave it out, or --backends webgpu)`,
    );
  const plan = new Map<BackendName, BenchSize[]>();
  for (const [b, s] of defaultPlan(opts.quick)) {
    if (!backends || backends.includes(b))
      plan.set(b, sizes ? s.filter((x) => sizes.includes(x)).concat(sizes.filter((x) => !s.includes(x))) : s);
  }
  for (const b of backends ?? []) if (!plan.has(b)) plan.set(b, sizes ?? ['tiny']);
  const nodeWasm: BenchSize[] = opts.noNode
    ? []
    : (sizes ?? (opts.quick ? ['tiny', 'small'] : [...BENCH_SIZES]));
  if (opts.nodeWebgpu) {
    return { browser: new Map(), nodeWebgpu: plan.get('webgpu') ?? [], nodeWasm, partial: true };
  }
  return { browser: plan, nodeWebgpu: [], nodeWasm, partial: Boolean(opts.backends || opts.sizes) };
}

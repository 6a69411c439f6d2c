/** Messages between the benchmark page (bench/page.ts) and its worker (bench.worker.ts). */
import type { BackendName } from '../../engine/backend';
import type { BenchSize, StepMeasurement } from '../../engine/diagnostics/benchmark';
import type { KernelCheck } from '../../engine/diagnostics/kernel-check';
import type { StepKind } from '../../engine/spec/step-kind';

/** One size: its reference and fast step are measured together (measureStepPair). */
export interface BenchJob {
  size: BenchSize;
  timedSteps: number;
  countSteps: number;
  profile: boolean;
  batch?: number;
  /** Both kinds unless set: an emulated default-size step is slow enough to count the fast one alone. */
  kinds?: StepKind[];
  traceSteps?: number;
  /** Record the fast step's kernel shapes at this batch (compile-only trace; see measureStepPair). */
  kernelShapesBatch?: number;
  /** Compile the pipelines before the first step (default true; false measures the cold first step). */
  warmUp?: boolean;
}

/** `wasmThreads` replaces the worker's wasm thread count (1: the single-threaded comparison). */
export type BenchRequest = { backend: BackendName; jobs: BenchJob[]; wasmThreads?: number };

export type BenchEvent =
  | { type: 'started'; backend: string; adapter: string | null; kernelChecks: KernelCheck[] }
  | { type: 'result'; measurement: StepMeasurement }
  | { type: 'failed'; message: string }
  | { type: 'done' };

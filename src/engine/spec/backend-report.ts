/**
 * What the worker reports about the backend it runs on: which one, why, its self-test and its
 * memory. TF-free, so the page can show them without importing the backend code.
 */
import type { AdapterKind } from './adapter-kind';
import type { BackendChoice } from './config';
import { BACKEND_OPTIONS, optionValues } from './options';

export type BackendName = Exclude<BackendChoice, 'auto'>;

/** The concrete backends, in the order `auto` tries them: the field table's options less `auto`. */
export const BACKEND_NAMES = optionValues(BACKEND_OPTIONS).filter((b): b is BackendName => b !== 'auto') as [
  BackendName,
  ...BackendName[],
];

export interface BackendAttempt {
  name: BackendName;
  reason: string;
}

/** One candidate's measured training step on the current config. */
export interface BackendTiming {
  name: BackendName;
  /** Median ms per step of the timed steps, or the time spent when the cap cut it short. */
  msPerStep: number;
  /** The measurement hit its time cap: the true step time is at least msPerStep. */
  cutShort: boolean;
  /** A software-emulated GPU adapter (webgpu on SwiftShader or a fallback adapter). */
  emulated: boolean;
  /** wasm: threads of its pool. */
  threads?: number | null;
}

export interface ActiveBackend {
  name: BackendName;
  /** GPU adapter description for webgpu ("vendor architecture"), when the browser gives one. */
  adapter: string | null;
  /** webgpu: software (emulated on the CPU), a GPU, or hidden (the browser gives no details); null otherwise. */
  adapterKind: AdapterKind | null;
  /** webgpu: the adapter is a software emulation of a GPU (SwiftShader, lavapipe, a fallback adapter). */
  emulated: boolean;
  /** wasm: threads of its thread pool (1 without cross-origin isolation). */
  threads: number | null;
  /** Backends tried before this one and why each was passed over. */
  skipped: BackendAttempt[];
  /** Why this backend runs ("measured 56 ms/step vs webgpu (emulated) 1.4 s/step"); null if not given. */
  reason: string | null;
  /** The step times `auto` compared (empty when the backend was forced or not measured). */
  timings: BackendTiming[];
}

export interface SelfTestResult {
  backend: BackendName;
  /** Largest |logit(backend) - logit(cpu)| of the forward pass. */
  forwardMaxAbsDiff: number;
  /** Largest relative difference of any step metric (loss terms, total) from the cpu's. */
  stepMaxRelDiff: number;
  /** Largest |gradient difference| from the cpu's, over the largest |cpu gradient|. */
  gradientMaxRelDiff: number;
  /** Largest |weight difference| from the cpu's after the update, in learning rates. */
  updateMaxDiffInLr: number;
  /** Loss total of the step on this backend and on cpu. */
  total: number;
  cpuTotal: number;
  passed: boolean;
  /** What disagreed, in words, when it did not pass. */
  problem: string | null;
  /**
   * The adapter the backend ran on (ActiveBackend.adapter: webgpu's, else null). A fresh worker
   * of the same page trusts a passed result only on the same adapter (backend-setup.ts).
   */
  adapter?: string | null;
}

export interface MemorySample {
  /** Bytes of TF.js's tensors now (on WebGPU nearly all of them live on the GPU). */
  tensorBytes: number;
  /** The most tensor bytes alive at once since the last sample: the peak of the steps between. */
  peakTensorBytes: number;
  /** WebGPU: bytes of the buffers in use now (tensors, uniforms, readbacks); null elsewhere. */
  gpuBytes: number | null;
  /** WebGPU: the most buffer bytes in use at once since the last sample. */
  peakGpuBytes: number | null;
  /** WebGPU: bytes TF.js holds allocated, its pool of free buffers included. */
  gpuAllocatedBytes: number | null;
}

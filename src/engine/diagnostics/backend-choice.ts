/**
 * Which backend `auto` runs on, decided from measured step times (pure: the worker measures,
 * this decides and explains). A GPU adapter that is a software emulation (SwiftShader, a
 * fallback adapter) is never chosen over a CPU backend that is as fast or faster: on such a
 * machine wasm is often 20x faster than "WebGPU".
 */
import type { BackendName } from '../backend';
import type { BackendTiming } from '../spec/backend-report';
import type { RunConfig } from '../spec/config';

export type { BackendTiming } from '../spec/backend-report';

export interface BackendDecision {
  name: BackendName;
  /** One line for the page: what runs and why, e.g. "measured 56 ms/step vs webgpu (emulated) 1.4 s/step". */
  reason: string;
}

/** Backends that run on the CPU: an emulated GPU never wins a tie against them. */
const CPU_BACKENDS: readonly BackendName[] = ['wasm', 'cpu'];

/** "56 ms", "1.4 s": a step time for the page. */
export function formatStepTime(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

function label(t: BackendTiming): string {
  if (t.emulated) return `${t.name} (emulated)`;
  if (t.name === 'wasm' && t.threads) return `wasm (${t.threads} thread${t.threads === 1 ? '' : 's'})`;
  return t.name;
}

function perStep(t: BackendTiming): string {
  return `${t.cutShort ? '> ' : ''}${formatStepTime(t.msPerStep)}/step`;
}

/** Orders a before b when a should run: faster first; an emulated GPU loses ties to a CPU backend. */
function better(a: BackendTiming, b: BackendTiming): number {
  const aCpu = CPU_BACKENDS.includes(a.name);
  const bCpu = CPU_BACKENDS.includes(b.name);
  if (a.emulated && bCpu && b.msPerStep <= a.msPerStep) return 1;
  if (b.emulated && aCpu && a.msPerStep <= b.msPerStep) return -1;
  // A step cut short took at least its time: it loses to any completed one that is not slower.
  if (a.msPerStep === b.msPerStep && a.cutShort !== b.cutShort) return a.cutShort ? 1 : -1;
  return a.msPerStep - b.msPerStep;
}

/**
 * The backend to run: `forced` when the user chose one (a choice, not a measurement), else
 * the fastest measured one. Throws when there is nothing to choose from.
 */
export function chooseBackend(
  timings: readonly BackendTiming[],
  forced: BackendName | null,
): BackendDecision {
  if (forced) return { name: forced, reason: `chosen in the link or settings (backend=${forced})` };
  if (timings.length === 0) throw new Error('No backend passed its self-test, so none could be measured.');
  const ranked = [...timings].sort(better);
  const best = ranked[0]!;
  if (ranked.length === 1)
    return { name: best.name, reason: `measured ${perStep(best)}, the only backend timed` };
  const others = ranked.slice(1).map((t) => `${label(t)} ${perStep(t)}`);
  return { name: best.name, reason: `measured ${perStep(best)} vs ${others.join(', ')}` };
}

/** What a measurement depends on: the model sizes, batch, patch, the candidates and the GPU. */
export interface TimingShape {
  config: Pick<RunConfig, 'teacher' | 'student' | 'optim' | 'loss'>;
  candidates: readonly BackendName[];
  /** The WebGPU adapter ("vendor architecture description"), or null where there is none. */
  adapter: string | null;
  /** wasm's thread count where it is known before the backend starts. */
  wasmThreads: number | null;
}

/**
 * Cache key of a measurement: equal exactly when the measured step would be the same shape
 * on the same hardware. Learning rates, weights of the loss terms and seeds do not change a
 * step's cost and are left out, so tuning them keeps the cached choice.
 */
export function timingCacheKey(shape: TimingShape): string {
  const vit = (v: TimingShape['config']['teacher']) =>
    [
      v.imageSize,
      v.patchSize,
      v.channels,
      v.dModel,
      v.nLayers,
      v.nHeads,
      v.mlpRatio,
      v.numClasses,
      v.distillToken ? 1 : 0,
    ].join('x');
  const { loss, optim } = shape.config;
  return [
    'v1',
    `t${vit(shape.config.teacher)}`,
    `s${vit(shape.config.student)}`,
    `b${optim.batch}`,
    `k${loss.k}`,
    // Which terms run (a zero weight skips its term) and the layer pairs they compare.
    `l${(['wCe', 'wKd', 'wMd', 'wIntra', 'wInter', 'wRandom'] as const).map((w) => (loss[w] > 0 ? 1 : 0)).join('')}`,
    `p${loss.layerPairs.map((p) => p.join('-')).join(',')}`,
    `c${[...shape.candidates].join('+')}`,
    `w${shape.wasmThreads ?? '-'}`,
    `a${shape.adapter ?? '-'}`,
  ].join('|');
}

/**
 * Threads for the wasm backend where the page is cross-origin isolated: half the logical cores
 * (tfjs's own rule: logical cores are often hyperthreads, and the page's and the browser's
 * threads need some), but at least 2 on a machine with 2 or more, where tfjs's rule leaves one
 * thread; at most 8, where small ViT matmuls stop gaining. 1 without isolation (no shared memory).
 * Measured here (2 shared cores, bench --quick): 2 threads made the small size's step 1.24x
 * faster and the tiny one's 2.2x slower, where the threads' overhead outweighs the work.
 */
export const MAX_WASM_THREADS = 8;
export function wasmThreadCount(logicalCores: number | undefined, crossOriginIsolated: boolean): number {
  if (!crossOriginIsolated) return 1;
  const cores = Number.isFinite(logicalCores) && logicalCores! > 0 ? Math.floor(logicalCores!) : 1;
  if (cores < 2) return 1;
  return Math.min(MAX_WASM_THREADS, Math.max(2, Math.floor(cores / 2)));
}

/** Where TF.js runs in the worker, whether it passed its self-test, and what a run costs it. */
import type { StateCreator } from 'zustand';
import type { ActiveBackend, BackendName, MemorySample, SelfTestResult } from '../engine/spec/backend-report';
import type { StepProfile } from '../engine/spec/profile-summary';
import type { AppState } from './store';

/** The page's run status, as the `data-testid="status"` hook reports it (interfaces.md). */
export type RunStatus = 'idle' | 'loading' | 'training' | 'paused' | 'done' | 'error';

export interface RuntimeState {
  status: RunStatus;
  backend: ActiveBackend | null;
  selfTests: SelfTestResult[];
  /** The last failure, in words, when status is 'error'. */
  error: string | null;
  /** The run's memory as last reported, with its peaks over the steps before. */
  memory: MemorySample | null;
  /** The last step profile of this run, and its step when it arrived. */
  profile: { profile: StepProfile; step: number } | null;
  /** A profile is under way. */
  profiling: boolean;
  /** Why the backend runs on a safer setting than asked: a start that hung was replaced. */
  fellBack: string | null;
  /** The backend whose start is under way, and since when (Date.now()); null between starts. */
  starting: { name: BackendName; since: number } | null;
}

export interface RuntimeSlice {
  runtime: RuntimeState;
  backendLoading: () => void;
  backendReady: (backend: ActiveBackend, selfTests: SelfTestResult[]) => void;
  runtimeFailed: (message: string) => void;
  memoryReported: (memory: MemorySample) => void;
  profileStarted: () => void;
  profileFinished: (result: { profile: StepProfile; step: number } | null) => void;
  /** A new run: the last one's memory and profile no longer apply. */
  runDiagnosticsCleared: () => void;
  backendFellBack: (message: string) => void;
  backendProgress: (name: BackendName, stage: 'starting' | 'started') => void;
}

export const INITIAL_RUNTIME: RuntimeState = {
  status: 'loading',
  backend: null,
  selfTests: [],
  error: null,
  memory: null,
  profile: null,
  profiling: false,
  fellBack: null,
  starting: null,
};

export const createRuntimeSlice: StateCreator<AppState, [], [], RuntimeSlice> = (set) => ({
  runtime: INITIAL_RUNTIME,
  backendLoading: () => set({ runtime: { ...INITIAL_RUNTIME } }),
  backendReady: (backend, selfTests) =>
    set((s) => ({
      runtime: { ...s.runtime, status: 'idle', backend, selfTests, error: null, starting: null },
    })),
  runtimeFailed: (message) => set((s) => ({ runtime: { ...s.runtime, status: 'error', error: message } })),
  memoryReported: (memory) => set((s) => ({ runtime: { ...s.runtime, memory } })),
  profileStarted: () => set((s) => ({ runtime: { ...s.runtime, profiling: true } })),
  profileFinished: (result) =>
    set((s) => ({
      runtime: { ...s.runtime, profiling: false, profile: result ?? s.runtime.profile },
    })),
  runDiagnosticsCleared: () =>
    set((s) => ({ runtime: { ...s.runtime, memory: null, profile: null, profiling: false } })),
  backendFellBack: (message) => set((s) => ({ runtime: { ...s.runtime, fellBack: message } })),
  backendProgress: (name, stage) =>
    set((s) => ({
      runtime: { ...s.runtime, starting: stage === 'starting' ? { name, since: Date.now() } : null },
    })),
});

/**
 * The typed messages between the page and the training worker. Both sides import these
 * types; the worker validates what it receives (command-schema.ts) before acting on it.
 * Verbs are namespaced by area. Request/response pairs carry a requestId; events that
 * belong to a run carry its runId, and the page drops events of runs it no longer shows.
 */
import type { ActiveBackend, BackendName } from '../engine/backend';
import type { CheckpointManifest, Phase } from '../engine/checkpoint';
import type { BackendChoice, LossConfig, RunConfig } from '../engine/config';
import type { SelfTestResult } from '../engine/selftest';
import type { EvalResult, MetricRow } from '../engine/trainer';
import type { GpuCounters } from './gpu-counters';

/** Where the data comes from. Files are structured-cloned File/Blob objects, read in the worker. */
export type DataSource =
  | { kind: 'synthetic' }
  /** The official cifar-10-binary.tar.gz (or CIFAR-100's). */
  | { kind: 'archive'; file: Blob; name: string }
  /** The .bin (and .txt meta) files themselves. */
  | { kind: 'files'; files: { name: string; file: Blob }[] };

/** How a run gets its teacher. */
export type TeacherSource =
  | { kind: 'train' }
  | { kind: 'checkpoint'; manifest: CheckpointManifest; weights: ArrayBuffer };

/** Which relation maps the page shows: a layer pair, an image of the probe batch, a patch position. */
export interface MapView {
  pair: number;
  image: number;
  position: number;
}

/** An image from the page, already resized to the model's input: RGB bytes, row-major. */
export interface ProbeImage {
  id: string;
  rgb: Uint8Array;
}

export type Command =
  /** Start TF.js on `choice` (or the best available), self-test it, fall back on failure. */
  | { type: 'backend.init'; requestId: number; choice: BackendChoice }
  | { type: 'data.load'; requestId: number; source: DataSource }
  /** Start a run (teacher phase first unless a teacher is given), or continue the saved one. */
  | {
      type: 'run.start';
      requestId: number;
      runId: number;
      config: RunConfig;
      teacher: TeacherSource;
      /** Continue the run saved in this browser (IndexedDB) instead of starting fresh. */
      resumeSaved: boolean;
      /** Start paused (so "Step" can run the first steps one by one). */
      paused: boolean;
    }
  | { type: 'run.pause'; requestId: number }
  | { type: 'run.resume'; requestId: number }
  /** Run exactly `count` steps, then pause. */
  | { type: 'run.step'; requestId: number; count: number }
  /** Drop the run (models, optimizer) but keep data and backend; nothing saved is deleted. */
  | { type: 'run.reset'; requestId: number }
  /** New loss weights for the student, from the next step on; optimizer state is kept. */
  | { type: 'run.setLoss'; requestId: number; loss: Partial<LossConfig> }
  | { type: 'run.evaluate'; requestId: number }
  | { type: 'maps.view'; requestId: number; view: MapView }
  | { type: 'images.analyze'; requestId: number; images: ProbeImage[]; pair: number }
  | { type: 'model.export'; requestId: number }
  | { type: 'saved.peek'; requestId: number }
  | { type: 'saved.clear'; requestId: number }
  | { type: 'debug.counters'; requestId: number }
  /** Test hooks: poison the loss with NaN, or destroy the GPU device. */
  | { type: 'debug.fault'; requestId: number; fault: 'nan' | 'device-lost' };

export type RunStatusName = 'loading' | 'training' | 'paused' | 'done' | 'idle';

/** The three relation maps of one model for the current view. */
export interface ModelMaps {
  /** [N, N] for the viewed image. */
  intra: Float32Array;
  /** [B, B] for the viewed patch position. */
  inter: Float32Array;
  /** [K, K] over the random sample. */
  random: Float32Array;
}

export interface MapsPayload {
  view: MapView;
  /** Student block and teacher block of the viewed pair. */
  blocks: [number, number];
  patches: number;
  batch: number;
  k: number;
  teacher: ModelMaps;
  student: ModelMaps | null;
  /** The viewed probe image as RGB bytes (imageSize^2 * 3), for drawing it beside the map. */
  image: Uint8Array;
  imageSize: number;
  /** Class index of each probe image. */
  labels: number[];
}

export interface Prediction {
  /** Top classes, most likely first. */
  top: { label: number; name: string; p: number }[];
}

export interface ImageAnalysis {
  id: string;
  teacher: Prediction;
  student: Prediction | null;
  /** Intra-image maps [N, N] of this image at the chosen pair. */
  teacherIntra: Float32Array;
  studentIntra: Float32Array | null;
}

export type WorkerEvent =
  | { type: 'backend.ready'; requestId: number; backend: ActiveBackend; selfTests: SelfTestResult[] }
  | {
      type: 'data.ready';
      requestId: number;
      name: string;
      classNames: string[];
      trainCount: number;
      testCount: number;
    }
  | {
      type: 'run.status';
      runId: number;
      status: RunStatusName;
      phase: Phase;
      step: number;
      totalSteps: number;
      /** Why it stopped, in words, when it paused by itself. */
      reason: string | null;
    }
  | {
      type: 'run.progress';
      runId: number;
      phase: Phase;
      step: number;
      totalSteps: number;
      epoch: number;
      imagesPerSecond: number;
      etaSeconds: number;
    }
  | { type: 'run.metrics'; runId: number; phase: Phase; rows: MetricRow[] }
  | { type: 'run.eval'; runId: number; phase: Phase; result: EvalResult }
  | { type: 'run.checkpointed'; runId: number; phase: Phase; step: number; where: 'indexeddb' }
  | {
      type: 'run.fault';
      runId: number;
      kind: 'nan' | 'device-lost' | 'memory';
      message: string;
      term: string | null;
    }
  | { type: 'maps'; runId: number; phase: Phase; step: number; maps: MapsPayload }
  | {
      type: 'images.result';
      requestId: number;
      results: ImageAnalysis[];
      /** Inter-image maps across these images, [N*B*B] (B x B per patch position), when there are two or more. */
      across: { ids: string[]; patches: number; teacher: Float32Array; student: Float32Array | null } | null;
    }
  | { type: 'model.exported'; requestId: number; manifest: CheckpointManifest; weights: ArrayBuffer }
  | {
      type: 'saved.info';
      requestId: number;
      saved: { phase: Phase; step: number; totalSteps: number; savedAt: number; config: RunConfig } | null;
    }
  | { type: 'debug.counters'; requestId: number; counters: GpuCounters; tensors: number; step: number }
  /** Acknowledges a command that has no other answer. */
  | { type: 'ok'; requestId: number }
  | {
      type: 'error';
      /** The command that failed, when the failure belongs to one. */
      requestId: number | null;
      name: string;
      message: string;
      stack: string | null;
    };

export type { BackendName };

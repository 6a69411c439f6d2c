/**
 * The events the worker sends the page, as zod schemas: protocol.ts infers `WorkerEvent` from
 * them. The page parses each message here (worker/bridge.ts, its one entry point). Envelopes
 * are strict; the engine's own result types (metric rows, self-test results, counters) are
 * checked for shape only, because they come from code of this app, not from a user.
 */
import { z } from 'zod';
import {
  type ActiveBackend,
  BACKEND_NAMES,
  type MemorySample,
  type SelfTestResult,
} from '../../engine/spec/backend-report';
import type { CheckpointManifest, Phase } from '../../engine/spec/checkpoint-format';
import { runConfigSchema } from '../../engine/spec/config-schema';
import type { StepProfile } from '../../engine/spec/profile-summary';
import type { EvalResult, MetricRow } from '../../engine/spec/run-records';
import { describeIssues, mapViewSchema, runViewsSchema } from './command-schema';
import type { GpuCounters } from './gpu-counters';

const requestId = z.number().int().nonnegative();
const runId = z.number().int();
const phase = z.enum(['teacher', 'student']) satisfies z.ZodType<Phase>;
const isObject = (v: unknown) => typeof v === 'object' && v !== null;
/** An object produced by the engine, typed by it; checked only for being an object. */
const engineObject = <T>(what: string) => z.custom<T>(isObject, `expected ${what}`);
const floats = z.custom<Float32Array>((v) => v instanceof Float32Array, 'expected a Float32Array');

const stepTimingSchema = z.strictObject({ msPerStep: z.number(), cutShort: z.boolean() });

export const runStatusSchema = z.enum(['loading', 'training', 'paused', 'done', 'idle']);

/** The three relation maps of one model for the current view. */
export const modelMapsSchema = z.strictObject({
  /** [N, N] for the viewed image. */
  intra: floats,
  /** [B, B] for the viewed patch position. */
  inter: floats,
  /** [K, K] over the random sample. */
  random: floats,
});

export const mapsPayloadSchema = z.strictObject({
  view: mapViewSchema,
  /** Student block and teacher block of the viewed pair. */
  blocks: z.tuple([z.number().int(), z.number().int()]),
  patches: z.number().int(),
  batch: z.number().int(),
  k: z.number().int(),
  teacher: modelMapsSchema,
  student: modelMapsSchema.nullable(),
  /** The viewed probe image as RGB bytes (imageSize^2 * 3), for drawing it beside the map. */
  image: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected a Uint8Array'),
  imageSize: z.number().int(),
  /** Class index of each probe image. */
  labels: z.array(z.number().int()),
  /**
   * Intra-image map distance of every student block to every teacher block on the probe batch,
   * row-major [studentBlocks x teacherBlocks]; null while there is no student.
   */
  blockMatch: z
    .strictObject({ studentBlocks: z.number().int(), teacherBlocks: z.number().int(), values: floats })
    .nullable(),
});

export const predictionSchema = z.strictObject({
  /** Top classes, most likely first. */
  top: z.array(z.strictObject({ label: z.number().int(), name: z.string(), p: z.number() })),
});

export const imageAnalysisSchema = z.strictObject({
  id: z.string(),
  teacher: predictionSchema,
  student: predictionSchema.nullable(),
  /** Intra-image maps [N, N] of this image at the chosen pair. */
  teacherIntra: floats,
  studentIntra: floats.nullable(),
});

export const workerEventSchema = z.discriminatedUnion('type', [
  /** A backend's start began or ended (BackendSetup.onStart): the page times each start. */
  z.strictObject({
    type: z.literal('backend.progress'),
    name: z.enum(BACKEND_NAMES),
    stage: z.enum(['starting', 'started']),
  }),
  z.strictObject({
    type: z.literal('backend.ready'),
    requestId,
    backend: engineObject<ActiveBackend>('a backend description'),
    selfTests: z.array(engineObject<SelfTestResult>('a self-test result')),
  }),
  /** Step times for the estimate before Start (backend.estimate), or why there are none. */
  z.strictObject({
    type: z.literal('backend.estimate'),
    requestId,
    /** Milliseconds a step per phase asked for; `cutShort`: at least that long. */
    timings: z
      .strictObject({ teacher: stepTimingSchema.optional(), student: stepTimingSchema.optional() })
      .nullable(),
    /** Why nothing was measured (null when timings are there). */
    unmeasured: z.string().nullable(),
  }),
  z.strictObject({
    type: z.literal('data.ready'),
    requestId,
    name: z.string(),
    classNames: z.array(z.string()),
    trainCount: z.number().int(),
    testCount: z.number().int(),
  }),
  z.strictObject({
    type: z.literal('run.status'),
    runId,
    status: runStatusSchema,
    phase,
    step: z.number().int(),
    totalSteps: z.number().int(),
    /** Why it stopped, in words, when it paused by itself. */
    reason: z.string().nullable(),
  }),
  /** The config the run trains with, as applied: on start, on resume and after a weight change. */
  z.strictObject({
    type: z.literal('run.config'),
    runId,
    phase,
    step: z.number().int(),
    config: runConfigSchema,
  }),
  z.strictObject({
    type: z.literal('run.progress'),
    runId,
    phase,
    step: z.number().int(),
    totalSteps: z.number().int(),
    epoch: z.number().int(),
    imagesPerSecond: z.number(),
    /** NaN until the speed is known. */
    etaSeconds: z.union([z.number(), z.nan()]),
  }),
  z.strictObject({
    type: z.literal('run.metrics'),
    runId,
    phase,
    rows: z.array(engineObject<MetricRow>('a metric row')),
  }),
  z.strictObject({
    type: z.literal('run.eval'),
    runId,
    phase,
    result: engineObject<EvalResult>('an evaluation'),
  }),
  z.strictObject({
    type: z.literal('run.checkpointed'),
    runId,
    phase,
    step: z.number().int(),
    where: z.literal('indexeddb'),
  }),
  z.strictObject({
    type: z.literal('run.fault'),
    runId,
    kind: z.enum(['nan', 'device-lost', 'memory']),
    message: z.string(),
    term: z.string().nullable(),
  }),
  /** The step profile a run.profile asked for: per kernel, calls and ms per step. */
  z.strictObject({
    type: z.literal('run.profile'),
    requestId,
    runId,
    profile: engineObject<StepProfile>('a step profile'),
  }),
  /** The run's memory, with each count's peak over the steps since the last report. */
  z.strictObject({
    type: z.literal('run.memory'),
    runId,
    memory: engineObject<MemorySample>('a memory sample'),
  }),
  z.strictObject({ type: z.literal('maps'), runId, phase, step: z.number().int(), maps: mapsPayloadSchema }),
  z.strictObject({
    type: z.literal('images.result'),
    requestId,
    results: z.array(imageAnalysisSchema),
    /** Inter-image maps across these images, [N*B*B] (B x B per patch position), when there are two or more. */
    across: z
      .strictObject({
        ids: z.array(z.string()),
        patches: z.number().int(),
        teacher: floats,
        student: floats.nullable(),
      })
      .nullable(),
  }),
  z.strictObject({
    type: z.literal('model.exported'),
    requestId,
    manifest: engineObject<CheckpointManifest>('a checkpoint manifest'),
    weights: z.instanceof(ArrayBuffer),
  }),
  z.strictObject({
    type: z.literal('saved.runs'),
    requestId,
    /** Every saved run, newest first: what the resume offer lists. */
    runs: z.array(
      z.strictObject({
        id: z.string(),
        phase,
        step: z.number().int(),
        totalSteps: z.number().int(),
        savedAt: z.number(),
        config: runConfigSchema,
        /** Its run is open in a tab (another one, or this one before a reload finished). */
        openElsewhere: z.boolean(),
      }),
    ),
  }),
  /** The views kept with a saved run, and the phase and step of its checkpoint; null when none were kept. */
  z.strictObject({
    type: z.literal('saved.views'),
    requestId,
    saved: z.strictObject({ views: runViewsSchema, phase, step: z.number().int() }).nullable(),
  }),
  z.strictObject({
    type: z.literal('debug.counters'),
    requestId,
    counters: engineObject<GpuCounters>('GPU counters'),
    tensors: z.number().int(),
    step: z.number().int(),
  }),
  /**
   * How far a download of the site's files is (the starter set, a CIFAR archive, a shipped
   * teacher): bytes read against the responses' length (download.ts).
   */
  z.strictObject({
    type: z.literal('download.progress'),
    label: z.string(),
    loadedBytes: z.number().nonnegative(),
    /** Null while some file's length is unknown. */
    totalBytes: z.number().nonnegative().nullable(),
    state: z.enum(['loading', 'stalled', 'done', 'failed']),
    /** Why it failed or is stalled, in words. */
    message: z.string().nullable(),
  }),
  /** Acknowledges a command that has no other answer. */
  z.strictObject({ type: z.literal('ok'), requestId }),
  z.strictObject({
    type: z.literal('error'),
    /** The command that failed, when the failure belongs to one. */
    requestId: requestId.nullable(),
    name: z.string(),
    message: z.string(),
    stack: z.string().nullable(),
  }),
]);

export type ParsedEvent =
  | { ok: true; event: z.infer<typeof workerEventSchema> }
  | { ok: false; message: string };

export function parseWorkerEvent(data: unknown): ParsedEvent {
  const result = workerEventSchema.safeParse(data);
  if (result.success) return { ok: true, event: result.data };
  return {
    ok: false,
    message: `The worker sent a message this page does not understand; it was ignored (${describeIssues(result.error)}).`,
  };
}

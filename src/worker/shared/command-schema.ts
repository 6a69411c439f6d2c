/**
 * The commands the page sends the worker, as zod schemas: protocol.ts infers the `Command`
 * type from them, so the type and the check cannot drift. Objects are strict, so a field the
 * worker does not know is an error, not silently dropped. The worker parses every message here
 * (its one entry point) and acts only on what passed.
 */
import { z } from 'zod';
import type { SelfTestResult } from '../../engine/spec/backend-report';
import type { CheckpointManifest } from '../../engine/spec/checkpoint-format';
import { lossSchema, runConfigSchema } from '../../engine/spec/config-schema';

const requestId = z.number().int().nonnegative();
const blob = z.instanceof(Blob);
const count = z.number().int().nonnegative();
const isSelfTestResult = (v: unknown): boolean =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as SelfTestResult).backend === 'string' &&
  typeof (v as SelfTestResult).passed === 'boolean';
// The manifest's inner structure is checked by validateManifest when it is decoded.
const manifest = z.custom<CheckpointManifest>(
  (v) => typeof v === 'object' && v !== null,
  'expected a checkpoint manifest',
);

/** Where the data comes from. Files are structured-cloned File/Blob objects, read in the worker. */
export const dataSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('synthetic') }),
  /** The CIFAR-10 starter set shipped with the app: the absolute URL of its folder (manifest.json). */
  z.strictObject({ kind: z.literal('starter'), url: z.string() }),
  /** An archive served by the site itself (public/data/cifar-10-binary.tar.gz), streamed from its URL. */
  z.strictObject({ kind: z.literal('archive-url'), url: z.string(), name: z.string() }),
  /** The official cifar-10-binary.tar.gz (or CIFAR-100's). */
  z.strictObject({ kind: z.literal('archive'), file: blob, name: z.string() }),
  /** The .bin (and .txt meta) files themselves. */
  z.strictObject({
    kind: z.literal('files'),
    files: z.array(z.strictObject({ name: z.string(), file: blob })).min(1),
  }),
]);

/** A teacher shipped with the site: its name and the absolute URL of its folder (model.json, weights.bin). */
const siteTeacherSchema = z.strictObject({ name: z.string(), url: z.string() });

/** How a run gets its teacher: trained here, from a checkpoint the page has, or shipped (the worker downloads it). */
export const teacherSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('train') }),
  z.strictObject({ kind: z.literal('checkpoint'), manifest, weights: z.instanceof(ArrayBuffer) }),
  siteTeacherSchema.extend({ kind: z.literal('site') }),
]);

/**
 * Which relation maps the page shows: a layer pair, an image of the probe batch, a patch
 * position. `blocks` (student block, teacher block) shows a pair the run does not train on,
 * picked on the block-match grid; null or absent shows configured pair `pair`.
 */
export const mapViewSchema = z.strictObject({
  pair: count,
  image: count,
  position: count,
  blocks: z.tuple([count, count]).nullable().optional(),
});

/** An image from the page, already resized to the model's input: RGB bytes, row-major. */
export const probeImageSchema = z.strictObject({
  id: z.string(),
  rgb: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected a Uint8Array'),
});

/** A chart row: its step and one number per series (NaN or infinite too: a loss that blew up is shown). */
type ViewRow = { step: number; [series: string]: number | undefined };
const chartRow = z.custom<ViewRow>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { step?: unknown }).step === 'number' &&
    Object.values(v).every((x) => x === undefined || typeof x === 'number'),
  'expected a chart row (a step and numbers)',
);
/**
 * The page's views of a run, kept with its save: its chart rows and weight markers, and the
 * relation-map timeline (the page's own snapshots, checked as objects: the page made them and
 * reads them back). Bounded by the page: rows as the charts keep them, at most 100 snapshots.
 */
export const runViewsSchema = z.strictObject({
  /** The step they were read at: what comes after belongs to steps not saved yet. */
  step: count,
  teacherRows: z.array(chartRow),
  studentRows: z.array(chartRow),
  accuracyRows: z.array(chartRow),
  markers: z.array(z.strictObject({ step: z.number(), label: z.string() })),
  mapTimeline: z
    .array(z.custom<object>((v) => typeof v === 'object' && v !== null, 'expected a map snapshot'))
    .max(1000),
});

/** A save slot's id: letters, digits and dashes (the page makes them). */
const saveId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'a save id is 1-64 letters, digits or dashes');

export const commandSchema = z.discriminatedUnion('type', [
  /** Start TF.js on `choice` (or the best available), self-test it, fall back on failure. */
  z.strictObject({
    type: z.literal('backend.init'),
    requestId,
    choice: runConfigSchema.shape.backend,
    /** The config `auto` times its candidates on (absent: the first backend that passes its self-test). */
    config: runConfigSchema.optional(),
    /** At most this many wasm threads (1: the unthreaded build); the page's fallback after a start that hung. */
    wasmThreads: z.number().int().min(1).max(16).optional(),
    /** Test hook (?testhooks&hangstart): the first start of a backend other than cpu blocks the worker for good. */
    hangForTest: z.literal(true).optional(),
    /**
     * Self-tests this page has seen pass in an earlier worker: a backend among them starts
     * without testing again when it runs on the same adapter (a restart after a fault).
     */
    trusted: z.array(z.custom<SelfTestResult>(isSelfTestResult, 'expected a self-test result')).optional(),
  }),
  /** The step time of `config` on the active backend, per phase, for the estimate before Start. */
  z.strictObject({
    type: z.literal('backend.estimate'),
    requestId,
    config: runConfigSchema,
    phases: z
      .array(z.enum(['teacher', 'student']))
      .min(1)
      .max(2),
  }),
  z.strictObject({ type: z.literal('data.load'), requestId, source: dataSourceSchema }),
  /** Start a run (teacher phase first unless a teacher is given), or continue the saved one. */
  z.strictObject({
    type: z.literal('run.start'),
    requestId,
    runId: count,
    config: runConfigSchema,
    teacher: teacherSourceSchema,
    /** The run's save slot (IndexedDB), chosen by the page: one per run, so tabs never share one. */
    saveId,
    /** Continue the run saved under `saveId` instead of starting fresh. */
    resumeSaved: z.boolean(),
    /** Start paused (so "Step" can run the first steps one by one). */
    paused: z.boolean(),
    /**
     * The page's supervisor ended this tab's earlier worker of the run (a lost device, a hang):
     * take the slot's lock from it, which the browser may not yet have released.
     */
    takeOverSlot: z.boolean().optional(),
  }),
  z.strictObject({ type: z.literal('run.pause'), requestId }),
  z.strictObject({ type: z.literal('run.resume'), requestId }),
  /** Run exactly `count` steps, then pause. */
  z.strictObject({ type: z.literal('run.step'), requestId, count: z.number().int().min(1).max(100_000) }),
  /** Drop the run (models, optimizer) but keep data and backend; nothing saved is deleted. */
  z.strictObject({ type: z.literal('run.reset'), requestId }),
  /** New loss weights for the student, from the next step on; optimizer state is kept. */
  z.strictObject({ type: z.literal('run.setLoss'), requestId, loss: lossSchema.partial() }),
  z.strictObject({ type: z.literal('run.evaluate'), requestId }),
  /** Profile the run's next `steps` steps (answered with run.profile once they have run). */
  z.strictObject({ type: z.literal('run.profile'), requestId, steps: z.number().int().min(1).max(50) }),
  z.strictObject({ type: z.literal('maps.view'), requestId, view: mapViewSchema }),
  z.strictObject({
    type: z.literal('images.analyze'),
    requestId,
    images: z.array(probeImageSchema).max(64),
    pair: count,
    /** Before any run: the shipped teacher to judge them with (ignored while a run exists). */
    teacher: siteTeacherSchema.optional(),
  }),
  z.strictObject({ type: z.literal('model.export'), requestId }),
  /** Save the run now (the page is being hidden or closed): best effort, the worker may die first. */
  z.strictObject({ type: z.literal('run.save'), requestId }),
  z.strictObject({ type: z.literal('saved.list'), requestId }),
  z.strictObject({ type: z.literal('saved.delete'), requestId, id: saveId }),
  /** Keep the page's views of a saved run (curves, map timeline) in its slot. */
  z.strictObject({ type: z.literal('saved.keepViews'), requestId, id: saveId, views: runViewsSchema }),
  /** The views kept for a saved run (answered with saved.views). */
  z.strictObject({ type: z.literal('saved.views'), requestId, id: saveId }),
  /**
   * Whether the worker still answers: handled ahead of the command queue and answered with ok,
   * so only a thread that is gone or stuck leaves it unanswered (the page's liveness-watch.ts).
   */
  z.strictObject({ type: z.literal('worker.ping'), requestId }),
  z.strictObject({ type: z.literal('debug.counters'), requestId }),
  /** Test hooks: poison the loss with NaN, or destroy the GPU device. */
  z.strictObject({ type: z.literal('debug.fault'), requestId, fault: z.enum(['nan', 'device-lost']) }),
  /**
   * Test hooks: a fault injected through the worker's own globals (fault-injection.ts), handled
   * ahead of the command queue so that a hung read cannot hold it back.
   */
  z.strictObject({
    type: z.literal('debug.inject'),
    requestId,
    fault: z.enum(['device-lost', 'hang-reads', 'storage-full', 'close']),
    atStep: z.number().int().nonnegative().nullable(),
  }),
]);

export type ParsedCommand =
  | { ok: true; command: z.infer<typeof commandSchema> }
  | { ok: false; requestId: number | null; message: string };

/** Lists up to five problems as "path: message", for error replies that say what was wrong. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || 'message'}: ${i.message}`)
    .join('; ');
}

export function parseCommand(data: unknown): ParsedCommand {
  const result = commandSchema.safeParse(data);
  if (result.success) return { ok: true, command: result.data };
  const id = typeof data === 'object' && data !== null && 'requestId' in data ? data.requestId : null;
  return {
    ok: false,
    requestId: typeof id === 'number' ? id : null,
    message: `Malformed command to the worker (${describeIssues(result.error)}).`,
  };
}

/**
 * Runtime validation of commands arriving at the worker: a malformed message gets an error
 * reply naming what is wrong, never a crash or a silent half-run.
 */
import { z } from 'zod';
import type { CheckpointManifest } from '../engine/checkpoint';
import { lossSchema, runConfigSchema } from '../engine/config-schema';
import type { Command } from './protocol';

const requestId = z.number().int().nonnegative();
const blob = z.instanceof(Blob);
const count = z.number().int().nonnegative();
// The manifest's inner structure is checked by validateManifest when it is decoded.
const manifest = z.custom<CheckpointManifest>(
  (v) => typeof v === 'object' && v !== null,
  'expected a checkpoint manifest',
);

const dataSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('synthetic') }),
  z.object({ kind: z.literal('archive'), file: blob, name: z.string() }),
  z.object({ kind: z.literal('files'), files: z.array(z.object({ name: z.string(), file: blob })).min(1) }),
]);

const teacherSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('train') }),
  z.object({ kind: z.literal('checkpoint'), manifest, weights: z.instanceof(ArrayBuffer) }),
]);

export const commandSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('backend.init'),
    requestId,
    choice: z.enum(['auto', 'webgpu', 'webgl', 'wasm', 'cpu']),
  }),
  z.object({ type: z.literal('data.load'), requestId, source: dataSource }),
  z.object({
    type: z.literal('run.start'),
    requestId,
    runId: count,
    config: runConfigSchema,
    teacher: teacherSource,
    resumeSaved: z.boolean(),
    paused: z.boolean(),
  }),
  z.object({ type: z.literal('run.pause'), requestId }),
  z.object({ type: z.literal('run.resume'), requestId }),
  z.object({ type: z.literal('run.step'), requestId, count: z.number().int().min(1).max(100_000) }),
  z.object({ type: z.literal('run.reset'), requestId }),
  z.object({ type: z.literal('run.setLoss'), requestId, loss: lossSchema.partial() }),
  z.object({ type: z.literal('run.evaluate'), requestId }),
  z.object({
    type: z.literal('maps.view'),
    requestId,
    view: z.object({ pair: count, image: count, position: count }),
  }),
  z.object({
    type: z.literal('images.analyze'),
    requestId,
    images: z.array(z.object({ id: z.string(), rgb: z.instanceof(Uint8Array) })).max(64),
    pair: count,
  }),
  z.object({ type: z.literal('model.export'), requestId }),
  z.object({ type: z.literal('saved.peek'), requestId }),
  z.object({ type: z.literal('saved.clear'), requestId }),
  z.object({ type: z.literal('debug.counters'), requestId }),
  z.object({ type: z.literal('debug.fault'), requestId, fault: z.enum(['nan', 'device-lost']) }),
]);

// Compile-time check that the schema and the protocol's Command type describe the same thing.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _schemaMatchesProtocol: Same<z.infer<typeof commandSchema>['type'], Command['type']> = true;
void _schemaMatchesProtocol;

export type ParsedCommand =
  | { ok: true; command: Command }
  | { ok: false; requestId: number | null; message: string };

export function parseCommand(data: unknown): ParsedCommand {
  const result = commandSchema.safeParse(data);
  if (result.success) return { ok: true, command: result.data as Command };
  const id = (data as { requestId?: unknown } | null)?.requestId;
  const issues = result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || 'message'}: ${i.message}`)
    .join('; ');
  return {
    ok: false,
    requestId: typeof id === 'number' ? id : null,
    message: `Malformed command to the worker (${issues}).`,
  };
}

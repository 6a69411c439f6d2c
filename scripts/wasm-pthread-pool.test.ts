/**
 * The build's patch of tfjs-backend-wasm's threaded factory (vite.config.ts), on the factory
 * tfjs ships: each change lands exactly once, the pool reads the engine's global (2 threads
 * make a pool of 2 workers, not emscripten's 8) and takes the page's pthread workers before it
 * makes nested ones, the host script talks through its port, and code that no longer matches
 * fails loudly.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { CLOSE_HOST, TAKE_PTHREAD_WORKER_GLOBAL } from '../src/worker/shared/wasm-pthread-hosts';
import { patchThreadedWasmFactory, pthreadHostSource, WASM_PTHREAD_POOL_GLOBAL } from '../vite.config';

const FACTORY = readFileSync(
  createRequire(import.meta.url).resolve(
    '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js',
  ),
  'utf8',
);

/** The pool size the patched initMainThread computes, run on its own with `global` as globalThis. */
function poolSize(code: string, global: Record<string, unknown>): number {
  const body = /initMainThread:function\(\)\{(var pthreadPoolSize=[^;]*;)/.exec(code)?.[1];
  if (!body) throw new Error('no initMainThread in the factory');
  return new Function('globalThis', `${body} return pthreadPoolSize;`)(global) as number;
}

/** What the factory's allocateUnusedWorker puts in its pool, run on its own with fakes around it. */
function allocate(code: string, global: Record<string, unknown>): unknown {
  const body = /allocateUnusedWorker:function\(\)\{(.*?)PThread\.unusedWorkers\.push\(worker\)\}/.exec(
    code,
  )?.[1];
  if (!body) throw new Error('no allocateUnusedWorker in the factory');
  class NestedWorker {
    constructor(readonly url: string) {}
  }
  return new Function('globalThis', 'Worker', 'locateFile', `${body} return worker;`)(
    global,
    NestedWorker,
    (name: string) => `blob:${name}`,
  );
}

describe("the threaded wasm factory's build patch", () => {
  it("fills the pool with the page's workers first, then with nested ones", () => {
    const patched = patchThreadedWasmFactory(FACTORY);
    const fromPage = { fromPage: true };
    const pageWorkers = [fromPage];
    const global = { [TAKE_PTHREAD_WORKER_GLOBAL]: () => pageWorkers.shift() };
    expect(allocate(patched, global)).toBe(fromPage);
    expect(allocate(patched, global)).toMatchObject({
      url: 'blob:tfjs-backend-wasm-threaded-simd.worker.js',
    });
    // The bench worker gets no page workers: the pool makes its own, as unpatched.
    expect(allocate(patched, {})).toMatchObject({ url: 'blob:tfjs-backend-wasm-threaded-simd.worker.js' });
    expect(allocate(FACTORY, global)).toMatchObject({
      url: 'blob:tfjs-backend-wasm-threaded-simd.worker.js',
    });
  });

  it('sizes the pthread pool from the global the engine sets, 8 without it', () => {
    const patched = patchThreadedWasmFactory(FACTORY);
    expect(poolSize(FACTORY, {})).toBe(8);
    expect(poolSize(patched, {})).toBe(8);
    expect(poolSize(patched, { [WASM_PTHREAD_POOL_GLOBAL]: 2 })).toBe(2);
    expect(patched.match(/var _scriptDir = undefined;/g)).toHaveLength(1);
  });

  it('reads the global that engine/backend.ts sets', () => {
    const engine = readFileSync(new URL('../src/engine/backend.ts', import.meta.url), 'utf8');
    expect(engine).toContain(`${WASM_PTHREAD_POOL_GLOBAL} = setup.wasmThreads`);
  });

  it("routes the host's messages through the page's port and closes on the port's word", () => {
    const listeners: ((e: unknown) => void)[] = [];
    const fakeSelf: Record<string, unknown> = {
      addEventListener: (type: string, f: (e: unknown) => void) => type === 'message' && listeners.push(f),
      postMessage: () => {
        throw new Error('a host must not post to the page');
      },
      close: () => {
        fakeSelf.closed = true;
      },
    };
    // Stands in for emscripten's pthread script: it answers every message through postMessage.
    const script = 'self.onmessage = function (e) { postMessage({ echo: e.data }); };';
    new Function(
      'self',
      'postMessage',
      `with (self) { ${pthreadHostSource(script).replace('"use strict";', '')} }`,
    )(fakeSelf, (m: unknown) => (fakeSelf.postMessage as (m: unknown) => void)(m));
    const sent: unknown[] = [];
    const port: Record<string, unknown> = { postMessage: (m: unknown) => sent.push(m), close: () => {} };
    let stopped = false;
    for (const f of listeners)
      f({ data: { kdPthreadPort: port }, stopImmediatePropagation: () => (stopped = true) });
    expect(stopped).toBe(true);
    (port.onmessage as (e: unknown) => void)({ data: { cmd: 'load' } });
    expect(sent).toEqual([{ echo: { cmd: 'load' } }]);
    (port.onmessage as (e: unknown) => void)({ data: CLOSE_HOST });
    expect(fakeSelf.closed).toBe(true);
  });

  it('refuses a factory whose code has changed', () => {
    expect(() =>
      patchThreadedWasmFactory(FACTORY.replace('var pthreadPoolSize=8;', 'var pthreadPoolSize=4;')),
    ).toThrow(/pthreadPoolSize=8/);
    expect(() => patchThreadedWasmFactory('function(Other) {}')).toThrow(/opening line/);
  });
});

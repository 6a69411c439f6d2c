/**
 * The build's patch of tfjs-backend-wasm's threaded factory (vite.config.ts), on the factory
 * tfjs ships: both changes land exactly once, the pool reads the engine's global (2 threads
 * make a pool of 2 workers, not emscripten's 8), and code that no longer matches fails loudly.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { patchThreadedWasmFactory, WASM_PTHREAD_POOL_GLOBAL } from '../vite.config';

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

describe("the threaded wasm factory's build patch", () => {
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

  it('refuses a factory whose code has changed', () => {
    expect(() =>
      patchThreadedWasmFactory(FACTORY.replace('var pthreadPoolSize=8;', 'var pthreadPoolSize=4;')),
    ).toThrow(/pthreadPoolSize=8/);
    expect(() => patchThreadedWasmFactory('function(Other) {}')).toThrow(/opening line/);
  });
});

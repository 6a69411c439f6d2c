import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from './cli';
import {
  type DawnModule,
  describeAdapter,
  installNodeWebGpu,
  loadDawn,
  MISSING_PACKAGE,
  noAdapterMessage,
} from './node-webgpu';

const g = globalThis as Record<string, unknown>;
const had = { navigator: Object.getOwnPropertyDescriptor(globalThis, 'navigator'), marker: g.GPUMarker };

afterEach(() => {
  if (had.navigator) Object.defineProperty(globalThis, 'navigator', had.navigator);
  else delete g.navigator;
  const nav = g.navigator as Record<string, unknown> | undefined;
  if (nav && Object.getOwnPropertyDescriptor(nav, 'gpu')) delete nav.gpu;
  delete g.GPUMarker;
});

/** A stand-in for Dawn: its adapter (or none), and one global to see installed. */
function fakeDawn(adapter: object | null): () => Promise<{ dawn: DawnModule; version: string }> {
  const gpu = { requestAdapter: async () => adapter } as unknown as GPU;
  return async () => ({ dawn: { create: () => gpu, globals: { GPUMarker: 1 } }, version: '9.9.9' });
}

describe('WebGPU in Node (--node-webgpu)', () => {
  it('says to install the package when it is missing', async () => {
    const err = await loadDawn(() => {
      throw new Error('Cannot find module');
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(MISSING_PACKAGE);
    expect(MISSING_PACKAGE).toContain('npm i webgpu');
  });

  it('fails with a clear message when Dawn finds no adapter, and installs nothing', async () => {
    const err = await installNodeWebGpu(fakeDawn(null)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(noAdapterMessage());
    expect((err as Error).message).toMatch(/found no WebGPU adapter/);
    expect(g.GPUMarker).toBeUndefined();
  });

  it('puts the adapter where TF.js looks (navigator.gpu) and names it from its info getters', async () => {
    // Dawn's GPUAdapterInfo fields are getters on the prototype, not own properties.
    class Info {
      get vendor() {
        return 'google';
      }
      get architecture() {
        return 'swiftshader';
      }
      get description() {
        return 'SwiftShader driver 5.0.0';
      }
      get isFallbackAdapter() {
        return true;
      }
    }
    const result = await installNodeWebGpu(fakeDawn({ info: new Info() }));
    expect(result).toEqual({
      adapter: 'google swiftshader (SwiftShader driver 5.0.0)',
      emulated: true,
      packageVersion: '9.9.9',
    });
    expect((g.navigator as { gpu?: unknown }).gpu).toBeDefined();
    expect(g.GPUMarker).toBe(1);
  });

  it('tells a software adapter from a GPU', () => {
    expect(describeAdapter({ vendor: 'mesa', architecture: 'llvmpipe' }).emulated).toBe(true);
    expect(describeAdapter({ vendor: 'nvidia', architecture: 'hopper', isFallbackAdapter: false })).toEqual({
      adapter: 'nvidia hopper',
      emulated: false,
    });
    expect(describeAdapter({}).adapter).toBe('unnamed adapter');
  });
});

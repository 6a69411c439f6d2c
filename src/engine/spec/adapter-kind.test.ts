import { describe, expect, it } from 'vitest';
import { adapterName, classifyAdapter } from './adapter-kind';

describe('classifyAdapter', () => {
  it('calls Chromium SwiftShader software, by its architecture or by the fallback flag alone', () => {
    expect(classifyAdapter({ vendor: 'google', architecture: 'swiftshader' })).toBe('software');
    expect(classifyAdapter({ vendor: '', architecture: '', isFallbackAdapter: true })).toBe('software');
  });

  it("calls Mesa's and Windows' CPU drivers software, whichever field names them", () => {
    expect(classifyAdapter({ vendor: 'mesa', device: 'llvmpipe (LLVM 19.1.7, 256 bits)' })).toBe('software');
    expect(classifyAdapter({ description: 'Microsoft Basic Render Driver' })).toBe('software');
    expect(classifyAdapter({ vendor: 'microsoft', architecture: 'warp' })).toBe('software');
  });

  it('calls a named hardware adapter a GPU', () => {
    expect(classifyAdapter({ vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: false })).toBe(
      'gpu',
    );
    expect(classifyAdapter({ vendor: 'apple', architecture: 'metal-3' })).toBe('gpu');
    expect(classifyAdapter({ description: 'Intel(R) Iris(R) Xe Graphics' })).toBe('gpu');
    // "warp" inside a word is not Microsoft's WARP.
    expect(classifyAdapter({ vendor: 'qualcomm', description: 'Adreno warpdrive 740' })).toBe('gpu');
  });

  it("says hidden when the browser gives only empty strings (Firefox's adapter info)", () => {
    expect(classifyAdapter({ vendor: '', architecture: '', device: '', description: '' })).toBe('hidden');
    expect(classifyAdapter({ vendor: '  ', isFallbackAdapter: false })).toBe('hidden');
    expect(classifyAdapter({})).toBe('hidden');
  });
});

describe('adapterName', () => {
  it('names vendor and architecture, else the description, else nothing', () => {
    expect(adapterName({ vendor: 'google', architecture: 'swiftshader' })).toBe('google swiftshader');
    expect(adapterName({ vendor: '', description: 'Apple M2' })).toBe('Apple M2');
    expect(adapterName({ vendor: '', architecture: '', description: '' })).toBeNull();
  });
});

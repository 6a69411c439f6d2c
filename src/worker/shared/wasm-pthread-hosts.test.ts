import { describe, expect, it } from 'vitest';
import { wasmThreadCount } from '../../engine/diagnostics/backend-choice';
import { isPthreadPortsMessage, pthreadHostCount } from './wasm-pthread-hosts';

describe("the page's pthread hosts", () => {
  it("are as many as the worker's threaded pool takes, none where wasm runs one thread", () => {
    for (const isolated of [true, false]) {
      for (const cores of [undefined, Number.NaN, -1, 0, 1, 2, 3, 4, 7, 8, 16, 17, 64]) {
        const threads = wasmThreadCount(cores, isolated);
        expect(pthreadHostCount(cores, isolated), `${cores} cores, isolated ${isolated}`).toBe(
          threads > 1 ? threads : 0,
        );
      }
    }
  });

  it('tells the ports message from a command', () => {
    expect(isPthreadPortsMessage({ kind: 'wasm.pthreadPorts', ports: [] })).toBe(true);
    expect(isPthreadPortsMessage({ type: 'backend.init', requestId: 1 })).toBe(false);
    expect(isPthreadPortsMessage(null)).toBe(false);
    expect(isPthreadPortsMessage({ kind: 'wasm.pthreadPorts' })).toBe(false);
  });
});

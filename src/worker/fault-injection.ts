/// <reference lib="webworker" />
/**
 * Test hook: faults injected into this worker through its own globals, the way a broken
 * driver, a full disk or a killed worker would show them. Nothing here calls the page's
 * recovery; the page has to notice each fault by itself. Only the debug.inject command
 * reaches this file, and the page sends that only when opened with ?testhooks.
 */
import { webgpuDevice } from '../engine/gpu-device';

declare const self: DedicatedWorkerGlobalScope;

export type InjectedFault = 'device-lost' | 'hang-reads' | 'storage-full' | 'close';

/** The step at which to destroy the GPU device (device-lost), or null. */
let loseDeviceAt: number | null = null;

function gpuDevice(): GPUDevice {
  const device = webgpuDevice();
  if (!device) throw new Error('The active backend has no GPU device to lose.');
  return device;
}

/**
 * Arms or applies one fault. 'device-lost' destroys the device once a step at or past `atStep`
 * has been enqueued (at once when `atStep` is null); the others patch a global for the rest of
 * this worker's life.
 */
export function injectFault(fault: InjectedFault, atStep: number | null): void {
  switch (fault) {
    case 'device-lost':
      if (atStep === null) gpuDevice().destroy();
      else loseDeviceAt = atStep;
      return;
    case 'hang-reads':
      // Every later GPU read waits forever, as on a hung GPU (a TDR that never comes).
      GPUBuffer.prototype.mapAsync = () => new Promise<undefined>(() => {});
      return;
    case 'storage-full':
      IDBObjectStore.prototype.put = () => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      };
      return;
    case 'close':
      // As a crashed or killed worker: no error event, no message, nothing more from here.
      self.close();
      return;
    default: {
      const unknown: never = fault;
      throw new Error(`Unknown fault ${String(unknown)}`);
    }
  }
}

/** Called by the run loop after each enqueued step: loses the device when one was armed for it. */
export function stepEnqueued(step: number): void {
  if (loseDeviceAt === null || step < loseDeviceAt) return;
  loseDeviceAt = null;
  gpuDevice().destroy();
}

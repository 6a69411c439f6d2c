import { expect, type Page } from '@playwright/test';

/** What the page exposes on window.__kd when opened with ?testhooks (see src/main.tsx). */
export interface KdHooks {
  counters: () => Promise<{
    counters: { dispatches: number; readbacks: number; uploadBytes: number; uniformBytes: number };
    tensors: number;
    step: number;
  }>;
  fault: (f: 'nan' | 'device-lost') => Promise<unknown>;
  step: (n: number) => Promise<boolean>;
  store: { getState: () => StoreState };
}

/** Opens the app with test hooks and waits until the worker's backend is up. */
export async function openApp(page: Page, hash: string): Promise<void> {
  await page.goto(`/?testhooks${hash}`);
  await expect(page.getByTestId('status')).toHaveText(/^idle/, { timeout: 150_000 });
}

export async function stepValue(page: Page): Promise<number> {
  return Number(await page.getByTestId('step').textContent());
}

/** The page's store state, typed loosely: tests read plain data out of it. */
export type StoreState = {
  run: {
    status: string;
    phase: string;
    step: number;
    reason: string | null;
    teacherRows: ({ step: number } & Record<string, number | undefined>)[];
    studentRows: ({ step: number } & Record<string, number | undefined>)[];
    accuracyRows: Record<string, number>[];
    markers: { step: number; label: string }[];
    lastCheckpointStep: number | null;
  };
  maps: null | {
    step: number;
    phase: string;
    teacher: Record<'intra' | 'inter' | 'random', Float32Array>;
    student: null | Record<'intra' | 'inter' | 'random', Float32Array>;
  };
  config: { loss: Record<string, number | string> };
  toasts: { kind: string; message: string }[];
};

declare global {
  interface Window {
    __kd: KdHooks;
  }
}

export async function waitForStep(page: Page, atLeast: number, timeout = 150_000): Promise<void> {
  await expect.poll(() => stepValue(page), { timeout, intervals: [500] }).toBeGreaterThanOrEqual(atLeast);
}

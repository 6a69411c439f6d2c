import AxeBuilder from '@axe-core/playwright';
import { type Browser, expect, type Page } from '@playwright/test';
import { type MainThreadTask, mainThreadTasks, type TraceEvent } from '../scripts/lib/main-thread-trace';

/** What the page exposes on window.__kd when opened with ?testhooks (see src/main.tsx). */
export interface KdHooks {
  counters: () => Promise<{
    counters: {
      dispatches: number;
      submits: number;
      readbacks: number;
      checkpointReadbacks: number;
      uploadBytes: number;
      uniformBytes: number;
    };
    tensors: number;
    step: number;
  }>;
  fault: (f: 'nan' | 'device-lost') => Promise<unknown>;
  step: (n: number) => Promise<boolean>;
  stallLimits: (limits: { floorMs?: number; firstStepMs?: number }) => void;
  store: { getState: () => StoreState };
}

/** Opens the app with test hooks and waits until the worker's backend is up. */
export async function openApp(page: Page, hash: string): Promise<void> {
  await page.goto(`/?testhooks${hash}`);
  await expect(page.getByTestId('status')).toHaveText(/^idle/, { timeout: 150_000 });
}

/** Has the page train its own teacher: shipped teachers would skip the teacher phase. */
export async function trainTeacherHere(page: Page): Promise<void> {
  await page.getByLabel('Teacher', { exact: true }).selectOption('train');
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

/** The step of the views kept with the page's saved run (IndexedDB, idb-keyval's database), or null when none are. */
export const savedViewsStep = (page: Page): Promise<number | null> =>
  page.evaluate(
    () =>
      new Promise<number | null>((resolve, reject) => {
        const open = indexedDB.open('keyval-store');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const store = open.result.transaction('keyval').objectStore('keyval');
          const keys = store.getAllKeys();
          keys.onsuccess = () => {
            const key = keys.result.map(String).find((k) => k.startsWith('manifold-kd/run-views/'));
            if (!key) return resolve(null);
            const get = store.get(key);
            get.onsuccess = () => resolve((get.result as { step: number }).step);
          };
        };
      }),
  );

/** Serious and critical problems of an axe-core scan, experimental rules included, one line each. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    // label-content-name-mismatch, among others, is an experimental rule: scan with it too.
    .options({ rules: { 'label-content-name-mismatch': { enabled: true } } })
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.nodes
          .slice(0, 5)
          .map((n) => `${n.target.join(' ')}: ${n.failureSummary?.replace(/\s+/g, ' ')}`)
          .join(' | ')}`,
    );
}

/** A filled rectangle of a made picture: colour, then x, y, width and height in pixels. */
export type Fill = [colour: string, x: number, y: number, width: number, height: number];

/** A square PNG painted in the page from these fills, dropped on the drop zone as a user would. */
export async function dropPicture(page: Page, name: string, size: number, fills: Fill[]): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    async ({ fileName, side, rects }) => {
      const canvas = new OffscreenCanvas(side, side);
      const ctx = canvas.getContext('2d')!;
      for (const [colour, x, y, w, h] of rects) {
        ctx.fillStyle = colour;
        ctx.fillRect(x, y, w, h);
      }
      const dt = new DataTransfer();
      dt.items.add(
        new File([await canvas.convertToBlob({ type: 'image/png' })], fileName, { type: 'image/png' }),
      );
      return dt;
    },
    { fileName: name, side: size, rects: fills },
  );
  await page.getByLabel('Drop images').dispatchEvent('drop', { dataTransfer });
}

export async function waitForStep(page: Page, atLeast: number, timeout = 150_000): Promise<void> {
  await expect.poll(() => stepValue(page), { timeout, intervals: [500] }).toBeGreaterThanOrEqual(atLeast);
}

/** A main-thread task over 50 ms, with the scripts the Long Animation Frames API blames for it. */
export interface LongTaskReport {
  /** Durations (ms) of long tasks (PerformanceObserver 'longtask'). */
  longTasks: number[];
  /** Long animation frames: duration, and each script's invoker and duration (ms). */
  frames: { duration: number; blocking: number; scripts: string[] }[];
}

/** Records the page's long tasks and long animation frames from the first script on. */
export async function observeLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: LongTaskReport };
    w.__longTasks = { longTasks: [], frames: [] };
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.longTasks.push(Math.round(e.duration));
    }).observe({ type: 'longtask', buffered: false });
    // Attribution only (which handler ran long); a browser without the API just reports none.
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as (PerformanceEntry & {
          blockingDuration: number;
          scripts: { invoker: string; duration: number; sourceURL: string }[];
        })[]) {
          if (e.duration <= 50) continue;
          w.__longTasks.frames.push({
            duration: Math.round(e.duration),
            blocking: Math.round(e.blockingDuration),
            scripts: e.scripts.map(
              (s) => `${s.invoker} ${Math.round(s.duration)} ms (${s.sourceURL.split('/').pop()})`,
            ),
          });
        }
      }).observe({ type: 'long-animation-frame', buffered: false });
    } catch {
      // No Long Animation Frames API: the long tasks above still count.
    }
  });
}

/** What observeLongTasks recorded since the last call, and starts afresh. */
export async function takeLongTasks(page: Page): Promise<LongTaskReport> {
  return page.evaluate(() => {
    const w = window as unknown as { __longTasks: LongTaskReport };
    const report = w.__longTasks;
    w.__longTasks = { longTasks: [], frames: [] };
    return report;
  });
}

/**
 * Starts a Chromium trace of the page's main-thread tasks. stopMainThreadTrace returns each
 * task's wall time and the CPU time its thread got (the trace's thread clock), in ms.
 */
export async function startMainThreadTrace(browser: Browser, page: Page): Promise<void> {
  await browser.startTracing(page, { categories: ['toplevel', 'disabled-by-default-devtools.timeline'] });
}

export async function stopMainThreadTrace(browser: Browser): Promise<MainThreadTask[]> {
  const { traceEvents } = JSON.parse((await browser.stopTracing()).toString()) as {
    traceEvents: TraceEvent[];
  };
  return mainThreadTasks(traceEvents);
}

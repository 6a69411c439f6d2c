/**
 * The page's main-thread tasks from a Chromium trace ('toplevel' category): each RunTask's wall
 * time and the CPU time its thread got (the thread clock, `tdur`). The e2e long-task test bounds
 * the CPU time on an emulated GPU, where waiting for a core inflates wall times; a trace without
 * thread times must fail that test, never pass it as 0 ms.
 *
 * Only the page's own renderer counts. A browser can hold other renderer processes (a spare one,
 * another site's), each with its own `CrRendererMain`: a fresh-clone CI once failed on an 83 ms
 * task that the page's long-task observer never saw. The page's process is the one its main frame
 * lives in, as the trace's `TracingStartedInBrowser` event says ('devtools.timeline' category),
 * plus any process a navigation of that frame committed to while tracing (`FrameCommittedInBrowser`).
 */

export interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  tid: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string; data?: TraceFrameData };
}

interface TraceFrame {
  frame: string;
  processId?: number;
  isOutermostMainFrame?: boolean;
  parent?: string;
}

interface TraceFrameData extends Partial<TraceFrame> {
  frames?: TraceFrame[];
}

export interface MainThreadTask {
  /** Wall time, ms. */
  wall: number;
  /** Thread (CPU) time, ms; null when the trace did not record it. */
  cpu: number | null;
}

/** The pids of the renderer(s) that held the traced page's main frame. */
export function pageRendererPids(traceEvents: TraceEvent[]): Set<number> {
  const started = traceEvents.find((e) => e.name === 'TracingStartedInBrowser');
  const mainFrames = (started?.args?.data?.frames ?? []).filter(
    (f) => f.isOutermostMainFrame ?? f.parent === undefined,
  );
  if (!mainFrames.length) {
    throw new Error(
      "The trace has no TracingStartedInBrowser event naming the page's main frame: trace the 'disabled-by-default-devtools.timeline' category too.",
    );
  }
  const frameIds = new Set(mainFrames.map((f) => f.frame));
  const pids = new Set(mainFrames.flatMap((f) => (f.processId === undefined ? [] : [f.processId])));
  for (const e of traceEvents) {
    const data = e.args?.data;
    if (e.name === 'FrameCommittedInBrowser' && data?.frame && frameIds.has(data.frame) && data.processId) {
      pids.add(data.processId);
    }
  }
  return pids;
}

export function mainThreadTasks(traceEvents: TraceEvent[]): MainThreadTask[] {
  const pagePids = pageRendererPids(traceEvents);
  const main = new Set(
    traceEvents
      .filter(
        (e) =>
          e.ph === 'M' &&
          e.name === 'thread_name' &&
          e.args?.name === 'CrRendererMain' &&
          pagePids.has(e.pid),
      )
      .map((e) => `${e.pid}:${e.tid}`),
  );
  return traceEvents
    .filter((e) => e.ph === 'X' && e.name === 'RunTask' && main.has(`${e.pid}:${e.tid}`))
    .map((e) => ({ wall: (e.dur ?? 0) / 1000, cpu: e.tdur === undefined ? null : e.tdur / 1000 }));
}

/**
 * The longest CPU time of any task. A task without a thread time counts with its wall time,
 * which bounds its CPU time from above; a trace with no thread time at all is an error.
 */
export function longestTaskCpu(tasks: MainThreadTask[]): number {
  if (!tasks.length) throw new Error('The trace holds no main-thread task.');
  const timed = tasks.filter((t) => t.cpu !== null).length;
  if (timed === 0) {
    throw new Error(
      `None of the trace's ${tasks.length} main-thread tasks has a thread time (tdur): the CPU bound cannot be checked.`,
    );
  }
  return Math.max(...tasks.map((t) => t.cpu ?? t.wall));
}

/**
 * The page's main-thread tasks from a Chromium trace ('toplevel' category): each RunTask's wall
 * time and the CPU time its thread got (the thread clock, `tdur`). The e2e long-task test bounds
 * the CPU time on an emulated GPU, where waiting for a core inflates wall times; a trace without
 * thread times must fail that test, never pass it as 0 ms.
 */

export interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  tid: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string };
}

export interface MainThreadTask {
  /** Wall time, ms. */
  wall: number;
  /** Thread (CPU) time, ms; null when the trace did not record it. */
  cpu: number | null;
}

export function mainThreadTasks(traceEvents: TraceEvent[]): MainThreadTask[] {
  const main = new Set(
    traceEvents
      .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
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

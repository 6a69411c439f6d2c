import { describe, expect, it } from 'vitest';
import { longestTaskCpu, mainThreadTasks, type TraceEvent } from './lib/main-thread-trace';

// As Chromium writes it: the browser (pid 100) names the frames it traces and their processes.
const started = (
  frames: { frame: string; processId: number; isOutermostMainFrame: boolean }[],
): TraceEvent => ({
  ph: 'I',
  name: 'TracingStartedInBrowser',
  pid: 100,
  tid: 100,
  args: { data: { frames } },
});
const names: TraceEvent[] = [
  started([{ frame: 'F1', processId: 1, isOutermostMainFrame: true }]),
  { ph: 'M', name: 'thread_name', pid: 1, tid: 10, args: { name: 'CrRendererMain' } },
  { ph: 'M', name: 'thread_name', pid: 1, tid: 11, args: { name: 'DedicatedWorker thread' } },
  // Another renderer process (a spare one, another site's iframe): not the page's.
  { ph: 'M', name: 'thread_name', pid: 2, tid: 20, args: { name: 'CrRendererMain' } },
];
const task = (tid: number, durUs: number, tdurUs?: number, pid = 1): TraceEvent => ({
  ph: 'X',
  name: 'RunTask',
  pid,
  tid,
  dur: durUs,
  ...(tdurUs === undefined ? {} : { tdur: tdurUs }),
});

describe('main-thread tasks from a Chromium trace', () => {
  it("keeps only the renderer main thread's RunTask events, in ms", () => {
    const tasks = mainThreadTasks([...names, task(10, 12_000, 9_000), task(11, 90_000, 80_000)]);
    expect(tasks).toEqual([{ wall: 12, cpu: 9 }]);
  });

  it("counts only the process that holds the page's main frame, not an iframe's or a spare renderer's", () => {
    const frames = [
      { frame: 'F1', processId: 1, isOutermostMainFrame: true },
      { frame: 'F2', processId: 2, isOutermostMainFrame: false },
    ];
    const events = [started(frames), ...names.slice(1), task(10, 12_000, 9_000), task(20, 87_000, 83_000, 2)];
    expect(mainThreadTasks(events)).toEqual([{ wall: 12, cpu: 9 }]);
  });

  it('follows the main frame into the process a navigation committed to while tracing', () => {
    const committed: TraceEvent = {
      ph: 'I',
      name: 'FrameCommittedInBrowser',
      pid: 100,
      tid: 100,
      args: { data: { frame: 'F1', processId: 2 } },
    };
    const tasks = mainThreadTasks([...names, committed, task(10, 5_000, 4_000), task(20, 7_000, 6_000, 2)]);
    expect(tasks).toEqual([
      { wall: 5, cpu: 4 },
      { wall: 7, cpu: 6 },
    ]);
  });

  it("fails when the trace does not say which process is the page's", () => {
    expect(() => mainThreadTasks(names.slice(1))).toThrow('no TracingStartedInBrowser event');
  });

  it('fails when no task has a thread time, instead of reading it as 0 ms', () => {
    const tasks = mainThreadTasks([...names, task(10, 70_000), task(10, 3_000)]);
    expect(tasks.map((t) => t.cpu)).toEqual([null, null]);
    expect(() => longestTaskCpu(tasks)).toThrow(
      "None of the trace's 2 main-thread tasks has a thread time (tdur): the CPU bound cannot be checked.",
    );
  });

  it('counts a task without a thread time by its wall time', () => {
    const tasks = mainThreadTasks([...names, task(10, 20_000, 4_000), task(10, 61_000)]);
    expect(longestTaskCpu(tasks)).toBe(61);
  });

  it('is the longest thread time when every task has one', () => {
    const tasks = mainThreadTasks([...names, task(10, 86_000, 61_000), task(10, 30_000, 29_000)]);
    expect(longestTaskCpu(tasks)).toBe(61);
  });

  it('fails on an empty trace', () => {
    expect(() => longestTaskCpu([])).toThrow('The trace holds no main-thread task.');
  });
});

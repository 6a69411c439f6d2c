import { describe, expect, it } from 'vitest';
import { longestTaskCpu, mainThreadTasks, type TraceEvent } from './lib/main-thread-trace';

const names: TraceEvent[] = [
  { ph: 'M', name: 'thread_name', pid: 1, tid: 10, args: { name: 'CrRendererMain' } },
  { ph: 'M', name: 'thread_name', pid: 1, tid: 11, args: { name: 'DedicatedWorker thread' } },
];
const task = (tid: number, durUs: number, tdurUs?: number): TraceEvent => ({
  ph: 'X',
  name: 'RunTask',
  pid: 1,
  tid,
  dur: durUs,
  ...(tdurUs === undefined ? {} : { tdur: tdurUs }),
});

describe('main-thread tasks from a Chromium trace', () => {
  it("keeps only the renderer main thread's RunTask events, in ms", () => {
    const tasks = mainThreadTasks([...names, task(10, 12_000, 9_000), task(11, 90_000, 80_000)]);
    expect(tasks).toEqual([{ wall: 12, cpu: 9 }]);
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

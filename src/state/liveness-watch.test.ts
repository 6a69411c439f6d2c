import { describe, expect, it } from 'vitest';
import { LivenessWatch } from './liveness-watch';

const limits = { intervalMs: 5_000, floorMs: 60_000 };

/** Checks once a second from `from` to `to` (inclusive), returning each verdict with its time. */
function checkEverySecond(w: LivenessWatch, from: number, to: number, slowestStepMs = 0) {
  const verdicts: { at: number; verdict: string }[] = [];
  for (let t = from; t <= to; t += 1_000) verdicts.push({ at: t, verdict: w.check(true, t, slowestStepMs) });
  return verdicts;
}

describe('the liveness watch of a worker that makes no steps', () => {
  it('pings once per interval while the worker answers, and never counts it gone', () => {
    const w = new LivenessWatch(limits);
    let pings = 0;
    for (let t = 0; t <= 600_000; t += 1_000) {
      const verdict = w.check(true, t);
      expect(verdict).not.toBe('gone');
      if (verdict === 'ping') {
        pings++;
        w.heard(t + 20); // answered in 20 ms
      }
    }
    // One ping 5 s after each answer over 10 minutes (checks once a second), not one a check.
    expect(pings).toBe(101);
  });

  it('counts a worker gone once a ping has waited past the limit, and not a moment before', () => {
    const w = new LivenessWatch(limits);
    expect(w.check(true, 0)).toBe('ping');
    // Nothing comes back: a closed worker.
    const verdicts = checkEverySecond(w, 1_000, 61_000);
    expect(verdicts.filter((v) => v.verdict === 'gone').map((v) => v.at)).toEqual([61_000]);
    expect(w.silentSeconds(61_000)).toBe(61);
  });

  it('takes any message from the worker as an answer: a busy worker that posts is alive', () => {
    const w = new LivenessWatch(limits);
    expect(w.check(true, 0)).toBe('ping');
    // The ping waits behind an analysis on wasm for 50 s; the analysis' result comes first.
    checkEverySecond(w, 1_000, 50_000);
    w.heard(50_500);
    // Asked again an interval after the last word, and not counted gone for the old ping.
    const verdicts = checkEverySecond(w, 51_000, 120_000);
    expect(verdicts.find((v) => v.verdict === 'ping')?.at).toBe(56_000);
    expect(verdicts.some((v) => v.verdict === 'gone')).toBe(true);
    expect(verdicts.find((v) => v.verdict === 'gone')?.at).toBe(117_000);
  });

  it('waits ten times the slowest step when that is over the floor (a slow backend’s stretches are long)', () => {
    const w = new LivenessWatch(limits);
    expect(w.limitMs(9_000)).toBe(90_000);
    expect(w.limitMs(1_000)).toBe(60_000);
    expect(w.check(true, 0, 9_000)).toBe('ping');
    // An evaluation batch on a loaded wasm backend holds the thread 80 s: not gone yet.
    const verdicts = checkEverySecond(w, 1_000, 91_000, 9_000);
    expect(verdicts.filter((v) => v.verdict === 'gone').map((v) => v.at)).toEqual([91_000]);
  });

  it('forgets an unanswered ping while not watching (training, a restart)', () => {
    const w = new LivenessWatch(limits);
    expect(w.check(true, 0)).toBe('ping');
    // The run trains for two minutes (the stall watch's business) without a word about the ping.
    for (let t = 1_000; t <= 120_000; t += 1_000) expect(w.check(false, t)).toBe('wait');
    // Paused again: asked afresh, not counted gone for the ping sent two minutes ago.
    expect(w.check(true, 121_000)).toBe('ping');
    expect(w.check(true, 122_000)).toBe('wait');
    expect(w.check(true, 181_000)).toBe('wait');
    expect(w.check(true, 182_000)).toBe('gone');
  });

  it('asks again instead of judging after the page itself did not run (a frozen tab)', () => {
    const w = new LivenessWatch(limits);
    expect(w.check(true, 0)).toBe('ping');
    // The tab was frozen with its worker for ten minutes before the answer could come.
    expect(w.check(true, 600_000)).toBe('ping');
    w.heard(600_050);
    expect(w.check(true, 601_000)).toBe('wait');
    // Timers of a background tab run once a minute: late by a minute is still judged.
    const b = new LivenessWatch(limits);
    expect(b.check(true, 0)).toBe('ping');
    expect(b.check(true, 60_000)).toBe('wait');
    expect(b.check(true, 120_000)).toBe('gone');
  });

  it('follows lowered limits at once (the test hook)', () => {
    const w = new LivenessWatch(limits);
    w.limits = { intervalMs: 1_000, floorMs: 5_000 };
    expect(w.check(true, 0)).toBe('ping');
    w.heard(10);
    expect(w.check(true, 1_000)).toBe('wait');
    expect(w.check(true, 1_010)).toBe('ping');
    expect(w.check(true, 6_010)).toBe('wait');
    expect(w.check(true, 6_011)).toBe('gone');
  });
});

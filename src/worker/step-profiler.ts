/**
 * The worker's side of "Profile 10 steps": the run loop hands the next steps of the run to
 * the engine's profiler (engine/diagnostics/step-profile.ts) instead of running them plainly,
 * and the result goes to the page as run.profile. Memory is reported beside each metrics read.
 */
import { describeActiveBackend } from '../engine/backend';
import { sampleMemory } from '../engine/diagnostics/memory-peak';
import { profileSteps } from '../engine/diagnostics/step-profile';
import type { Post, Run } from './run';

export interface ProfileRequest {
  requestId: number;
  steps: number;
}

/**
 * Runs the run's next steps under the profiler (as many as asked, fewer when the run or a
 * step budget ends first), posts the profile, and returns the steps run.
 */
export async function runProfiledSteps(post: Post, run: Run, request: ProfileRequest): Promise<number> {
  const trainer = run.trainer;
  const steps = Math.max(
    1,
    Math.min(request.steps, trainer.totalSteps - trainer.step, run.stepBudget ?? Number.POSITIVE_INFINITY),
  );
  const profile = await profileSteps(() => trainer.trainStep(), steps, {
    emulated: describeActiveBackend().emulated,
  });
  post({ type: 'run.profile', requestId: request.requestId, runId: run.runId, profile });
  return steps;
}

/** The run's memory now and its peaks since the last report (no device read). */
export function postMemory(post: Post, run: Run): void {
  post({ type: 'run.memory', runId: run.runId, memory: sampleMemory() });
}

/** A profile the run will never take (the run was dropped): its request fails. */
export function abandonProfile(post: Post, request: ProfileRequest | null): void {
  if (!request) return;
  post({
    type: 'error',
    requestId: request.requestId,
    name: 'Error',
    message: 'The run ended before its steps were profiled.',
    stack: null,
  });
}

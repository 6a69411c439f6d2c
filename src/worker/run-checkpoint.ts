/**
 * The run saved as it goes (every 20 seconds, on pause, at a phase switch, when the page is
 * hidden), so a reload or a lost GPU device loses at most about 20 seconds of training.
 *
 * The loop waits only for the weights to be read (a consistent snapshot: the next step would
 * change them); the IndexedDB write, a structured clone of several MB, goes on while it trains.
 */
import type { Post, Run } from './run';
import type { SavedRun, SavedRunStore } from './saved-run';
import { asCheckpointReadbacks } from './shared/gpu-counters';

/** Saved at least this often while training. */
export const CHECKPOINT_INTERVAL_MS = 20 * 1000;

/**
 * Whether to save at a metrics read made at `readAt`: when the next read, one read period on,
 * would come after the interval. Saving only once the interval had passed let the gap grow to
 * the interval plus a whole read period: on SwiftShader under load, where ten steps take 11 s,
 * a closed worker lost 33 s of training (e2e/faults.spec.ts).
 */
export function checkpointDue(readAt: number, lastCheckpointAt: number, readPeriodMs: number): boolean {
  return readAt - lastCheckpointAt + readPeriodMs >= CHECKPOINT_INTERVAL_MS;
}

/** Saves the run's checkpoint and, if it is still the current run, tells the page. */
export async function saveCheckpoint(
  run: Run,
  store: SavedRunStore,
  post: Post,
  isCurrent: (run: Run) => boolean,
): Promise<void> {
  run.lastCheckpointAt = performance.now();
  const ckpt = await asCheckpointReadbacks(() => run.trainer.checkpoint());
  const saved: SavedRun = {
    id: run.saveId,
    savedAt: Date.now(),
    phase: run.phase,
    step: run.trainer.step,
    totalSteps: run.trainer.totalSteps,
    config: run.trainer.config,
    manifest: ckpt.manifest,
    weights: ckpt.weights,
    teacher: run.teacherCheckpoint,
  };
  run.pendingSave = store.save(saved).then(
    () => {
      if (isCurrent(run))
        post({
          type: 'run.checkpointed',
          runId: run.runId,
          phase: saved.phase,
          step: saved.step,
          where: 'indexeddb',
        });
    },
    (err: unknown) => {
      // A full disk or a private window's quota: say so, and keep training. The page says it
      // once per run and then keeps a line in the run panel.
      const full = (err as { name?: unknown } | null)?.name === 'QuotaExceededError';
      const why = full ? 'storage is full' : err instanceof Error ? err.message : String(err);
      post({
        type: 'error',
        requestId: null,
        name: 'SaveError',
        message: `Could not save the run in this browser (${why}). Training goes on; export the weights to keep them.`,
        stack: null,
      });
    },
  );
}

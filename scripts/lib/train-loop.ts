/**
 * The CLI's training loop: steps, metric lines, evaluations, and checkpoints every N steps,
 * every M minutes and on SIGINT/SIGTERM, so an interruption loses little. A signal ends
 * the step in flight, writes the metrics and a checkpoint, and says how to continue.
 */
import { appendFile } from 'node:fs/promises';
import type { BaselineSpec } from '../../src/engine/baselines';
import type { MetricRow } from '../../src/engine/pending-metrics';
import type { Trainer } from '../../src/engine/trainer';
import { writeCheckpointDir } from './checkpoint-dir';
import { Progress, UsageError } from './cli';

export interface LoopOptions {
  trainer: Trainer;
  metricsPath: string;
  checkpointDir: string;
  baselines: BaselineSpec[];
  logEvery: number;
  evalEvery: number;
  evalLimit?: number;
  /** Checkpoint after every this many steps (0 = only by time). */
  checkpointEvery: number;
  /** Checkpoint when this long has passed since the last one (Infinity = only by steps). */
  checkpointMs: number;
}

export type LoopEnd = { kind: 'done' } | { kind: 'interrupted'; signal: NodeJS.Signals; step: number };

export async function runTraining(o: LoopOptions): Promise<LoopEnd> {
  const { trainer, metricsPath } = o;
  const primary = trainer.phase === 'teacher' ? 'teacher' : 'student';
  let signal: NodeJS.Signals | null = null;
  // Further signals while saving are ignored: a terminal's Ctrl-C reaches npm, tsx and node
  // alike and may arrive more than once; stopping halfway would lose the checkpoint.
  const onSignal = (sig: NodeJS.Signals) => {
    if (signal) return;
    signal = sig;
    process.stderr.write(`\ntrain: ${sig}: saving a checkpoint after step ${trainer.step}\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const progress = new Progress(trainer.totalSteps, trainer.step);
  let lastSaved = { step: trainer.step, at: performance.now() };
  const save = async () => {
    await writeCheckpointDir(o.checkpointDir, await trainer.checkpoint());
    lastSaved = { step: trainer.step, at: performance.now() };
  };
  const flush = async () => {
    const rows = await trainer.readMetrics();
    if (!rows.length) return;
    await appendFile(metricsPath, rows.map((r) => `${JSON.stringify(metricLine(r))}\n`).join(''));
    const last = rows[rows.length - 1]!;
    const bad = Object.entries(last.values).find(([, v]) => !Number.isFinite(v));
    if (bad) {
      throw new UsageError(
        `training diverged at step ${last.step}: the ${bad[0]} loss is ${bad[1]}. Lower the learning rate ` +
          `(now ${trainer.config.optim.lr}) or raise the gradient clip; the last good checkpoint (step ` +
          `${lastSaved.step}) is in ${o.checkpointDir}`,
      );
    }
    const detail = Object.entries(last.values)
      .map(([k, v]) => `${k} ${v!.toFixed(4)}`)
      .join(' ');
    progress.update(trainer.step, detail);
  };
  const evaluate = async () => {
    const result = await trainer.evaluate(o.evalLimit);
    const line: Record<string, unknown> = { step: result.step, testAccuracy: result.accuracy[primary] };
    if (primary === 'student') line.teacherAccuracy = result.accuracy.teacher;
    for (const b of o.baselines) line[`${b.name}Accuracy`] = result.accuracy[b.name];
    await appendFile(metricsPath, `${JSON.stringify(line)}\n`);
    process.stderr.write(`\neval @${result.step}: ${JSON.stringify(line)}\n`);
  };

  try {
    while (trainer.step < trainer.totalSteps && !signal) {
      trainer.trainStep();
      if (trainer.pendingSteps >= o.logEvery) await flush();
      const more = trainer.step < trainer.totalSteps;
      if (more && trainer.step % o.evalEvery === 0) {
        await flush();
        await evaluate();
      }
      const due =
        (o.checkpointEvery > 0 && trainer.step % o.checkpointEvery === 0) ||
        performance.now() - lastSaved.at >= o.checkpointMs;
      if (more && due) {
        await flush();
        await save();
      }
      // A macrotask turn, so signal handlers run between steps (awaits alone never let them).
      await new Promise((resolve) => setImmediate(resolve));
    }
    await flush();
    progress.end();
    if (signal && trainer.step < trainer.totalSteps) {
      if (lastSaved.step !== trainer.step) await save();
      return { kind: 'interrupted', signal, step: trainer.step };
    }
    await evaluate();
    await save();
    return { kind: 'done' };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A metrics.jsonl training line: step, then one field per active term (interfaces.md). */
function metricLine(row: MetricRow): Record<string, unknown> {
  const line: Record<string, unknown> = { step: row.step, epoch: row.epoch, lr: row.lr, ...row.values };
  if (Object.keys(row.baselines).length) line.baselines = row.baselines;
  return line;
}

/** The command that continues an interrupted run: the same flags, --resume pointing at its checkpoint. */
export function resumeCommand(argv: string[], checkpointDir: string): string {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--resume') i++;
    else if (a.startsWith('--resume=') || a === '--force') continue;
    else kept.push(a);
  }
  kept.push('--resume', checkpointDir);
  const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return `npm run train -- ${kept.map(quote).join(' ')}`;
}

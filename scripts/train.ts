/**
 * npm run train -- --phase teacher|student --data <dir | archive.tar.gz | synthetic>
 *   [--preset <name>] [--config <file.json>] [--teacher <checkpoint dir>] [--steps N] [--seed S]
 *   [--backend wasm|cpu] [--baseline <preset>]... [--resume <checkpoint dir>]
 *   [--log-every N] [--eval-every N] [--eval-limit N] [--mixup ALPHA] [--step fast|reference] --out <dir>
 *
 * Trains in Node with the same engine as the app; writes <out>/metrics.jsonl and
 * <out>/checkpoint/ (see README and ../shared/docs/interfaces.md).
 */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type DecodedCheckpoint, decodeCheckpoint } from '../src/engine/checkpoint';
import { DEFAULT_CONFIG, type RunConfig } from '../src/engine/config';
import { parseConfigLayer } from '../src/engine/config-schema';
import { STANDARD_AUGMENT } from '../src/engine/data/gpu-data';
import { applyLayers, type ConfigLayer, findPreset, PRESET_NAMES, presetConfig } from '../src/engine/presets';
import { type BaselineSpec, type MetricRow, Trainer } from '../src/engine/trainer';
import type { Vit } from '../src/engine/vit';
import {
  nonNegativeInt,
  Progress,
  parseCli,
  positiveInt,
  runCli,
  startNodeBackend,
  UsageError,
} from './lib/cli';
import { loadDatasetArg, readCheckpointDir, writeCheckpointDir } from './lib/node-files';

const USAGE =
  'npm run train -- --phase teacher|student --data <dir|archive.tar.gz|synthetic> [--preset NAME] [--config FILE] ' +
  '[--teacher CKPT_DIR] [--steps N] [--seed S] [--backend wasm|cpu] [--baseline PRESET] [--resume CKPT_DIR] [--step fast|reference] --out DIR';

async function main(): Promise<void> {
  const args = parseCli(
    process.argv.slice(2),
    {
      phase: { type: 'string' },
      data: { type: 'string' },
      preset: { type: 'string' },
      config: { type: 'string' },
      teacher: { type: 'string' },
      steps: { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      baseline: { type: 'string', multiple: true },
      resume: { type: 'string' },
      'log-every': { type: 'string' },
      'eval-every': { type: 'string' },
      'eval-limit': { type: 'string' },
      mixup: { type: 'string' },
      step: { type: 'string' },
      out: { type: 'string' },
    },
    USAGE,
  );
  const phase = args.phase;
  if (phase !== 'teacher' && phase !== 'student')
    throw new UsageError(`--phase must be teacher or student. Usage: ${USAGE}`);
  if (!args.data) throw new UsageError(`--data is required. Usage: ${USAGE}`);
  if (!args.out) throw new UsageError(`--out is required. Usage: ${USAGE}`);
  const stepKind = args.step ?? 'fast';
  if (stepKind !== 'fast' && stepKind !== 'reference')
    throw new UsageError(`--step must be fast or reference, got "${args.step}"`);
  const backendChoice = args.backend ?? 'wasm';
  if (backendChoice !== 'wasm' && backendChoice !== 'cpu')
    throw new UsageError('--backend must be wasm or cpu');
  if (phase === 'student' && !args.teacher && !args.resume) {
    throw new UsageError(
      'the student phase needs --teacher <checkpoint dir> (a teacher-phase --out/checkpoint)',
    );
  }
  if (phase === 'teacher' && args.teacher) throw new UsageError('--teacher is for the student phase');

  // Config: defaults -> preset -> --config file -> flags.
  if (args.preset && !findPreset(args.preset)) {
    throw new UsageError(`unknown preset "${args.preset}"; choose one of: ${PRESET_NAMES.join(', ')}`);
  }
  let config: RunConfig = args.preset ? presetConfig(args.preset) : DEFAULT_CONFIG;
  if (args.config) {
    const text = await readFile(args.config, 'utf8').catch(() => {
      throw new UsageError(`--config ${args.config}: cannot read the file`);
    });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`--config ${args.config} is not valid JSON (${(err as Error).message})`);
    }
    config = applyLayers(config, parseConfigLayer(json, `--config ${args.config}`));
  }
  const seed = nonNegativeInt(args.seed, 'seed');
  const steps = positiveInt(args.steps, 'steps');
  const flags: ConfigLayer = {
    ...(seed !== undefined ? { seed } : {}),
    optim:
      steps === undefined
        ? {}
        : {
            ...(phase === 'teacher' ? { teacherSteps: steps } : { steps }),
            warmupSteps: Math.min(config.optim.warmupSteps, steps),
          },
    data: args.data === 'synthetic' ? 'synthetic' : 'cifar10',
  };
  config = applyLayers(config, flags);
  const baselines: BaselineSpec[] = (args.baseline ?? []).map((name) => {
    const preset = findPreset(name);
    if (!preset?.layer.loss)
      throw new UsageError(`--baseline ${name}: not a loss preset (try ce-only, kd-only)`);
    return { name, loss: preset.layer.loss };
  });
  const logEvery = positiveInt(args['log-every'], 'log-every') ?? 10;
  const evalEveryFlag = positiveInt(args['eval-every'], 'eval-every');
  const evalLimit = positiveInt(args['eval-limit'], 'eval-limit');

  const backend = await startNodeBackend(backendChoice);
  const loadStart = performance.now();
  const dataset = await loadDatasetArg(args.data, 0);
  const classes = dataset.classNames.length;
  config = applyLayers(config, { teacher: { numClasses: classes }, student: { numClasses: classes } });

  let resume: DecodedCheckpoint | undefined;
  if (args.resume) {
    const saved = await readCheckpointDir(args.resume);
    resume = await decodeCheckpoint(saved.manifest, saved.weights);
    // Continue the saved run; --steps may extend it.
    const savedOptim = saved.manifest.config.optim;
    config = {
      ...saved.manifest.config,
      optim:
        steps === undefined
          ? savedOptim
          : { ...savedOptim, [phase === 'teacher' ? 'teacherSteps' : 'steps']: steps },
    };
  }
  let teacher: Vit | undefined;
  if (phase === 'student') {
    teacher = resume?.models.get('teacher')?.model;
    if (!teacher && args.teacher) {
      const saved = await readCheckpointDir(args.teacher);
      const decoded = await decodeCheckpoint(saved.manifest, saved.weights, false);
      teacher = decoded.models.get('teacher')?.model;
      for (const [role, m] of decoded.models) if (role !== 'teacher') m.model.dispose();
    }
    if (!teacher) throw new UsageError('the --teacher checkpoint holds no teacher model');
    // The teacher's own shape wins over the preset's: it is what was trained.
    config = { ...config, teacher: teacher.config };
  }

  const mixup = args.mixup === undefined ? 0 : Number(args.mixup);
  if (!(mixup >= 0 && mixup <= 10))
    throw new UsageError(`--mixup must be a Beta alpha in [0, 10], got "${args.mixup}"`);
  const augment = { ...STANDARD_AUGMENT, mixup };
  const trainer = new Trainer({ config, phase, dataset, teacher, baselines, resume, augment, stepKind });
  const evalEvery = evalEveryFlag ?? Math.max(50, Math.round(trainer.totalSteps / 5));
  await mkdir(args.out, { recursive: true });
  const metricsPath = path.join(args.out, 'metrics.jsonl');
  if (!resume) await writeFile(metricsPath, '');
  await writeFile(path.join(args.out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  process.stderr.write(
    `train: ${phase} phase on ${dataset.name} (${dataset.train.count} train / ${dataset.test.count} test, loaded in ` +
      `${((performance.now() - loadStart) / 1000).toFixed(1)} s), backend ${backend.name}, ${trainer.totalSteps} steps ` +
      `of ${config.optim.batch}\n`,
  );

  const progress = new Progress(trainer.totalSteps, trainer.step);
  const flush = async () => {
    const rows = await trainer.readMetrics();
    if (!rows.length) return;
    await appendFile(metricsPath, rows.map((r) => `${JSON.stringify(metricLine(r))}\n`).join(''));
    const last = rows[rows.length - 1]!;
    const bad = Object.entries(last.values).find(([, v]) => !Number.isFinite(v));
    if (bad)
      throw new Error(
        `Training diverged at step ${last.step}: the ${bad[0]} loss is ${bad[1]}. Lower the learning rate.`,
      );
    const detail = Object.entries(last.values)
      .map(([k, v]) => `${k} ${v!.toFixed(4)}`)
      .join(' ');
    progress.update(trainer.step, detail);
  };
  const evaluate = async () => {
    const result = await trainer.evaluate(evalLimit);
    const primary = phase === 'teacher' ? 'teacher' : 'student';
    const line: Record<string, unknown> = { step: result.step, testAccuracy: result.accuracy[primary] };
    if (phase === 'student') line.teacherAccuracy = result.accuracy.teacher;
    for (const b of baselines) line[`${b.name}Accuracy`] = result.accuracy[b.name];
    await appendFile(metricsPath, `${JSON.stringify(line)}\n`);
    process.stderr.write(`\neval @${result.step}: ${JSON.stringify(line)}\n`);
  };

  while (trainer.step < trainer.totalSteps) {
    trainer.trainStep();
    if (trainer.pendingSteps >= logEvery) await flush();
    if (trainer.step % evalEvery === 0 && trainer.step < trainer.totalSteps) {
      await flush();
      await evaluate();
    }
  }
  await flush();
  progress.end();
  await evaluate();
  const ckptDir = path.join(args.out, 'checkpoint');
  await writeCheckpointDir(ckptDir, await trainer.checkpoint());
  process.stderr.write(`train: wrote ${metricsPath} and ${ckptDir}\n`);
  trainer.dispose(true);
}

/** A metrics.jsonl training line: step, then one field per active term (interfaces.md). */
function metricLine(row: MetricRow): Record<string, unknown> {
  const line: Record<string, unknown> = { step: row.step, epoch: row.epoch, lr: row.lr, ...row.values };
  if (Object.keys(row.baselines).length) line.baselines = row.baselines;
  return line;
}

runCli('train', main);

/**
 * npm run train -- --phase teacher|student --data <dir | archive.tar.gz | starter set dir | synthetic>
 *   [--preset <name>] [--config <file.json>] [--teacher <checkpoint dir>] [--steps N] [--seed S]
 *   [--backend wasm|cpu] [--baseline <preset>]... [--resume <checkpoint dir>] [--force] [--other-data]
 *   [--checkpoint-every N] [--checkpoint-minutes M]
 *   [--log-every N] [--eval-every N] [--eval-limit N] [--mixup ALPHA] [--step fast|reference] --out <dir>
 *
 * Trains in Node with the same engine as the app; writes <out>/metrics.jsonl and
 * <out>/checkpoint/ (see README and ../shared/docs/interfaces.md). Everything the user
 * can get wrong is checked before the first step: flags, --out, the checkpoints, their
 * data against --data, and whether the config fits in memory.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BaselineSpec } from '../src/engine/baselines';
import type { DecodedCheckpoint } from '../src/engine/checkpoint';
import { DEFAULT_CONFIG, type RunConfig } from '../src/engine/spec/config';
import { STARTER_DATASET_NAME } from '../src/engine/spec/dataset-names';
import {
  applyLayers,
  type ConfigLayer,
  findPreset,
  PRESET_NAMES,
  presetConfig,
} from '../src/engine/spec/presets';
import { STEP_KINDS, type StepKind } from '../src/engine/spec/step-kind';
import type { Vit } from '../src/engine/vit';
import { type CheckpointFiles, readCheckpointDir } from './lib/checkpoint-dir';
import {
  nonNegativeInt,
  nonNegativeNumber,
  parseCli,
  positiveInt,
  runCli,
  startNodeBackend,
  UsageError,
} from './lib/cli';
import { loadDatasetArg } from './lib/node-files';
import { CHECKPOINT_DIR, CONFIG_FILE, METRICS_FILE, prepareOut, truncateMetrics } from './lib/out-dir';
import { checkMemory, checkSameData, configDifferences } from './lib/run-checks';
import { resumeCommand, runTraining } from './lib/train-loop';

/** The step that runs unless --step names the other one; named first wherever the kinds are listed. */
const DEFAULT_STEP: StepKind = 'fast';
const STEP_CHOICES = [DEFAULT_STEP, ...STEP_KINDS.filter((kind) => kind !== DEFAULT_STEP)];

const USAGE =
  'npm run train -- --phase teacher|student --data <dir|archive.tar.gz|synthetic> [--preset NAME] [--config FILE] ' +
  '[--teacher CKPT_DIR] [--steps N] [--seed S] [--backend wasm|cpu] [--baseline PRESET] [--resume CKPT_DIR] [--force] ' +
  `[--other-data] [--checkpoint-every N] [--checkpoint-minutes M] [--step ${STEP_CHOICES.join('|')}] --out DIR`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseCli(argv, USAGE, {
    unlisted: '[--log-every N] [--eval-every N] [--eval-limit N] [--mixup ALPHA]',
    repeatable: ['baseline'],
  });
  const phase = args.string('phase');
  const data = args.string('data');
  const out = args.string('out');
  const resumeDir = args.string('resume');
  const teacherDir = args.string('teacher');
  const preset = args.string('preset');
  if (phase !== 'teacher' && phase !== 'student')
    throw new UsageError(`--phase must be teacher or student. Usage: ${USAGE}`);
  if (!data) throw new UsageError(`--data is required. Usage: ${USAGE}`);
  if (!out) throw new UsageError(`--out is required. Usage: ${USAGE}`);
  const stepKind = STEP_CHOICES.find((kind) => kind === (args.string('step') ?? DEFAULT_STEP));
  if (!stepKind)
    throw new UsageError(`--step must be ${STEP_CHOICES.join(' or ')}, got "${args.string('step')}"`);
  const backendChoice = args.string('backend') ?? 'wasm';
  if (backendChoice !== 'wasm' && backendChoice !== 'cpu')
    throw new UsageError('--backend must be wasm or cpu');
  if (phase === 'student' && !teacherDir && !resumeDir) {
    throw new UsageError(
      'the student phase needs --teacher <checkpoint dir> (a teacher-phase --out/checkpoint)',
    );
  }
  if (phase === 'teacher' && teacherDir) throw new UsageError('--teacher is for the student phase');
  if (preset && !findPreset(preset)) {
    throw new UsageError(`unknown preset "${preset}"; choose one of: ${PRESET_NAMES.join(', ')}`);
  }
  const seed = nonNegativeInt(args.string('seed'), 'seed');
  const steps = positiveInt(args.string('steps'), 'steps');
  const logEvery = positiveInt(args.string('log-every'), 'log-every') ?? 10;
  const evalEveryFlag = positiveInt(args.string('eval-every'), 'eval-every');
  const evalLimit = positiveInt(args.string('eval-limit'), 'eval-limit');
  const checkpointEvery = nonNegativeInt(args.string('checkpoint-every'), 'checkpoint-every') ?? 0;
  const checkpointMinutes =
    nonNegativeNumber(args.string('checkpoint-minutes'), 'checkpoint-minutes', 1e6) ?? 1;
  const mixup = nonNegativeNumber(args.string('mixup'), 'mixup', 10);
  const otherData = args.boolean('other-data');

  // Config: defaults -> preset -> --config file -> flags.
  let config: RunConfig = preset ? presetConfig(preset) : DEFAULT_CONFIG;
  const configFile = args.string('config');
  if (configFile) config = applyLayers(config, await readConfigFile(configFile));
  const flags: ConfigLayer = {
    ...(seed !== undefined ? { seed } : {}),
    optim:
      steps === undefined
        ? {}
        : {
            ...(phase === 'teacher' ? { teacherSteps: steps } : { steps }),
            warmupSteps: Math.min(config.optim.warmupSteps, steps),
          },
    data: data === 'synthetic' ? 'synthetic' : 'cifar10',
  };
  config = applyLayers(config, flags);
  let baselines: BaselineSpec[] = args.strings('baseline').map((name) => {
    const preset = findPreset(name);
    if (!preset?.layer.loss)
      throw new UsageError(`--baseline ${name}: not a loss preset (try ce-only, kd-only)`);
    return { name, loss: preset.layer.loss };
  });

  // Checkpoints are read (and checked) before the output folder is touched.
  let resumeFiles: CheckpointFiles | undefined;
  if (resumeDir) {
    resumeFiles = await readCheckpointDir(resumeDir, '--resume');
    const saved = resumeFiles.manifest;
    if (saved.phase !== phase) {
      throw new UsageError(
        `--resume ${resumeDir} is a ${saved.phase}-phase checkpoint; continue it with --phase ${saved.phase}`,
      );
    }
    config = resumedConfig(saved.config, config, phase, steps, {
      resume: resumeDir,
      preset,
      config: configFile,
      seed: args.string('seed'),
    });
    baselines = resumedBaselines(saved.baselines, baselines, args.strings('baseline').length > 0, resumeDir);
    const savedMixup = saved.augment?.mixup ?? 0;
    if (mixup !== undefined && mixup !== savedMixup) {
      throw new UsageError(
        `--resume ${resumeDir}: the saved run trained with --mixup ${savedMixup}, not ${mixup}; drop --mixup to continue it`,
      );
    }
  }
  const teacherFiles =
    phase === 'student' && !resumeFiles && teacherDir
      ? await readCheckpointDir(teacherDir, '--teacher')
      : undefined;

  const loadStart = performance.now();
  const dataset = await loadDatasetArg(data, 0);
  if (resumeFiles) checkSameData(`--resume ${resumeDir}`, resumeFiles.manifest.dataset, dataset, otherData);
  if (teacherFiles)
    checkSameData(`the teacher ${teacherDir}`, teacherFiles.manifest.dataset, dataset, otherData);
  const classes = dataset.classNames.length;
  config = applyLayers(config, { teacher: { numClasses: classes }, student: { numClasses: classes } });
  if (dataset.name === STARTER_DATASET_NAME) config = { ...config, data: 'starter' };
  if (phase === 'student') {
    // The teacher's own shape wins over the preset's: it is what was trained.
    const files = (resumeFiles ?? teacherFiles)!;
    const entry = files.manifest.models.find((m) => m.role === 'teacher');
    if (!entry)
      throw new UsageError(`${resumeDir ? '--resume' : '--teacher'} ${files.dir} holds no teacher model`);
    if (entry.config.numClasses !== classes) {
      throw new UsageError(
        `the teacher in ${files.dir} predicts ${entry.config.numClasses} classes but --data has ${classes}`,
      );
    }
    config = { ...config, teacher: entry.config };
  }
  checkMemory(config, dataset, backendChoice);
  const loadSeconds = (performance.now() - loadStart) / 1000;

  // Only now, with everything else checked, is --out touched.
  const plan = await prepareOut(out, { force: args.boolean('force'), resumeDir });
  const backend = await startNodeBackend(backendChoice);
  // The engine loads only now, every check above passed: a refused run never waits for TF.js.
  const [{ decodeCheckpoint }, { STANDARD_AUGMENT }, { Trainer }] = await Promise.all([
    import('../src/engine/checkpoint'),
    import('../src/engine/data/gpu-data'),
    import('../src/engine/trainer'),
  ]);

  let resume: DecodedCheckpoint | undefined;
  let teacher: Vit | undefined;
  if (resumeFiles) resume = await decodeCheckpoint(resumeFiles.manifest, resumeFiles.weights, { stepKind });
  if (phase === 'student') {
    teacher = resume?.models.get('teacher')?.model;
    if (!teacher && teacherFiles) {
      const decoded = await decodeCheckpoint(teacherFiles.manifest, teacherFiles.weights, {
        withOptimizers: false,
      });
      teacher = decoded.models.get('teacher')?.model;
      for (const [role, m] of decoded.models) if (role !== 'teacher') m.model.dispose();
    }
  }

  const augment = resume && mixup === undefined ? undefined : { ...STANDARD_AUGMENT, mixup: mixup ?? 0 };
  // The teacher sees inputs scaled as in its own training (the page and the twin do the same):
  // the starter set's channel statistics are not the full training set's the teacher had.
  const normalization = teacherFiles?.manifest.normalization;
  const trainer = new Trainer({
    config,
    phase,
    dataset,
    teacher,
    baselines,
    resume,
    augment,
    stepKind,
    normalization,
  });
  const metricsPath = path.join(out, METRICS_FILE);
  if (resume && plan.continuing) await truncateMetrics(metricsPath, trainer.step);
  else await writeFile(metricsPath, '');
  await writeFile(path.join(out, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
  process.stderr.write(
    `train: ${phase} phase on ${dataset.name} (${dataset.train.count} train / ${dataset.test.count} test, loaded in ` +
      `${loadSeconds.toFixed(1)} s), backend ${backend.name}, ` +
      `${resume ? `steps ${trainer.step}..${trainer.totalSteps}` : `${trainer.totalSteps} steps`} of ${config.optim.batch}\n`,
  );

  const checkpointDir = path.join(out, CHECKPOINT_DIR);
  const end = await runTraining({
    trainer,
    metricsPath,
    checkpointDir,
    baselines,
    logEvery,
    evalEvery: evalEveryFlag ?? Math.max(50, Math.round(trainer.totalSteps / 5)),
    evalLimit,
    checkpointEvery,
    checkpointMs: checkpointMinutes > 0 ? checkpointMinutes * 60_000 : Number.POSITIVE_INFINITY,
  });
  trainer.dispose(true);
  if (end.kind === 'interrupted') {
    process.stderr.write(
      `train: stopped by ${end.signal} at step ${end.step} of ${trainer.totalSteps}; the checkpoint is in ` +
        `${checkpointDir}. Continue with: ${resumeCommand(argv, checkpointDir)}\n`,
    );
    process.exitCode = end.signal === 'SIGINT' ? 130 : 143;
    return;
  }
  process.stderr.write(`train: wrote ${metricsPath} and ${checkpointDir}\n`);
}

async function readConfigFile(file: string): Promise<ConfigLayer> {
  // zod loads only for a run with --config: it is most of what a refused flag would wait for.
  const { parseConfigLayer } = await import('../src/engine/spec/config-schema');
  const text = await readFile(file, 'utf8').catch(() => {
    throw new UsageError(`--config ${file}: cannot read the file`);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--config ${file} is not valid JSON (${(err as Error).message})`);
  }
  return parseConfigLayer(json, `--config ${file}`);
}

/**
 * The saved run's config, with --steps applied. --preset, --config or --seed that ask for
 * anything else stop the run with the differences: a resumed run trains what was saved.
 */
function resumedConfig(
  saved: RunConfig,
  wanted: RunConfig,
  phase: 'teacher' | 'student',
  steps: number | undefined,
  args: { resume?: string; preset?: string; config?: string; seed?: string },
): RunConfig {
  const given = [
    args.preset && `--preset ${args.preset}`,
    args.config && `--config ${args.config}`,
    args.seed && `--seed ${args.seed}`,
  ].filter(Boolean);
  if (given.length) {
    // Set by --steps, by the data, by the teacher checkpoint, or only a label.
    const skip = [
      'optim.steps',
      'optim.teacherSteps',
      'optim.warmupSteps',
      'data',
      'preset',
      'backend',
      'baseline',
    ];
    skip.push('teacher.numClasses', 'student.numClasses');
    if (phase === 'student') skip.push('teacher');
    const diffs = configDifferences(saved, wanted, skip);
    if (diffs.length) {
      const shown = diffs.slice(0, 4).join(', ') + (diffs.length > 4 ? `, and ${diffs.length - 4} more` : '');
      throw new UsageError(
        `--resume ${args.resume}: the saved run differs from ${given.join(' ')} (saved vs asked: ${shown}); ` +
          `drop ${given.map((g) => (g as string).split(' ')[0]).join('/')} to continue the saved run, or start a new run`,
      );
    }
  }
  if (steps === undefined) return saved;
  return { ...saved, optim: { ...saved.optim, [phase === 'teacher' ? 'teacherSteps' : 'steps']: steps } };
}

/** The saved run's baselines; --baseline, when given, must name the same ones. */
function resumedBaselines(
  saved: { name: string; loss: RunConfig['loss'] }[],
  asked: BaselineSpec[],
  given: boolean,
  dir: string,
): BaselineSpec[] {
  const names = (list: { name: string }[]) => list.map((b) => b.name).join(', ') || 'none';
  if (given && names(saved) !== names(asked)) {
    throw new UsageError(
      `--resume ${dir}: the saved run has baselines ${names(saved)}, --baseline asks for ${names(asked)}; ` +
        'drop --baseline to continue the saved run, or start a new run',
    );
  }
  return saved.map((b) => ({ name: b.name, loss: b.loss }));
}

runCli('train', main);

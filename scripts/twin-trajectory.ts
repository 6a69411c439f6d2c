/**
 * The engine's student phase against the PyTorch twin over many steps, not one. Written for
 * issue 26, a whole engine run that landed below the twin's range.
 *
 *   node --import tsx scripts/twin-trajectory.ts --out <dir> [--steps N] [--preset default] [--seed S]
 *     [--backend wasm|cpu] [--data public/data/starter] [--teacher public/models/cifar10-default] [--whole-run]
 *
 * The first N steps of a run as `npm run train` makes them (the Trainer, its batches,
 * augmentation and sampled tokens, the schedule of the whole run's steps), with every batch,
 * label and sample written down; then tools/torch/trajectory.py replays those batches from the
 * same initial weights in the twin and compares each step's loss terms and the final weights.
 * Prints the comparison as JSON.
 *
 * --whole-run also writes the whole run's draws (stream.json: each step's images, crops,
 * flips, sampled tokens and rate), so that `trajectory.py <dir> --whole-run --test-data DIR`
 * trains the twin on the engine's own data stream from the engine's initial weights, all the
 * steps, and scores it: the same draw as the engine's run, the twin's arithmetic. The N steps
 * run here check the stream against the batches the engine really made.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseCli, positiveInt, runCli, startNodeBackend, UsageError } from './lib/cli';
import { loadDatasetArg, readCheckpointDir, writeCheckpointDir } from './lib/node-files';
import { findTorchPython } from './lib/torch-python';

const USAGE =
  'node --import tsx scripts/twin-trajectory.ts --out DIR [--steps N] [--preset NAME] [--seed S] [--backend wasm|cpu] [--data DIR] [--teacher DIR] [--whole-run]';

async function main(): Promise<void> {
  const args = parseCli(process.argv.slice(2), USAGE);
  const out = args.string('out');
  if (!out) throw new UsageError(`--out is required. Usage: ${USAGE}`);
  const steps = positiveInt(args.string('steps'), 'steps') ?? 50;
  const seed = positiveInt(args.string('seed'), 'seed') ?? 1;
  const backendChoice = args.string('backend') ?? 'wasm';
  if (backendChoice !== 'wasm' && backendChoice !== 'cpu')
    throw new UsageError('--backend must be wasm or cpu');
  const python = findTorchPython();
  if (python.python === null) throw new UsageError(`the twin needs a Python with torch: ${python.reason}`);
  mkdirSync(out, { recursive: true });

  const teacherFiles = await readCheckpointDir(
    args.string('teacher') ?? 'public/models/cifar10-default',
    '--teacher',
  );
  const dataset = await loadDatasetArg(args.string('data') ?? 'public/data/starter', 0);
  await startNodeBackend(backendChoice);
  const [
    { decodeCheckpoint },
    { presetConfig },
    { Trainer },
    { makeRng, permutation, restoreRng },
    { randomSampleIndices },
    tf,
  ] = await Promise.all([
    import('../src/engine/checkpoint'),
    import('../src/engine/spec/presets'),
    import('../src/engine/trainer'),
    import('../src/engine/random'),
    import('../src/engine/losses'),
    import('../src/engine/tf'),
  ]);
  const { learningRateAt } = await import('../src/engine/optim');
  const { STANDARD_AUGMENT } = await import('../src/engine/data/gpu-data');
  const teacher = (
    await decodeCheckpoint(teacherFiles.manifest, teacherFiles.weights, { withOptimizers: false })
  ).models.get('teacher')?.model;
  if (!teacher) throw new UsageError('--teacher holds no teacher model');
  const preset = presetConfig(args.string('preset') ?? 'default');
  const config = { ...preset, seed, data: 'starter' as const, teacher: teacher.config };
  const trainer = new Trainer({
    config,
    phase: 'student',
    dataset,
    teacher,
    normalization: teacherFiles.manifest.normalization,
  });
  await writeCheckpointDir(path.join(out, 'initial'), await trainer.checkpoint());
  if (args.boolean('whole-run')) {
    // The draws of the trainer's generators in the order it makes them (EpochSampler.next,
    // augmentBatch's offsets and flip per image, the rig's tokens per layer pair), for every step.
    const { batch } = config.optim;
    const span = 2 * STANDARD_AUGMENT.cropPadding + 1;
    const order = makeRng(seed, 'data-order');
    const augment = makeRng(seed, 'augment');
    const sample = makeRng(seed, 'random-sample');
    const perEpoch = Math.floor(dataset.train.count / batch);
    const tokens = batch * (config.student.imageSize / config.student.patchSize) ** 2;
    let epochOrder = permutation(dataset.train.count, order);
    const stream = [];
    for (let step = 0; step < trainer.totalSteps; step++) {
      const cursor = step % perEpoch;
      if (step > 0 && cursor === 0) epochOrder = permutation(dataset.train.count, order);
      const indices = Array.from(epochOrder.slice(cursor * batch, (cursor + 1) * batch));
      const crops = indices.map(() => [
        Math.floor(augment() * span),
        Math.floor(augment() * span),
        augment() < 0.5 ? 1 : 0,
      ]);
      const samples = trainer.pairs.map(() => Array.from(randomSampleIndices(tokens, config.loss.k, sample)));
      stream.push({
        indices,
        crops,
        samples,
        lr: learningRateAt(step, { ...config.optim, steps: trainer.totalSteps }),
      });
    }
    writeFileSync(
      path.join(out, 'stream.json'),
      JSON.stringify({ data: args.string('data') ?? 'public/data/starter', steps: stream }),
    );
  }

  // What each step feeds the student: recorded around the rig's step, drawn as the rig draws.
  type Rig = import('../src/engine/rig').Rig;
  const rig = (trainer as unknown as { rig: Rig }).rig;
  const studentStep = rig.studentStep.bind(rig);
  const images: Float32Array[] = [];
  const records: { labels: number[]; samples: number[][]; lr: number }[] = [];
  rig.studentStep = (run, batch, opts) => {
    const tokens = batch.images.shape[0] * (run.model.config.imageSize / run.model.config.patchSize) ** 2;
    const copy = restoreRng((opts.sampleRng as ReturnType<typeof restoreRng>).state());
    const samples = rig.pairs.map(() => Array.from(randomSampleIndices(tokens, run.loss.k, copy)));
    images.push(batch.images.dataSync() as Float32Array);
    records.push({ labels: Array.from(batch.labels.dataSync()), samples, lr: opts.lr });
    return studentStep(run, batch, opts);
  };
  const metrics = [];
  for (let i = 0; i < steps; i++) {
    trainer.trainStep();
    metrics.push(...(await trainer.readMetrics()));
    process.stderr.write(`\rengine step ${i + 1}/${steps}`);
  }
  process.stderr.write('\n');
  await writeCheckpointDir(path.join(out, 'engine-final'), await trainer.checkpoint());
  const all = new Float32Array(images.reduce((n, a) => n + a.length, 0));
  images.forEach((a, i) => {
    all.set(a, i * a.length);
  });
  writeFileSync(path.join(out, 'images.bin'), new Uint8Array(all.buffer));
  writeFileSync(
    path.join(out, 'steps.json'),
    JSON.stringify({
      imageShape: [config.optim.batch, 32, 32, 3],
      pairs: rig.pairs,
      loss: config.loss,
      steps: records,
      engine: metrics.map((m) => m.values),
    }),
  );
  trainer.dispose(true);
  tf.dispose(teacher.variables());

  const res = spawnSync(python.python, ['tools/torch/trajectory.py', out], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (res.status !== 0) throw new Error(`trajectory.py failed (${res.status})`);
  process.stdout.write(res.stdout);
  if (args.boolean('whole-run'))
    process.stderr.write(
      `the whole run in the twin (about 90 min on one CPU thread): python3 tools/torch/trajectory.py ${out} --whole-run --test-data ../shared/cifar10\n`,
    );
}

runCli('twin-trajectory', main);

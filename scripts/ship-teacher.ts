/**
 * npx tsx scripts/ship-teacher.ts --run <train --out dir> --name <name> --presets a,b --command "<cmd>"
 *   [--data synthetic|<dir>] [--seconds S] [--note "..."]
 *
 * Ships a teacher trained with `npm run train -- --phase teacher` into public/models/<name>/:
 * model.json + weights.bin (the teacher alone, no optimizer state) and manifest.json in the
 * format of tools/torch/ship_teacher.py (config, command, seed, steps, time, test accuracy on
 * the full test set and on its first 1000 images, measured here on the wasm backend), and adds
 * it to public/models/index.json. Then add the accuracy to src/state/pretrained-teachers.ts.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeCheckpoint, encodeCheckpoint } from '../src/engine/checkpoint';
import { DeviceImageSet } from '../src/engine/data/gpu-data';
import { evaluateAccuracy } from '../src/engine/evaluate';
import { parseCli, runCli, startNodeBackend, UsageError } from './lib/cli';
import { loadDatasetArg, readCheckpointDir, writeCheckpointDir } from './lib/node-files';

const USAGE =
  'npx tsx scripts/ship-teacher.ts --run DIR --name NAME --presets a,b --command CMD [--data synthetic|DIR] [--seconds S] [--note TEXT]';
const MODELS = path.resolve(import.meta.dirname, '..', 'public', 'models');
const LIMIT_BYTES = 10 * 2 ** 20;

async function main(): Promise<void> {
  const args = parseCli(process.argv.slice(2), USAGE);
  const [run, name, presets, command] = ['run', 'name', 'presets', 'command'].map(args.string);
  if (!run || !name || !presets || !command)
    throw new UsageError(`--run, --name, --presets and --command are required. Usage: ${USAGE}`);
  await startNodeBackend('wasm');
  const saved = await readCheckpointDir(path.join(run, 'checkpoint'));
  if (saved.manifest.phase !== 'teacher') throw new UsageError(`${run} holds no teacher-phase checkpoint`);
  const decoded = await decodeCheckpoint(saved.manifest, saved.weights, { withOptimizers: false });
  const teacher = decoded.models.get('teacher')?.model;
  if (!teacher) throw new UsageError(`${run}: the checkpoint holds no teacher`);
  const m = saved.manifest;
  const shipped = await encodeCheckpoint({
    phase: 'teacher',
    primary: 'teacher',
    config: m.config,
    normalization: m.normalization,
    dataset: m.dataset,
    models: [{ role: 'teacher', model: teacher, optimizer: null }],
    baselines: [],
    position: null,
    epochOrder: null,
  });
  if (shipped.weights.byteLength > LIMIT_BYTES)
    throw new UsageError('weights.bin would be over the 10 MB limit');

  const dataset = await loadDatasetArg(args.string('data') ?? 'synthetic', 0);
  const test = new DeviceImageSet(dataset.test, m.normalization);
  const all = (await evaluateAccuracy([teacher], test, { batch: 100 }))[0]!;
  const first = (
    await evaluateAccuracy([teacher], test, { batch: 100, limit: Math.min(1000, test.count) })
  )[0]!;
  test.dispose();

  const metrics = (await readFile(path.join(run, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);
  const steps = Math.max(...metrics.map((r) => r.step ?? 0));
  // metrics.jsonl has no clock: the time is what the training's progress line said.
  const secondsFlag = args.string('seconds');
  const seconds = secondsFlag === undefined ? null : Number(secondsFlag);
  const dest = path.join(MODELS, name);
  await writeCheckpointDir(dest, shipped);
  const manifest = {
    name,
    dataset: m.dataset.name,
    presets: presets.split(','),
    teacher: teacher.config,
    config: m.config,
    command,
    seed: m.config.seed,
    steps,
    batch: m.config.optim.batch,
    trainSeconds: seconds,
    testAccuracy: all,
    testCount: test.count,
    testAccuracy1000: first,
    weightsBytes: shipped.weights.byteLength,
    trainedWith: `npm run train (TF.js wasm backend, Node ${process.version})`,
    date: new Date().toISOString().slice(0, 10),
    note: args.string('note') ?? '',
  };
  await writeFile(path.join(dest, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const indexPath = path.join(MODELS, 'index.json');
  const index = JSON.parse(await readFile(indexPath, 'utf8')) as { teachers: { name: string }[] };
  const entry = {
    name: manifest.name,
    dataset: manifest.dataset,
    presets: manifest.presets,
    teacher: manifest.teacher,
    testAccuracy: all,
    testAccuracy1000: first,
    trainSeconds: seconds,
  };
  index.teachers = [...index.teachers.filter((t) => t.name !== name), entry];
  await writeFile(indexPath, `${JSON.stringify(index, null, 2)}\n`);
  process.stderr.write(
    `ship-teacher: ${dest}: test accuracy ${all.toFixed(4)} (${test.count} images), ${first.toFixed(4)} on the first 1000\n`,
  );
  process.stderr.write(
    'Now run npx biome check --write public/models and add it to src/state/pretrained-teachers.ts\n',
  );
}

runCli('ship-teacher', main);

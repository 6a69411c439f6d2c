/**
 * npm run eval -- --checkpoint <dir> --data <dir | archive.tar.gz | synthetic> [--limit N] [--backend wasm|cpu]
 *   [--model <role>] [--other-data]
 * Prints {"testAccuracy": 0.xx, "count": N} on stdout for the checkpoint's trained model.
 * A checkpoint trained on other data than --data is refused (its accuracy there means
 * nothing) unless --other-data.
 */
import { parseCli, positiveInt, runCli, startNodeBackend, UsageError } from './lib/cli';
import { loadDatasetArg, readCheckpointDir } from './lib/node-files';
import { checkSameData } from './lib/run-checks';

const USAGE =
  'npm run eval -- --checkpoint <dir> --data <dir|archive.tar.gz|synthetic> [--limit N] [--backend wasm|cpu] [--model ROLE] [--other-data]';

async function main(): Promise<void> {
  const args = parseCli(process.argv.slice(2), USAGE);
  const checkpoint = args.string('checkpoint');
  const data = args.string('data');
  if (!checkpoint) throw new UsageError(`--checkpoint is required. Usage: ${USAGE}`);
  if (!data) throw new UsageError(`--data is required. Usage: ${USAGE}`);
  const limit = positiveInt(args.string('limit'), 'limit');
  const backendChoice = args.string('backend') ?? 'wasm';
  if (backendChoice !== 'wasm' && backendChoice !== 'cpu')
    throw new UsageError('--backend must be wasm or cpu');

  const saved = await readCheckpointDir(checkpoint);
  const dataset = await loadDatasetArg(data, 0);
  checkSameData(`--checkpoint ${checkpoint}`, saved.manifest.dataset, dataset, args.boolean('other-data'));
  // TF.js and the engine load only once the checkpoint and the data have passed their checks.
  await startNodeBackend(backendChoice);
  const [{ decodeCheckpoint }, { DeviceImageSet }, { evaluateAccuracy }] = await Promise.all([
    import('../src/engine/checkpoint'),
    import('../src/engine/data/gpu-data'),
    import('../src/engine/evaluate'),
  ]);
  const role = args.string('model') ?? saved.manifest.primary;
  const decoded = await decodeCheckpoint(saved.manifest, saved.weights, { withOptimizers: false });
  const model = decoded.models.get(role);
  if (!model) {
    throw new UsageError(
      `checkpoint has no model "${role}" (it has: ${[...decoded.models.keys()].join(', ')})`,
    );
  }
  if (model.model.config.numClasses !== dataset.classNames.length) {
    throw new UsageError(
      `the model predicts ${model.model.config.numClasses} classes but ${dataset.name} has ${dataset.classNames.length}`,
    );
  }
  const test = new DeviceImageSet(dataset.test, saved.manifest.normalization);
  const count = Math.min(limit ?? test.count, test.count);
  const [accuracy] = await evaluateAccuracy([model.model], test, { batch: 100, limit: count });
  process.stdout.write(`${JSON.stringify({ testAccuracy: accuracy, count })}\n`);
  test.dispose();
  for (const m of decoded.models.values()) m.model.dispose();
}

runCli('eval', main);

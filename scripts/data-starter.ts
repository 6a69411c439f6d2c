/**
 * npm run data:starter [-- --from <folder | cifar-10-binary.tar.gz>] [--out <folder>] [--per-class N]
 *
 * Rebuilds the CIFAR-10 starter set the app ships (public/data/starter/) from the official files:
 * see lib/starter-build.ts for what it holds. --from defaults to ../shared/cifar10.
 * Bad input prints one line on stderr and exits 2.
 */
import path from 'node:path';
import { parseCli, positiveInt, runCli, UsageError } from './lib/cli';
import { buildStarter, DEFAULT_FROM, DEFAULT_OUT } from './lib/starter-build';

const NAME = 'data:starter';
const USAGE =
  'npm run data:starter [-- --from <folder|cifar-10-binary.tar.gz>] [--out FOLDER] [--per-class N]';

async function main(): Promise<void> {
  const args = parseCli(process.argv.slice(2), USAGE);
  const perClass = positiveInt(args.string('per-class'), 'per-class') ?? 1000;
  if (perClass > 5000) throw new UsageError('--per-class must be at most 5000 (CIFAR-10 has 5000 a class)');
  const from = path.resolve(args.string('from') ?? DEFAULT_FROM);
  const out = path.resolve(args.string('out') ?? DEFAULT_OUT);
  const m = await buildStarter(from, out, perClass);
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  process.stderr.write(
    `${NAME}: wrote ${out}: ${m.train.records} training records (${perClass} a class, ${mb(m.train.gzipBytes)}), ` +
      `${m.test.records} test records (${mb(m.test.gzipBytes)})\n`,
  );
}

runCli(NAME, main);

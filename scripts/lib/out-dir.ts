/**
 * The training output folder, checked before any work: it must be a writable folder, the
 * names the run writes must not be taken by something else, and an earlier run there is
 * kept unless the user continues it (--resume) or asks to replace it (--force).
 */
import { mkdir, readFile, realpath, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './cli';

export const METRICS_FILE = 'metrics.jsonl';
export const CONFIG_FILE = 'config.json';
export const CHECKPOINT_DIR = 'checkpoint';

/**
 * Creates a folder and its missing parents one level at a time. Node's recursive mkdir
 * never returns for some paths (e.g. /proc/x); a single level fails at once there.
 */
export async function makeDir(dir: string): Promise<void> {
  const abs = path.resolve(dir);
  const missing: string[] = [];
  let cur = abs;
  for (;;) {
    const info = await stat(cur).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
      throw new UsageError(`${cur} is not reachable (${err.code})`);
    });
    if (info) {
      if (!info.isDirectory()) throw new UsageError(`${cur} is a file, not a folder`);
      break;
    }
    missing.unshift(cur);
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (const d of missing) {
    await mkdir(d).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw new UsageError(`cannot create the folder ${d} (${err.code})`);
    });
  }
}

export interface OutPlan {
  out: string;
  /** The folder of the checkpoint being continued, when it is this run's own <out>/checkpoint. */
  continuing: boolean;
}

/**
 * Validates and creates --out. `resumeDir` is the --resume folder: continuing <out>/checkpoint
 * is not overwriting it. Throws a UsageError naming the clash and what to do.
 */
export async function prepareOut(
  out: string,
  opts: { force: boolean; resumeDir?: string },
): Promise<OutPlan> {
  const where = `--out ${out}`;
  const wrap = (err: unknown) => {
    if (err instanceof UsageError) throw new UsageError(`${where}: ${err.message}`);
    throw err;
  };
  await makeDir(out).catch(wrap);
  const kinds: [string, 'dir' | 'file'][] = [
    [CHECKPOINT_DIR, 'dir'],
    [`${CHECKPOINT_DIR}.previous`, 'dir'],
    [METRICS_FILE, 'file'],
    [CONFIG_FILE, 'file'],
  ];
  const found = new Set<string>();
  for (const [name, kind] of kinds) {
    const info = await stat(path.join(out, name)).catch(() => null);
    if (!info) continue;
    found.add(name);
    if (kind === 'dir' ? !info.isDirectory() : !info.isFile()) {
      throw new UsageError(
        `${where}: ${path.join(out, name)} is ${kind === 'dir' ? 'a file' : 'not a file'}, where the run writes its ${name}; move it away or choose another --out`,
      );
    }
  }
  const probe = path.join(out, `.write-test-${process.pid}`);
  try {
    await writeFile(probe, '');
    await unlink(probe);
  } catch (err) {
    throw new UsageError(`${where} is not writable (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const own = path.join(out, CHECKPOINT_DIR);
  const continuing =
    opts.resumeDir !== undefined &&
    found.size > 0 &&
    ((await samePath(opts.resumeDir, own)) || (await samePath(opts.resumeDir, `${own}.previous`)));
  if (found.size && !continuing) {
    if (!opts.force) {
      throw new UsageError(
        `${where} already holds a run (${[...found].join(', ')}); continue it with --resume ${own}, ` +
          'replace it with --force, or choose another --out',
      );
    }
    for (const name of found) await rm(path.join(out, name), { recursive: true, force: true });
  }
  await rm(path.join(out, `${CHECKPOINT_DIR}.partial`), { recursive: true, force: true });
  return { out, continuing };
}

async function samePath(a: string, b: string): Promise<boolean> {
  const [ra, rb] = await Promise.all([realpath(a).catch(() => null), realpath(b).catch(() => null)]);
  return ra !== null && ra === rb;
}

/**
 * Keeps the metrics of the steps a resumed run does not repeat: training lines before
 * `step` (their `step` is the index of the step run) and evaluations at or before it (theirs
 * counts the steps done). Drops a line cut short by a crash.
 */
export async function truncateMetrics(file: string, step: number): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const kept: string[] = [];
  for (const line of text.split('\n')) {
    let row: { step?: unknown; testAccuracy?: unknown };
    try {
      row = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof row.step !== 'number') continue;
    if ('testAccuracy' in row ? row.step <= step : row.step < step) kept.push(line);
  }
  await writeFile(file, kept.map((l) => `${l}\n`).join(''));
  return kept.length;
}

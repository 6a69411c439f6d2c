/**
 * Shared command-line plumbing: argument parsing with one-line errors (exit 2), the
 * Node-side backend start-up, and a progress line with ETA on stderr.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { ActiveBackend } from '../../src/engine/backend';

/** A problem with what the user gave us: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** What a command line said, read by the flag names its usage line declares. */
export interface CliArgs {
  /** The value of `--name VALUE` (the last one given), undefined when absent. */
  string(name: string): string | undefined;
  /** Every value of a repeatable `--name VALUE`, in order; empty when absent. */
  strings(name: string): string[];
  /** Whether the switch `--name` was given. */
  boolean(name: string): boolean;
}

/** Flags a CLI takes beyond its usage line: kept out of the one-line help, or repeatable. */
export interface UnlistedFlags {
  /** Written as in a usage line (`[--log-every N]`), parsed the same way. */
  unlisted?: string;
  /** Names of `--name VALUE` flags that may be given more than once. */
  repeatable?: readonly string[];
}

/**
 * Parses argv against the flags that the usage line declares: `--name VALUE` takes a value
 * and a bare `[--name]` is a switch. The usage line is the one list of a CLI's flags, so
 * the help and the parser cannot disagree. `--help` prints the usage and exits 0; an unknown
 * flag, or a value missing, is a UsageError naming the usage.
 */
export function parseCli(argv: string[], usage: string, more: UnlistedFlags = {}): CliArgs {
  const options = flagsOfUsage(`${usage} ${more.unlisted ?? ''}`, more.repeatable ?? []);
  let values: { [name: string]: string | boolean | (string | boolean)[] | undefined };
  try {
    values = parseArgs({
      args: joinNegativeValues(argv, options),
      options: { ...options, help: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new UsageError(`${msg}. Usage: ${usage}`);
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const declared = (name: string, type: 'string' | 'boolean', multiple: boolean) => {
    const option = options[name];
    // A name the usage lacks is this script's typo, not the user's: a bug, exit 1.
    if (option?.type !== type || (option.multiple ?? false) !== multiple)
      throw new Error(`${name} is not a ${multiple ? 'repeatable ' : ''}${type} flag of "${usage}"`);
    return values[name];
  };
  return {
    string: (name) => declared(name, 'string', false) as string | undefined,
    strings: (name) => (declared(name, 'string', true) as string[] | undefined) ?? [],
    boolean: (name) => (declared(name, 'boolean', false) as boolean | undefined) ?? false,
  };
}

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** `--name VALUE` and `[--name]` of a usage line as parseArgs options; `--` alone is no flag. */
export function flagsOfUsage(usage: string, repeatable: readonly string[] = []): FlagOptions {
  const options: FlagOptions = {};
  for (const [, name, value] of usage.matchAll(/--([a-z][a-z0-9-]*)(?=[\s\]]|$)( +[^-\s\][][^\s\]]*)?/g)) {
    options[name!] = value
      ? { type: 'string', ...(repeatable.includes(name!) ? { multiple: true } : {}) }
      : { type: 'boolean' };
  }
  for (const name of repeatable)
    if (options[name]?.type !== 'string') throw new Error(`--${name} VALUE is not in "${usage}"`);
  return options;
}

/**
 * `--seed -1` as `--seed=-1`: parseArgs takes a value starting with a dash for a flag and
 * calls it ambiguous; joined, the value reaches the flag's own check, which names it.
 */
function joinNegativeValues(argv: string[], options: FlagOptions): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : null;
    if (name && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity)/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** A problem with what the user gave us or with the files they pointed at: one line, exit 2. */
export function isUserError(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  if (err instanceof UsageError || isInputError(err)) return true;
  // The file system refused a path the user chose (disk full, read-only, permissions).
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' && FS_USER_CODES.has(code);
}

const FS_USER_CODES = new Set([
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOSPC',
  'EDQUOT',
  'EEXIST',
  'ENOTDIR',
  'EISDIR',
  'ENOENT',
  'ENAMETOOLONG',
  'ELOOP',
  'EMFILE',
]);

/** Runs a CLI main: usage and data errors print one line and exit 2; bugs print a stack and exit 1. */
export function runCli(name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (isUserError(err)) {
      process.stderr.write(`${name}: ${err.message.split('\n')[0]}\n`);
      process.exit(2);
    }
    process.stderr.write(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}

/** Errors raised by validation of files, configs or checkpoints: the user's input, not a bug. */
function isInputError(err: Error): boolean {
  return (
    /^(Invalid|Unknown preset|Not a checkpoint|Checkpoint|Missing|No such|Cannot|The (teacher|student))/.test(
      err.message,
    ) ||
    err.name === 'DataError' ||
    err.name === 'MemoryLimitError'
  );
}

/** Whole decimal numbers only: "0x3", "1e3", "2.0" and " 4" are not step counts. */
function parseCount(value: string, flag: string, what: string, min: number): number {
  const n = /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min)) throw new UsageError(`--${flag} must be ${what}, got "${value}"`);
  return n;
}

export function positiveInt(value: string | undefined, flag: string): number | undefined {
  return value === undefined ? undefined : parseCount(value, flag, 'a positive integer', 1);
}

export function nonNegativeInt(value: string | undefined, flag: string): number | undefined {
  return value === undefined ? undefined : parseCount(value, flag, 'a non-negative integer', 0);
}

/** A non-negative decimal number (e.g. minutes, a Beta alpha): no hex, no Infinity. */
export function nonNegativeNumber(value: string | undefined, flag: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 0 && n <= max))
    throw new UsageError(`--${flag} must be a number from 0 to ${max}, got "${value}"`);
  return n;
}

/** The wasm backend (cpu as fallback), as the CLI promises. */
export async function startNodeBackend(choice: 'wasm' | 'cpu' = 'wasm'): Promise<ActiveBackend> {
  // TF.js loads here, not with this module: a refused flag answers in node's start-up time.
  const { describeActiveBackend, tryBackend } = await import('../../src/engine/backend');
  const wasmDir = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  const setup = { wasmPaths: `${wasmDir}${path.sep}` };
  const skipped = [];
  for (const name of choice === 'wasm' ? (['wasm', 'cpu'] as const) : (['cpu'] as const)) {
    const reason = await tryBackend(name, setup);
    if (reason === null) return describeActiveBackend(skipped);
    skipped.push({ name, reason });
    process.stderr.write(`${reason}; falling back\n`);
  }
  throw new Error(`No backend could start: ${skipped.map((s) => s.reason).join('; ')}`);
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/** A progress bar with ETA on stderr: redrawn in place on a terminal, one line per update otherwise. */
export class Progress {
  private readonly start = performance.now();
  private readonly tty = process.stderr.isTTY;
  constructor(
    private readonly total: number,
    private readonly first = 0,
  ) {}

  update(done: number, detail: string): void {
    const elapsed = (performance.now() - this.start) / 1000;
    const rate = (done - this.first) / Math.max(elapsed, 1e-9);
    const eta = (this.total - done) / rate;
    const width = 24;
    const filled = Math.round((width * done) / this.total);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const line = `${bar} ${done}/${this.total} ${formatDuration(elapsed)} ETA ${formatDuration(eta)} ${detail}`;
    process.stderr.write(this.tty ? `\r\x1b[2K${line}` : `${line}\n`);
  }

  end(): void {
    if (this.tty) process.stderr.write('\n');
  }
}

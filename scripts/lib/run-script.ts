/**
 * Runs one of the command-line scripts end to end for the tests, in a single node process
 * (`node --import tsx`): the tsx launcher would start a second node and, on two busy cores,
 * double the seconds each run spends before the script reads its first flag; a signal sent to
 * the child also reaches the script itself, not a launcher that forwards it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface ScriptRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall seconds from the spawn to the child's exit. */
  seconds: number;
}

export interface RunOptions {
  /** Called with the whole stderr so far, each time it grows. */
  watch?: (stderr: string, child: ChildProcess) => void;
  /** Killed with SIGKILL after this long: a hang fails the test instead of passing slowly. */
  limitMs?: number;
  /** In its own process group, as a terminal's foreground job. */
  detached?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** The command line that runs `scripts/<name>.ts` (or a script path) with these arguments. */
export function scriptCommand(script: string, args: readonly string[]): string[] {
  const file = script.endsWith('.ts')
    ? path.resolve(ROOT, script)
    : path.join(ROOT, 'scripts', `${script}.ts`);
  return [process.execPath, '--import', 'tsx', file, ...args];
}

/** Runs `scripts/<name>.ts` without blocking this process (a test may serve it HTTP meanwhile). */
export function runScript(
  script: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<ScriptRun> {
  return runCommand(scriptCommand(script, args), options);
}

/** Runs `scripts/<name>.ts` to its end, blocking this process. */
export function runScriptSync(script: string, args: readonly string[], env?: NodeJS.ProcessEnv): ScriptRun {
  const start = performance.now();
  const [file, ...rest] = scriptCommand(script, args);
  const r = spawnSync(file!, rest, { cwd: ROOT, encoding: 'utf8', env: env ?? process.env });
  if (r.error) throw r.error;
  return {
    code: r.status,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    seconds: (performance.now() - start) / 1000,
  };
}

/** Spawns any command from the repository root, collecting its output. */
export function runCommand([file, ...args]: string[], options: RunOptions = {}): Promise<ScriptRun> {
  const { watch, limitMs = 300_000, detached = false, env = process.env } = options;
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file!, args, { cwd: ROOT, detached, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      watch?.(stderr, child);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, seconds: (performance.now() - start) / 1000 });
    });
  });
}

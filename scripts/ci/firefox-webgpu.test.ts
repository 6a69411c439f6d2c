/**
 * scripts/ci/firefox-webgpu.sh without the network: it agrees with scripts/lib/firefox.ts on
 * where the Firefox goes, skips when one is there, and fails soft (exit 0, the reason said,
 * nothing left behind) when it cannot get one. The download itself is exercised by .ci/run.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { trixieFirefoxPath } from '../lib/firefox';

const SCRIPT = fileURLToPath(new URL('./firefox-webgpu.sh', import.meta.url));
const FIREFOX_IN_PREFIX = 'usr/lib/firefox-esr/firefox-esr';

function runScript(env: Record<string, string>, args: string[] = []) {
  const clean = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env };
  const result = spawnSync('bash', [SCRIPT, ...args], { env: clean, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

let scratch = '';
afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = '';
});

describe('scripts/ci/firefox-webgpu.sh', () => {
  it.each([
    [{ HOME: '/home/ci' }, '/home/ci/.cache/mkd/firefox-esr-trixie'],
    [{ HOME: '/home/ci', XDG_CACHE_HOME: '/var/cache/ci' }, '/var/cache/ci/mkd/firefox-esr-trixie'],
    [{ HOME: '/home/ci', XDG_CACHE_HOME: '/x', MKD_FIREFOX_PREFIX: '/opt/ff' }, '/opt/ff'],
  ])('puts Firefox where the tests look for it (%o)', (env, prefix) => {
    const printed = runScript(env, ['--print-prefix']);
    expect(printed.code).toBe(0);
    expect(printed.out.trim()).toBe(prefix);
    expect(trixieFirefoxPath(env)).toBe(path.join(prefix, FIREFOX_IN_PREFIX));
  });

  it('skips, touching nothing, when a Firefox that starts is already there', () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'firefox-webgpu-'));
    const prefix = path.join(scratch, 'prefix');
    const firefox = path.join(prefix, FIREFOX_IN_PREFIX);
    mkdirSync(path.dirname(firefox), { recursive: true });
    writeFileSync(firefox, '#!/bin/sh\necho "Mozilla Firefox 153.0esr"\n');
    chmodSync(firefox, 0o755);
    // An unreachable mirror: a script that went to the network would fail and say so.
    const run = runScript({
      HOME: scratch,
      MKD_FIREFOX_PREFIX: prefix,
      MKD_DEBIAN_MIRROR: 'http://127.0.0.1:9',
    });
    expect(run.code).toBe(0);
    expect(run.out).toContain(`already at ${prefix}: Mozilla Firefox 153.0esr`);
    expect(readdirSync(scratch)).toEqual(['prefix']);
  });

  it('exits 0, saying why, and leaves nothing behind when it cannot get Firefox', () => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'firefox-webgpu-'));
    const prefix = path.join(scratch, 'prefix');
    const run = runScript({
      HOME: scratch,
      MKD_FIREFOX_PREFIX: prefix,
      MKD_DEBIAN_MIRROR: 'http://127.0.0.1:9',
    });
    expect(run.code).toBe(0);
    expect(run.out).toMatch(
      /no Firefox with WebGPU: .+ \(e2e\/cross-implementation\.spec\.ts will skip, saying so\)/,
    );
    // Neither PREFIX nor the half-made copy beside it.
    expect(readdirSync(scratch)).toEqual([]);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeHash, EXPERIMENT_KEY_SPECS, KEY_SPECS } from '../src/state/url-codec';
import { generatedDocs, shareLinksDoc } from './docs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('generated docs', () => {
  it.each(generatedDocs())('$file is what npm run docs writes (run it when this fails)', ({ file, text }) => {
    expect(readFileSync(path.join(ROOT, file), 'utf8')).toBe(text);
  });

  it('names every module of src/ in the architecture file map, under its folder', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');
    const modules = readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
      .map((f) => f.split(path.sep).join('/'))
      .filter((f) => /\.tsx?$/.test(f) && !/\.(test|d)\.tsx?$/.test(f));
    expect(modules.length).toBeGreaterThan(100);
    for (const file of modules) {
      const folder = `src/${path.posix.dirname(file)}`.replace(/\/\.$/, '');
      const section = doc.split(`**${folder}/**`)[1]?.split('\n**')[0] ?? '';
      expect(section, file).toContain(`- \`${path.posix.basename(file)}\``);
    }
  });

  it('lists every key the link reader accepts, and only those', () => {
    const keys = [...shareLinksDoc().matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
    expect(keys).toEqual(['v', ...[...KEY_SPECS, ...EXPERIMENT_KEY_SPECS].map((s) => s.key)]);
    // Each documented key is one the reader knows: no "unknown key" notice for any of them.
    for (const key of keys.filter((k) => k !== 'v')) {
      expect(decodeHash(`#v=1&${key}=x`).notices.join(' ')).not.toContain('unknown setting');
    }
    expect(decodeHash('#v=1&notAKey=1').notices).toContain("ignored unknown setting 'notAKey'");
  });

  it('names the fixed keys of the interfaces document', () => {
    const doc = shareLinksDoc();
    for (const key of [
      'preset',
      'seed',
      'data',
      'backend',
      'lr',
      'batch',
      'steps',
      'wCe',
      'wKd',
      'wMd',
      'wIntra',
      'wInter',
      'wRandom',
      'tau',
      'k',
      'kd',
    ]) {
      expect(doc).toContain(`| \`${key}\` |`);
    }
  });
});

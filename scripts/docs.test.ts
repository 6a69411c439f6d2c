import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { referenceRun as run, starterTable } from '../src/state/reference-fixtures';
import { parseReferenceTables } from '../src/state/reference-runs';
import { decodeHash, EXPERIMENT_KEY_SPECS, KEY_SPECS } from '../src/state/url-codec';
import {
  generatedDocs,
  REFERENCE_BEGIN,
  REFERENCE_END,
  referenceBlock,
  shareLinksDoc,
  withReferenceBlock,
} from './docs';

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

describe("the README's reference block", () => {
  const tables = parseReferenceTables({
    tables: {
      starter: starterTable([
        run('kd+all', 1, 0.56),
        run('kd+all', 2, 0.57),
        run('kd+all', 3, 0.58),
        run('kd-only', 1, 0.503),
      ]),
    },
  });

  it('gives the default run’s reference accuracies: KD + all, KD only, CE only and the teacher', () => {
    // Cells are padded to their column's width, as the formatter writes Markdown tables.
    const block = referenceBlock(tables).replace(/ {2,}/g, ' ').replace(/-{4,}/g, '---');
    // 56, 57, 58: mean 57, sample std 1; one seed has no spread; no CE-only run yet.
    expect(block).toContain('| student, KD + intra + inter + random (the default) | 57.0% ± 1.0 (3 seeds) |');
    expect(block).toContain('| student, KD only | 50.3% (1 seed) |');
    expect(block).toContain('| student, CE only (labels, no teacher) | not measured yet |');
    expect(block).toContain('| teacher `cifar10-default` | 76.3% |');
    expect(block.replace(/\s+/g, ' ')).toContain('all 10,000 CIFAR-10 test images after 2,000 steps of 64');
    expect(block.startsWith(REFERENCE_BEGIN) && block.endsWith(REFERENCE_END)).toBe(true);
  });

  it('rewrites only what is between the markers, and refuses a README without them', () => {
    const readme = `top\n${REFERENCE_BEGIN}\nold\n${REFERENCE_END}\nbottom\n`;
    expect(withReferenceBlock(readme, 'NEW')).toBe('top\nNEW\nbottom\n');
    expect(() => withReferenceBlock('no block', 'NEW')).toThrow(/needs one/);
    expect(() => referenceBlock(parseReferenceTables({ tables: {} }))).toThrow(/no table of the default run/);
  });
});

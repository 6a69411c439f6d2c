import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLayers, findCycles, importsOf } from './check-layers';
import { runScriptSync } from './lib/run-script';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const scratch: string[] = [];

/** A copy of src/ and scripts/ to break on purpose. */
/** A copy of src/ and scripts/ with `appended` text added to the end of each named file. */
function scratchCopy(appended: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'layers-'));
  scratch.push(dir);
  for (const d of ['src', 'scripts']) cpSync(path.join(ROOT, d), path.join(dir, d), { recursive: true });
  for (const [file, text] of Object.entries(appended)) appendFileSync(path.join(dir, file), text);
  return dir;
}

afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the layer check', () => {
  it('finds nothing wrong in this repository', () => {
    expect(checkLayers(ROOT)).toEqual([]);
  });

  it('fails when the engine imports the store, naming the file and the rule', () => {
    const dir = scratchCopy({ 'src/engine/losses.ts': "\nimport { useAppStore } from '../state/store';\n" });
    expect(checkLayers(dir)).toEqual([
      {
        file: 'src/engine/losses.ts',
        message: expect.stringMatching(
          /^imports src\/state\/store\.ts: the engine imports nothing of the app/,
        ),
      },
    ]);
  });

  it('fails when the worker imports state, even for a type, or the UI imports the bridge', () => {
    const dir = scratchCopy({
      'src/worker/run-loop.ts': "\nimport type { AppState } from '../state/store';\n",
      'src/ui/App.tsx': "\nimport { WorkerBridge } from '../worker/client/bridge';\nvoid WorkerBridge;\n",
    });
    const files = checkLayers(dir).map((p) => p.file);
    expect(files.sort()).toEqual(['src/ui/App.tsx', 'src/worker/run-loop.ts']);
  });

  it('fails when the page imports an engine module outside src/engine/spec/, even for a type, naming the file and the rule', () => {
    const dir = scratchCopy({
      'src/state/run-slice.ts': "\nimport type { Vit } from '../engine/vit';\n",
      'src/ui/App.tsx': "\nimport { presetConfig } from '../engine/spec/presets';\nvoid presetConfig;\n",
    });
    expect(checkLayers(dir)).toEqual([
      {
        file: 'src/state/run-slice.ts',
        message: expect.stringMatching(
          /^imports src\/engine\/vit\.ts: the page imports only the engine spec \(src\/engine\/spec\/\)/,
        ),
      },
    ]);
  });

  it('lets the engine spec import types from the rest of the engine, but nothing it would load', () => {
    const dir = scratchCopy({ 'src/engine/spec/terms.ts': "\nimport type { Vit } from '../vit';\n" });
    expect(checkLayers(dir)).toEqual([]);
    appendFileSync(
      path.join(dir, 'src/engine/spec/heads.ts'),
      "\nimport { makeRng } from '../random';\nvoid makeRng;\n",
    );
    expect(checkLayers(dir)).toEqual([
      {
        file: 'src/engine/spec/heads.ts',
        message: expect.stringMatching(
          /^imports src\/engine\/random\.ts: the engine spec loads nothing outside/,
        ),
      },
    ]);
  });

  it('fails on an import cycle and names every file on it', () => {
    const dir = scratchCopy({
      'src/engine/optim-math.ts': "\nimport { AdamW } from './optim';\nvoid AdamW;\n",
    });
    const problems = checkLayers(dir);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toBe(
      'import cycle: src/engine/optim-flat.ts → src/engine/optim-math.ts → src/engine/optim.ts',
    );
  });

  it('exits with status 1 from the command line on a wrong-direction import', () => {
    const dir = scratchCopy({ 'src/state/store.ts': "\nimport '../ui/App';\n" });
    const run = runScriptSync('check-layers', [dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('src/state/store.ts: imports src/ui/App.tsx: state imports no UI');
  });
});

describe('reading imports', () => {
  it('reads static, re-exported, side-effect and dynamic imports, and tells type-only ones apart', () => {
    const source = [
      "import type { A } from './a';",
      "import { type B, type C } from './b';",
      "import { type D, e } from './d';",
      "export { f } from './f';",
      "import './side-effect';",
      "const g = await import('./g');",
      "// import { h } from './commented-out';",
      "/* import { i } from './block-comment'; */",
    ].join('\n');
    expect(importsOf(source)).toEqual([
      { spec: './a', typeOnly: true },
      { spec: './b', typeOnly: true },
      { spec: './d', typeOnly: false },
      { spec: './f', typeOnly: false },
      { spec: './side-effect', typeOnly: false },
      { spec: './g', typeOnly: false },
    ]);
  });

  it('finds each cycle once, including a file that imports itself, and ignores a chain', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['e']],
      ['f', ['d']],
    ]);
    expect(findCycles(graph)).toEqual([['a', 'b', 'c'], ['e']]);
  });
});

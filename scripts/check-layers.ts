/**
 * The layer check: imports flow one way,
 *
 *   ui → state → worker/client (the bridge) → worker/shared (the protocol) ← worker/* → engine
 *
 * and the page (ui, state, the bridge) imports only the engine's TF-free spec, src/engine/spec/,
 * and no module imports itself through others (no cycles), in src/, scripts/, e2e/ and bench/.
 * A small script rather than a dependency: the rules are a few path prefixes, and the TypeScript
 * sources are read as text, so it needs no build. It runs inside `npm test` (scripts/check-layers.test.ts,
 * which also shows it failing on a scratch copy) and alone as `npm run lint:layers`.
 *
 * Usage: tsx scripts/check-layers.ts [root]   (exit code 1 and one line per problem when any)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One rule: files under `from` may not import the modules `forbidden` matches; `why` says the layer. */
interface Rule {
  from: (file: string) => boolean;
  forbidden: (target: string) => boolean;
  why: string;
  /** Type-only imports are let through: erased when compiled, they load nothing at run time. */
  typesAllowed?: boolean;
}

const under = (dir: string) => (file: string) => file.startsWith(`${dir}/`);
/** Libraries of the page's UI and store; the worker and the engine use none of them. */
const PAGE_PACKAGES = /^(react|react-dom|zustand|recharts|react-dropzone|d3-[\w-]+)(\/|$)/;
/** Browser storage: the worker keeps its saved run there, the engine (which also runs in Node) never. */
const STORAGE_PACKAGES = /^idb-keyval(\/|$)/;
/**
 * The worker folder by where its files run: client/ on the page only (the bridge), shared/ on
 * both sides (the protocol and its schemas), everything else in the worker. The tsconfigs draw
 * the same line with the same folders.
 */
const WORKER_CLIENT = under('src/worker/client');
const PAGE_SIDE_OF_WORKER = (file: string) => WORKER_CLIENT(file) || under('src/worker/shared')(file);
const workerSide = (file: string) => under('src/worker')(file) && !WORKER_CLIENT(file);
const appFile = (file: string) => /^src\/(ui|state|worker)\//.test(file) || file === 'src/main.tsx';
/** The page proper: what the main thread runs besides the bridge. */
const pageFile = (file: string) => /^src\/(ui|state)\//.test(file) || file === 'src/main.tsx';
/** The engine's TF-free part: the only engine modules the page may import. */
const ENGINE_SPEC = under('src/engine/spec');
const TFJS = /^@tensorflow\//;

export const RULES: Rule[] = [
  {
    from: under('src/engine'),
    forbidden: (t) => appFile(t) || PAGE_PACKAGES.test(t) || STORAGE_PACKAGES.test(t),
    why: 'the engine imports nothing of the app (no UI, store, worker) and no page library',
  },
  {
    from: workerSide,
    forbidden: (t) => /^src\/(ui|state)\//.test(t) || WORKER_CLIENT(t) || PAGE_PACKAGES.test(t),
    why: 'the worker imports nothing of the page (state, ui, the bridge in src/worker/client/)',
  },
  {
    from: WORKER_CLIENT,
    forbidden: (t) => t.startsWith('src/') && !PAGE_SIDE_OF_WORKER(t) && !ENGINE_SPEC(t),
    why: 'the bridge knows only the protocol (src/worker/shared/) and the engine spec: no store, no UI, no worker internals',
  },
  {
    from: (f) => pageFile(f) || WORKER_CLIENT(f),
    forbidden: (t) => (under('src/engine')(t) && !ENGINE_SPEC(t)) || TFJS.test(t),
    why: 'the page imports only the engine spec (src/engine/spec/), which is free of TF.js; the rest of the engine runs in the worker',
  },
  {
    from: ENGINE_SPEC,
    forbidden: (t) => (under('src/engine')(t) && !ENGINE_SPEC(t)) || TFJS.test(t),
    typesAllowed: true,
    why: 'the engine spec loads nothing outside src/engine/spec/ (types aside), so the page that imports it stays free of TF.js',
  },
  {
    from: under('src/state'),
    forbidden: (t) =>
      under('src/ui')(t) || t === 'src/main.tsx' || (under('src/worker')(t) && !PAGE_SIDE_OF_WORKER(t)),
    why: 'state imports no UI, and reaches the worker only through the bridge and the protocol',
  },
  {
    from: (f) => under('src/ui')(f) || f === 'src/main.tsx',
    forbidden: (t) => under('src/worker')(t) && t !== 'src/worker/shared/protocol.ts',
    why: 'the UI talks to the worker through state actions (state/run-actions.ts), using protocol types only',
  },
  {
    from: under('src'),
    forbidden: (t) => /^(scripts|e2e|bench)\//.test(t),
    why: 'the app imports no scripts, tests or benchmarks',
  },
  {
    from: under('scripts'),
    forbidden: under('e2e'),
    why: 'e2e specs use scripts/lib, never the reverse',
  },
];

export interface Problem {
  file: string;
  message: string;
}

const SOURCE = /\.(ts|tsx|mts|mjs|js)$/;
const DIRS = ['src', 'scripts', 'e2e', 'bench'];

function listSources(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = path.join(root, rel);
    if (!existsSync(abs)) return;
    for (const name of readdirSync(abs)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const child = `${rel}/${name}`;
      if (statSync(path.join(root, child)).isDirectory()) walk(child);
      else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(child);
    }
  };
  for (const dir of DIRS) walk(dir);
  return out.sort();
}

export interface Import {
  spec: string;
  /** `import type …`, or every name imported with `type`: erased when compiled, so it cannot cycle at run time. */
  typeOnly: boolean;
}

/** Module specifiers of static imports and re-exports, side-effect imports and import(). */
export function importsOf(source: string): Import[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: Import[] = [];
  for (const m of code.matchAll(/\b(import|export)\s([^'";]*?)\sfrom\s*['"]([^'"]+)['"]/g)) {
    const clause = m[2]!.trim();
    const names = /^\{([\s\S]*)\}$/
      .exec(clause)?.[1]
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const typeOnly = /^type\s/.test(clause) || (!!names?.length && names.every((n) => n.startsWith('type ')));
    found.push({ spec: m[3]!, typeOnly });
  }
  for (const m of code.matchAll(/\bimport\s*['"]([^'"]+)['"]/g)) found.push({ spec: m[1]!, typeOnly: false });
  for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g))
    found.push({ spec: m[1]!, typeOnly: false });
  return found;
}

/** The repository path a specifier names, or the bare package name for a dependency. */
function resolve(root: string, file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec.split('?')[0]!));
  const candidates = [base, `${base}.ts`, `${base}.tsx`, `${base}.mjs`, `${base}.js`, `${base}/index.ts`];
  // `import x from './a.js'` in TypeScript names ./a.ts.
  if (/\.js$/.test(base)) candidates.push(base.replace(/\.js$/, '.ts'));
  return (
    candidates.find((c) => existsSync(path.join(root, c)) && statSync(path.join(root, c)).isFile()) ?? base
  );
}

export interface Edge {
  target: string;
  typeOnly: boolean;
}

/** Every import edge between files under root (specifiers resolved to repository paths). */
export function importGraph(root: string): Map<string, Edge[]> {
  const graph = new Map<string, Edge[]>();
  for (const file of listSources(root)) {
    const text = readFileSync(path.join(root, file), 'utf8');
    graph.set(
      file,
      importsOf(text).map((i) => ({ target: resolve(root, file, i.spec), typeOnly: i.typeOnly })),
    );
  }
  return graph;
}

/** Each import cycle once, as the files around it (Tarjan's strongly connected components). */
export function findCycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).includes(v);
      if (component.length > 1 || selfLoop) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return cycles;
}

/**
 * Every import against the layers and every cycle of run-time imports under root; empty when
 * the code is clean. Type-only imports obey the layers too, but cannot form a cycle at run time
 * (the store's slices and the store's AppState type refer to each other by design).
 */
export function checkLayers(root: string): Problem[] {
  const graph = importGraph(root);
  const problems: Problem[] = [];
  for (const [file, edges] of graph) {
    if (/\.test\.tsx?$/.test(file)) continue; // a test may reach across layers to set things up
    for (const { target, typeOnly } of edges) {
      const rule = RULES.find((r) => r.from(file) && r.forbidden(target) && !(r.typesAllowed && typeOnly));
      if (rule) problems.push({ file, message: `imports ${target}: ${rule.why}` });
    }
  }
  const runtime = new Map(
    [...graph].map(([file, edges]) => [file, edges.filter((e) => !e.typeOnly).map((e) => e.target)]),
  );
  for (const cycle of findCycles(runtime)) {
    problems.push({ file: cycle[0]!, message: `import cycle: ${cycle.join(' → ')}` });
  }
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const root = path.resolve(process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url)));
  const problems = checkLayers(root);
  for (const p of problems) console.error(`${p.file}: ${p.message}`);
  if (problems.length) {
    console.error(`${problems.length} import problem(s); the layers are described in docs/architecture.md.`);
    process.exit(1);
  }
  console.error(`Layers: ${importGraph(root).size} files, every import goes the right way, no cycles.`);
}

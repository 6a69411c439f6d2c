import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * Cross-origin isolation lets the wasm backend run its threaded build (SharedArrayBuffer).
 * The dev and preview servers send the two headers themselves; a static host that sends
 * none (GitHub Pages) gets them from coi-serviceworker, a service worker that re-serves the
 * page's own responses with the headers (it does nothing where the page is already isolated).
 */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};
const COI_FILE = 'coi-serviceworker.js';

function crossOriginIsolationWorker(): Plugin {
  const source = () =>
    readFileSync(createRequire(import.meta.url).resolve(`coi-serviceworker/${COI_FILE}`), 'utf8');
  return {
    name: 'coi-serviceworker',
    configureServer(server) {
      server.middlewares.use(`/${COI_FILE}`, (_req, res) => {
        res.setHeader('Content-Type', 'text/javascript');
        res.end(source());
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: COI_FILE, source: source() });
    },
  };
}

/**
 * tfjs-backend-wasm starts its threads by running `factory.toString()` in new workers, so the
 * factory must not use anything from outside its own body. Its only outside name is
 * `_scriptDir`, guarded by `typeof` in the source, but the minifier drops that guard (the name
 * is declared in scope) and renames it: the threads then die with "e is not defined". The
 * variable is always undefined in a worker (no document, no __filename), so it is declared
 * inside the factory instead.
 */
/**
 * The factory also makes a pool of 8 pthread workers (emscripten's PTHREAD_POOL_SIZE) before it
 * fetches its .wasm, each a nested `new Worker(blob:)` in the training worker, though the app
 * runs 2 threads (1 pthread). In Firefox 153 that constructor sometimes never returned (the
 * 6th of the 8 in the visit traced), which blocked the training worker for good: the first-
 * visit hang of docs/browsers.md. The pool is sized from WASM_PTHREAD_POOL_GLOBAL instead,
 * which engine/backend.ts sets to the thread count before the factory runs; 8 when unset.
 */
export const WASM_PTHREAD_POOL_GLOBAL = '__kdWasmPthreadPool';
const POOL_LINE = 'var pthreadPoolSize=8;';

/** The threaded factory's source with both changes; throws when tfjs's code no longer matches. */
export function patchThreadedWasmFactory(code: string): string {
  const opening = 'function(WasmBackendModuleThreadedSimd) {';
  if (!code.includes(opening)) throw new Error("the threaded factory's opening line has changed");
  if (code.split(POOL_LINE).length !== 2)
    throw new Error(`'${POOL_LINE}' is not in the factory exactly once`);
  const pool = `var pthreadPoolSize=typeof globalThis.${WASM_PTHREAD_POOL_GLOBAL}=="number"?globalThis.${WASM_PTHREAD_POOL_GLOBAL}:8;`;
  return code.replace(opening, `${opening} var _scriptDir = undefined;`).replace(POOL_LINE, pool);
}

function selfContainedWasmThreads(): Plugin {
  return {
    name: 'tfjs-wasm-self-contained-threads',
    transform(code, id) {
      if (!id.endsWith('tfjs-backend-wasm-threaded-simd.js')) return null;
      try {
        return { code: patchThreadedWasmFactory(code), map: null };
      } catch (err) {
        this.error(`${id}: ${(err as Error).message}; see vite.config.ts`);
      }
    },
  };
}

/**
 * The app's Content-Security-Policy: scripts, workers and WebAssembly from the site itself
 * only; images also from blob: and data: (previews) and https: (image addresses, which
 * are fetched, hence connect-src). Inline styles stay allowed: React and recharts set style
 * attributes. Only in the build: the dev server injects inline scripts (React refresh).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self' https:",
  "img-src 'self' blob: data: https:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'content-security-policy',
    apply: 'build',
    transformIndexHtml(_html, ctx) {
      // The app's page; the benchmark page (bench/index.html) is a tool, not the app.
      if (path.resolve(ctx.filename) !== path.resolve(import.meta.dirname, 'index.html')) return [];
      return [
        {
          tag: 'meta',
          attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY },
          injectTo: 'head-prepend',
        },
      ];
    },
  };
}

export default defineConfig({
  // Relative asset paths: the built site works from any folder of any static host.
  base: './',
  plugins: [react(), contentSecurityPolicy(), crossOriginIsolationWorker()],
  // TF.js lives in the workers, which Vite bundles with their own plugin list.
  worker: { format: 'es', plugins: () => [selfContainedWasmThreads()] },
  server: { headers: ISOLATION_HEADERS },
  build: {
    target: 'es2022',
    // TF.js is one large chunk by nature; the warning would only be noise.
    chunkSizeWarningLimit: 4096,
    // The benchmark page ships beside the app, so `vite preview` (e2e) and any static host serve it.
    rolldownOptions: { input: { main: 'index.html', bench: 'bench/index.html' } },
  },
  preview: { port: 4173, strictPort: true, headers: ISOLATION_HEADERS },
});

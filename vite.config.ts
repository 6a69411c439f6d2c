import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import {
  CLOSE_HOST,
  HOST_ERROR,
  PTHREAD_HOST_FILE,
  TAKE_PTHREAD_WORKER_GLOBAL,
} from './src/worker/shared/wasm-pthread-hosts';

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

/** A script made at build time: served by the dev server, emitted as an asset by the build. */
function generatedScript(name: string, fileName: string, source: () => string): Plugin {
  return {
    name,
    configureServer(server) {
      server.middlewares.use(`/${fileName}`, (_req, res) => {
        res.setHeader('Content-Type', 'text/javascript');
        res.end(source());
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName, source: source() });
    },
  };
}

function crossOriginIsolationWorker(): Plugin {
  return generatedScript('coi-serviceworker', COI_FILE, () =>
    readFileSync(createRequire(import.meta.url).resolve(`coi-serviceworker/${COI_FILE}`), 'utf8'),
  );
}

/**
 * tfjs-backend-wasm starts its threads by running `factory.toString()` in new workers, so the
 * factory must not use anything from outside its own body. Its only outside name is
 * `_scriptDir`, guarded by `typeof` in the source, but the minifier drops that guard (the name
 * is declared in scope) and renames it: the threads then die with "e is not defined". The
 * variable is always undefined in a worker (no document, no __filename), so it is declared
 * inside the factory instead.
 *
 * The factory also makes a pool of 8 pthread workers (emscripten's PTHREAD_POOL_SIZE) before it
 * fetches its .wasm, each a nested `new Worker()` in the training worker, though the app runs 2
 * threads. Firefox 153 sometimes never returns from that constructor (any URL, module or classic
 * parent, isolated or not: docs/browsers.md), which blocked the training worker for good. So
 * the pool is sized from WASM_PTHREAD_POOL_GLOBAL (engine/backend.ts sets the thread count; 8
 * when unset), and each slot first takes a worker the page made (TAKE_PTHREAD_WORKER_GLOBAL,
 * worker/wasm-pthread-ports.ts); only when none is left does it make a nested one.
 */
export const WASM_PTHREAD_POOL_GLOBAL = '__kdWasmPthreadPool';
const POOL_LINE = 'var pthreadPoolSize=8;';
const NEW_WORKER = 'worker=new Worker(pthreadMainJs);';

/** The threaded factory's source with both changes; throws when tfjs's code no longer matches. */
export function patchThreadedWasmFactory(code: string): string {
  const opening = 'function(WasmBackendModuleThreadedSimd) {';
  if (!code.includes(opening)) throw new Error("the threaded factory's opening line has changed");
  for (const line of [POOL_LINE, NEW_WORKER])
    if (code.split(line).length !== 2) throw new Error(`'${line}' is not in the factory exactly once`);
  const pool = `var pthreadPoolSize=typeof globalThis.${WASM_PTHREAD_POOL_GLOBAL}=="number"?globalThis.${WASM_PTHREAD_POOL_GLOBAL}:8;`;
  const take = `worker=globalThis.${TAKE_PTHREAD_WORKER_GLOBAL}?.()??new Worker(pthreadMainJs);`;
  return code
    .replace(opening, `${opening} var _scriptDir = undefined;`)
    .replace(POOL_LINE, pool)
    .replace(NEW_WORKER, take);
}

/**
 * The page's pthread host (worker/client/wasm-pthread-hosts.ts): emscripten's pthread script,
 * talking through the port the page sends first instead of through its own postMessage. Strict
 * from the first line, as emscripten's script is on its own.
 */
export function pthreadHostSource(pthreadScript: string): string {
  const prelude = `"use strict";
(function () {
  var port = null;
  self.postMessage = function (message, transfer) { port.postMessage(message, transfer || []); };
  self.addEventListener("message", function (e) {
    if (port || !e.data || !e.data.kdPthreadPort) return;
    e.stopImmediatePropagation();
    port = e.data.kdPthreadPort;
    port.onmessage = function (m) {
      if (m.data === ${JSON.stringify(CLOSE_HOST)}) { port.close(); self.close(); return; }
      self.onmessage(m);
    };
  });
  self.addEventListener("error", function (e) {
    if (port) port.postMessage({ kd: ${JSON.stringify(HOST_ERROR)}, message: String(e.message), filename: e.filename, lineno: e.lineno });
  });
})();
`;
  return prelude + pthreadScript;
}

function wasmPthreadHost(): Plugin {
  const source = () => {
    const { wasmWorkerContents } = createRequire(import.meta.url)(
      '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js',
    ) as { wasmWorkerContents: string };
    // As tfjs does before it makes its blob: the export's template literal turned each "\n"
    // inside the script's strings into a real line break.
    return pthreadHostSource(wasmWorkerContents.replace(/\n/g, '\\n'));
  };
  return generatedScript('wasm-pthread-host', PTHREAD_HOST_FILE, source);
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
  plugins: [react(), contentSecurityPolicy(), crossOriginIsolationWorker(), wasmPthreadHost()],
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

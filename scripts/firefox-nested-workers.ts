/**
 * Reproduces the Firefox 153 start hang without the app: a worker makes nested workers in a
 * loop, and the page reports how many constructors returned. docs/browsers.md ("The Firefox
 * start hang") has what it found. Each visit is a fresh browser context.
 *
 *   npx tsx scripts/firefox-nested-workers.ts [--visits 5] [--workers 40] [--from worker|page]
 *     [--classic] [--no-isolation]   (FIREFOX_PATH picks the Firefox, as for the e2e tests)
 *
 * A visit counts as hung when no constructor has returned for 10 s.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { describeFirefox, launchFirefox } from './lib/firefox';

const { values: opts } = parseArgs({
  options: {
    visits: { type: 'string', default: '5' },
    workers: { type: 'string', default: '40' },
    from: { type: 'string', default: 'worker' },
    classic: { type: 'boolean', default: false },
    'no-isolation': { type: 'boolean', default: false },
  },
});
if (opts.from !== 'worker' && opts.from !== 'page') throw new Error('--from takes worker or page');

// Each nested worker is a same-origin file: blob: URLs hang the same way (docs/browsers.md).
const FILES: Record<string, string> = {
  '/': '<!doctype html><meta charset=utf-8><script type=module src="main.js"></script>',
  '/inner.js': 'postMessage(1);',
  '/outer.js': `self.onmessage = (e) => {
    const keep = [];
    for (let i = 0; i < e.data; i++) { keep.push(new Worker(new URL('inner.js', location.href))); postMessage(i + 1); }
    self.keep = keep;
  };`,
  '/main.js': `const q = new URLSearchParams(location.search);
    const n = Number(q.get('n'));
    window.made = 0;
    if (q.get('from') === 'page') {
      const keep = [];
      (async () => { for (let i = 0; i < n; i++) { keep.push(new Worker('inner.js')); window.made = i + 1; await null; } })();
    } else {
      const outer = new Worker('outer.js', { type: q.get('classic') ? 'classic' : 'module' });
      outer.onmessage = (e) => { window.made = e.data; };
      outer.postMessage(n);
    }`,
};
const isolation = opts['no-isolation']
  ? {}
  : { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const server = createServer((req, res) => {
  const body = FILES[new URL(req.url ?? '/', 'http://x').pathname];
  if (body === undefined) return void res.writeHead(404).end();
  res.writeHead(200, {
    'Content-Type': body.startsWith('<') ? 'text/html' : 'text/javascript',
    ...isolation,
  });
  res.end(body);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;
const workers = Number(opts.workers);
const query = `n=${workers}&from=${opts.from}${opts.classic ? '&classic=1' : ''}`;

const browser = await launchFirefox();
console.info(`${await describeFirefox(browser)}; ${workers} workers a visit from the ${opts.from}, ${query}`);
let hung = 0;
const visits = Number(opts.visits);
for (let visit = 1; visit <= visits; visit++) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${port}/?${query}`);
  let made = -1;
  let changed = Date.now();
  while (made < workers && Date.now() - changed < 10_000) {
    // A page whose own constructor blocked would block this evaluate too: the loop then waits.
    const now = await page.evaluate(() => (window as unknown as { made: number }).made);
    if (now !== made) [made, changed] = [now, Date.now()];
    await new Promise((r) => setTimeout(r, 100));
  }
  if (made < workers) hung++;
  console.info(
    `visit ${visit}: ${made < workers ? `hung after ${made}` : `all ${workers}`} constructors returned`,
  );
  await context.close();
}
await browser.close();
server.close();
console.info(`${hung} of ${visits} visits hung`);

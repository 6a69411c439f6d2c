/**
 * Data the site serves itself: the CIFAR-10 starter set shipped in public/data/starter/, and the
 * official archive that `npm run data:cifar10` puts in public/data/. URLs are absolute, resolved
 * against the page, because the worker that fetches them lives under another path.
 */
import type { DataSource } from '../worker/shared/protocol';

const ARCHIVE_NAME = 'cifar-10-binary.tar.gz';

function siteUrl(path: string): string {
  // Vite's base ('./': relative, so the build works from any folder).
  const base = (import.meta as ImportMeta & { env?: { BASE_URL?: string } }).env?.BASE_URL ?? './';
  return new URL(`${base}${path}`, document.baseURI).href;
}

export function starterSource(): DataSource {
  return { kind: 'starter', url: siteUrl('data/starter/') };
}

/**
 * The site's own cifar-10-binary.tar.gz when there is one: a ranged GET of its first bytes must
 * be a gzip stream (a dev server answers a missing file with its index page, status 200).
 */
export async function probeSiteArchive(): Promise<Extract<DataSource, { kind: 'archive-url' }> | null> {
  const url = siteUrl(`data/${ARCHIVE_NAME}`);
  try {
    const res = await fetch(url, { headers: { Range: 'bytes=0-1' } });
    if (!res.ok || !res.body) return null;
    const reader = res.body.getReader();
    const { value } = await reader.read();
    await reader.cancel();
    const gzip = !!value && value.length >= 2 && value[0] === 0x1f && value[1] === 0x8b;
    return gzip ? { kind: 'archive-url', url, name: ARCHIVE_NAME } : null;
  } catch {
    return null;
  }
}

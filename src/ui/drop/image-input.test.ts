import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchImage, MAX_IMAGE_BYTES } from './image-input';

const MB = 2 ** 20;

/** A server's answer of `total` bytes in 1 MB chunks, counting how many were pulled. */
function endlessImage(total: number, headers: Record<string, string> = {}) {
  const state = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled >= total) return controller.close();
      state.pulled += MB;
      controller.enqueue(new Uint8Array(MB));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { response: new Response(body, { headers }), state };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('images from an address', () => {
  it('stops reading a 57 MB image at the size limit instead of downloading it all', async () => {
    const { response, state } = endlessImage(57 * MB);
    vi.stubGlobal('fetch', async () => response);
    await expect(fetchImage('https://example.org/huge.png')).rejects.toThrow(
      'The image at example.org is larger than that; images up to 25 MB are accepted.',
    );
    expect(state.cancelled).toBe(true);
    // Streams pull a chunk ahead at most: well short of the whole file.
    expect(state.pulled).toBeLessThanOrEqual(MAX_IMAGE_BYTES + 2 * MB);
  });

  it('refuses at once when the declared length is over the limit, reading nothing', async () => {
    const { response, state } = endlessImage(57 * MB, { 'content-length': String(57 * MB) });
    vi.stubGlobal('fetch', async () => response);
    await expect(fetchImage('https://example.org/huge.png')).rejects.toThrow(
      'The image at example.org is 57 MB',
    );
    expect(state.pulled).toBeLessThanOrEqual(MB);
  });

  it('refuses plain http from another site, which the page may not fetch, before asking the network', async () => {
    let asked = false;
    vi.stubGlobal('fetch', async () => {
      asked = true;
      return new Response('');
    });
    await expect(fetchImage('http://example.org/a.png')).rejects.toThrow(
      'Only https image addresses of other sites work; try https://example.org/a.png.',
    );
    expect(asked).toBe(false);
  });

  it('reads an image under the limit whole, with its type', async () => {
    const { response } = endlessImage(3 * MB, { 'content-type': 'image/png' });
    vi.stubGlobal('fetch', async () => response);
    const blob = await fetchImage('https://example.org/small.png');
    expect(blob.size).toBe(3 * MB);
    expect(blob.type).toBe('image/png');
  });
});

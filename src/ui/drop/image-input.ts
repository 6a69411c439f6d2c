/**
 * One entry point for every way an image arrives (drop, file picker, paste, URL): sniff
 * the bytes (the file name and MIME type can lie), decode, resize to the model's input,
 * and say plainly what is wrong with anything that is not a usable image.
 */

export const MAX_IMAGE_BYTES = 25 * 2 ** 20;
const MAX_PIXELS = 50_000_000;

export type ImageKind = 'png' | 'jpeg' | 'webp';

/** The format by magic bytes, or null. */
export function sniffImage(head: Uint8Array): ImageKind | null {
  if (head.length >= 8 && head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47)
    return 'png';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (
    head.length >= 12 &&
    String.fromCharCode(...head.subarray(0, 4)) === 'RIFF' &&
    String.fromCharCode(...head.subarray(8, 12)) === 'WEBP'
  ) {
    return 'webp';
  }
  return null;
}

export interface PreparedImage {
  name: string;
  rgb: Uint8Array;
  size: number;
  preview: string;
}

/** Decodes and resizes one file; throws an Error whose message names the file and the problem. */
export async function prepareImage(file: Blob, name: string, size: number): Promise<PreparedImage> {
  if (file.size === 0) throw new Error(`${name} is empty.`);
  if (file.size > MAX_IMAGE_BYTES) {
    throw new Error(
      `${name} is ${(file.size / 2 ** 20).toFixed(0)} MB; images up to ${MAX_IMAGE_BYTES / 2 ** 20} MB are accepted.`,
    );
  }
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  const kind = sniffImage(head);
  if (!kind) throw new Error(`${name} is not a PNG, JPEG or WebP image.`);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error(
      `${name} looks like a ${kind.toUpperCase()} file but could not be decoded (it may be damaged).`,
    );
  }
  try {
    if (bitmap.width * bitmap.height > MAX_PIXELS) {
      throw new Error(`${name} is ${bitmap.width}×${bitmap.height} pixels, too large to decode safely.`);
    }
    // Centre-crop to a square, then scale to the model's input with smoothing, as CIFAR images were made.
    const side = Math.min(bitmap.width, bitmap.height);
    const canvas = new OffscreenCanvas(size, size);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('This browser cannot draw images off-screen.');
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(
      bitmap,
      (bitmap.width - side) / 2,
      (bitmap.height - side) / 2,
      side,
      side,
      0,
      0,
      size,
      size,
    );
    const rgba = ctx.getImageData(0, 0, size, size).data;
    const rgb = new Uint8Array(size * size * 3);
    for (let p = 0; p < size * size; p++) {
      rgb[p * 3] = rgba[p * 4]!;
      rgb[p * 3 + 1] = rgba[p * 4 + 1]!;
      rgb[p * 3 + 2] = rgba[p * 4 + 2]!;
    }
    const blob = await canvas.convertToBlob({ type: 'image/png' });
    const preview = await new Promise<string>((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
    return { name, rgb, size, preview };
  } finally {
    bitmap.close();
  }
}

/** Fetches an image URL; a server that forbids cross-site reads gets a message saying so. */
export async function fetchImage(url: string): Promise<Blob> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`"${url}" is not a web address.`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new Error(`Only http(s) image addresses work, not ${parsed.protocol}`);
  // The page's Content-Security-Policy lets it fetch from other sites over https only.
  if (parsed.protocol === 'http:' && parsed.origin !== globalThis.location?.origin)
    throw new Error(
      `Only https image addresses of other sites work; try https://${parsed.host}${parsed.pathname}.`,
    );
  let response: Response;
  try {
    response = await fetch(parsed, { mode: 'cors' });
  } catch {
    throw new Error(
      `Could not read ${parsed.host}: it is offline or does not allow other sites to read its images (CORS). Download the image and drop the file instead.`,
    );
  }
  if (!response.ok) throw new Error(`${parsed.host} answered ${response.status} for that image.`);
  return readLimited(response, parsed.host);
}

/**
 * The body as a Blob, read no further than MAX_IMAGE_BYTES: a large file is refused as
 * soon as its declared length or the bytes read pass the limit, not after downloading it.
 */
async function readLimited(response: Response, host: string): Promise<Blob> {
  const tooBig = (what: string) =>
    new Error(
      `The image at ${host} is ${what}; images up to ${MAX_IMAGE_BYTES / 2 ** 20} MB are accepted. Use a smaller image.`,
    );
  const declared = Number(response.headers.get('content-length'));
  if (declared > MAX_IMAGE_BYTES) {
    await response.body?.cancel();
    throw tooBig(`${(declared / 2 ** 20).toFixed(0)} MB`);
  }
  if (!response.body) return response.blob();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_IMAGE_BYTES) {
      await reader.cancel();
      throw tooBig('larger than that');
    }
    chunks.push(value);
  }
  return new Blob(chunks as BlobPart[], { type: response.headers.get('content-type') ?? '' });
}

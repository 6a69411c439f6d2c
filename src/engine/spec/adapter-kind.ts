/**
 * What a WebGPU adapter is, from what the browser tells of it (GPUAdapterInfo). TF-free: the
 * worker classifies, the page and the tests read the result.
 *
 * - Chromium names its CPU implementation (vendor "google", architecture "swiftshader") and
 *   flags fallback adapters (`isFallbackAdapter`, on GPUAdapterInfo since 2024, on the adapter
 *   before).
 * - Firefox (153 ESR, checked here) gives empty strings for vendor, architecture, device and
 *   description, even for Mesa's lavapipe: a software adapter it does not name. The page then
 *   says the details are hidden rather than guess.
 */

/** The fields of GPUAdapterInfo the page reads (all optional: browsers differ). */
export interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** software: the GPU is emulated on the CPU; gpu: a named hardware adapter; hidden: the browser gives no details. */
export type AdapterKind = 'software' | 'gpu' | 'hidden';

/**
 * CPU implementations of WebGPU/Vulkan/D3D by the names their drivers give: SwiftShader
 * (Chromium), llvmpipe/lavapipe/softpipe (Mesa), WARP and "Microsoft Basic Render Driver" (Windows).
 */
const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|\bwarp\b|basic render|software/i;

/** The adapter's kind; a flagged fallback adapter or a software driver's name is software. */
export function classifyAdapter(info: AdapterInfo): AdapterKind {
  if (info.isFallbackAdapter === true) return 'software';
  const text = [info.vendor, info.architecture, info.device, info.description]
    .map((s) => (typeof s === 'string' ? s.trim() : ''))
    .filter(Boolean)
    .join(' ');
  if (!text) return 'hidden';
  return SOFTWARE.test(text) ? 'software' : 'gpu';
}

/** "google swiftshader": vendor and architecture, else the description; null when the browser hides both. */
export function adapterName(info: AdapterInfo): string | null {
  const short = [info.vendor, info.architecture]
    .map((s) => s?.trim())
    .filter(Boolean)
    .join(' ');
  return short || info.description?.trim() || null;
}

/**
 * Serialises a panel of the page (a chart or a map figure) into one standalone SVG: what a person
 * sees, with its title and legend, for a slide. The panel is a mix of HTML text, recharts' SVG
 * and canvases, so each is translated where it is drawn (getBoundingClientRect, relative to the
 * panel):
 * - inline SVG is cloned with its computed styles written on each element, so the CSS rules and
 *   variables (light / dark colours) it depends on are resolved into plain values;
 * - a canvas becomes an <image> with a PNG data URL, scaled up without smoothing to `rasterScale`
 *   times its displayed size, so the pixels of a 8 x 8 map stay crisp;
 * - HTML text becomes <text> at its line box, in its computed font and colour;
 * - backgrounds (legend swatches, the colour-scale gradient) and borders become <rect>s.
 * Elements marked `data-export-skip` (buttons, hover read-outs), form controls and hidden or
 * screen-reader-only elements are left out.
 */

/** Attribute that keeps an element and its children out of an export. */
export const EXPORT_SKIP_ATTR = 'data-export-skip';

export interface PanelSvg {
  svg: string;
  /** CSS px of the panel: the SVG's own size. */
  width: number;
  height: number;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Presentation properties copied from the computed style onto each cloned SVG element. */
const SVG_STYLE_PROPS = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-opacity',
  'stroke-dasharray',
  'stroke-linecap',
  'stroke-linejoin',
  'opacity',
  'font-family',
  'font-size',
  'font-weight',
  'font-style',
  'text-anchor',
  'dominant-baseline',
  'visibility',
] as const;

const SKIPPED_TAGS = new Set(['BUTTON', 'INPUT', 'SELECT', 'TEXTAREA', 'SCRIPT', 'STYLE', 'TEMPLATE']);

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function isTransparent(color: string): boolean {
  return color === 'transparent' || /rgba\(.*,\s*0\)$/.test(color) || color === '';
}

/** Rounded to 0.01 px: enough for a figure, and keeps the file small. */
const n = (v: number) => String(Math.round(v * 100) / 100);

/** The first non-transparent background behind the panel (the surface it sits on). */
function backdropOf(el: HTMLElement): string {
  for (let e: HTMLElement | null = el; e; e = e.parentElement) {
    const bg = getComputedStyle(e).backgroundColor;
    if (!isTransparent(bg)) return bg;
  }
  return '#ffffff';
}

/** Stops of a computed `linear-gradient(to right, c0 p0, …)` (the colour legend's bar), else null. */
export function parseHorizontalGradient(css: string): { color: string; offset: string }[] | null {
  const m = /^linear-gradient\((?:to right|90deg),\s*(.*)\)$/.exec(css.trim());
  if (!m) return null;
  const stops: { color: string; offset: string }[] = [];
  // Split on commas outside parentheses: each stop is "rgb(r, g, b) p%".
  let depth = 0;
  let start = 0;
  const body = m[1]!;
  const parts: string[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(body.slice(start));
  parts.forEach((part, k) => {
    const s = /^\s*(.*?\))\s*([\d.]+%)?\s*$/.exec(part) ?? /^\s*(\S+)\s*([\d.]+%)?\s*$/.exec(part);
    if (!s) return;
    stops.push({ color: s[1]!, offset: s[2] ?? `${(k / Math.max(parts.length - 1, 1)) * 100}%` });
  });
  return stops.length >= 2 ? stops : null;
}

class SvgWriter {
  readonly parts: string[] = [];
  readonly defs: string[] = [];
  private ids = 0;
  private readonly measure = document.createElement('canvas').getContext('2d');

  constructor(
    private readonly origin: DOMRect,
    private readonly rasterScale: number,
  ) {}

  id(prefix: string): string {
    this.ids += 1;
    return `${prefix}-${this.ids}`;
  }

  walk(el: Element): void {
    if (el.hasAttribute(EXPORT_SKIP_ATTR) || SKIPPED_TAGS.has(el.tagName)) return;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || Number(style.opacity) === 0) return;
    const rect = el.getBoundingClientRect();
    // Screen-reader-only content: a 1 px clipped box.
    if (rect.width <= 1 && rect.height <= 1 && style.overflow === 'hidden') return;
    if (el instanceof SVGSVGElement) {
      this.svg(el, rect);
      return;
    }
    if (el instanceof HTMLCanvasElement) {
      this.canvas(el, rect);
      return;
    }
    this.box(el, style, rect);
    for (const child of Array.from(el.childNodes)) {
      if (child.nodeType === Node.TEXT_NODE) this.text(child as Text, style);
      else if (child instanceof Element) this.walk(child);
    }
  }

  private x(rect: DOMRect): number {
    return rect.left - this.origin.left;
  }

  private y(rect: DOMRect): number {
    return rect.top - this.origin.top;
  }

  /** Background colour or gradient, and border, of an HTML box. */
  private box(el: Element, style: CSSStyleDeclaration, rect: DOMRect): void {
    if (rect.width <= 0 || rect.height <= 0) return;
    const radius = Number.parseFloat(style.borderTopLeftRadius) || 0;
    const geometry = `x="${n(this.x(rect))}" y="${n(this.y(rect))}" width="${n(rect.width)}" height="${n(rect.height)}"${
      radius ? ` rx="${n(radius)}"` : ''
    }`;
    const gradient = style.backgroundImage !== 'none' ? parseHorizontalGradient(style.backgroundImage) : null;
    if (gradient) {
      const id = this.id('gradient');
      this.defs.push(
        `<linearGradient id="${id}" x1="0" y1="0" x2="1" y2="0">${gradient
          .map((s) => `<stop offset="${escapeXml(s.offset)}" stop-color="${escapeXml(s.color)}"/>`)
          .join('')}</linearGradient>`,
      );
      this.parts.push(`<rect ${geometry} fill="url(#${id})"/>`);
    } else if (!isTransparent(style.backgroundColor) && el !== this.rootElement) {
      this.parts.push(`<rect ${geometry} fill="${escapeXml(style.backgroundColor)}"/>`);
    }
    const border = Number.parseFloat(style.borderTopWidth) || 0;
    if (border > 0 && style.borderTopStyle !== 'none' && !isTransparent(style.borderTopColor)) {
      const half = border / 2;
      this.parts.push(
        `<rect x="${n(this.x(rect) + half)}" y="${n(this.y(rect) + half)}" width="${n(rect.width - border)}" height="${n(
          rect.height - border,
        )}"${radius ? ` rx="${n(radius)}"` : ''} fill="none" stroke="${escapeXml(style.borderTopColor)}" stroke-width="${n(
          border,
        )}"/>`,
      );
    }
  }

  rootElement: Element | null = null;

  /** One <text> per line box of an HTML text node, on the font's baseline. */
  private text(node: Text, style: CSSStyleDeclaration): void {
    const content = node.data.replace(/\s+/g, ' ');
    if (content.trim() === '') return;
    const range = document.createRange();
    range.selectNodeContents(node);
    const lines = Array.from(range.getClientRects()).filter((r) => r.width > 0);
    if (lines.length === 0) return;
    const font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const attrs = `font-family="${escapeXml(style.fontFamily)}" font-size="${escapeXml(style.fontSize)}" font-weight="${escapeXml(
      style.fontWeight,
    )}"${style.fontStyle !== 'normal' ? ` font-style="${escapeXml(style.fontStyle)}"` : ''} fill="${escapeXml(style.color)}"`;
    // The line box is the font's ascent + descent tall: the baseline sits one ascent below its top.
    let ascent = Number.parseFloat(style.fontSize) * 0.8;
    if (this.measure) {
      this.measure.font = font;
      const m = this.measure.measureText('Hg');
      if (m.fontBoundingBoxAscent) ascent = m.fontBoundingBoxAscent;
    }
    const emit = (t: string, r: DOMRect) =>
      this.parts.push(
        `<text x="${n(this.x(r))}" y="${n(this.y(r) + ascent)}" ${attrs} xml:space="preserve">${escapeXml(t)}</text>`,
      );
    if (lines.length === 1) {
      emit(content.trim(), lines[0]!);
      return;
    }
    // Wrapped text: place each word where it was laid out.
    for (const word of node.data.matchAll(/\S+/g)) {
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word[0].length);
      const r = range.getClientRects()[0];
      if (r) emit(word[0], r);
    }
  }

  /** A nested <svg> with every element's computed presentation style written inline. */
  private svg(el: SVGSVGElement, rect: DOMRect): void {
    const clone = el.cloneNode(true) as SVGSVGElement;
    inlineSvgStyles(el, clone);
    clone.setAttribute('x', n(this.x(rect)));
    clone.setAttribute('y', n(this.y(rect)));
    clone.setAttribute('width', n(rect.width));
    clone.setAttribute('height', n(rect.height));
    clone.removeAttribute('class');
    clone.removeAttribute('style');
    clone.setAttribute('overflow', 'visible');
    for (const a of ['role', 'aria-hidden', 'tabindex', 'focusable']) clone.removeAttribute(a);
    this.parts.push(new XMLSerializer().serializeToString(clone).replace(/ xmlns="[^"]*"/, ''));
  }

  /** The canvas' pixels, scaled up without smoothing to rasterScale x its displayed size. */
  private canvas(el: HTMLCanvasElement, rect: DOMRect): void {
    if (rect.width <= 0 || rect.height <= 0 || el.width === 0 || el.height === 0) return;
    const out = document.createElement('canvas');
    out.width = Math.max(1, Math.round(rect.width * this.rasterScale));
    out.height = Math.max(1, Math.round(rect.height * this.rasterScale));
    const ctx = out.getContext('2d');
    if (!ctx) return;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(el, 0, 0, out.width, out.height);
    this.parts.push(
      `<image x="${n(this.x(rect))}" y="${n(this.y(rect))}" width="${n(rect.width)}" height="${n(
        rect.height,
      )}" preserveAspectRatio="none" xlink:href="${out.toDataURL('image/png')}"/>`,
    );
  }
}

/** Copies computed presentation styles from each element of `source` onto `clone` (same tree). */
function inlineSvgStyles(source: Element, clone: Element): void {
  const style = getComputedStyle(source);
  if (style.display === 'none') {
    clone.remove();
    return;
  }
  const color = style.color;
  const decl = SVG_STYLE_PROPS.map((p) => {
    const v = style.getPropertyValue(p).replace(/currentcolor/gi, color);
    return v && v !== 'normal' && v !== 'auto' ? `${p}:${v}` : null;
  })
    .filter(Boolean)
    .join(';');
  clone.setAttribute('style', decl);
  clone.removeAttribute('class');
  const sourceKids = Array.from(source.children);
  const cloneKids = Array.from(clone.children);
  sourceKids.forEach((kid, i) => {
    if (cloneKids[i]) inlineSvgStyles(kid, cloneKids[i]!);
  });
}

/**
 * The panel as a standalone SVG document, sized to the panel in CSS px, on the panel's own
 * background (so a dark-mode figure stays legible). Canvases are embedded at `rasterScale` x.
 */
export function panelToSvg(panel: HTMLElement, rasterScale = 2): PanelSvg {
  const origin = panel.getBoundingClientRect();
  const width = Math.max(1, Math.ceil(origin.width));
  const height = Math.max(1, Math.ceil(origin.height));
  const writer = new SvgWriter(origin, rasterScale);
  writer.rootElement = panel;
  writer.walk(panel);
  const background = backdropOf(panel);
  const svg = [
    `<svg xmlns="${SVG_NS}" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    writer.defs.length ? `<defs>${writer.defs.join('')}</defs>` : '',
    `<rect width="100%" height="100%" fill="${escapeXml(background)}"/>`,
    ...writer.parts,
    '</svg>',
  ].join('\n');
  return { svg, width, height };
}

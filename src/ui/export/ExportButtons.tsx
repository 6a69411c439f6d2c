import { type ReactNode, type RefObject, useRef, useState } from 'react';
import { useAppStore } from '../../state/store';
import { downloadBlob, EXPORT_SCALE, figureFileName, svgToPng } from './figure-files';
import { EXPORT_SKIP_ATTR, panelToSvg } from './panel-to-svg';

export interface ExportButtonsProps {
  /** The panel to export: its title, plot or maps, and legend. */
  panel: RefObject<HTMLElement | null>;
  /** The panel's title: names the buttons and the files. */
  title: string;
}

const FORMATS = ['png', 'svg'] as const;

/**
 * "Export PNG…" and "Export SVG…" for one chart or map panel (names in interfaces.md). The
 * figure is what the panel shows, title and legend included, at 2x; these buttons are left out.
 */
export function ExportButtons({ panel, title }: ExportButtonsProps) {
  const [error, setError] = useState<string | null>(null);
  const exportAs = async (kind: (typeof FORMATS)[number]) => {
    const el = panel.current;
    if (!el) return;
    setError(null);
    try {
      const { svg, width, height } = panelToSvg(el, EXPORT_SCALE);
      const blob =
        kind === 'svg' ? new Blob([svg], { type: 'image/svg+xml' }) : await svgToPng(svg, width, height);
      downloadBlob(blob, figureFileName(title, useAppStore.getState().run.step, kind));
    } catch (e) {
      setError(`Could not export "${title}": ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const attrs = { [EXPORT_SKIP_ATTR]: '' };
  return (
    <span className="export-buttons" {...attrs}>
      {FORMATS.map((kind) => (
        <button
          key={kind}
          type="button"
          className="export-button"
          onClick={() => void exportAs(kind)}
          aria-label={`Export ${kind.toUpperCase()}… ${title}`}
        >
          Export {kind.toUpperCase()}…
        </button>
      ))}
      {error && (
        <span role="alert" className="export-error">
          {error}
        </span>
      )}
    </span>
  );
}

/** A <figure> with a caption and the export buttons, for panels that are not a component of their own. */
export function ExportableFigure({
  title,
  caption = title,
  className,
  children,
}: {
  /** Names the buttons and the files. */
  title: string;
  /** Visible caption, if it says more than the title. */
  caption?: string;
  className?: string;
  children: ReactNode;
}) {
  const ref = useRef<HTMLElement>(null);
  return (
    <figure className={className} ref={ref}>
      <figcaption>{caption}</figcaption>
      <ExportButtons panel={ref} title={title} />
      {children}
    </figure>
  );
}

/** Turns a DataSource from the page into a Dataset, reading files inside the worker. */
import { loadCifar, loadCifarArchive } from '../engine/data/cifar';
import type { Dataset } from '../engine/data/dataset';
import { makeSyntheticDataset } from '../engine/data/synthetic';
import { type DownloadProgress, withDownload } from './download';
import type { DataSource } from './shared/protocol';
import { fetchArchiveStream, loadStarterFrom } from './starter-source';

/** The data a source names; downloads from the site report their progress through `report`. */
export async function loadDataSource(
  source: DataSource,
  report: (progress: DownloadProgress) => void = () => {},
): Promise<Dataset> {
  switch (source.kind) {
    case 'synthetic':
      return makeSyntheticDataset();
    case 'starter':
      return withDownload('the CIFAR-10 starter set', report, (download) =>
        loadStarterFrom(source.url, download),
      );
    case 'archive-url':
      // The archive is read as it streams in, so the download ends when the reading does.
      return withDownload('the CIFAR-10 archive', report, async (download) =>
        loadCifarArchive(await fetchArchiveStream(source.url, download)),
      );
    case 'archive':
      return loadCifarArchive(source.file.stream() as ReadableStream<Uint8Array>);
    case 'files': {
      const files = new Map<string, Uint8Array>();
      for (const f of source.files) files.set(f.name, new Uint8Array(await f.file.arrayBuffer()));
      return loadCifar(files);
    }
    default: {
      const unhandled: never = source;
      throw new Error(`Unknown data source ${JSON.stringify(unhandled)}`);
    }
  }
}

/** A key that says whether two sources are the same data (so a reload can reuse it). */
export function dataSourceKey(source: DataSource): string {
  switch (source.kind) {
    case 'synthetic':
      return 'synthetic';
    case 'starter':
      return `starter:${source.url}`;
    case 'archive-url':
      return `archive-url:${source.url}`;
    case 'archive':
      return `archive:${source.name}:${source.file.size}`;
    case 'files':
      return `files:${source.files.map((f) => `${f.name}:${f.file.size}`).join(',')}`;
  }
}

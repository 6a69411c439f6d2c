import { formatDownloaded } from '../../engine/spec/format-bytes';
import { retryStart } from '../../state/run-actions';
import { useAppStore } from '../../state/store';

/**
 * What the site is downloading for the run (the starter set, an archive, a shipped teacher) and
 * how far it is; a stalled download says so, and a failed one offers to try again.
 */
export function DownloadStatus() {
  const download = useAppStore((s) => s.download);
  const runFailed = useAppStore((s) => s.run.status === 'error');
  if (!download || download.state === 'done') return null;
  const extent = formatDownloaded(download.loadedBytes, download.totalBytes);
  if (download.state === 'failed') {
    return (
      <div className="download-status warning" role="alert" data-testid="download">
        {/* The worker's message says what broke and where ("… broke off at 12 of 31 MB …"). */}
        <span>{download.message ?? `Downloading ${download.label} failed at ${extent}.`}</span>{' '}
        {runFailed && (
          <button type="button" onClick={() => void retryStart()}>
            Retry
          </button>
        )}
      </div>
    );
  }
  return (
    <div className="download-status" data-testid="download">
      <span role="status">
        Downloading {download.label}: {extent}
        {download.state === 'stalled' && ` (${download.message})`}
      </span>
      <progress
        max={download.totalBytes ?? undefined}
        value={download.totalBytes === null ? undefined : download.loadedBytes}
        aria-label={`Download of ${download.label}`}
      />
    </div>
  );
}

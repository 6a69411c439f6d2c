import { useEffect, useState } from 'react';
import { probeSiteArchive } from '../../state/site-data';
import { useAppStore } from '../../state/store';

/**
 * Lets the user bring CIFAR: the official .tar.gz, or the .bin files (picked together). When the
 * site has the archive itself (public/data/, from `npm run data:cifar10`) it is offered, and
 * taken while nothing else is chosen.
 */
export function CifarPicker() {
  const source = useAppStore((s) => s.cifarSource);
  const setCifarSource = useAppStore((s) => s.setCifarSource);
  const dataInfo = useAppStore((s) => s.dataInfo);
  const [site, setSite] = useState<Awaited<ReturnType<typeof probeSiteArchive>>>(null);
  useEffect(() => {
    let live = true;
    void probeSiteArchive().then((found) => {
      if (!live || !found) return;
      setSite(found);
      if (!useAppStore.getState().cifarSource) useAppStore.getState().setCifarSource(found);
    });
    return () => {
      live = false;
    };
  }, []);
  const onFiles = (list: FileList | null) => {
    const files = Array.from(list ?? []);
    if (!files.length) return;
    const archive = files.find((f) => /\.(tar\.gz|tgz|tar)$/i.test(f.name));
    if (archive) setCifarSource({ kind: 'archive', file: archive, name: archive.name });
    else setCifarSource({ kind: 'files', files: files.map((f) => ({ name: f.name, file: f })) });
  };
  const label =
    source?.kind === 'archive'
      ? source.name
      : source?.kind === 'archive-url'
        ? `${source.name} from this site`
        : source?.kind === 'files'
          ? `${source.files.length} files`
          : 'none yet';
  return (
    <div className="field cifar-picker">
      <label htmlFor="cifar-files">CIFAR files</label>
      <input
        id="cifar-files"
        type="file"
        multiple
        accept=".gz,.tgz,.tar,.bin,.txt"
        onChange={(e) => onFiles(e.target.files)}
      />
      <small className="muted">
        The official cifar-10-binary.tar.gz (or cifar-100-binary.tar.gz), or its .bin files. Chosen: {label}
        {dataInfo?.name.startsWith('cifar') && dataInfo.name !== 'cifar10-starter'
          ? ` · loaded ${dataInfo.name}, ${dataInfo.trainCount} train images`
          : ''}
        . Files stay in this browser.
      </small>
      {site && source?.kind !== 'archive-url' && (
        <button type="button" onClick={() => setCifarSource(site)}>
          Use data/{site.name} from this site
        </button>
      )}
    </div>
  );
}

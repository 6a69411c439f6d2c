import { useAppStore } from '../../state/store';

/** Lets the user bring CIFAR: the official .tar.gz, or the .bin files (picked together). */
export function CifarPicker() {
  const source = useAppStore((s) => s.cifarSource);
  const setCifarSource = useAppStore((s) => s.setCifarSource);
  const dataInfo = useAppStore((s) => s.dataInfo);
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
        {dataInfo && dataInfo.name !== 'synthetic'
          ? ` · loaded ${dataInfo.name}, ${dataInfo.trainCount} train images`
          : ''}
        . Files stay in this browser.
      </small>
    </div>
  );
}

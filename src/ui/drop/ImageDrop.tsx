import { useCallback, useEffect, useState } from 'react';
import { useDropzone } from 'react-dropzone';
import { useShallow } from 'zustand/react/shallow';
import { MAX_USER_IMAGES, type UserImage } from '../../state/images-slice';
import { pretrainedTeacherFor } from '../../state/pretrained-teachers';
import { analyzeImages } from '../../state/run-actions';
import { useAppStore } from '../../state/store';
import { AcrossImages } from './AcrossImages';
import { ImageCard } from './ImageCard';
import { fetchImage, prepareImage } from './image-input';

let nextImageId = 1;

/** Drag and drop, the file picker, paste and image URLs all end in addImages(). */
export function ImageDrop() {
  const images = useAppStore(useShallow((s) => s.images));
  const size = useAppStore((s) => s.run.config?.teacher.imageSize ?? s.config.teacher.imageSize);
  const runStatus = useAppStore((s) => s.run.status);
  const phase = useAppStore((s) => s.run.phase);
  const mapPair = useAppStore((s) => s.mapView.pair);
  const backendReady = useAppStore((s) => s.runtime.status === 'idle');
  const shipped = useAppStore((s) => pretrainedTeacherFor(s.config));
  const [url, setUrl] = useState('');

  const addImages = useCallback(
    async (files: { blob: Blob; name: string }[]) => {
      const store = useAppStore.getState();
      const added: UserImage[] = [];
      for (const { blob, name } of files.slice(0, MAX_USER_IMAGES)) {
        try {
          const img = await prepareImage(blob, name, size);
          added.push({ id: `img-${nextImageId++}`, ...img, analysis: null });
        } catch (err) {
          store.notify({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
        }
      }
      if (files.length > MAX_USER_IMAGES) {
        store.notify({ kind: 'info', message: `Only the first ${MAX_USER_IMAGES} images were taken.` });
      }
      if (added.length) {
        store.addUserImages(added);
        // All images together: their inter-image maps need the whole set.
        const all = useAppStore.getState().images;
        await analyzeImages(all.map((a) => ({ id: a.id, rgb: a.rgb })));
      }
    },
    [size],
  );

  // Fresh predictions when the models move on: after each phase change and when paused or done,
  // and before any run once the backend is up (the shipped teacher judges them then).
  // biome-ignore lint/correctness/useExhaustiveDependencies: phase, mapPair and the teacher are triggers, read from the store inside
  useEffect(() => {
    if (runStatus === 'loading' || runStatus === 'error' || !backendReady) return;
    const current = useAppStore.getState().images;
    if (current.length) void analyzeImages(current.map((a) => ({ id: a.id, rgb: a.rgb })));
  }, [runStatus, phase, mapPair, backendReady, shipped?.name]);

  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      const files = Array.from(e.clipboardData?.files ?? []);
      if (files.length) void addImages(files.map((f) => ({ blob: f, name: f.name || 'pasted image' })));
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, [addImages]);

  const { getRootProps, getInputProps, isDragActive } = useDropzone({
    // Every file is taken and sniffed by its bytes: a wrong one gets a message, not silence.
    onDrop: (accepted) => void addImages(accepted.map((f) => ({ blob: f, name: f.name }))),
    multiple: true,
    // The zone is a plain group (a click on it still opens the picker); the keyboard's way in is
    // the button inside it. A focusable zone of role button holding the file input was a nested
    // interactive control (axe: nested-interactive).
    noKeyboard: true,
  });

  const ready = runStatus !== 'idle' && runStatus !== 'loading' && runStatus !== 'error';

  return (
    <section className="panel images" aria-labelledby="images-heading">
      <h2 id="images-heading">Your images</h2>
      <div
        {...getRootProps({
          className: `dropzone${isDragActive ? ' active' : ''}`,
          'aria-label': 'Drop images',
          role: 'group',
        })}
      >
        <input
          {...getInputProps({
            'aria-label': 'Choose image files',
            accept: 'image/png,image/jpeg,image/webp',
          })}
        />
        <p>
          <strong>Drop images</strong> here, <button type="button">pick files</button>, or paste. PNG, JPEG or
          WebP; each is cropped to a square and resized to {size}×{size}.
        </p>
        {!ready && (
          <p className="muted small">
            {shipped
              ? `The shipped teacher (${shipped.name}) judges them now; start a run to see the student too.`
              : 'Start a run to see what the teacher and the student make of them.'}
          </p>
        )}
      </div>
      <form
        className="url-row"
        onSubmit={async (e) => {
          e.preventDefault();
          const address = url.trim();
          if (!address) return;
          try {
            const blob = await fetchImage(address);
            await addImages([{ blob, name: address.split('/').pop() || 'image' }]);
            // The analysis can take a while: keep an address typed meanwhile.
            setUrl((now) => (now.trim() === address ? '' : now));
          } catch (err) {
            useAppStore
              .getState()
              .notify({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
          }
        }}
      >
        <label htmlFor="image-url">Image address</label>
        <input
          id="image-url"
          className="url-input"
          type="url"
          placeholder="https://…"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
        />
        <button type="submit">Add</button>
      </form>
      <AcrossImages />
      <div className="image-cards" data-testid="image-cards">
        {images.map((img) => (
          <ImageCard key={img.id} image={img} />
        ))}
      </div>
    </section>
  );
}

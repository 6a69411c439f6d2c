import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../../state/store';

/** What the share link asked for that could not be used, and what was used instead. */
export function UrlNotices() {
  const notices = useAppStore(useShallow((s) => s.urlNotices));
  const dismiss = useAppStore((s) => s.dismissUrlNotices);
  if (!notices.length) return null;
  return (
    <div className="panel notice" role="alert" data-testid="url-notices">
      <strong>Some settings in this link could not be used; defaults were kept instead:</strong>
      <ul>
        {notices.map((n) => (
          <li key={n}>{n}</li>
        ))}
      </ul>
      <button type="button" onClick={dismiss}>
        OK
      </button>
    </div>
  );
}

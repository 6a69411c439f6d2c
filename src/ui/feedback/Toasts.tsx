import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../../state/store';

const INFO_TIMEOUT_MS = 6000;

/** Messages in plain words, announced to screen readers; errors stay until dismissed. */
export function Toasts() {
  const toasts = useAppStore(useShallow((s) => s.toasts));
  const dismiss = useAppStore((s) => s.dismissToast);
  useEffect(() => {
    const timers = toasts
      .filter((t) => t.kind === 'info')
      .map((t) => setTimeout(() => dismiss(t.id), INFO_TIMEOUT_MS));
    return () => {
      for (const t of timers) clearTimeout(t);
    };
  }, [toasts, dismiss]);
  return (
    <div className="toasts" aria-live="polite" data-testid="toasts">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
          <span>{t.message}</span>
          {t.action && (
            <button
              type="button"
              onClick={() => {
                t.action?.run();
                dismiss(t.id);
              }}
            >
              {t.action.label}
            </button>
          )}
          <button type="button" className="close" aria-label="Dismiss message" onClick={() => dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

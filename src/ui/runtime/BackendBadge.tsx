import { useAppStore } from '../../state/store';

/** The backend in use; its text starts with the backend name (the `backend` test hook). */
export function BackendBadge() {
  const backend = useAppStore((s) => s.runtime.backend);
  const label = backend ? `${backend.name}${backend.adapter ? ` · ${backend.adapter}` : ''}` : 'starting…';
  return (
    <span className="badge backend" data-testid="backend" title="TF.js backend running the worker">
      {label}
    </span>
  );
}

import type { RunStatus } from '../../state/runtime-slice';
import { useAppStore } from '../../state/store';

/** The page's status: the backend's while it starts or fails, the run's afterwards (the `status` test hook). */
export function useStatus(): RunStatus {
  return useAppStore((s) => (s.runtime.status === 'idle' ? s.run.status : s.runtime.status));
}

export function StatusBadge() {
  const status = useStatus();
  return (
    <span className={`badge status-${status}`} data-testid="status" aria-live="polite">
      {status}
    </span>
  );
}

/** Messages for the user, shown as aria-live toasts; an abort is not an error and never lands here. */
import type { StateCreator } from 'zustand';
import type { AppState } from './store';

export interface Toast {
  id: number;
  kind: 'info' | 'error';
  message: string;
  /** An optional action, e.g. "Resume" or "Undo". */
  action?: { label: string; run: () => void };
}

export interface ToastsSlice {
  toasts: Toast[];
  notify: (toast: Omit<Toast, 'id'>) => void;
  dismissToast: (id: number) => void;
}

let nextToastId = 1;

export const createToastsSlice: StateCreator<AppState, [], [], ToastsSlice> = (set) => ({
  toasts: [],
  // A message already on screen is not stacked again (a fault that repeats is said once).
  notify: (toast) =>
    set((s) =>
      s.toasts.some((t) => t.message === toast.message)
        ? s
        : { toasts: [...s.toasts, { ...toast, id: nextToastId++ }].slice(-5) },
    ),
  dismissToast: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
});

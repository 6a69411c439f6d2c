import type { ActiveBackend } from '../../engine/backend';
import { useAppStore } from '../../state/store';

/** "wasm · 2 threads", "webgpu · google swiftshader · emulated": name first (the test hook). */
export function backendLabel(backend: ActiveBackend): string {
  const parts: string[] = [backend.name];
  if (backend.adapter) parts.push(backend.adapter);
  if (backend.emulated) parts.push('emulated');
  if (backend.threads !== null) parts.push(`${backend.threads} thread${backend.threads === 1 ? '' : 's'}`);
  return parts.join(' · ');
}

function backendTitle(backend: ActiveBackend): string {
  const lines = ['TF.js backend running the worker.'];
  if (backend.reason) lines.push(`Why: ${backend.reason}.`);
  if (backend.emulated)
    lines.push('This WebGPU adapter is a software emulation on the CPU: wasm is usually much faster here.');
  if (backend.threads === 1)
    lines.push(
      'wasm runs one thread: the page is not cross-origin isolated, so the threaded build cannot start.',
    );
  for (const s of backend.skipped) lines.push(`Passed over: ${s.reason}`);
  return lines.join('\n');
}

/** The backend in use; its text starts with the backend name (the `backend` test hook). */
export function BackendBadge() {
  const backend = useAppStore((s) => s.runtime.backend);
  return (
    <span className="badge backend" data-testid="backend" title={backend ? backendTitle(backend) : undefined}>
      {backend ? backendLabel(backend) : 'starting…'}
    </span>
  );
}

import type { ActiveBackend } from '../../engine/spec/backend-report';
import { useAppStore } from '../../state/store';

/** The adapter's kind in the badge's words (engine/adapter-kind.ts classifies). */
const KIND_LABEL = {
  software: 'software (emulated GPU)',
  gpu: 'GPU',
  hidden: 'adapter details hidden by the browser',
} as const;

/**
 * "wasm · 2 threads", "webgpu · google swiftshader · software (emulated GPU)",
 * "webgpu · adapter details hidden by the browser": name first (the test hook).
 */
export function backendLabel(backend: ActiveBackend): string {
  const parts: string[] = [backend.name];
  if (backend.adapter) parts.push(backend.adapter);
  // Descriptions from before adapterKind existed (saved runs) carry only the emulation flag.
  const kind = backend.adapterKind ?? (backend.emulated ? 'software' : null);
  if (kind) parts.push(KIND_LABEL[kind]);
  if (backend.threads !== null) parts.push(`${backend.threads} thread${backend.threads === 1 ? '' : 's'}`);
  return parts.join(' · ');
}

function backendTitle(backend: ActiveBackend, fellBack: string | null): string {
  const lines = ['TF.js backend running the worker.'];
  if (fellBack) lines.push(fellBack);
  if (backend.reason) lines.push(`Why: ${backend.reason}.`);
  if (backend.emulated)
    lines.push('This WebGPU adapter is a software emulation on the CPU: wasm is usually much faster here.');
  if (backend.adapterKind === 'hidden')
    lines.push(
      "The browser hides this adapter's vendor and model (Firefox does), so the page cannot tell a GPU from a software emulation.",
    );
  if (backend.threads === 1 && !fellBack)
    lines.push(
      'wasm runs one thread: the page is not cross-origin isolated, so the threaded build cannot start.',
    );
  for (const s of backend.skipped) lines.push(`Passed over: ${s.reason}`);
  return lines.join('\n');
}

/** The backend in use; its text starts with the backend name (the `backend` test hook). */
export function BackendBadge() {
  const backend = useAppStore((s) => s.runtime.backend);
  const fellBack = useAppStore((s) => s.runtime.fellBack);
  const starting = useAppStore((s) => s.runtime.starting?.name ?? null);
  return (
    <span
      className="badge backend"
      data-testid="backend"
      title={backend ? backendTitle(backend, fellBack) : undefined}
    >
      {backend ? backendLabel(backend) : starting ? `starting ${starting}…` : 'starting…'}
    </span>
  );
}

import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../../state/store';
import { backendLabel } from './BackendBadge';
import { MemoryReadout } from './MemoryReadout';
import { StepProfileTable } from './StepProfileTable';

/** Why training runs where it runs: each backend tried, its self-test against cpu, or its failure. */
export function SelfTestReport() {
  const { status, backend, selfTests, error, fellBack } = useAppStore(useShallow((s) => s.runtime));
  return (
    <section className="panel" aria-labelledby="runtime-heading">
      <h2 id="runtime-heading">Runtime</h2>
      {status === 'loading' && <p>Starting TF.js in a worker and checking the GPU against the CPU…</p>}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {fellBack && (
        <p className="error" data-testid="backend-fallback">
          {fellBack}
        </p>
      )}
      {backend?.reason && (
        <p data-testid="backend-reason">
          Runs on <strong>{backendLabel(backend)}</strong>: {backend.reason}.
        </p>
      )}
      {backend?.skipped.map((s) => (
        <p key={s.name} className="muted">
          Passed over {s.name}: {s.reason}
        </p>
      ))}
      {selfTests.length > 0 && (
        <table className="selftest" data-testid="selftest">
          <thead>
            <tr>
              <th>backend</th>
              <th>forward max |Δ logit| vs cpu</th>
              <th>step loss max rel. Δ vs cpu</th>
              <th>gradient max Δ (share of largest)</th>
              <th>weights after update max Δ (in lr)</th>
              <th>result</th>
            </tr>
          </thead>
          <tbody>
            {selfTests.map((t) => (
              <tr
                key={t.backend}
                data-backend={t.backend}
                data-forward-diff={t.forwardMaxAbsDiff}
                data-step-diff={t.stepMaxRelDiff}
                data-gradient-diff={t.gradientMaxRelDiff}
                data-update-diff={t.updateMaxDiffInLr}
                data-passed={t.passed}
              >
                <td>{t.backend}</td>
                <td>{t.forwardMaxAbsDiff.toExponential(2)}</td>
                <td>{t.stepMaxRelDiff.toExponential(2)}</td>
                <td>{t.gradientMaxRelDiff.toExponential(2)}</td>
                <td>{t.updateMaxDiffInLr.toExponential(2)}</td>
                <td>{t.passed ? 'passed' : `failed: ${t.problem}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <MemoryReadout />
      <StepProfileTable />
    </section>
  );
}

import { useShallow } from 'zustand/react/shallow';
import { profileJson } from '../../engine/spec/profile-summary';
import { profileRun } from '../../state/run-actions';
import { useAppStore } from '../../state/store';
import { downloadBlob } from '../export/figure-files';

const PROFILED_STEPS = 10;

/**
 * "Profile 10 steps": the run's next steps timed per kernel by the worker's profiler, as a
 * table and as JSON that a person with a GPU can attach to a report.
 */
export function StepProfileTable() {
  const { profile, profiling, backend } = useAppStore(
    useShallow((s) => ({
      profile: s.runtime.profile,
      profiling: s.runtime.profiling,
      backend: s.runtime.backend,
    })),
  );
  const runStatus = useAppStore((s) => s.run.status);
  const canProfile = (runStatus === 'training' || runStatus === 'paused') && !profiling;
  const p = profile?.profile;
  const exportJson = () => {
    if (!p || !profile) return;
    const context = { step: profile.step, adapter: backend?.adapter ?? null, userAgent: navigator.userAgent };
    const blob = new Blob([profileJson(p, context)], { type: 'application/json' });
    downloadBlob(blob, `kd-playground_step-profile_${p.backend}_step-${profile.step}.json`);
  };
  return (
    <div className="step-profile">
      <p>
        <button type="button" onClick={() => void profileRun(PROFILED_STEPS)} disabled={!canProfile}>
          Profile {PROFILED_STEPS} steps
        </button>{' '}
        {profiling && <span role="status">Profiling the next {PROFILED_STEPS} steps…</span>}
        {!profiling && !canProfile && !p && <span className="muted">Start a run to profile its steps.</span>}
      </p>
      {p && (
        <>
          <p data-testid="profile-clock" data-clock={p.clock} data-emulated={p.emulated}>
            Clock: {p.clockNote}
            {p.emulated && ' — emulated: the adapter is a CPU emulation (SwiftShader), not a GPU'}. {p.steps}{' '}
            steps on {p.backend}; a profiled step took {p.wallMsPerStep.toFixed(1)} ms of wall time, profiling
            included; tensors peaked at {(p.peakBytes / 2 ** 20).toFixed(1)} MB.
          </p>
          <table className="selftest" data-testid="step-profile" data-total-ms={p.totalMsPerStep}>
            <caption>Step profile</caption>
            <thead>
              <tr>
                <th scope="col">kernel</th>
                <th scope="col">calls per step</th>
                <th scope="col">ms per step</th>
                <th scope="col">share of the step</th>
              </tr>
            </thead>
            <tbody>
              {p.rows.map((r) => (
                <tr key={r.kernel} data-kernel={r.kernel} data-calls={r.callsPerStep} data-ms={r.msPerStep}>
                  <td>{r.kernel}</td>
                  <td>{r.callsPerStep.toFixed(1)}</td>
                  <td>{r.msPerStep.toFixed(3)}</td>
                  <td>{(r.share * 100).toFixed(1)}%</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">step total</th>
                <td>{p.rows.reduce((s, r) => s + r.callsPerStep, 0).toFixed(1)}</td>
                <td>{p.totalMsPerStep.toFixed(3)}</td>
                <td>100%</td>
              </tr>
            </tfoot>
          </table>
          <p>
            <button type="button" onClick={exportJson}>
              Export profile JSON
            </button>
          </p>
        </>
      )}
    </div>
  );
}

import { useShallow } from 'zustand/react/shallow';
import { useEstimateStore } from '../../state/estimate-sync';
import { formatAbout, formatMinutes, LONG_RUN_SECONDS } from '../../state/run-estimate';
import { useAppStore } from '../../state/store';

/** "wasm, 2 threads", "webgpu, emulated", "webgl": where the estimate was measured. */
function backendLabel(backend: { name: string; threads: number | null; emulated: boolean } | null): string {
  if (!backend) return '';
  if (backend.threads) return `${backend.name}, ${backend.threads} thread${backend.threads === 1 ? '' : 's'}`;
  return backend.emulated ? `${backend.name}, emulated` : backend.name;
}

/** What Start runs, in words: the phase it begins with, and its steps. */
export function NextPhase() {
  const plan = useEstimateStore((s) => s.plan);
  const steps = useAppStore(useShallow((s) => [s.config.optim.teacherSteps, s.config.optim.steps]));
  if (!plan) return <span data-testid="next-phase">Start: –</span>;
  return (
    <span data-testid="next-phase">
      {plan.shippedTeacher
        ? `Start runs the student phase (${plan.studentSteps.toLocaleString('en')} steps) with the shipped teacher ${plan.shippedTeacher}`
        : `Start runs a teacher phase (${steps[0]!.toLocaleString('en')} steps), then the student phase (${steps[1]!.toLocaleString('en')})`}
    </span>
  );
}

/**
 * The estimated time of the run as configured, before Start, from the step times measured on the
 * backend in use; a run over ten minutes says so and offers, in one click, the preset that fits
 * (keeping seed, data and backend, as picking it from the list does).
 */
export function RunEstimate() {
  const estimate = useEstimateStore();
  const backend = useAppStore((s) => s.runtime.backend);
  const applyPreset = useAppStore((s) => s.applyPreset);
  const where = backendLabel(backend);
  if (estimate.status === 'measuring') return <span data-testid="estimate">Measuring a few steps here…</span>;
  if (estimate.status === 'unmeasured')
    return <span data-testid="estimate">No estimate before Start: {estimate.unmeasured}.</span>;
  if (estimate.status !== 'ready' || estimate.seconds === null) return null;
  const long = estimate.seconds > LONG_RUN_SECONDS;
  // A measurement cut short by its time cap is a lower bound, and says so.
  const about = estimate.atLeast
    ? `at least ${formatMinutes(estimate.seconds)}`
    : formatAbout(estimate.seconds);
  const text = `${about[0]!.toUpperCase()}${about.slice(1)} here (${where})`;
  return (
    <span data-testid="estimate" className={long ? 'estimate estimate-long' : 'estimate'}>
      {long ? `${text}: more than 10 minutes.` : `${text}.`}
      {long && estimate.alternative && (
        <>
          {' '}
          <button
            type="button"
            className="link-button"
            title={`Switch to the ${estimate.alternative.title} preset; seed, data and backend stay`}
            onClick={() => applyPreset(estimate.alternative!.preset)}
          >
            {estimate.alternative.title} takes {formatAbout(estimate.alternative.seconds)}.
          </button>
        </>
      )}
    </span>
  );
}

/**
 * Time left of the whole run: the worker's ETA of the phase in progress (from the speed measured
 * as it trains), plus, in a teacher phase, the student phase after it at its measured step time.
 */
export function useRunEta(): number {
  const { phase, etaSeconds, studentSteps, baseline } = useAppStore(
    useShallow((s) => ({
      phase: s.run.phase,
      etaSeconds: s.run.etaSeconds,
      studentSteps: s.run.config?.optim.steps ?? s.config.optim.steps,
      baseline: (s.run.config ?? s.config).baseline,
    })),
  );
  const studentMs = useEstimateStore((s) => s.times?.student?.msPerStep);
  if (phase !== 'teacher' || studentMs === undefined) return etaSeconds;
  return etaSeconds + (studentSteps * studentMs * (baseline === 'none' ? 1 : 2)) / 1000;
}

import { useShallow } from 'zustand/react/shallow';
import {
  type BackendChoice,
  defaultLayerPairs,
  type RunConfig,
  type VitConfig,
} from '../../engine/spec/config';
import { fieldAt, fieldOptions, numberInput } from '../../engine/spec/fields';
import { formatLayerPairs, parseLayerPairs } from '../../engine/spec/layer-pairs';
import { countParameters } from '../../engine/spec/model-size';
import { PRESETS } from '../../engine/spec/presets';
import { resetRun, restartWorker, startRun } from '../../state/run-actions';
import { useAppStore } from '../../state/store';
import { CifarPicker } from './CifarPicker';
import { NumberField } from './NumberField';
import { TeacherChoice } from './TeacherChoice';

function modelChanged(a: RunConfig, b: RunConfig): boolean {
  const pick = (c: RunConfig) =>
    JSON.stringify([c.teacher, c.student, c.data, c.seed, c.optim, c.loss.layerPairs, c.baseline]);
  return pick(a) !== pick(b);
}

/** A number field's label, range and step from the field table; its help shows on hover. */
function input(path: string) {
  const { help, ...props } = numberInput(path);
  return props;
}

function Options({ path }: { path: string }) {
  return fieldOptions(path).map((o) => (
    <option key={o.value} value={o.value}>
      {o.label}
    </option>
  ));
}

/** A labelled select of an enum field; its id is the field's path. */
function SelectField({
  path,
  value,
  onChange,
}: {
  path: string;
  value: string;
  onChange: (v: string) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={path}>{fieldAt(path).label}</label>
      <select id={path} value={value} onChange={(e) => onChange(e.target.value)}>
        <Options path={path} />
      </select>
    </div>
  );
}

const MODEL_NUMBERS = ['dModel', 'nLayers', 'nHeads', 'mlpRatio'] as const;
const OPTIM_NUMBERS = ['batch', 'lr', 'teacherSteps', 'steps'] as const;

function ModelFields({ which, model }: { which: 'teacher' | 'student'; model: VitConfig }) {
  const setConfig = useAppStore((s) => s.setConfig);
  const name = which === 'teacher' ? 'Teacher' : 'Student';
  const set = (patch: Partial<VitConfig>) => setConfig({ [which]: patch });
  return (
    <fieldset>
      <legend>
        {name} <span className="muted">({(countParameters(model) / 1000).toFixed(0)}k parameters)</span>
      </legend>
      {MODEL_NUMBERS.map((key) => (
        <NumberField
          key={key}
          {...input(`${which}.${key}`)}
          value={model[key]}
          onCommit={(v) => set({ [key]: v })}
        />
      ))}
      {which === 'student' && (
        <label className="check">
          <input
            type="checkbox"
            checked={model.distillToken}
            onChange={(e) => set({ distillToken: e.target.checked })}
          />
          {fieldAt('student.distillToken').label}
        </label>
      )}
    </fieldset>
  );
}

/** Preset, data, models, optimisation and layer pairs: everything that needs a new run. */
export function SettingsPanel() {
  const config = useAppStore(useShallow((s) => s.config));
  const problems = useAppStore(useShallow((s) => s.configProblems));
  const runConfig = useAppStore((s) => s.run.config);
  const runStatus = useAppStore((s) => s.run.status);
  const { setConfig, applyPreset } = useAppStore(
    useShallow((s) => ({ setConfig: s.setConfig, applyPreset: s.applyPreset })),
  );
  const preset = PRESETS.find((p) => p.name === config.preset);
  const active = runStatus === 'training' || runStatus === 'paused';
  const pending = active && runConfig !== null && modelChanged(runConfig, config);
  const defaultPairs = defaultLayerPairs(config.student.nLayers, config.teacher.nLayers);
  const pairsText = formatLayerPairs(config.loss.layerPairs);

  return (
    <section className="panel settings" aria-labelledby="settings-heading">
      <h2 id="settings-heading">Experiment</h2>
      <div className="field">
        <label htmlFor="preset">{fieldAt('preset').label}</label>
        <select id="preset" value={config.preset} onChange={(e) => applyPreset(e.target.value)}>
          {PRESETS.map((p) => (
            <option key={p.name} value={p.name}>
              {p.title}
            </option>
          ))}
        </select>
        {preset && <small className="muted">{preset.description}</small>}
      </div>
      <div className="grid">
        <SelectField
          path="data"
          value={config.data}
          onChange={(v) => setConfig({ data: v as RunConfig['data'] })}
        />
        <SelectField
          path="backend"
          value={config.backend}
          onChange={(v) => {
            setConfig({ backend: v as BackendChoice });
            void restartWorker();
          }}
        />
        <SelectField
          path="baseline"
          value={config.baseline}
          onChange={(v) => setConfig({ baseline: v as RunConfig['baseline'] })}
        />
        <NumberField {...input('seed')} value={config.seed} onCommit={(v) => setConfig({ seed: v })} />
      </div>
      {config.data === 'cifar10' && <CifarPicker />}
      <TeacherChoice />
      <div className="grid two">
        <ModelFields which="teacher" model={config.teacher} />
        <ModelFields which="student" model={config.student} />
      </div>
      <div className="grid">
        <NumberField
          {...input('teacher.patchSize')}
          value={config.teacher.patchSize}
          hint={`${(config.teacher.imageSize / config.teacher.patchSize) ** 2} patches per image`}
          onCommit={(v) => setConfig({ teacher: { patchSize: v }, student: { patchSize: v } })}
        />
        {OPTIM_NUMBERS.map((key) => (
          <NumberField
            key={key}
            {...input(`optim.${key}`)}
            value={config.optim[key]}
            onCommit={(v) => setConfig({ optim: { [key]: v } })}
          />
        ))}
        <div className="field">
          <label htmlFor="pairs">{fieldAt('loss.layerPairs').label}</label>
          <input
            id="pairs"
            key={pairsText}
            defaultValue={config.loss.layerPairs.length ? pairsText : ''}
            placeholder={`default: ${formatLayerPairs(defaultPairs)}`}
            onBlur={(e) => {
              const pairs = parseLayerPairs(e.target.value);
              if (pairs.ok) setConfig({ loss: { layerPairs: pairs.value } });
              else
                e.target.setCustomValidity(`${pairs.reason}: write pairs as student-teacher, e.g. 0-0_5-5`);
              e.target.reportValidity();
            }}
            onChange={(e) => e.target.setCustomValidity('')}
          />
          <small className="muted">
            Empty: early with early, late with late ({formatLayerPairs(defaultPairs)}).
          </small>
        </div>
      </div>
      {problems.length > 0 && (
        <ul className="problems" role="alert">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      {pending && (
        <div className="pending" role="status">
          These changes need a new run; the current one keeps going until you reset.
          <button
            type="button"
            onClick={async () => {
              await resetRun();
              await startRun();
            }}
          >
            Reset and start with these settings
          </button>
        </div>
      )}
    </section>
  );
}

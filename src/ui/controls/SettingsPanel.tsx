import { useShallow } from 'zustand/react/shallow';
import {
  type BackendChoice,
  defaultLayerPairs,
  type LayerPair,
  type RunConfig,
  type VitConfig,
} from '../../engine/config';
import { numberLimits } from '../../engine/config-schema';
import { countParameters } from '../../engine/model-size';
import { PRESETS } from '../../engine/presets';
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

function ModelFields({ which, model }: { which: 'teacher' | 'student'; model: VitConfig }) {
  const setConfig = useAppStore((s) => s.setConfig);
  const name = which === 'teacher' ? 'Teacher' : 'Student';
  const set = (patch: Partial<VitConfig>) => setConfig({ [which]: patch });
  return (
    <fieldset>
      <legend>
        {name} <span className="muted">({(countParameters(model) / 1000).toFixed(0)}k parameters)</span>
      </legend>
      <NumberField
        label={`${name} width`}
        value={model.dModel}
        {...numberLimits(`${which}.dModel`)}
        step={8}
        onCommit={(v) => set({ dModel: v })}
      />
      <NumberField
        label={`${name} depth`}
        value={model.nLayers}
        {...numberLimits(`${which}.nLayers`)}
        onCommit={(v) => set({ nLayers: v })}
      />
      <NumberField
        label={`${name} heads`}
        value={model.nHeads}
        {...numberLimits(`${which}.nHeads`)}
        onCommit={(v) => set({ nHeads: v })}
      />
      <NumberField
        label={`${name} MLP ratio`}
        value={model.mlpRatio}
        {...numberLimits(`${which}.mlpRatio`)}
        step={0.5}
        onCommit={(v) => set({ mlpRatio: v })}
      />
      {which === 'student' && (
        <label className="check">
          <input
            type="checkbox"
            checked={model.distillToken}
            onChange={(e) => set({ distillToken: e.target.checked })}
          />
          Distillation token (DeiT)
        </label>
      )}
    </fieldset>
  );
}

function formatPairs(pairs: LayerPair[]): string {
  return pairs.map(([s, t]) => `${s}:${t}`).join(' ');
}

function parsePairs(text: string): LayerPair[] | null {
  const trimmed = text.trim();
  if (!trimmed) return [];
  const pairs: LayerPair[] = [];
  for (const part of trimmed.split(/[\s,]+/)) {
    const m = /^(\d+):(\d+)$/.exec(part);
    if (!m) return null;
    pairs.push([Number(m[1]), Number(m[2])]);
  }
  return pairs;
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

  return (
    <section className="panel settings" aria-labelledby="settings-heading">
      <h2 id="settings-heading">Experiment</h2>
      <div className="field">
        <label htmlFor="preset">Preset</label>
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
        <div className="field">
          <label htmlFor="data">Dataset</label>
          <select
            id="data"
            value={config.data}
            onChange={(e) => setConfig({ data: e.target.value as RunConfig['data'] })}
          >
            <option value="starter">CIFAR-10 starter (shipped)</option>
            <option value="synthetic">Built-in shapes (synthetic, offline)</option>
            <option value="cifar10">CIFAR-10 / CIFAR-100 (full set, your files)</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="backend">Backend</label>
          <select
            id="backend"
            value={config.backend}
            onChange={(e) => {
              setConfig({ backend: e.target.value as BackendChoice });
              void restartWorker();
            }}
          >
            {(['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const).map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="baseline">Baseline student</label>
          <select
            id="baseline"
            value={config.baseline}
            onChange={(e) => setConfig({ baseline: e.target.value as RunConfig['baseline'] })}
          >
            <option value="none">none</option>
            <option value="ce-only">CE only (same batches)</option>
            <option value="kd-only">KD only (same batches)</option>
          </select>
        </div>
        <NumberField
          label="Seed"
          value={config.seed}
          {...numberLimits('seed')}
          onCommit={(v) => setConfig({ seed: v })}
        />
      </div>
      {config.data === 'cifar10' && <CifarPicker />}
      <TeacherChoice />
      <div className="grid two">
        <ModelFields which="teacher" model={config.teacher} />
        <ModelFields which="student" model={config.student} />
      </div>
      <div className="grid">
        <NumberField
          label="Patch size"
          value={config.teacher.patchSize}
          {...numberLimits('teacher.patchSize')}
          hint={`${(config.teacher.imageSize / config.teacher.patchSize) ** 2} patches per image`}
          onCommit={(v) => setConfig({ teacher: { patchSize: v }, student: { patchSize: v } })}
        />
        <NumberField
          label="Batch size"
          value={config.optim.batch}
          {...numberLimits('optim.batch')}
          onCommit={(v) => setConfig({ optim: { batch: v } })}
        />
        <NumberField
          label="Learning rate"
          value={config.optim.lr}
          {...numberLimits('optim.lr')}
          step={0.0001}
          onCommit={(v) => setConfig({ optim: { lr: v } })}
        />
        <NumberField
          label="Teacher steps"
          value={config.optim.teacherSteps}
          {...numberLimits('optim.teacherSteps')}
          onCommit={(v) => setConfig({ optim: { teacherSteps: v } })}
        />
        <NumberField
          label="Student steps"
          value={config.optim.steps}
          {...numberLimits('optim.steps')}
          onCommit={(v) => setConfig({ optim: { steps: v } })}
        />
        <div className="field">
          <label htmlFor="pairs">Layer pairs (student:teacher)</label>
          <input
            id="pairs"
            key={formatPairs(config.loss.layerPairs)}
            defaultValue={formatPairs(config.loss.layerPairs)}
            placeholder={`default: ${formatPairs(defaultPairs)}`}
            onBlur={(e) => {
              const pairs = parsePairs(e.target.value);
              if (pairs) setConfig({ loss: { layerPairs: pairs } });
              else e.target.setCustomValidity('Write pairs as student:teacher, e.g. 0:0 5:5');
              e.target.reportValidity();
            }}
            onChange={(e) => e.target.setCustomValidity('')}
          />
          <small className="muted">
            Empty: early with early, late with late ({formatPairs(defaultPairs)}).
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

import { useShallow } from 'zustand/react/shallow';
import type { LossConfig } from '../../engine/spec/config';
import { fieldAt, fieldOptions, numberInput } from '../../engine/spec/fields';
import { setLossWeights } from '../../state/run-actions';
import { useAppStore } from '../../state/store';
import { NumberField } from './NumberField';

const WEIGHTS = ['wCe', 'wKd', 'wMd', 'wIntra', 'wInter', 'wRandom'] as const;

/** Loss weights, tau, K and the KD kind; weight changes reach a running student on its next step. */
export function LossWeights() {
  const loss = useAppStore(useShallow((s) => s.config.loss));
  return (
    <section className="panel" aria-labelledby="loss-heading">
      <h2 id="loss-heading">Loss</h2>
      <p className="muted formula">
        total = CE·w<sub>CE</sub> + KD·w<sub>KD</sub> + w<sub>M</sub> · mean over layer pairs (w
        <sub>intra</sub>·intra + w<sub>inter</sub>·inter + w<sub>rand</sub>·random)
      </p>
      <div className="grid">
        {WEIGHTS.map((key) => {
          const { help, ...props } = numberInput(`loss.${key}`);
          return (
            <NumberField
              key={key}
              {...props}
              hint={help}
              value={loss[key]}
              onCommit={(v) => void setLossWeights({ [key]: v })}
            />
          );
        })}
        <NumberField
          {...numberInput('loss.tau')}
          value={loss.tau}
          onCommit={(v) => void setLossWeights({ tau: v })}
        />
        <NumberField
          {...numberInput('loss.k')}
          value={loss.k}
          onCommit={(v) => void setLossWeights({ k: v })}
        />
        <div className="field">
          <label htmlFor="kd-kind">{fieldAt('loss.kd').label}</label>
          <select
            id="kd-kind"
            value={loss.kd}
            onChange={(e) => void setLossWeights({ kd: e.target.value as LossConfig['kd'] })}
          >
            {fieldOptions('loss.kd').map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
      </div>
    </section>
  );
}

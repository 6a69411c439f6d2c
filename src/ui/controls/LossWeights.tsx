import { useShallow } from 'zustand/react/shallow';
import type { LossConfig } from '../../engine/config';
import { numberLimits } from '../../engine/config-schema';
import { setLossWeights } from '../../state/run-actions';
import { useAppStore } from '../../state/store';
import { NumberField } from './NumberField';

const WEIGHTS: {
  key: 'wCe' | 'wKd' | 'wMd' | 'wIntra' | 'wInter' | 'wRandom';
  label: string;
  hint: string;
}[] = [
  { key: 'wCe', label: 'CE weight', hint: 'cross-entropy on labels' },
  { key: 'wKd', label: 'KD weight', hint: "match the teacher's logits" },
  { key: 'wMd', label: 'Manifold weight', hint: 'scales the three relation terms' },
  { key: 'wIntra', label: 'Intra-image weight', hint: 'patch x patch, per image' },
  { key: 'wInter', label: 'Inter-image weight', hint: 'image x image, per patch position' },
  { key: 'wRandom', label: 'Random-sampled weight', hint: 'K random tokens of the batch' },
];

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
        {WEIGHTS.map((w) => (
          <NumberField
            key={w.key}
            label={w.label}
            hint={w.hint}
            value={loss[w.key]}
            {...numberLimits(`loss.${w.key}`)}
            step={0.1}
            onCommit={(v) => void setLossWeights({ [w.key]: v })}
          />
        ))}
        <NumberField
          label="Temperature (tau)"
          value={loss.tau}
          {...numberLimits('loss.tau')}
          step={0.5}
          onCommit={(v) => void setLossWeights({ tau: v })}
        />
        <NumberField
          label="Random sample size (K)"
          value={loss.k}
          {...numberLimits('loss.k')}
          step={16}
          onCommit={(v) => void setLossWeights({ k: v })}
        />
        <div className="field">
          <label htmlFor="kd-kind">KD kind</label>
          <select
            id="kd-kind"
            value={loss.kd}
            onChange={(e) => void setLossWeights({ kd: e.target.value as LossConfig['kd'] })}
          >
            <option value="soft">soft (KL at tau)</option>
            <option value="hard">hard (teacher's argmax)</option>
          </select>
        </div>
      </div>
    </section>
  );
}

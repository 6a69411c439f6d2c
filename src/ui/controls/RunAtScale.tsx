import { useState } from 'react';
import { pretrainedTeacherFor } from '../../state/pretrained-teachers';
import { scaleCommands } from '../../state/run-at-scale';
import { useAppStore } from '../../state/store';
import { NumberField } from './NumberField';

/** The exact torchrun command lines for the current config, for the PyTorch twin (tools/torch/). */
export function RunAtScale() {
  const config = useAppStore((s) => s.config);
  const teacherChoice = useAppStore((s) => s.teacherChoice);
  const notify = useAppStore((s) => s.notify);
  const [processes, setProcesses] = useState(8);
  // The twin reads CIFAR files only: a shapes teacher is no teacher for it.
  const found = teacherChoice === 'pretrained' ? pretrainedTeacherFor(config) : null;
  const shipped = found?.dataset === 'cifar10' ? found : null;
  const text = scaleCommands(config, { processes, teacher: shipped }).join('\n');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      notify({ kind: 'info', message: 'Command copied.' });
    } catch {
      notify({ kind: 'error', message: 'Could not copy: select the command and copy it by hand.' });
    }
  };
  return (
    <section className="panel" aria-labelledby="scale-heading">
      <h2 id="scale-heading">Run at scale</h2>
      <p className="muted small">
        The same experiment with the PyTorch twin in this repository (<code>tools/torch/</code>), on many GPUs
        (NCCL) or CPU processes (gloo). The batch size is per process: {config.optim.batch} × {processes} ={' '}
        {config.optim.batch * processes} images a step; the relation terms use each process's own batch, as
        the official code does.
        {config.data === 'synthetic' &&
          ' The twin reads CIFAR-10/100 files only; the built-in shapes live in this page.'}
      </p>
      <NumberField
        label="Processes"
        value={processes}
        min={1}
        max={1024}
        integer
        onCommit={(v) => setProcesses(v)}
      />
      <pre className="scale-command" data-testid="scale-command">
        {text}
      </pre>
      <button type="button" onClick={() => void copy()}>
        Copy command
      </button>
    </section>
  );
}

import { pretrainedTeacherFor } from '../../state/pretrained-teachers';
import { useAppStore } from '../../state/store';

/** Start from the shipped teacher for this data and teacher shape, or train one here. */
export function TeacherChoice() {
  const config = useAppStore((s) => s.config);
  const choice = useAppStore((s) => s.teacherChoice);
  const setChoice = useAppStore((s) => s.setTeacherChoice);
  const shipped = pretrainedTeacherFor(config);
  const value = shipped ? choice : 'train';
  return (
    <div className="field">
      <label htmlFor="teacher-source">Teacher</label>
      <select
        id="teacher-source"
        value={value}
        onChange={(e) => setChoice(e.target.value as 'pretrained' | 'train')}
      >
        <option value="pretrained" disabled={!shipped}>
          {shipped
            ? `Pretrained (${shipped.name}, ${(100 * shipped.testAccuracy).toFixed(1)}% test)`
            : 'Pretrained (none for this teacher shape)'}
        </option>
        <option value="train">Train in the browser</option>
      </select>
      <small className="muted">
        {shipped && value === 'pretrained'
          ? shipped.dataset === 'cifar10'
            ? 'Trained on the full CIFAR-10 training set with the PyTorch twin (tools/torch); Start goes straight to the student phase. CIFAR-100 always trains its own.'
            : 'Trained on the built-in shapes with npm run train; Start goes straight to the student phase.'
          : 'The teacher phase runs first, for "Teacher steps" steps.'}
      </small>
    </div>
  );
}

import { pretrainedTeacherFor } from '../../state/pretrained-teachers';
import { useAppStore } from '../../state/store';

/** On CIFAR-10: start from the shipped teacher (trained with the PyTorch twin) or train one here. */
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
          ? 'Trained on CIFAR-10 with the PyTorch twin (tools/torch); Start goes straight to the student phase. CIFAR-100 always trains its own.'
          : 'The teacher phase runs first, for "Teacher steps" steps.'}
      </small>
    </div>
  );
}

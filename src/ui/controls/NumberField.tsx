import { useEffect, useId, useRef, useState } from 'react';

interface Props {
  label: string;
  value: number;
  min?: number;
  max?: number;
  step?: number | 'any';
  /** Whole numbers only. */
  integer?: boolean;
  /** Called with a valid number, debounced while typing, at once on Enter or blur. */
  onCommit: (value: number) => void;
  hint?: string;
  disabled?: boolean;
}

const COMMIT_DELAY_MS = 500;

/** A labelled number input that commits only valid values and says what is wrong otherwise. */
export function NumberField({
  label,
  value,
  min,
  max,
  step = 'any',
  integer,
  onCommit,
  hint,
  disabled,
}: Props) {
  const id = useId();
  const [text, setText] = useState(String(value));
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    setText(String(value));
    setError(null);
  }, [value]);

  const validate = (raw: string): number | null => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) return fail('enter a number');
    if (integer && !Number.isInteger(n)) return fail('enter a whole number');
    if (min !== undefined && n < min) return fail(`at least ${min}`);
    if (max !== undefined && n > max) return fail(`at most ${max}`);
    setError(null);
    return n;
  };
  function fail(msg: string): null {
    setError(msg);
    return null;
  }
  const commit = (raw: string) => {
    if (timer.current) clearTimeout(timer.current);
    const n = validate(raw);
    if (n !== null && n !== value) onCommit(n);
  };

  return (
    <div className={`field${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode="decimal"
        value={text}
        min={min}
        max={max}
        step={step}
        disabled={disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={error || hint ? `${id}-note` : undefined}
        onChange={(e) => {
          const raw = e.target.value;
          setText(raw);
          if (timer.current) clearTimeout(timer.current);
          timer.current = setTimeout(() => commit(raw), COMMIT_DELAY_MS);
        }}
        onBlur={(e) => commit(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit((e.target as HTMLInputElement).value);
        }}
      />
      {(error || hint) && (
        <small id={`${id}-note`} className={error ? 'error' : 'muted'}>
          {error ?? hint}
        </small>
      )}
    </div>
  );
}

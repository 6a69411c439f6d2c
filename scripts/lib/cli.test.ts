import { describe, expect, it } from 'vitest';
import { nonNegativeInt, nonNegativeNumber, parseCli, positiveInt } from './cli';
import { resumeCommand } from './train-loop';

const OPTIONS = { seed: { type: 'string' }, steps: { type: 'string' }, force: { type: 'boolean' } } as const;

describe('command-line values', () => {
  it('passes a negative value to the flag instead of calling it ambiguous', () => {
    expect(parseCli(['--seed', '-1', '--steps', '-0.5'], OPTIONS, 'usage')).toMatchObject({
      seed: '-1',
      steps: '-0.5',
    });
    expect(() => nonNegativeInt('-1', 'seed')).toThrow('--seed must be a non-negative integer, got "-1"');
  });

  it.each(['0x3', '1e3', '3.0', ' 3', '', '+3', '0b11', 'Infinity'])('refuses the step count %j', (value) => {
    expect(() => positiveInt(value, 'steps')).toThrow(`--steps must be a positive integer, got "${value}"`);
  });

  it('accepts plain decimal counts and numbers', () => {
    expect(positiveInt('0012', 'steps')).toBe(12);
    expect(nonNegativeInt('0', 'seed')).toBe(0);
    expect(nonNegativeNumber('0.25', 'mixup', 10)).toBe(0.25);
    expect(() => nonNegativeNumber('11', 'mixup', 10)).toThrow(
      '--mixup must be a number from 0 to 10, got "11"',
    );
    expect(() => nonNegativeNumber('NaN', 'mixup', 10)).toThrow(/got "NaN"/);
  });

  it('says how to continue an interrupted run with the same flags', () => {
    const argv = [
      '--phase',
      'teacher',
      '--force',
      '--config',
      'my config.json',
      '--resume=old',
      '--out',
      'runs/t',
    ];
    expect(resumeCommand(argv, 'runs/t/checkpoint')).toBe(
      "npm run train -- --phase teacher --config 'my config.json' --out runs/t --resume runs/t/checkpoint",
    );
  });
});

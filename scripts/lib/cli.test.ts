import { describe, expect, it } from 'vitest';
import { flagsOfUsage, nonNegativeInt, nonNegativeNumber, parseCli, positiveInt } from './cli';
import { resumeCommand } from './train-loop';

const USAGE = 'npm run x -- --seed S [--steps N] [--force]';

describe('command-line flags from the usage line', () => {
  it('reads a flag with a value as a string and a bare one as a switch', () => {
    expect(
      flagsOfUsage(
        'npm run x [-- --from <folder|a.tar.gz>] --phase teacher|student [--no-node] [--base PRESET] [--quick]',
        ['base'],
      ),
    ).toEqual({
      from: { type: 'string' },
      phase: { type: 'string' },
      'no-node': { type: 'boolean' },
      base: { type: 'string', multiple: true },
      quick: { type: 'boolean' },
    });
  });

  it('parses what the usage and the unlisted flags declare, and nothing else', () => {
    const args = parseCli(['--seed', '7', '--force', '--mixup', '0.5', '--base', 'a', '--base', 'b'], USAGE, {
      unlisted: '[--mixup ALPHA] [--base PRESET]',
      repeatable: ['base'],
    });
    expect([args.string('seed'), args.string('steps'), args.boolean('force')]).toEqual([
      '7',
      undefined,
      true,
    ]);
    expect([args.string('mixup'), args.strings('base')]).toEqual(['0.5', ['a', 'b']]);
    expect(() => parseCli(['--mixup', '1'], USAGE)).toThrow(`Unknown option '--mixup'. Usage: ${USAGE}`);
    expect(() => parseCli(['--seed'], USAGE)).toThrow(/--seed <value>' argument missing\. Usage: npm run x/);
    // A name the usage lacks, or read as the wrong kind, is the script's bug.
    expect(() => args.string('sed')).toThrow('sed is not a string flag');
    expect(() => args.string('force')).toThrow('force is not a string flag');
  });
});

describe('command-line values', () => {
  it('passes a negative value to the flag instead of calling it ambiguous', () => {
    const args = parseCli(['--seed', '-1', '--steps', '-0.5'], USAGE);
    expect([args.string('seed'), args.string('steps')]).toEqual(['-1', '-0.5']);
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

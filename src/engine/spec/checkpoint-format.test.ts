import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../checkpoint';
import { onCpuBackend } from '../test-utils';
import type { CheckpointManifest } from './checkpoint-format';
import { validateManifest } from './checkpoint-format';

// A real checkpoint, as shipped: the edits below are what a careless or hostile file does to it.
const DIR = path.resolve(import.meta.dirname, '../../../public/models/cifar10-tiny');
const MANIFEST: CheckpointManifest = JSON.parse(readFileSync(path.join(DIR, 'model.json'), 'utf8'));
const WEIGHTS = readFileSync(path.join(DIR, 'weights.bin'));

function edited(edit: (m: CheckpointManifest) => void): unknown {
  const m = structuredClone(MANIFEST);
  edit(m);
  return m;
}

describe('a checkpoint is data, never paths or code', () => {
  it('accepts the shipped checkpoint as it is', () => {
    expect(validateManifest(structuredClone(MANIFEST)).models[0]!.role).toBe('teacher');
  });

  it.each([
    '../../../../etc/passwd',
    '/etc/passwd',
    'sub/weights.bin',
    '..',
    'weights.bin/../../x',
    '..\\weights.bin',
    '',
  ])('refuses the weights path %j, naming it', (p) => {
    const bad = edited((m) => {
      m.weightsManifest[0]!.paths = [p];
    });
    expect(() => validateManifest(bad)).toThrow(/plain file names inside the checkpoint folder/);
    expect(() => validateManifest(bad)).toThrow(JSON.stringify(p));
  });

  it('refuses int32 (or any non-float32) model weights, naming the weight and its type', () => {
    const bad = edited((m) => {
      m.weightsManifest[0]!.weights[3]!.dtype = 'int32';
    });
    const name = MANIFEST.weightsManifest[0]!.weights[3]!.name;
    expect(() => validateManifest(bad)).toThrow(`Checkpoint weight "${name}" is int32, not float32`);
  });

  it.each([
    ['step', -5],
    ['epoch', 1.5],
    ['cursor', Number.NaN],
  ] as const)('refuses a position whose %s is %s', (key, value) => {
    const bad = edited((m) => {
      m.position = {
        step: 10,
        epoch: 0,
        cursor: 0,
        rng: { order: {}, augment: {}, sample: {} },
        [key]: value,
      };
    });
    expect(() => validateManifest(bad)).toThrow(`position has ${key}`);
  });

  it('refuses a negative optimizer step and an impossible model shape', () => {
    expect(() =>
      validateManifest(
        edited((m) => {
          m.models[0]!.optimizerStep = -1;
        }),
      ),
    ).toThrow(/optimizer step -1/);
    expect(() =>
      validateManifest(
        edited((m) => {
          m.models[0]!.config.nHeads = 5;
        }),
      ),
    ).toThrow(/dModel 32 is not a multiple of nHeads 5/);
  });
});

describe('decoding refuses weights no model should hold', () => {
  onCpuBackend();

  it.each([Number.NaN, Number.POSITIVE_INFINITY])('names the first weight that holds %s', async (value) => {
    const bytes = new Uint8Array(WEIGHTS).slice();
    const floats = new Float32Array(bytes.buffer);
    // The third tensor's first value: the name in the message must be that tensor's.
    const specs = MANIFEST.weightsManifest[0]!.weights;
    const offset = specs.slice(0, 2).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    floats[offset + 1] = value;
    await expect(
      decodeCheckpoint(structuredClone(MANIFEST), bytes.buffer, { withOptimizers: false }),
    ).rejects.toThrow(`Checkpoint weight "${specs[2]!.name}" holds ${value} values`);
  });

  it('decodes the untouched weights', async () => {
    const decoded = await decodeCheckpoint(
      structuredClone(MANIFEST),
      new Uint8Array(WEIGHTS).slice().buffer,
      { withOptimizers: false },
    );
    expect([...decoded.models.keys()]).toEqual(['teacher']);
    for (const m of decoded.models.values()) m.model.dispose();
  });
});

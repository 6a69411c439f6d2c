import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateManifest } from '../engine/spec/checkpoint-format';
import { presetConfig } from '../engine/spec/presets';
import { PRETRAINED_TEACHERS, pretrainedTeacherFor, teacherFitsData } from './pretrained-teachers';

const MODELS = path.resolve(import.meta.dirname, '../../public/models');

describe('the shipped pretrained teachers', () => {
  for (const t of PRETRAINED_TEACHERS) {
    it(`${t.name}: its files exist, fit in 10 MB, and agree with the table`, () => {
      const dir = path.join(MODELS, t.name);
      const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
      const model = validateManifest(JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')));
      expect(statSync(path.join(dir, 'weights.bin')).size).toBeLessThan(10 * 2 ** 20);
      expect(model.phase).toBe('teacher');
      expect(model.models.map((m) => m.role)).toEqual(['teacher']);
      expect(model.models[0]!.config).toEqual(t.teacher);
      expect(manifest.teacher).toEqual(t.teacher);
      expect(manifest.testAccuracy).toBe(t.testAccuracy);
      expect(manifest.presets).toEqual(t.presets);
      expect(manifest.dataset).toBe(t.dataset);
      expect(model.dataset.name).toBe(t.dataset);
      for (const key of ['command', 'seed', 'trainSeconds', 'testAccuracy1000', 'config'])
        expect(manifest[key], key).toBeDefined();
    });
  }

  it('each preset finds the teacher of its shape for its data, and only there', () => {
    for (const t of PRETRAINED_TEACHERS) {
      const data = t.dataset === 'synthetic' ? (['synthetic'] as const) : (['cifar10', 'starter'] as const);
      const other = t.dataset === 'synthetic' ? 'cifar10' : 'synthetic';
      for (const preset of t.presets) {
        for (const d of data)
          expect(pretrainedTeacherFor({ ...presetConfig(preset), data: d })?.name).toBe(t.name);
        expect(pretrainedTeacherFor({ ...presetConfig(preset), data: other })?.name).not.toBe(t.name);
        expect(teacherFitsData(t, t.dataset === 'synthetic' ? 'synthetic' : 'cifar10-starter')).toBe(true);
        expect(teacherFitsData(t, t.dataset === 'synthetic' ? 'cifar10' : 'synthetic')).toBe(false);
      }
    }
    const wider = presetConfig('tiny');
    expect(
      pretrainedTeacherFor({ ...wider, data: 'cifar10', teacher: { ...wider.teacher, dModel: 48 } }),
    ).toBeNull();
    expect(existsSync(path.join(MODELS, 'index.json'))).toBe(true);
  });
});

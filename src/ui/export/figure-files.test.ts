import { describe, expect, it } from 'vitest';
import { figureFileName } from './figure-files';

describe('figureFileName', () => {
  it('names the panel and the step, in a form any file system takes', () => {
    expect(figureFileName('Intra-image (patch × patch, one image)', 120, 'png')).toBe(
      'kd-playground_intra-image-patch-patch-one-image_step-120.png',
    );
    expect(figureFileName('Test accuracy', 7, 'svg')).toBe('kd-playground_test-accuracy_step-7.svg');
  });

  it('leaves the step out before a run and names an untitled panel "figure"', () => {
    expect(figureFileName('Student loss terms', 0, 'svg')).toBe('kd-playground_student-loss-terms.svg');
    expect(figureFileName('×', null, 'png')).toBe('kd-playground_figure.png');
  });
});

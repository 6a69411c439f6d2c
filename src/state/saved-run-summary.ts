/**
 * One line about a saved run's config for the resume offer: preset, data, model sizes and loss
 * weights, the settings that tell two saved runs apart.
 */
import type { RunConfig } from '../engine/spec/config';

const DATA_NAMES: Record<RunConfig['data'], string> = {
  synthetic: 'built-in shapes',
  starter: 'starter set',
  cifar10: 'CIFAR-10',
};

export function describeSavedConfig(config: RunConfig): string {
  const { teacher, student, loss } = config;
  return [
    `${config.preset} preset`,
    DATA_NAMES[config.data],
    `teacher ${teacher.dModel}×${teacher.nLayers}`,
    `student ${student.dModel}×${student.nLayers}`,
    `CE ${loss.wCe} · KD ${loss.wKd} · MD ${loss.wMd}`,
  ].join(', ');
}

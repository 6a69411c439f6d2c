/**
 * The JSON the PyTorch twin reads its defaults, presets, objectives and share-link keys from
 * (tools/torch/mkd/app_spec.json): written from the field table by `npm run docs`, and checked
 * for staleness by scripts/docs.test.ts, so the twin holds no copy of any of them.
 */
import { DEFAULT_CONFIG } from '../../src/engine/spec/config';
import { FIELDS } from '../../src/engine/spec/fields';
import { OBJECTIVES, SCREEN_OBJECTIVES } from '../../src/engine/spec/objectives';
import { PRESETS } from '../../src/engine/spec/presets';

export const TWIN_SPEC_FILE = 'tools/torch/mkd/app_spec.json';

export function twinSpecJson(): string {
  const keyed = FIELDS.filter((f) => f.key);
  const spec = {
    note: 'Written by `npm run docs` from src/engine/spec/ (the field table); edit it there, not here.',
    defaults: DEFAULT_CONFIG,
    presets: Object.fromEntries(PRESETS.map((p) => [p.name, p.layer])),
    objectives: Object.fromEntries(
      [...OBJECTIVES, ...SCREEN_OBJECTIVES].map((o) => [o.id, { title: o.title, loss: o.loss }]),
    ),
    urlKeys: Object.fromEntries(keyed.map((f) => [f.key, f.paths])),
    pathKinds: Object.fromEntries(keyed.flatMap((f) => f.paths.map((p) => [p, f.kind]))),
  };
  return `${JSON.stringify(spec, null, 1)}\n`;
}

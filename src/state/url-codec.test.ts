import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG, type RunConfig } from '../engine/spec/config';
import { runConfigProblems } from '../engine/spec/config-schema';
import { PRESET_NAMES, presetConfig } from '../engine/spec/presets';
import {
  CURRENT_VERSION,
  decodeHash,
  EXPERIMENT_KEY_SPECS,
  encodeHash,
  KEY_SPECS,
  MIGRATIONS,
  URL_KEYS,
} from './url-codec';
import { readUrlState, shareUrl, startUrlSync } from './url-sync';

/** Keys of a hash, in order. */
function keysOf(hash: string): string[] {
  return hash
    .slice(1)
    .split('&')
    .map((p) => p.split('=')[0]!);
}

function paramsOf(hash: string): Record<string, string> {
  return Object.fromEntries(
    hash
      .slice(1)
      .split('&')
      .map((p) => p.split('=') as [string, string]),
  );
}

/** A valid non-default value for every key, as the link writes it, and the fields it sets. */
const VALUES: Record<string, [raw: string, fields: Record<string, unknown>]> = {
  preset: ['tiny', {}],
  seed: ['42', { seed: 42 }],
  data: ['cifar10', { data: 'cifar10' }],
  backend: ['webgpu', { backend: 'webgpu' }],
  patch: ['8', { 'teacher.patchSize': 8, 'student.patchSize': 8 }],
  tDim: ['96', { 'teacher.dModel': 96 }],
  tDepth: ['4', { 'teacher.nLayers': 4 }],
  tHeads: ['8', { 'teacher.nHeads': 8 }],
  tMlp: ['2', { 'teacher.mlpRatio': 2 }],
  sDim: ['32', { 'student.dModel': 32 }],
  sDepth: ['3', { 'student.nLayers': 3 }],
  sHeads: ['4', { 'student.nHeads': 4 }],
  sMlp: ['2.5', { 'student.mlpRatio': 2.5 }],
  sDistill: ['false', { 'student.distillToken': false }],
  lr: ['0.001', { 'optim.lr': 1e-3 }],
  batch: ['32', { 'optim.batch': 32 }],
  steps: ['500', { 'optim.steps': 500 }],
  tSteps: ['1000', { 'optim.teacherSteps': 1000 }],
  warmup: ['50', { 'optim.warmupSteps': 50 }],
  wd: ['0.1', { 'optim.weightDecay': 0.1 }],
  clip: ['0', { 'optim.gradClip': 0 }],
  beta1: ['0.8', { 'optim.beta1': 0.8 }],
  beta2: ['0.99', { 'optim.beta2': 0.99 }],
  eps: ['1e-7', { 'optim.eps': 1e-7 }],
  wCe: ['0.5', { 'loss.wCe': 0.5 }],
  wKd: ['2', { 'loss.wKd': 2 }],
  wMd: ['0.5', { 'loss.wMd': 0.5 }],
  wIntra: ['1', { 'loss.wIntra': 1 }],
  wInter: ['0.5', { 'loss.wInter': 0.5 }],
  wRandom: ['0.3', { 'loss.wRandom': 0.3 }],
  tau: ['4', { 'loss.tau': 4 }],
  kd: ['hard', { 'loss.kd': 'hard' }],
  k: ['64', { 'loss.k': 64 }],
  ls: ['0.1', { 'loss.labelSmoothing': 0.1 }],
  baseline: ['kd-only', { baseline: 'kd-only' }],
  pairs: [
    '0-0_2-3',
    {
      'loss.layerPairs': [
        [0, 0],
        [2, 3],
      ],
    },
  ],
};

/** The config with each dot-path field set; the preset key starts over from tiny's config. */
function withFields(config: RunConfig, fields: Record<string, unknown>): RunConfig {
  const out = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  for (const [path, value] of Object.entries(fields)) {
    const [group, field] = path.split('.') as [string, string | undefined];
    if (field === undefined) (out as Record<string, unknown>)[group] = value;
    else out[group]![field] = value;
  }
  return out as unknown as RunConfig;
}

const CHANGES = Object.fromEntries(
  Object.entries(VALUES).map(([key, [raw, fields]]) => [
    key,
    { raw, change: (c: RunConfig) => withFields(key === 'preset' ? presetConfig('tiny') : c, fields) },
  ]),
);

describe('key table', () => {
  it('has the fixed keys of interfaces.md, each key once', () => {
    const keys = KEY_SPECS.map((s) => s.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of 'preset seed data backend lr batch steps wCe wKd wMd wIntra wInter wRandom tau k kd'.split(
      ' ',
    )) {
      expect(keys).toContain(k);
    }
    expect(KEY_SPECS.find((s) => s.key === 'lr')!.paths).toEqual(['optim.lr']);
    expect(KEY_SPECS.find((s) => s.key === 'kd')!.paths).toEqual(['loss.kd']);
  });

  it('documents every key (URL_KEYS) and this test covers every key', () => {
    expect(URL_KEYS.map((k) => k.key)).toEqual([
      'v',
      ...KEY_SPECS.map((s) => s.key),
      ...EXPERIMENT_KEY_SPECS.map((s) => s.key),
    ]);
    for (const k of URL_KEYS) expect(k.description.length).toBeGreaterThan(5);
    expect(Object.keys(CHANGES).sort()).toEqual(KEY_SPECS.map((s) => s.key).sort());
  });
});

describe('encodeHash', () => {
  it('writes only v, preset and seed for any preset with its own defaults', () => {
    for (const name of PRESET_NAMES) {
      const cfg = presetConfig(name);
      expect(encodeHash(cfg)).toBe(`#v=${CURRENT_VERSION}&preset=${name}&seed=1`);
    }
  });

  it('writes enums by name and numbers compactly', () => {
    const cfg = {
      ...DEFAULT_CONFIG,
      backend: 'wasm' as const,
      loss: { ...DEFAULT_CONFIG.loss, kd: 'hard' as const },
    };
    expect(encodeHash(cfg)).toBe('#v=1&preset=default&seed=1&backend=wasm&kd=hard');
    const lr = { ...DEFAULT_CONFIG, optim: { ...DEFAULT_CONFIG.optim, lr: 3e-4, eps: 1e-10 } };
    expect(paramsOf(encodeHash(lr))).toMatchObject({ lr: '0.0003', eps: '1e-10' });
  });

  it('writes differences from the preset, not from the global defaults', () => {
    // tiny has lr 1e-3; the global default 5e-4 differs from it and must be written.
    const cfg = { ...presetConfig('tiny'), optim: { ...presetConfig('tiny').optim, lr: 5e-4 } };
    expect(encodeHash(cfg)).toBe('#v=1&preset=tiny&seed=1&lr=0.0005');
  });

  it('writes an unknown preset as default plus every difference', () => {
    const cfg = { ...presetConfig('ce-only'), preset: 'custom' };
    const hash = encodeHash(cfg);
    expect(hash).toBe('#v=1&preset=default&seed=1&wCe=1&wKd=0&wMd=0');
    expect(decodeHash(hash).config).toEqual({ ...cfg, preset: 'default' });
  });
});

describe('round trip', () => {
  for (const [key, { raw, change }] of Object.entries(CHANGES)) {
    it(`${key} alone`, () => {
      const cfg = change(presetConfig('default'));
      expect(runConfigProblems(cfg)).toEqual([]);
      const hash = encodeHash(cfg);
      const expected =
        key === 'preset' || key === 'seed' ? ['v', 'preset', 'seed'] : ['v', 'preset', 'seed', key];
      expect(keysOf(hash)).toEqual(expected);
      expect(paramsOf(hash)[key]).toBe(raw);
      const decoded = decodeHash(hash);
      expect(decoded.notices).toEqual([]);
      expect(decoded.config).toEqual(cfg);
    });
  }

  it('every key changed at once', () => {
    let cfg = presetConfig('default');
    for (const [key, { change }] of Object.entries(CHANGES)) if (key !== 'preset') cfg = change(cfg);
    expect(runConfigProblems(cfg)).toEqual([]);
    const hash = encodeHash(cfg);
    expect(keysOf(hash)).toEqual(['v', ...KEY_SPECS.map((s) => s.key)]);
    expect(decodeHash(hash)).toEqual({ config: cfg, experiment: {}, notices: [] });
  });

  it('every key changed over a non-default preset', () => {
    let cfg = presetConfig('tiny');
    for (const [key, { change }] of Object.entries(CHANGES))
      if (key !== 'preset' && key !== 'pairs') cfg = change(cfg);
    cfg = { ...cfg, loss: { ...cfg.loss, layerPairs: [[1, 3]] } };
    expect(runConfigProblems(cfg)).toEqual([]);
    expect(decodeHash(encodeHash(cfg))).toEqual({ config: cfg, experiment: {}, notices: [] });
  });

  it('random valid combinations (seeded)', () => {
    let state = 12345;
    const rand = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const keys = Object.keys(CHANGES);
    let checked = 0;
    for (let trial = 0; trial < 200; trial++) {
      let cfg = presetConfig(PRESET_NAMES[Math.floor(rand() * PRESET_NAMES.length)]!);
      for (const key of keys) if (key !== 'preset' && rand() < 0.3) cfg = CHANGES[key]!.change(cfg);
      cfg = { ...cfg, seed: Math.floor(rand() * 2 ** 31), optim: { ...cfg.optim, lr: rand() / 100 } };
      if (runConfigProblems(cfg).length) continue;
      checked++;
      expect(decodeHash(encodeHash(cfg))).toEqual({ config: cfg, experiment: {}, notices: [] });
    }
    expect(checked).toBeGreaterThan(50);
  });
});

describe('decodeHash', () => {
  it('empty hash gives the defaults with no notices', () => {
    for (const h of ['', '#', '#v=1'])
      expect(decodeHash(h)).toEqual({ config: presetConfig('default'), experiment: {}, notices: [] });
  });

  it('a preset is the base layer the URL overrides', () => {
    const { config, notices } = decodeHash('#preset=tiny&lr=0.01&v=1');
    expect(notices).toEqual([]);
    const tiny = presetConfig('tiny');
    expect(config).toEqual({ ...tiny, optim: { ...tiny.optim, lr: 0.01 } });
    expect(config.teacher.patchSize).toBe(8);
  });

  it('reads enums by name', () => {
    const { config } = decodeHash('#v=1&kd=hard&backend=webgl&data=cifar10&sDistill=true');
    expect(config.loss.kd).toBe('hard');
    expect(config.backend).toBe('webgl');
    expect(config.data).toBe('cifar10');
  });

  it('ignores unknown keys with a notice', () => {
    const { config, notices } = decodeHash('#v=1&foo=3&lr=0.002');
    expect(notices).toEqual(["ignored unknown setting 'foo'"]);
    expect(config.optim.lr).toBe(0.002);
  });

  it('an unknown preset falls back to default with a notice', () => {
    const { config, notices } = decodeHash('#v=1&preset=huge&wKd=3');
    expect(config).toEqual({ ...presetConfig('default'), loss: { ...presetConfig('default').loss, wKd: 3 } });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain("unknown preset 'huge'");
  });

  it.each([
    ['lr', 'abc', 'optim', 'lr'],
    ['lr', '2', 'optim', 'lr'],
    ['lr', '', 'optim', 'lr'],
    ['lr', '0x10', 'optim', 'lr'],
    ['batch', '-3', 'optim', 'batch'],
    ['steps', '1.5', 'optim', 'steps'],
    ['kd', 'medium', 'loss', 'kd'],
    ['tau', 'Infinity', 'loss', 'tau'],
    ['wCe', '-1', 'loss', 'wCe'],
    ['sDistill', 'maybe', 'student', 'distillToken'],
    ['pairs', '0-0_x', 'loss', 'layerPairs'],
    ['pairs', '0-30', 'loss', 'layerPairs'],
  ] as const)('%s=%s is reported and replaced by the default', (key, raw, group, field) => {
    const { config, notices } = decodeHash(`#v=1&preset=tiny&${key}=${encodeURIComponent(raw)}&wKd=2`);
    const tiny = presetConfig('tiny');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(`${key}='${raw}'`);
    expect(notices[0]).toContain('kept the default');
    expect((config[group] as unknown as Record<string, unknown>)[field]).toEqual(
      (tiny[group] as unknown as Record<string, unknown>)[field],
    );
    expect(config.loss.wKd).toBe(2);
    expect(runConfigProblems(config)).toEqual([]);
  });

  it('an unknown backend is reported and the default kept', () => {
    const { config, notices } = decodeHash('#v=1&backend=metal');
    expect(config.backend).toBe('auto');
    expect(notices).toEqual([
      "ignored backend='metal' (not one of auto, webgpu, webgl, wasm, cpu); kept the default auto",
    ]);
  });

  it('a bad seed keeps the default seed', () => {
    const { config, notices } = decodeHash('#v=1&seed=-1');
    expect(config.seed).toBe(1);
    expect(notices[0]).toContain("seed='-1'");
  });

  it('K larger than batch x patches is reported and repaired', () => {
    const { config, notices } = decodeHash('#v=1&k=5000');
    expect(config.loss.k).toBe(192);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      /^ignored k='5000' \(K = 5000 exceeds the 4096 patch tokens.*kept the default 192$/,
    );
    expect(runConfigProblems(config)).toEqual([]);
  });

  it('a small batch that makes K too large gives up the later key only', () => {
    // 8 x 64 = 512 tokens < K 1000; reverting k (after batch in the table) fixes it.
    const { config, notices } = decodeHash('#v=1&batch=8&k=1000');
    expect(config.optim.batch).toBe(8);
    expect(config.loss.k).toBe(192);
    expect(notices).toHaveLength(1);
    expect(runConfigProblems(config)).toEqual([]);
  });

  it('reverts batch when reverting K alone does not help', () => {
    // batch 2 x 64 = 128 tokens: neither K 1000 nor the default 192 fits; batch must go back.
    const { config, notices } = decodeHash('#v=1&batch=2&k=1000');
    expect(runConfigProblems(config)).toEqual([]);
    expect(config.optim.batch).toBe(64);
    expect(config.loss.k).toBe(1000);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain("batch='2'");
  });

  it('layer pairs beyond the depth are reported and repaired', () => {
    const { config, notices } = decodeHash('#v=1&preset=tiny&pairs=0-0_3-1&lr=0.01');
    expect(config.loss.layerPairs).toEqual([]);
    expect(config.optim.lr).toBe(0.01);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain("pairs='0-0_3-1'");
    expect(notices[0]).toContain('the student has 2');
    expect(runConfigProblems(config)).toEqual([]);
  });

  it('keeps pairs and depth that fit together', () => {
    const { config, notices } = decodeHash('#v=1&sDepth=3&tDepth=4&pairs=0-0_2-3');
    expect(notices).toEqual([]);
    expect(config.loss.layerPairs).toEqual([
      [0, 0],
      [2, 3],
    ]);
  });

  it('a patch that does not divide the image is repaired', () => {
    const { config, notices } = decodeHash('#v=1&patch=5');
    expect(config.teacher.patchSize).toBe(4);
    expect(config.student.patchSize).toBe(4);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain("patch='5'");
  });

  it('conflicts no single revert fixes are still repaired', () => {
    // 30 is not a multiple of 7, nor of the default 4, nor is 128 of 7: both keys go.
    const { config, notices } = decodeHash('#v=1&tDim=30&tHeads=7&lr=0.002');
    expect(runConfigProblems(config)).toEqual([]);
    expect(config.optim.lr).toBe(0.002);
    expect(config.teacher).toMatchObject({ dModel: 128, nHeads: 4 });
    expect(notices).toHaveLength(2);
    expect(notices[0]).toContain("tDim='30'");
    expect(notices[1]).toContain("tHeads='7'");
  });

  it('warmup longer than steps is the key refused, with its reason; steps is kept', () => {
    const { config, notices } = decodeHash('#v=1&steps=50&warmup=80');
    // The default warmup (100) does not fit 50 steps either: it shrinks to the steps.
    expect(config.optim).toMatchObject({ steps: 50, warmupSteps: 50 });
    expect(runConfigProblems(config)).toEqual([]);
    expect(notices).toEqual(["ignored warmup='80' (warmupSteps 80 exceeds steps 50); kept the default 50"]);
  });

  it("a short run keeps its steps: the preset's longer warmup shrinks to fit, without a notice", () => {
    const { config, notices } = decodeHash('#v=1&preset=tiny&steps=10');
    expect(config.optim).toMatchObject({ steps: 10, warmupSteps: 10 });
    expect(notices).toEqual([]);
    // The link that page writes back reads the same.
    expect(decodeHash(encodeHash(config)).config).toEqual(config);
  });

  it('reports unreadable URL text and still reads the rest', () => {
    const { config, notices } = decodeHash('#v=1&lr=%E0%A4%A&wKd=3');
    expect(config.loss.wKd).toBe(3);
    expect(notices).toHaveLength(1);
  });

  it('uses the last of a repeated key, with a notice', () => {
    const { config, notices } = decodeHash('#v=1&lr=0.1&lr=0.2');
    expect(config.optim.lr).toBe(0.2);
    expect(notices).toHaveLength(1);
  });
});

describe('versions', () => {
  it('migrates a v0 link (alpha, beta → wKd, wMd)', () => {
    expect(MIGRATIONS[0]).toBeTypeOf('function');
    const { config, notices } = decodeHash('#v=0&preset=kd-only&alpha=0.5&beta=2&tau=3');
    expect(notices).toEqual([]);
    expect(config.loss).toMatchObject({ wKd: 0.5, wMd: 2, tau: 3 });
    expect(encodeHash(config)).toBe('#v=1&preset=kd-only&seed=1&wKd=0.5&wMd=2&tau=3');
  });

  it('does not migrate alpha in a current link', () => {
    const { config, notices } = decodeHash('#v=1&alpha=0.5');
    expect(config.loss.wKd).toBe(1);
    expect(notices).toEqual(["ignored unknown setting 'alpha'"]);
  });

  it('reads a newer link with a notice', () => {
    const { config, notices } = decodeHash('#v=7&lr=0.002&newThing=1');
    expect(config.optim.lr).toBe(0.002);
    expect(notices).toContain('this link was made by a newer version (v=7); some settings may be ignored');
    expect(notices).toContain("ignored unknown setting 'newThing'");
  });

  it('notices a missing or unreadable version on a non-empty link', () => {
    const missing = decodeHash('#lr=0.002');
    expect(missing.config.optim.lr).toBe(0.002);
    expect(missing.notices).toHaveLength(1);
    expect(missing.notices[0]).toContain('no version');
    const bad = decodeHash('#v=one&lr=0.002');
    expect(bad.config.optim.lr).toBe(0.002);
    expect(bad.notices).toHaveLength(1);
  });
});

describe('url-sync (with a stand-in window)', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  /** Just enough of window for url-sync: location, history.replaceState and events. */
  function fakeWindow(start: string) {
    let href = start;
    const writes: string[] = [];
    const listeners = new Map<string, () => void>();
    const location = {
      get href() {
        return href;
      },
      get hash() {
        const i = href.indexOf('#');
        return i < 0 || i === href.length - 1 ? '' : href.slice(i);
      },
      set hash(_: string) {
        throw new Error('location.hash must not be assigned');
      },
    };
    const history = {
      state: null,
      replaceState(_state: unknown, _title: string, url: string) {
        href = url;
        writes.push(url);
      },
    };
    const win = {
      location,
      history,
      addEventListener: (type: string, fn: () => void) => listeners.set(type, fn),
      removeEventListener: (type: string) => listeners.delete(type),
    };
    vi.stubGlobal('window', win);
    return { writes, listeners };
  }

  it('reads the hash, shares a full URL, and writes debounced, only on change', () => {
    vi.useFakeTimers();
    const { writes, listeners } = fakeWindow('https://example.org/kd/?x=1#v=1&preset=tiny&lr=0.01');
    const { config, notices } = readUrlState();
    expect(notices).toEqual([]);
    expect(config.optim.lr).toBe(0.01);
    expect(shareUrl(config)).toBe('https://example.org/kd/?x=1#v=1&preset=tiny&seed=1&lr=0.01');

    let listener: (c: RunConfig) => void = () => {};
    const stop = startUrlSync((l) => {
      listener = l;
      return () => {
        listener = () => {};
      };
    });
    const withLr = (lr: number) => ({ ...config, optim: { ...config.optim, lr } });
    listener(withLr(0.02));
    listener(withLr(0.03));
    vi.advanceTimersByTime(100);
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(300);
    expect(writes).toEqual(['https://example.org/kd/?x=1#v=1&preset=tiny&seed=1&lr=0.03']);
    listener(withLr(0.03));
    vi.advanceTimersByTime(300);
    expect(writes).toHaveLength(1);
    listener(withLr(0.04));
    listeners.get('pagehide')!();
    expect(writes).toHaveLength(2);
    listener(withLr(0.05));
    stop();
    expect(writes).toHaveLength(3);
    expect(listeners.has('pagehide')).toBe(false);
    listener(withLr(0.06));
    vi.advanceTimersByTime(300);
    expect(writes).toHaveLength(3);
  });
});

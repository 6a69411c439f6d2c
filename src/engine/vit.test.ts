import { beforeAll, describe, expect, it } from 'vitest';
import { tryBackend } from './backend';
import type { VitConfig } from './spec/config';
import {
  gaussian,
  maxAbsDiff,
  mulberry32,
  scoped,
  snapshot,
  TINY_STUDENT,
  TINY_TEACHER,
  uniform,
} from './test-utils';
import * as tf from './tf';
import { countParameters, estimateTrainingBytes, patchify, Vit } from './vit';

beforeAll(async () => {
  const problem = await tryBackend('cpu');
  if (problem) throw new Error(problem);
});

/** Parameter count of a DeiT-style ViT, derived from the architecture (not from the engine). */
function handCount(cfg: VitConfig): number {
  const { patchSize: p, channels: c, dModel: d, nLayers, numClasses: k } = cfg;
  const h = cfg.mlpRatio * d;
  const n = (cfg.imageSize / p) ** 2;
  const prefix = cfg.distillToken ? 2 : 1;
  const patchEmbed = p * p * c * d + d;
  const cls = d;
  const dist = cfg.distillToken ? d : 0;
  const pos = (prefix + n) * d;
  const ln = 2 * d;
  const qkv = d * 3 * d + 3 * d;
  const proj = d * d + d;
  const fc1 = d * h + h;
  const fc2 = h * d + d;
  const perBlock = ln + qkv + proj + ln + fc1 + fc2;
  const finalLn = 2 * d;
  const head = d * k + k;
  const heads = cfg.distillToken ? 2 * head : head;
  return patchEmbed + cls + dist + pos + nLayers * perBlock + finalLn + heads;
}

function images(seed: number, cfg: VitConfig, batch: number): tf.Tensor4D {
  const s = cfg.imageSize;
  return tf.tensor4d(uniform(mulberry32(seed), batch * s * s * cfg.channels), [batch, s, s, cfg.channels]);
}

describe('Vit forward shapes', () => {
  // 16 patches of 4 x 4 in a 16 x 16 image, after the cls token and, when set, the distillation token.
  it.each([
    {
      tokens: 'no distillation token',
      cfg: { ...TINY_TEACHER, nLayers: 3 },
      batch: 4,
      dist: undefined,
      block: [4, 1 + 16, 32],
    },
    {
      tokens: 'a distillation token',
      cfg: TINY_STUDENT,
      batch: 5,
      dist: [5, TINY_STUDENT.numClasses],
      block: [5, 2 + 16, 16],
    },
  ])(
    'returns logits [B, classes], distillation logits [B, classes] only with a distillation token, and a [B, prefix + N, D] output per block ($tokens)',
    ({ cfg, batch, dist, block }) => {
      const vit = Vit.create(cfg, 1);
      const x = images(batch, cfg, batch);
      const shapes = scoped(() => {
        const out = vit.apply(x);
        return {
          logits: out.logits.shape,
          dist: out.distLogits?.shape,
          blocks: out.blocks.map((b) => b.shape),
        };
      });
      expect(shapes).toEqual({
        logits: [batch, cfg.numClasses],
        dist,
        blocks: Array(cfg.nLayers).fill(block),
      });
      x.dispose();
      vit.dispose();
    },
  );

  it('patchTokens drops exactly the one cls token, or the cls and distillation tokens', () => {
    for (const cfg of [TINY_TEACHER, TINY_STUDENT]) {
      const prefix = cfg.distillToken ? 2 : 1;
      const vit = Vit.create(cfg, 3);
      const x = images(3, cfg, 2);
      const [full, patches] = scoped(() => {
        const block = vit.apply(x).blocks[1]!;
        return [block.arraySync(), vit.patchTokens(block).arraySync()];
      });
      expect(patches.map((img) => img.length)).toEqual([16, 16]);
      expect(patches).toEqual(full.map((img) => img.slice(prefix)));
      x.dispose();
      vit.dispose();
    }
  });

  it('predictLogits averages the cls and distillation heads (DeiT) and is the cls head alone otherwise', () => {
    for (const cfg of [TINY_TEACHER, TINY_STUDENT]) {
      const vit = Vit.create(cfg, 4);
      const x = images(4, cfg, 3);
      const { pred, logits, dist } = scoped(() => {
        const out = vit.apply(x);
        return {
          pred: vit.predictLogits(out).arraySync(),
          logits: out.logits.arraySync(),
          dist: out.distLogits?.arraySync() ?? null,
        };
      });
      const expected = logits.map((row, b) => row.map((v, j) => (dist ? (v + dist[b]![j]!) / 2 : v)));
      expect(maxAbsDiff(pred.flat(), expected.flat())).toBeLessThan(1e-6);
      x.dispose();
      vit.dispose();
    }
  });

  it('apply inside tf.tidy leaves no tensors behind, and dispose frees every variable', () => {
    const before = tf.memory().numTensors;
    const vit = Vit.create(TINY_STUDENT, 5);
    const x = images(5, TINY_STUDENT, 2);
    const withModel = tf.memory().numTensors;
    tf.tidy(() => {
      vit.apply(x);
    });
    expect(tf.memory().numTensors).toBe(withModel);
    x.dispose();
    vit.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('Vit parameters', () => {
  const configs: VitConfig[] = [
    TINY_TEACHER,
    TINY_STUDENT,
    { ...TINY_TEACHER, channels: 1, mlpRatio: 4, numClasses: 7, nLayers: 1 },
    { ...TINY_STUDENT, imageSize: 12, patchSize: 3, dModel: 24, nHeads: 3, nLayers: 3 },
  ];

  it('parameterCount equals countParameters and an architecture-derived count', () => {
    for (const cfg of configs) {
      const vit = Vit.create(cfg, 1);
      expect(vit.parameterCount()).toBe(handCount(cfg));
      expect(countParameters(cfg)).toBe(handCount(cfg));
      vit.dispose();
    }
  });

  it('names are unique and weight decay applies exactly to the weight matrices (rank 2 kernels and the patch kernel)', () => {
    const vit = Vit.create(TINY_STUDENT, 1);
    const named = vit.namedVariables();
    expect(new Set(named.map((p) => p.name)).size).toBe(named.length);
    for (const p of named) {
      // Tokens and position embedding are rank 3, biases and norms rank 1: none of them decays.
      const isMatrix = p.variable.rank === 2 || p.variable.rank === 4;
      expect({ name: p.name, decay: p.decay }).toEqual({ name: p.name, decay: isMatrix });
    }
    vit.dispose();
  });

  it('the same seed gives identical weights and a different seed gives different random weights', () => {
    const a = Vit.create(TINY_STUDENT, 21);
    const b = Vit.create(TINY_STUDENT, 21);
    const c = Vit.create(TINY_STUDENT, 22);
    expect(b.namedVariables().map((p) => p.name)).toEqual(a.namedVariables().map((p) => p.name));
    expect(snapshot(b.variables())).toEqual(snapshot(a.variables()));
    const va = snapshot(a.variables());
    const vc = snapshot(c.variables());
    a.namedVariables().forEach((p, i) => {
      // Constant-initialised tensors (biases, norms) agree; every random one must differ.
      const random = p.variable.rank >= 2;
      const differs = va[i]!.some((v, j) => v !== vc[i]![j]);
      expect({ name: p.name, differs }).toEqual({ name: p.name, differs: random });
    });
    for (const m of [a, b, c]) m.dispose();
  });

  it('initialises matrices, tokens and position embedding with small values of std about 0.02, biases at 0 and norm scales at 1', () => {
    const vit = Vit.create(TINY_TEACHER, 8);
    const random: number[] = [];
    for (const p of vit.namedVariables()) {
      const values = Array.from(p.variable.dataSync());
      if (p.variable.rank >= 2) random.push(...values);
      else if (p.name.endsWith('gamma')) expect(new Set(values)).toEqual(new Set([1]));
      else expect(new Set(values)).toEqual(new Set([0]));
    }
    const mean = random.reduce((s, v) => s + v, 0) / random.length;
    const std = Math.sqrt(random.reduce((s, v) => s + (v - mean) ** 2, 0) / random.length);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    // trunc_normal(std=.02): 0.02 untruncated, 0.0176 when cut at two standard deviations.
    expect(std).toBeGreaterThan(0.016);
    expect(std).toBeLessThan(0.022);
    expect(Math.max(...random.map(Math.abs))).toBeLessThan(0.1);
    vit.dispose();
  });
});

describe('Vit forward against independent references', () => {
  it('with zeroed residual branches, every block output is tf.conv2d patch embedding plus bias, with cls and distillation tokens in front, plus position embedding', () => {
    const cfg = TINY_STUDENT;
    const vit = Vit.create(cfg, 9);
    const p = vit.params;
    const rng = mulberry32(9);
    // A non-zero patch bias, so that its placement is checked too.
    p.patchB.assign(tf.tensor1d(gaussian(rng, cfg.dModel, 0.5)));
    // Zero output projections make x + attn(LN(x)) and x + mlp(LN(x)) the identity.
    for (const b of p.blocks) {
      for (const v of [b.projW, b.projB, b.fc2W, b.fc2B]) v.assign(tf.zerosLike(v));
    }
    const batch = 3;
    const x = images(10, cfg, batch);
    const n = 16;
    const d = cfg.dModel;
    const conv = scoped(() =>
      tf
        .conv2d(x, p.patchW as tf.Tensor4D, cfg.patchSize, 'valid')
        .reshape([batch, n, d])
        .arraySync(),
    ) as number[][][];
    const cls = Array.from(p.clsToken.dataSync());
    const dist = Array.from(p.distToken!.dataSync());
    const bias = Array.from(p.patchB.dataSync());
    const pos = p.posEmbed.arraySync() as number[][][];
    const expected = conv.map((patches) => [
      cls.map((v, j) => v + pos[0]![0]![j]!),
      dist.map((v, j) => v + pos[0]![1]![j]!),
      ...patches.map((row, i) => row.map((v, j) => v + bias[j]! + pos[0]![2 + i]![j]!)),
    ]);
    const blocks = scoped(() => vit.apply(x).blocks.map((b) => b.arraySync()));
    expect(blocks).toHaveLength(cfg.nLayers);
    for (const block of blocks) expect(maxAbsDiff(block.flat(2), expected.flat(2))).toBeLessThan(1e-5);
    x.dispose();
    vit.dispose();
  });

  it('matches a float64 plain-loop forward pass: pre-norm blocks, timm qkv head layout, exact GELU, final LayerNorm, heads on tokens 0 and 1', () => {
    const cfg: VitConfig = { ...TINY_STUDENT, dModel: 16, nHeads: 2, mlpRatio: 2, nLayers: 2 };
    const vit = Vit.create(cfg, 12);
    const rng = mulberry32(12);
    // Replace every weight with values large enough that attention is far from uniform, and
    // give norms and biases non-trivial values, so a wrong layout or a missing term shows.
    for (const { name, variable } of vit.namedVariables()) {
      let values: Float32Array;
      if (name.endsWith('gamma')) values = gaussian(rng, variable.size, 0.2).map((v) => 1 + v);
      else if (variable.rank === 1) values = gaussian(rng, variable.size, 0.1);
      else if (variable.rank === 3) values = gaussian(rng, variable.size, 0.5);
      else {
        const fanIn = variable.size / variable.shape[variable.rank - 1]!;
        values = gaussian(rng, variable.size, 1.2 / Math.sqrt(fanIn));
      }
      variable.assign(tf.tensor(values, variable.shape));
    }
    const batch = 2;
    const x = images(13, cfg, batch);
    const ref = referenceForward(vit, cfg, x.dataSync() as Float32Array, batch);
    const got = scoped(() => {
      const out = vit.apply(x);
      return {
        logits: out.logits.dataSync().slice(),
        dist: out.distLogits!.dataSync().slice(),
        blocks: out.blocks.map((b) => b.dataSync().slice()),
      };
    });
    const scale = (a: ArrayLike<number>) => Math.max(1, ...Array.from(a, Math.abs));
    got.blocks.forEach((b, i) => {
      expect(maxAbsDiff(b, ref.blocks[i]!)).toBeLessThan(2e-5 * scale(ref.blocks[i]!));
    });
    expect(maxAbsDiff(got.logits, ref.logits)).toBeLessThan(2e-5 * scale(ref.logits));
    expect(maxAbsDiff(got.dist, ref.dist)).toBeLessThan(2e-5 * scale(ref.dist));
    // The attention is really non-uniform here, so the comparison is discriminating.
    expect(ref.maxAttention).toBeGreaterThan(0.5);
    x.dispose();
    vit.dispose();
  });
});

describe('Vit input and config validation', () => {
  it('a wrong image shape throws a message naming the expected and the actual shape', () => {
    const vit = Vit.create(TINY_TEACHER, 1);
    const wrongSize = tf.zeros([2, 8, 8, 3]) as tf.Tensor4D;
    const wrongChannels = tf.zeros([2, 16, 16, 1]) as tf.Tensor4D;
    expect(() => vit.apply(wrongSize)).toThrow(/16, 16, 3.*2,\s*8,\s*8,\s*3/);
    expect(() => vit.apply(wrongChannels)).toThrow(/16, 16, 3.*2,\s*16,\s*16,\s*1/);
    tf.dispose([wrongSize, wrongChannels]);
    vit.dispose();
  });

  it('an invalid config throws before building anything, naming the problem', () => {
    const before = tf.memory().numTensors;
    expect(() => Vit.create({ ...TINY_TEACHER, dModel: 30, nHeads: 4 }, 1)).toThrow(/dModel 30.*nHeads 4/);
    expect(() => Vit.create({ ...TINY_TEACHER, imageSize: 18, patchSize: 4 }, 1)).toThrow(
      /imageSize 18.*patchSize 4/,
    );
    expect(() => Vit.create({ ...TINY_TEACHER, nLayers: 0 }, 1)).toThrow(/nLayers/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('estimateTrainingBytes grows with the batch and exceeds 16 bytes per parameter (weights, gradients, two moments)', () => {
    for (const cfg of [TINY_TEACHER, TINY_STUDENT]) {
      const params = handCount(cfg);
      let previous = 0;
      for (const batch of [1, 2, 8, 64]) {
        const bytes = estimateTrainingBytes(cfg, batch);
        expect(bytes).toBeGreaterThan(16 * params);
        expect(bytes).toBeGreaterThan(previous);
        previous = bytes;
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Float64 reference forward pass, written from the DeiT / timm architecture with plain loops.
// Reads the engine's weights as data; uses none of its ops.
// ---------------------------------------------------------------------------------------------

interface Reference {
  logits: Float64Array;
  dist: Float64Array;
  blocks: Float64Array[];
  maxAttention: number;
}

const f64 = (v: tf.Tensor | null): Float64Array => Float64Array.from(v!.dataSync());

/** x [rows, inD] @ w [inD, outD] + b [outD]. */
function linearRef(
  x: Float64Array,
  rows: number,
  inD: number,
  w: Float64Array,
  b: Float64Array,
): Float64Array {
  const outD = b.length;
  const out = new Float64Array(rows * outD);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outD; o++) {
      let s = b[o]!;
      for (let i = 0; i < inD; i++) s += x[r * inD + i]! * w[i * outD + o]!;
      out[r * outD + o] = s;
    }
  }
  return out;
}

/** LayerNorm over the last axis with biased variance and eps 1e-6 (timm's ViT). */
function layerNormRef(x: Float64Array, rows: number, d: number, gamma: Float64Array, beta: Float64Array) {
  const out = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let i = 0; i < d; i++) mean += x[r * d + i]!;
    mean /= d;
    let variance = 0;
    for (let i = 0; i < d; i++) variance += (x[r * d + i]! - mean) ** 2;
    variance /= d;
    const inv = 1 / Math.sqrt(variance + 1e-6);
    for (let i = 0; i < d; i++) out[r * d + i] = (x[r * d + i]! - mean) * inv * gamma[i]! + beta[i]!;
  }
  return out;
}

/** erf by its Taylor series (accurate to ~1e-10 for |x| <= 4; |erf| = 1 within 2e-8 beyond). */
function erf(x: number): number {
  if (Math.abs(x) > 4) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

function referenceForward(vit: Vit, cfg: VitConfig, img: Float32Array, batch: number): Reference {
  const p = vit.params;
  const { imageSize: size, patchSize: ps, channels: c, dModel: d, nHeads } = cfg;
  const grid = size / ps;
  const n = grid * grid;
  const prefix = cfg.distillToken ? 2 : 1;
  const t = prefix + n;
  const dh = d / nHeads;
  const patchW = f64(p.patchW);
  const patchB = f64(p.patchB);
  const pos = f64(p.posEmbed);
  const prefixTokens = [f64(p.clsToken), ...(p.distToken ? [f64(p.distToken)] : [])];
  const blocks: Float64Array[] = [];
  const logits: number[] = [];
  const dist: number[] = [];
  let maxAttention = 0;

  for (let b = 0; b < batch; b++) {
    // Token sequence [T, D]: prefix tokens, then patches row-major over the grid, plus position.
    const x = new Float64Array(t * d);
    prefixTokens.forEach((tok, i) => {
      for (let j = 0; j < d; j++) x[i * d + j] = tok[j]!;
    });
    for (let gi = 0; gi < grid; gi++) {
      for (let gj = 0; gj < grid; gj++) {
        const row = prefix + gi * grid + gj;
        for (let o = 0; o < d; o++) {
          let s = patchB[o]!;
          for (let pi = 0; pi < ps; pi++) {
            for (let pj = 0; pj < ps; pj++) {
              for (let ch = 0; ch < c; ch++) {
                const pixel = img[((b * size + gi * ps + pi) * size + gj * ps + pj) * c + ch]!;
                s += pixel * patchW[((pi * ps + pj) * c + ch) * d + o]!;
              }
            }
          }
          x[row * d + o] = s;
        }
      }
    }
    for (let i = 0; i < t * d; i++) x[i]! += pos[i]!;

    p.blocks.forEach((blk, layer) => {
      // Attention: qkv columns are [q | k | v], each split into heads of width dh (timm).
      const h = layerNormRef(x, t, d, f64(blk.ln1Gamma), f64(blk.ln1Beta));
      const qkv = linearRef(h, t, d, f64(blk.qkvW), f64(blk.qkvB)); // [T, 3D]
      const merged = new Float64Array(t * d);
      for (let head = 0; head < nHeads; head++) {
        for (let i = 0; i < t; i++) {
          const scores = new Float64Array(t);
          for (let u = 0; u < t; u++) {
            let s = 0;
            for (let j = 0; j < dh; j++)
              s += qkv[i * 3 * d + head * dh + j]! * qkv[u * 3 * d + d + head * dh + j]!;
            scores[u] = s / Math.sqrt(dh);
          }
          const top = Math.max(...scores);
          let z = 0;
          for (let u = 0; u < t; u++) z += Math.exp(scores[u]! - top);
          for (let u = 0; u < t; u++) {
            const a = Math.exp(scores[u]! - top) / z;
            maxAttention = Math.max(maxAttention, a);
            for (let j = 0; j < dh; j++)
              merged[i * d + head * dh + j]! += a * qkv[u * 3 * d + 2 * d + head * dh + j]!;
          }
        }
      }
      const attn = linearRef(merged, t, d, f64(blk.projW), f64(blk.projB));
      for (let i = 0; i < t * d; i++) x[i]! += attn[i]!;
      // MLP with exact GELU.
      const h2 = layerNormRef(x, t, d, f64(blk.ln2Gamma), f64(blk.ln2Beta));
      const hidden = linearRef(h2, t, d, f64(blk.fc1W), f64(blk.fc1B));
      const act = hidden.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
      const mlp = linearRef(act, t, hidden.length / t, f64(blk.fc2W), f64(blk.fc2B));
      for (let i = 0; i < t * d; i++) x[i]! += mlp[i]!;
      if (!blocks[layer]) blocks[layer] = new Float64Array(batch * t * d);
      blocks[layer].set(x, b * t * d);
    });

    const out = layerNormRef(x, t, d, f64(p.normGamma), f64(p.normBeta));
    logits.push(...linearRef(out.subarray(0, d), 1, d, f64(p.headW), f64(p.headB)));
    if (p.distHeadW)
      dist.push(...linearRef(out.subarray(d, 2 * d), 1, d, f64(p.distHeadW), f64(p.distHeadB)));
  }
  return { logits: Float64Array.from(logits), dist: Float64Array.from(dist), blocks, maxAttention };
}

describe('Vit shared patches', () => {
  it("takes the images' patches cut by another model of the same patch size: the same outputs as cutting them itself", () => {
    const cfg: VitConfig = { ...TINY_STUDENT, nLayers: 2 };
    const vit = Vit.create(cfg, 3);
    const x = images(4, cfg, 3);
    const [own, shared] = scoped(() => {
      const a = vit.apply(x, { stepKind: 'fast' });
      const b = vit.apply(x, { stepKind: 'fast', patches: patchify(x, cfg.patchSize) });
      const read = (ts: tf.Tensor[]) => ts.map((t) => Float32Array.from(t.dataSync()));
      return [read([a.logits, ...a.blocks]), read([b.logits, ...b.blocks])];
    });
    for (const [i, t] of own.entries()) expect(maxAbsDiff(t, shared[i]!)).toBe(0);
    vit.dispose();
    x.dispose();
  });

  it('refuses patches of another patch size, naming both shapes', () => {
    const cfg: VitConfig = { ...TINY_STUDENT, nLayers: 1 };
    const vit = Vit.create(cfg, 3);
    const x = images(5, cfg, 2);
    // TINY_STUDENT: 16 x 16 images in 4 x 4 patches (16 of 48 values), cut here as 8 x 8.
    expect(() =>
      scoped(() => vit.apply(x, { stepKind: 'fast', patches: patchify(x, 8) }).logits.shape),
    ).toThrow(/ViT expects patches \[2,16,48\] for images \[2,16,16,3\], got \[2,4,192\]/);
    vit.dispose();
    x.dispose();
  });
});

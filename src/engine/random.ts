/**
 * Seeded random numbers on the CPU. One seed drives weight init, data order, augmentation
 * and the random-sampled token indices, so a run is reproducible and identical on every
 * backend (tf.random* ops differ by backend; these do not).
 */
import seedrandom from 'seedrandom';

/** A uniform [0, 1) generator. */
export type Rng = () => number;

/** A generator whose position can be saved in a checkpoint and restored exactly. */
export interface StatefulRng extends Rng {
  state(): object;
}

/** A uniform [0, 1) generator; `stream` derives independent generators from one seed. */
export function makeRng(seed: number, stream = ''): StatefulRng {
  return seedrandom.alea(`${seed}/${stream}`, { state: true }) as unknown as StatefulRng;
}

/** A generator continuing exactly where the one that produced `state` was. */
export function restoreRng(state: object): StatefulRng {
  return seedrandom.alea('', { state: state as seedrandom.State.Alea }) as unknown as StatefulRng;
}

/** Standard normal samples (Box-Muller), redrawn outside [-2, 2] like timm's trunc_normal_. */
export function truncatedNormal(n: number, std: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  let i = 0;
  while (i < n) {
    const u = 1 - rng(); // (0, 1]: log(0) would be -Infinity
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    for (const z of [r * Math.cos(2 * Math.PI * v), r * Math.sin(2 * Math.PI * v)]) {
      if (i < n && Math.abs(z) <= 2) out[i++] = z * std;
    }
  }
  return out;
}

/** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, rng: Rng): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/** A Beta(a, a) sample (for mixup), via two Gamma(a) draws (Marsaglia-Tsang). */
export function betaSample(a: number, rng: Rng): number {
  const x = gammaSample(a, rng);
  const y = gammaSample(a, rng);
  return x / (x + y);
}

function gammaSample(shape: number, rng: Rng): number {
  if (shape < 1) return gammaSample(shape + 1, rng) * (1 - rng()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      const u1 = 1 - rng();
      const u2 = rng();
      x = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

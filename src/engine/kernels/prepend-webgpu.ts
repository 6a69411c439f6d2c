/**
 * The forward of the fast step's token embedding (prepend-tokens.ts) as one WGSL kernel:
 * out[b, t] = (t < P ? token t : patches[b, t - P]) + pos[t], one thread per entry. The
 * plain version is a tile per token, a concat and an add (four dispatches with two tokens).
 * Its gradient is prependTokens' own (a column sum and slices), so the kernel has none.
 */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { KERNELS } from './fused-ops';
import { program, registerMulti } from './webgpu-program';

/** Inputs X (patches [B, N, D]), POS ([1, P + N, D]), then the P tokens T0, T1 ([1, 1, D]). */
function prependProgram([b, n, d]: number[], tokens: number): WebGPUProgram {
  const t = tokens + n!;
  const size = b! * t * d!;
  const names = Array.from({ length: tokens }, (_, i) => `T${i}`);
  // A branch per token, written out: the bindings differ with the token count.
  const pick = names.map((name, i) => `if (tok == ${i}) { v = ${name}[c]; }`).join(' else ');
  return program(
    `kd_prepend_${b}_${n}_${d}_${tokens}`,
    ['X', 'POS', ...names],
    [b!, t, d!],
    size,
    `
const SIZE : i32 = ${size}; const N : i32 = ${n}; const D : i32 = ${d}; const T : i32 = ${t}; const P : i32 = ${tokens};
fn main(i : i32) {
  if (i >= SIZE) { return; }
  let c = i % D;
  let tok = (i / D) % T;
  let img = i / (D * T);
  var v = 0.0;
  if (tok < P) { ${pick} } else { v = X[(img * N + tok - P) * D + c]; }
  setOutputAtIndex(i, v + POS[tok * D + c]);
}`,
    { serialSteps: 0, flops: size },
  );
}

/** Registers KdPrependTokens (called by webgpu.ts): inputs X, POS, T0 and, with two tokens, T1. */
export function registerPrependKernel(): void {
  for (const tokens of [1, 2]) {
    const order = ['X', 'POS', ...Array.from({ length: tokens }, (_, i) => `T${i}`)];
    // One kernel name per token count: a kernel's inputs are fixed by name.
    registerMulti(`${KERNELS.prependTokens}${tokens}`, order, [], (list, backend) =>
      backend.runWebGPUProgram(prependProgram(list[0]!.shape, tokens), list, 'float32'),
    );
  }
}

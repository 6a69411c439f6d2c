/**
 * The fast step's total loss as one kernel: KdWeightedSum takes the loss terms as small
 * vectors (CE [1], KD [1], the relation terms' [3]) and their weights, and writes the sum of
 * weight x value; its gradient (KdScaleBy) is dy times the weights, one kernel per input.
 * Through plain ops the same sum is a product per term, a [1, 3] x [3, 1] matmul for the
 * relation terms and the adds, with their reshapes, saved clones and gradients: about twenty
 * TF.js kernels. The weights travel as uniforms, so a weight changed mid-run (the page's
 * sliders) needs no new pipeline and no upload of its own.
 */
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '../tf';
import { KERNELS } from './fused-ops';
import { kernelInputs, program } from './webgpu-program';

interface WeightedSumAttrs {
  /** Entries of each input, in order (T0, T1, ...). */
  sizes: number[];
  /** One weight per entry of the inputs laid end to end. */
  weights: number[];
}

/** One thread: the dot product of the inputs laid end to end with the weights w0, w1, ... */
function weightedSumProgram(sizes: number[]): WebGPUProgram {
  const names = sizes.map((_, i) => `T${i}`);
  let k = 0;
  const terms = sizes.flatMap((n, i) =>
    Array.from({ length: n }, (_, j) => `T${i}[${j}] * uniforms.w${k++}`),
  );
  const prog = program(
    `kd_wsum_${sizes.join('_')}`,
    names,
    [],
    1,
    `
fn main(i : i32) {
  if (i >= 1) { return; }
  setOutputAtIndex(0, ${terms.join(' + ')});
}`,
    { serialSteps: 0, flops: 2 * terms.length },
  );
  return prog;
}

/** One thread: out[j] = DY[0] * w_j for the n weights of one input. */
function scaleByProgram(n: number): WebGPUProgram {
  const writes = Array.from({ length: n }, (_, j) => `setOutputAtIndex(${j}, DY[0] * uniforms.w${j});`);
  const prog = program(
    `kd_scale_by_${n}`,
    ['DY'],
    [n],
    1,
    `
fn main(i : i32) {
  if (i >= 1) { return; }
  ${writes.join('\n  ')}
}`,
    { serialSteps: 0, flops: n },
  );
  return prog;
}

/** Runs `prog` with the weights as its uniforms w0, w1, ... (one f32 each). */
function runWithWeights(
  backend: WebGPUBackend,
  prog: WebGPUProgram,
  inputs: tf.TensorInfo[],
  weights: number[],
): tf.TensorInfo {
  const uniforms = weights.map((_, i) => `w${i} : f32,`).join(' ');
  const data = weights.map((w) => ({ type: 'float32', data: [w] }));
  return backend.runWebGPUProgram(Object.assign(prog, { uniforms }), inputs, 'float32', data);
}

/** Registers KdWeightedSum (with its gradient) and KdScaleBy on webgpu (called by webgpu.ts). */
export function registerWeightedSumKernels(): void {
  tf.registerKernel({
    kernelName: KERNELS.weightedSum,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { sizes, weights } = attrs as unknown as WeightedSumAttrs;
      const list = kernelInputs(
        KERNELS.weightedSum,
        inputs,
        sizes.map((_, i) => `T${i}`),
      );
      list.forEach((t, i) => {
        if (t.shape.length !== 1 || t.shape[0] !== sizes[i])
          throw new Error(`KdWeightedSum: input T${i} must be [${sizes[i]}], got [${t.shape}].`);
      });
      if (weights.length !== sizes.reduce((a, b) => a + b, 0))
        throw new Error(`KdWeightedSum: ${weights.length} weights for inputs of sizes ${sizes}.`);
      return runWithWeights(backend as WebGPUBackend, weightedSumProgram(sizes), list, weights);
    },
  } as tf.KernelConfig);
  tf.registerKernel({
    kernelName: KERNELS.scaleBy,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const [dy] = kernelInputs(KERNELS.scaleBy, inputs, ['DY']);
      const { weights } = attrs as { weights: number[] };
      return runWithWeights(backend as WebGPUBackend, scaleByProgram(weights.length), [dy!], weights);
    },
  } as tf.KernelConfig);
  tf.registerGradient({
    kernelName: KERNELS.weightedSum,
    gradFunc: (dy, _saved, attrs) => {
      const { sizes, weights } = attrs as unknown as WeightedSumAttrs;
      let offset = 0;
      return Object.fromEntries(
        sizes.map((n, i) => {
          const mine = weights.slice(offset, offset + n);
          offset += n;
          const scale = () =>
            tf.engine().runKernel(KERNELS.scaleBy, { DY: dy as tf.Tensor }, { weights: mine }) as tf.Tensor;
          return [`T${i}`, scale];
        }),
      );
    },
  });
}

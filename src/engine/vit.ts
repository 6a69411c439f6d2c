/**
 * A small vision transformer (ViT / DeiT), written top-down in plain TF.js ops so it runs
 * and differentiates on every backend (webgpu, webgl, wasm, cpu).
 *
 *   image [B, H, W, C]
 *   -> patch embedding (stride-P convolution)       [B, N, D]
 *   -> prepend cls (and distillation) token, add learned position embedding
 *   -> nLayers x pre-norm block: x += MHSA(LN(x)); x += MLP(LN(x))
 *   -> final LayerNorm -> linear head on the cls token (and the distillation token)
 *
 * The forward pass also returns every block's output (the residual stream after the block,
 * before the final LayerNorm), which is what the relation terms compare.
 */

import { addLayerNorm, attention, gelu, layerNorm, linear } from './kernels/fused-ops';
import { prependTokens } from './prepend-tokens';
import { makeRng, type Rng, truncatedNormal } from './random';
import { patchCount, prefixTokenCount, type VitConfig, vitConfigProblems } from './spec/config';
import {
  mergeHeads,
  NO_TRAINED_HEADS,
  type PredictionHeads,
  predictionHeads,
  type TrainedHeads,
} from './spec/heads';
import type { StepKind } from './spec/step-kind';
import * as tf from './tf';

/** timm / DeiT initialise weights, tokens and position embedding with trunc_normal(std=.02). */
const INIT_STD = 0.02;

export interface BlockParams {
  ln1Gamma: tf.Variable; // [D]
  ln1Beta: tf.Variable; // [D]
  qkvW: tf.Variable; // [D, 3D]
  qkvB: tf.Variable; // [3D]
  projW: tf.Variable; // [D, D]
  projB: tf.Variable; // [D]
  ln2Gamma: tf.Variable; // [D]
  ln2Beta: tf.Variable; // [D]
  fc1W: tf.Variable; // [D, mlpRatio*D]
  fc1B: tf.Variable; // [mlpRatio*D]
  fc2W: tf.Variable; // [mlpRatio*D, D]
  fc2B: tf.Variable; // [D]
}

export interface VitParams {
  patchW: tf.Variable; // [P, P, C, D]
  patchB: tf.Variable; // [D]
  clsToken: tf.Variable; // [1, 1, D]
  distToken: tf.Variable | null; // [1, 1, D]
  posEmbed: tf.Variable; // [1, prefix + N, D]
  blocks: BlockParams[];
  normGamma: tf.Variable; // [D]
  normBeta: tf.Variable; // [D]
  headW: tf.Variable; // [D, classes]
  headB: tf.Variable; // [classes]
  distHeadW: tf.Variable | null; // [D, classes]
  distHeadB: tf.Variable | null; // [classes]
}

export interface VitOutput {
  /** Class logits of the cls head [B, classes]. */
  logits: tf.Tensor2D;
  /** Logits of the distillation head [B, classes], when the model has a distillation token. */
  distLogits: tf.Tensor2D | null;
  /** Residual stream after each block, all tokens (prefix first) [B, prefix + N, D]. */
  blocks: tf.Tensor3D[];
}

export interface ApplyOptions {
  /**
   * 'fast' runs LayerNorm, GELU and attention as single kernels where the backend has them;
   * the values are the same either way. Default 'reference'.
   */
  stepKind?: StepKind;
  /**
   * Whether a loss differentiated through this pass reads the last block's output (a relation
   * term on it); default true. When it does not, the fast step adds that block's residual
   * apart from the final LayerNorm: the fused kernel's second output would get no gradient,
   * and TF.js builds the zeros it stands for on the CPU and uploads them, every step.
   */
  lastBlockInLoss?: boolean;
  /**
   * These images already cut into this model's patches (patchify), when another model of the
   * same patch size did it for the same batch (the fast step's teacher for its student).
   */
  patches?: tf.Tensor3D;
}

/** A named parameter: the name is stable and used by checkpoints. */
export interface NamedVariable {
  name: string;
  variable: tf.Variable;
  /** Decoupled weight decay applies to weight matrices only, as in timm / DeiT. */
  decay: boolean;
}

export class Vit {
  readonly config: VitConfig;
  readonly params: VitParams;
  /** Heads that have received a gradient so far; predictions use these (see heads.ts). */
  trainedHeads: TrainedHeads = NO_TRAINED_HEADS;

  private constructor(config: VitConfig, params: VitParams) {
    this.config = config;
    this.params = params;
  }

  /** A freshly initialised model; the same seed gives the same weights on every backend. */
  static create(config: VitConfig, seed: number, trainable = true): Vit {
    const problems = vitConfigProblems(config);
    if (problems.length) throw new Error(`Invalid ViT config: ${problems.join('; ')}.`);
    return new Vit(config, initParams(config, makeRng(seed, 'vit-init'), trainable));
  }

  /** Parameters in a fixed order with stable names (checkpoint keys, optimizer slots). */
  namedVariables(): NamedVariable[] {
    return listParams(this.params);
  }

  variables(): tf.Variable[] {
    return this.namedVariables().map((p) => p.variable);
  }

  parameterCount(): number {
    return this.variables().reduce((n, v) => n + v.size, 0);
  }

  /** Forward pass on images [B, H, W, C] (already normalised). Wrap callers in tf.tidy. */
  apply(images: tf.Tensor4D, opts: ApplyOptions = {}): VitOutput {
    const { stepKind = 'reference', lastBlockInLoss = true, patches } = opts;
    const cfg = this.config;
    const p = this.params;
    const [batch, height, width, channels] = images.shape;
    if (height !== cfg.imageSize || width !== cfg.imageSize || channels !== cfg.channels) {
      throw new Error(
        `ViT expects images [B, ${cfg.imageSize}, ${cfg.imageSize}, ${cfg.channels}], got [${images.shape}].`,
      );
    }
    const d = cfg.dModel;

    const pixels = patches ?? patchify(images, cfg.patchSize); // [B, N, P*P*C]
    const cut = [batch, patchCount(cfg), cfg.patchSize ** 2 * channels];
    if (!tf.util.arraysEqual(pixels.shape, cut)) {
      throw new Error(`ViT expects patches [${cut}] for images [${images.shape}], got [${pixels.shape}].`);
    }
    const embedded = linear(pixels, p.patchW, p.patchB, stepKind); // [B, N, D]
    const tokens = [p.clsToken, ...(p.distToken ? [p.distToken] : [])]; // [1, 1, D] each
    // The fast step's version differentiates with four kernels instead of tile's 2B + 2.
    let x =
      stepKind === 'fast'
        ? prependTokens(embedded as tf.Tensor3D, tokens, p.posEmbed)
        : (tf
            .concat([...tokens.map((t) => tf.tile(t, [batch, 1, 1])), embedded], 1)
            .add(p.posEmbed) as tf.Tensor3D); // [B, T, D]

    // Pre-norm blocks: x += attn(LN1(x)); x += mlp(LN2(x)); then the final LayerNorm. Each
    // residual add is taken together with the LayerNorm that follows it (the next
    // sub-block's, or the final one): one kernel in the fast step.
    const norms = [
      ...p.blocks.map((b) => [b.ln1Gamma, b.ln1Beta] as const),
      [p.normGamma, p.normBeta] as const,
    ];
    let h = layerNorm(x, norms[0]![0], norms[0]![1], stepKind); // [B, T, D]
    const blocks: tf.Tensor3D[] = [];
    p.blocks.forEach((block, i) => {
      [x, h] = addLayerNorm(
        x,
        selfAttention(h, block, cfg.nHeads, stepKind),
        block.ln2Gamma,
        block.ln2Beta,
        stepKind,
      );
      const [gamma, beta] = norms[i + 1]!;
      const branch = mlp(h, block, stepKind);
      if (i === p.blocks.length - 1 && !lastBlockInLoss) {
        x = x.add(branch) as tf.Tensor3D;
        h = layerNorm(x, gamma, beta, stepKind);
      } else {
        [x, h] = addLayerNorm(x, branch, gamma, beta, stepKind);
      }
      blocks.push(x);
    });
    const out = h; // the final LayerNorm's output, [B, T, D]
    const token = (i: number) => out.slice([0, i, 0], [batch, 1, d]).reshape([batch, d]) as tf.Tensor2D; // [B, D]
    const logits = linear(token(0), p.headW, p.headB, stepKind) as tf.Tensor2D; // [B, classes]
    const distLogits =
      p.distHeadW && p.distHeadB
        ? (linear(token(1), p.distHeadW, p.distHeadB, stepKind) as tf.Tensor2D)
        : null;
    return { logits, distLogits, blocks };
  }

  /** Records that a step is training these heads (read by predictLogits from then on). */
  noteTrainedHeads(heads: TrainedHeads): void {
    this.trainedHeads = mergeHeads(this.trainedHeads, heads);
  }

  /** The heads predictions come from: trained ones only (a cls-only model: its one head). */
  predictionHeads(): PredictionHeads {
    return predictionHeads(this.trainedHeads, this.params.distToken !== null);
  }

  /** Logits used for prediction: the trained head, or DeiT's mean when both were trained. */
  predictLogits(out: VitOutput): tf.Tensor2D {
    const heads = this.predictionHeads();
    if (!out.distLogits || heads === 'cls') return out.logits;
    if (heads === 'dist') return out.distLogits;
    return out.logits.add(out.distLogits).div(2) as tf.Tensor2D;
  }

  /** Patch tokens of a block output [B, prefix + N, D] -> [B, N, D] (cls / distillation dropped). */
  patchTokens(blockOutput: tf.Tensor3D): tf.Tensor3D {
    const prefix = prefixTokenCount(this.config);
    return blockOutput.slice([0, prefix, 0], [-1, -1, -1]);
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}

export { countParameters, estimateTrainingBytes } from './spec/model-size';

/**
 * Cuts images [B, H, W, C] into flattened P x P patches [B, N, P*P*C], row-major over the
 * grid, each patch in (row, column, channel) order: a stride-P convolution with kernel
 * [P, P, C, D] is this followed by a matmul. Done with a rank-4 transpose, because the wasm
 * backend has no gradient for conv2d's filter.
 */
export function patchify(images: tf.Tensor4D, p: number): tf.Tensor3D {
  const [b, h, w, c] = images.shape;
  const gh = h / p;
  const gw = w / p;
  return images
    .reshape([b * gh, p, gw, p * c]) // [B*gh, P (rows), gw, P*C]
    .transpose([0, 2, 1, 3]) // [B*gh, gw, P, P*C]
    .reshape([b, gh * gw, p * p * c]);
}

function selfAttention(x: tf.Tensor3D, p: BlockParams, nHeads: number, stepKind: StepKind): tf.Tensor3D {
  const qkv = linear(x, p.qkvW, p.qkvB, stepKind) as tf.Tensor3D; // [B, T, 3D]: q, k, v each [T, H, dh]
  return linear(attention(qkv, nHeads, stepKind), p.projW, p.projB, stepKind) as tf.Tensor3D;
}

function mlp(x: tf.Tensor3D, p: BlockParams, stepKind: StepKind): tf.Tensor3D {
  return linear(gelu(linear(x, p.fc1W, p.fc1B, stepKind), stepKind), p.fc2W, p.fc2B, stepKind) as tf.Tensor3D;
}

function initParams(cfg: VitConfig, rng: Rng, trainable: boolean): VitParams {
  const d = cfg.dModel;
  const hidden = cfg.mlpRatio * d;
  // tidy disposes the initial tensors; variables survive a tidy.
  const normal = (shape: number[]) =>
    tf.tidy(() =>
      tf.variable(
        tf.tensor(
          truncatedNormal(
            shape.reduce((a, b) => a * b, 1),
            INIT_STD,
            rng,
          ),
          shape,
        ),
        trainable,
      ),
    );
  const fill = (shape: number[], value: number) =>
    tf.tidy(() => tf.variable(tf.fill(shape, value), trainable));
  const tokens = prefixTokenCount(cfg) + patchCount(cfg);
  return {
    patchW: normal([cfg.patchSize, cfg.patchSize, cfg.channels, d]),
    patchB: fill([d], 0),
    clsToken: normal([1, 1, d]),
    distToken: cfg.distillToken ? normal([1, 1, d]) : null,
    posEmbed: normal([1, tokens, d]),
    blocks: Array.from({ length: cfg.nLayers }, () => ({
      ln1Gamma: fill([d], 1),
      ln1Beta: fill([d], 0),
      qkvW: normal([d, 3 * d]),
      qkvB: fill([3 * d], 0),
      projW: normal([d, d]),
      projB: fill([d], 0),
      ln2Gamma: fill([d], 1),
      ln2Beta: fill([d], 0),
      fc1W: normal([d, hidden]),
      fc1B: fill([hidden], 0),
      fc2W: normal([hidden, d]),
      fc2B: fill([d], 0),
    })),
    normGamma: fill([d], 1),
    normBeta: fill([d], 0),
    headW: normal([d, cfg.numClasses]),
    headB: fill([cfg.numClasses], 0),
    distHeadW: cfg.distillToken ? normal([d, cfg.numClasses]) : null,
    distHeadB: cfg.distillToken ? fill([cfg.numClasses], 0) : null,
  };
}

function listParams(p: VitParams): NamedVariable[] {
  const out: NamedVariable[] = [];
  const add = (name: string, variable: tf.Variable | null, decay = false) => {
    if (variable) out.push({ name, variable, decay });
  };
  add('patch_embed/kernel', p.patchW, true);
  add('patch_embed/bias', p.patchB);
  add('cls_token', p.clsToken);
  add('dist_token', p.distToken);
  add('pos_embed', p.posEmbed);
  p.blocks.forEach((b, i) => {
    const at = `blocks/${i}`;
    add(`${at}/norm1/gamma`, b.ln1Gamma);
    add(`${at}/norm1/beta`, b.ln1Beta);
    add(`${at}/attn/qkv/kernel`, b.qkvW, true);
    add(`${at}/attn/qkv/bias`, b.qkvB);
    add(`${at}/attn/proj/kernel`, b.projW, true);
    add(`${at}/attn/proj/bias`, b.projB);
    add(`${at}/norm2/gamma`, b.ln2Gamma);
    add(`${at}/norm2/beta`, b.ln2Beta);
    add(`${at}/mlp/fc1/kernel`, b.fc1W, true);
    add(`${at}/mlp/fc1/bias`, b.fc1B);
    add(`${at}/mlp/fc2/kernel`, b.fc2W, true);
    add(`${at}/mlp/fc2/bias`, b.fc2B);
  });
  add('norm/gamma', p.normGamma);
  add('norm/beta', p.normBeta);
  add('head/kernel', p.headW, true);
  add('head/bias', p.headB);
  add('head_dist/kernel', p.distHeadW, true);
  add('head_dist/bias', p.distHeadB);
  return out;
}

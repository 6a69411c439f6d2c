/**
 * The engine's one door to TF.js. The @tensorflow/tfjs bundle registers what tfjs-core
 * alone leaves out (gradients, chained ops x.add(y)) and resolves to a single copy of
 * tfjs-core in Node (CommonJS) and in the bundler (ESM) alike; mixing a deep ESM import
 * with CommonJS backends would load two copies whose tensors cannot meet.
 */
export * from '@tensorflow/tfjs';

export { add, cast, div, equal, exp, log, max, min, mul, neg, pow, sigmoid, sqrt, sub, sum, tanh, where } from './elementwise.js';
export { gather, gatherElements, zeros, type EmbeddingGrad } from './gather.js';
export { gemm, matmul } from './matmul.js';
export { logSoftmax, reduceMean, reduceSum, softmax } from './reduce.js';
export { concat, expand, pad, reshape, slice, sumToShape, transpose, transposeLast2 } from './shape-ops.js';

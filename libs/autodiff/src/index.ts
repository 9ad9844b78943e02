export { AutodiffError, AutodiffErrorCodes, ShapeError, type AutodiffErrorCode } from './errors.js';
export { Tensor, fmtShape, numel, type DType, type Shape, type TensorData, type TensorKind, type TensorSpec } from './tensor.js';
export { Graph, attr, type Attr, type Initializer, type OpNode, type OutputSpec, type Vjp } from './graph.js';
export { broadcastShapes, type Operand } from './shape.js';
export * from './ops/index.js';
export { grad, gradients } from './autodiff.js';
export {
  attention,
  causalMask,
  crossEntropy,
  linear,
  project,
  rmsNorm,
  rope,
  ropeTables,
  rotateHalf,
  rotateHalfMatrix,
  silu,
  swiglu,
  type AttentionConfig,
  type AttentionWeights,
  type Projection,
  type RotateHalf,
  type SwiGluWeights,
} from './nn.js';
export {
  accumulatedGradientInput,
  adamwInputs,
  buildGradientPass,
  buildTrainingStep,
  gradientSumOutput,
  CLIP_EPSILON,
  GRAD_NORM_OUTPUT,
  HYPERPARAMETER_INPUTS,
  LOSS_OUTPUT,
  type AdamWConfig,
  type GradientPassGraph,
  type HyperparameterInput,
  type ParamSlot,
  type TrainingStepGraph,
  type TrainingStepOptions,
} from './optimizer.js';
export { IR_VERSION, OPSET_VERSION, serialize, type SerializeOptions } from './onnx.js';

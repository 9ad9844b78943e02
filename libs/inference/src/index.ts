export { AdapterError, INFERENCE_ERROR_CODES, InferenceError, InferenceRequestError, ModelClosedError, type InferenceErrorCode } from './errors.js';
export { mergeLora, readAdapter, type LoraAdapter } from './adapter.js';
export {
  InferenceModel,
  loadModel,
  type ChatOptions,
  type GenerateOptions,
  type LoadModelOptions,
  type Prompt,
  type ScoreRequest,
  type ScoreResult,
} from './model.js';
export type { FinishReason, Generation, GenerationChunk } from './row.js';
export { decoderWithPastOnnx, ONNX_MODEL_FILE, ONNX_OPSET, ONNX_SUBDIR, writeOnnxFolder } from './export-onnx.js';
export type { WeightsAs } from './graphs.js';

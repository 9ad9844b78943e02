export {
  ENGINE_LORA_TARGETS,
  runOptionsFromRecipe,
  type RecipeLike,
  type EngineDpoConfig,
  type EngineLoraConfig,
  type EngineLoraTarget,
  type EngineMethod,
  type EngineOptimConfig,
  type EngineRunOptions,
  type ExportedModel,
  type ExportOptions,
  type ForwardInput,
  type PreferenceBatch,
  type RunState,
  type StepOptions,
  type StepResult,
  type TrainingRun,
} from './engine.js';
export {
  ENGINE_ERROR_CODES,
  EngineCheckpointError,
  EngineConfigError,
  EngineError,
  EngineOomError,
  EngineRuntimeError,
  mapOrtError,
  type EngineErrorCode,
} from './errors.js';
export { openRun } from './run.js';
export { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, loadCheckpoint, saveCheckpoint, type EngineCheckpoint } from './checkpoint.js';
export { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, MERGED_SUBDIR } from './export.js';
export { adapterConfig, loraModules, loraScale, mergeAdapter, PEFT_PREFIX, type LoraModule } from './lora.js';
export { decoderLayers, linearT, lmHead, rotaryTables, targetLogProbs, type SelfAttention, type WeightLookup } from './decoder.js';

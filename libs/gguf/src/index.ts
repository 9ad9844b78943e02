export * from './errors.js';
export * from './ggml-types.js';
export * from './gguf-values.js';
export * from './gguf-writer.js';
export * from './gguf-reader.js';
export * from './quants.js';
export * from './tokenizer-metadata.js';
export * from './llama-gguf.js';

import type { ExportFormat, Quantization } from './formats.js';
import { EXPORT_MANIFEST_FILE } from './manifest.js';

export interface ReadmeFacts {
  readonly format: ExportFormat;
  readonly quantization: Quantization;
  readonly baseModel: string;
  readonly trainingRunId?: string;
  readonly stopTokens: ReadonlyArray<{ readonly id: number; readonly text: string }>;
  /** gguf: the file name. */
  readonly ggufFile?: string;
}

const HOW_TO: Readonly<Record<ExportFormat, (f: ReadmeFacts) => string>> = {
  hf: () =>
    [
      'Merged full weights (safetensors, float32), tokenizer, chat template (tokenizer_config.json) and',
      'generation_config.json (its `eos_token_id` lists every stop token).',
      '',
      '```python',
      'from transformers import AutoModelForCausalLM, AutoTokenizer',
      'tok = AutoTokenizer.from_pretrained("./this-folder")',
      'model = AutoModelForCausalLM.from_pretrained("./this-folder")',
      'ids = tok.apply_chat_template([{"role": "user", "content": "Hi"}], add_generation_prompt=True, return_tensors="pt")',
      'print(tok.decode(model.generate(ids, max_new_tokens=64)[0][ids.shape[1]:], skip_special_tokens=True))',
      '```',
    ].join('\n'),
  peft: (f) =>
    [
      `A LoRA adapter (adapter_config.json + adapter_model.safetensors) for the base model \`${f.baseModel}\`, with the`,
      'tokenizer, chat template and generation_config.json (stop tokens) it was trained with.',
      '',
      '```python',
      'from transformers import AutoModelForCausalLM, AutoTokenizer',
      'from peft import PeftModel',
      'base = AutoModelForCausalLM.from_pretrained("<the base model>")',
      'model = PeftModel.from_pretrained(base, "./this-folder")',
      'tok = AutoTokenizer.from_pretrained("./this-folder")',
      '```',
    ].join('\n'),
  onnx: () =>
    [
      'The merged model as one ONNX decoder with KV cache (`onnx/model.onnx`, opset 17, float32) in the transformers.js /',
      'Optimum `text-generation-with-past` layout, with config.json, generation_config.json and the tokenizer files.',
      'Inputs `input_ids`, `attention_mask`, `position_ids`, `past_key_values.{i}.key|value`; outputs `logits`,',
      '`present.{i}.key|value` (feed empty pasts on the first call).',
      '',
      '```js',
      "import { pipeline } from '@huggingface/transformers';",
      "const generate = await pipeline('text-generation', './this-folder', { dtype: 'fp32' });",
      '```',
    ].join('\n'),
  gguf: (f) =>
    [
      `One GGUF v3 file (\`${f.ggufFile ?? 'model.gguf'}\`, ${f.quantization.toUpperCase()}) with the tokenizer, chat template and`,
      'eos / end-of-turn ids in its metadata, for llama.cpp, llama-server, Ollama and LM Studio.',
      '',
      '```sh',
      `llama-cli -m ${f.ggufFile ?? 'model.gguf'} -cnv`,
      `# Ollama: a Modelfile with "FROM ./${f.ggufFile ?? 'model.gguf'}"`,
      '```',
    ].join('\n'),
};

/** The README.md of an export bundle: what it is, where it comes from, how it stops and how to load it. */
export function exportReadme(f: ReadmeFacts): string {
  return [
    `# Distillery export: ${f.format}${f.format === 'gguf' ? ` (${f.quantization.toUpperCase()})` : ''}`,
    '',
    `Base model: \`${f.baseModel}\`${f.trainingRunId ? `; training run \`${f.trainingRunId}\`` : ''}.`,
    '',
    HOW_TO[f.format](f),
    '',
    `Generation stops on: ${f.stopTokens.map((t) => `\`${t.text}\` (${t.id})`).join(', ') || 'no stop token'}.`,
    '',
    `Every file's sha256 and size are in \`${EXPORT_MANIFEST_FILE}\`. Distillery announces an export (\`export_completed\`)`,
    "only after a smoke check (loaded in its runtime, generated for gold prompts, stopped) and a parity check against",
    "the trained model's outputs; the event carries both results.",
    '',
  ].join('\n');
}

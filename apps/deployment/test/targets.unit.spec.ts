/** Files for Ollama, llama.cpp and vLLM targets, and the vLLM example under deploy/helm/examples kept in sync with the generator. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot } from '@distillery/testing';
import { CHATML_GO_TEMPLATE, chatInfoOf, isChatMlTemplate, llamaCppServerCommand, ollamaModelfile, vllmEndpoint, vllmKubernetesManifest } from '../src/index.js';

/** The parts of a Kubernetes object these tests read. */
interface K8sObject {
  kind: string;
  spec: {
    selector: Record<string, string> & { matchLabels?: Record<string, string> };
    ports?: unknown[];
    template: { spec: { containers: Array<{ args: string[]; resources: unknown; readinessProbe: { httpGet: unknown } }>; volumes: unknown[] } };
  };
}

const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

describe('Ollama Modelfile', () => {
  it('a ChatML model: FROM the GGUF, the Go-template TEMPLATE, a stop for each end-of-turn token', () => {
    const { text, warnings } = ollamaModelfile({ chatTemplate: CHATML, stop: ['<|im_end|>', '</s>'], parameters: { temperature: 0 } });
    const lines = text.split('\n');
    expect(lines[0]).toBe('FROM ./model.gguf');
    expect(text).toContain(`TEMPLATE """${CHATML_GO_TEMPLATE}"""`);
    expect(lines.filter((l) => l.startsWith('PARAMETER stop'))).toEqual(['PARAMETER stop "<|im_end|>"', 'PARAMETER stop "</s>"', 'PARAMETER stop "<|im_start|>"']);
    expect(lines).toContain('PARAMETER temperature 0');
    expect(warnings).toEqual([]);
  });

  it('the Go template renders ChatML turns: role line, content, <|im_end|>, and opens the assistant turn after a non-assistant last message', () => {
    // Every {{ … }} action is balanced and the ChatML pieces appear in the order the HF template renders them.
    expect(CHATML_GO_TEMPLATE.match(/\{\{/g)?.length).toBe(CHATML_GO_TEMPLATE.match(/\}\}/g)?.length);
    expect(CHATML_GO_TEMPLATE).toMatch(/<\|im_start\|>\{\{ \.Role \}\}\n\{\{ \.Content \}\}<\|im_end\|>\n\{\{ if and \$last \(ne \.Role "assistant"\) \}\}<\|im_start\|>assistant\n\{\{ end \}\}/);
    expect(CHATML_GO_TEMPLATE).not.toContain('"""');
    const opens = (CHATML_GO_TEMPLATE.match(/\{\{-? ?(if|range)\b/g) ?? []).length;
    const ends = (CHATML_GO_TEMPLATE.match(/\{\{-? ?end ?\}\}/g) ?? []).length;
    expect(opens).toBe(ends);
  });

  it('a template that is not ChatML gets no TEMPLATE and a warning; no stop tokens is a warning too', () => {
    expect(isChatMlTemplate('{{ bos_token }}[INST] {{ m }} [/INST]')).toBe(false);
    const r = ollamaModelfile({ chatTemplate: '[INST] {{ x }} [/INST]', stop: [], gguf: './q8.gguf' });
    expect(r.text).toBe('FROM ./q8.gguf\n');
    expect(r.warnings.join('\n')).toMatch(/not ChatML-style[\s\S]*may never stop/);
  });

  it('reads the chat template and EOS of a tokenizer_config.json', () => {
    expect(chatInfoOf({ chat_template: CHATML, eos_token: { content: '<|im_end|>' } })).toEqual({ chatTemplate: CHATML, stop: ['<|im_end|>'] });
    expect(chatInfoOf({ chat_template: [{ name: 'default', template: 'T' }], eos_token: '</s>' })).toEqual({ chatTemplate: 'T', stop: ['</s>'] });
  });
});

describe('llama.cpp server', () => {
  it('serves the GGUF with its embedded Jinja template on the OpenAI API, quoting what needs it', () => {
    const { argv, command } = llamaCppServerCommand({ alias: 'shop/default', port: 9090, ctxSize: 2048, model: './my model.gguf' });
    expect(argv).toEqual(['llama-server', '--model', './my model.gguf', '--host', '0.0.0.0', '--port', '9090', '--ctx-size', '2048', '--parallel', '4', '--jinja', '--alias', 'shop/default']);
    expect(command).toBe("llama-server --model './my model.gguf' --host 0.0.0.0 --port 9090 --ctx-size 2048 --parallel 4 --jinja --alias shop/default");
  });
});

describe('vLLM on Kubernetes', () => {
  it('a Deployment and a Service: the OpenAI server with the served name, GPU, /health probes, the model volume', () => {
    const docs = parseAllDocuments(vllmKubernetesManifest({ name: 'shop-default', servedModelName: 'shop/default', model: '/models/export-hf', claimName: 'distillery-data', maxModelLen: 2048 })).map((d) => d.toJS() as K8sObject);
    expect(docs.map((d) => d.kind)).toEqual(['Deployment', 'Service']);
    const c = docs[0]!.spec.template.spec.containers[0]!;
    expect(c.args).toEqual(['--model', '/models/export-hf', '--served-model-name', 'shop/default', '--port', '8000', '--max-model-len', '2048']);
    expect(c.resources).toEqual({ limits: { 'nvidia.com/gpu': 1 } });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(docs[0]!.spec.template.spec.volumes[0]).toEqual({ name: 'models', persistentVolumeClaim: { claimName: 'distillery-data', readOnly: true } });
    expect(docs[1]!.spec.ports).toEqual([{ name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP' }]);
    expect(docs[1]!.spec.selector).toEqual(docs[0]!.spec.selector.matchLabels);
    expect(vllmEndpoint({ name: 'shop-default', namespace: 'ml' })).toBe('http://shop-default.ml.svc:8000/v1');
  });

  it('a PEFT adapter is served on its base model under the slot name (--enable-lora)', () => {
    const d = parseAllDocuments(vllmKubernetesManifest({ name: 'x', servedModelName: 'shop/default', model: 'Qwen/Qwen2.5-0.5B-Instruct', adapter: { path: '/models/adapter', rank: 16 }, gpus: 0 }))[0]!.toJS() as K8sObject;
    const c = d.spec.template.spec.containers[0]!;
    expect(c.args.slice(0, 6)).toEqual(['--model', 'Qwen/Qwen2.5-0.5B-Instruct', '--enable-lora', '--lora-modules', 'shop/default=/models/adapter', '--max-lora-rank']);
    expect(c.resources).toEqual({});
  });

  it('deploy/helm/examples: the manifest is what the generator writes, and the values run the deployment app next to it', () => {
    const examples = join(repoRoot, 'deploy', 'helm', 'examples');
    const manifest = readFileSync(join(examples, 'vllm-deployment.yaml'), 'utf8');
    const generated = vllmKubernetesManifest({ name: 'distillery-vllm', servedModelName: 'shop/default', model: '/models/export-hf', claimName: 'distillery-data', maxModelLen: 4096 });
    expect(manifest.slice(manifest.indexOf('apiVersion'))).toBe(generated);
    const values = parse(readFileSync(join(examples, 'vllm-values.yaml'), 'utf8')) as { apps: Record<string, { enabled: boolean; command: string[]; port: number; data: boolean }>; vllm: { endpoint: string } };
    expect(values.apps['deployment']).toMatchObject({ enabled: true, command: ['node', 'bin/distillery.mjs', 'serve', 'deployment'], data: true });
    expect(values.vllm.endpoint).toBe(vllmEndpoint({ name: 'distillery-vllm' }));
  });
});

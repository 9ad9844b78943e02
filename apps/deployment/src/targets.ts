import { stringify } from 'yaml';

/**
 * Files for deployment targets outside the built-in runner, each of which serves the OpenAI-compatible API that the
 * smoke and drift checks call:
 * - Ollama: a `Modelfile` next to a GGUF export (`FROM ./model.gguf`, the chat template in Ollama's Go-template form,
 *   `PARAMETER stop` for every end-of-turn token);
 * - llama.cpp: the `llama-server` command line for a GGUF export (the GGUF carries its Jinja chat template: --jinja);
 * - vLLM: a Kubernetes Deployment + Service running `vllm/vllm-openai` on an HF export (or a base model with a PEFT
 *   adapter through --enable-lora).
 */

/** ChatML (`<|im_start|>role\ncontent<|im_end|>\n`): the template family Ollama needs re-written in Go-template form. */
export const isChatMlTemplate = (template: string | undefined): boolean => !!template && template.includes('<|im_start|>') && template.includes('<|im_end|>');

/**
 * ChatML as an Ollama (Go text/template) TEMPLATE, rendering what the HF template renders with
 * add_generation_prompt: every message as `<|im_start|>{role}\n{content}<|im_end|>\n`, then `<|im_start|>assistant\n`
 * unless the last message is the assistant's; the legacy `.System` / `.Prompt` variables when there are no messages.
 */
export const CHATML_GO_TEMPLATE = [
  '{{- if .Messages }}',
  '{{- range $i, $_ := .Messages }}',
  '{{- $last := eq (len (slice $.Messages $i)) 1 }}<|im_start|>{{ .Role }}',
  '{{ .Content }}<|im_end|>',
  '{{ if and $last (ne .Role "assistant") }}<|im_start|>assistant',
  '{{ end }}',
  '{{- end }}',
  '{{- else }}',
  '{{- if .System }}<|im_start|>system',
  '{{ .System }}<|im_end|>',
  '{{ end }}{{ if .Prompt }}<|im_start|>user',
  '{{ .Prompt }}<|im_end|>',
  '{{ end }}<|im_start|>assistant',
  '{{ end }}{{ .Response }}{{ if .Response }}<|im_end|>{{ end }}',
].join('\n');

/** The chat template and end-of-turn token of an HF tokenizer_config.json (what an export bundle carries). */
export function chatInfoOf(tokenizerConfig: Readonly<Record<string, unknown>>): { chatTemplate?: string; stop: string[] } {
  const t = tokenizerConfig['chat_template'];
  const chatTemplate = typeof t === 'string' ? t : Array.isArray(t) ? (t.find((x: { name?: string }) => x?.name === 'default') as { template?: string } | undefined)?.template : undefined;
  const eos = tokenizerConfig['eos_token'];
  const eosText = typeof eos === 'string' ? eos : typeof (eos as { content?: unknown })?.content === 'string' ? ((eos as { content: string }).content) : undefined;
  return { ...(chatTemplate ? { chatTemplate } : {}), stop: eosText ? [eosText] : [] };
}

const quoted = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export interface OllamaOptions {
  /** The GGUF file, relative to the Modelfile (default `./model.gguf`). */
  readonly gguf?: string;
  readonly chatTemplate?: string;
  /** End-of-turn tokens (the tokenizer's EOS and generation_config's eos ids as text). */
  readonly stop: readonly string[];
  readonly system?: string;
  readonly parameters?: Readonly<Record<string, number>>;
}

/** An Ollama Modelfile, and warnings about what it could not carry over. */
export function ollamaModelfile(o: OllamaOptions): { text: string; warnings: string[] } {
  const warnings: string[] = [];
  const lines = [`FROM ${o.gguf ?? './model.gguf'}`];
  const chatml = isChatMlTemplate(o.chatTemplate);
  if (chatml) lines.push(`TEMPLATE """${CHATML_GO_TEMPLATE}"""`);
  else if (o.chatTemplate) warnings.push('the chat template is not ChatML-style: no TEMPLATE written (Ollama falls back to the template it detects from the GGUF metadata); check the rendering before serving');
  else warnings.push('the model has no chat template: no TEMPLATE written (chat requests are sent as raw text)');
  if (o.system !== undefined) lines.push(`SYSTEM ${quoted(o.system)}`);
  const stops = [...new Set([...o.stop, ...(chatml ? ['<|im_start|>', '<|im_end|>'] : [])])].filter((s) => s !== '');
  if (stops.length === 0) warnings.push('no end-of-turn tokens: the model may never stop');
  for (const s of stops) lines.push(`PARAMETER stop ${quoted(s)}`);
  for (const [k, v] of Object.entries(o.parameters ?? {})) lines.push(`PARAMETER ${k} ${v}`);
  return { text: `${lines.join('\n')}\n`, warnings };
}

export interface LlamaCppOptions {
  readonly model?: string;
  readonly host?: string;
  readonly port?: number;
  readonly ctxSize?: number;
  /** The model name clients send (the slot alias `<project>/<slot>`). */
  readonly alias?: string;
  /** Concurrent request slots (default 4). */
  readonly parallel?: number;
  readonly threads?: number;
  /** Layers offloaded to a GPU (default none). */
  readonly gpuLayers?: number;
}

const shellQuote = (s: string): string => (/^[A-Za-z0-9_./:@=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** `llama-server` serving a GGUF export with its own chat template (`--jinja`) on an OpenAI-compatible API. */
export function llamaCppServerCommand(o: LlamaCppOptions = {}): { argv: string[]; command: string } {
  const argv = [
    'llama-server',
    '--model', o.model ?? './model.gguf',
    '--host', o.host ?? '0.0.0.0',
    '--port', String(o.port ?? 8080),
    '--ctx-size', String(o.ctxSize ?? 4096),
    '--parallel', String(o.parallel ?? 4),
    '--jinja',
    ...(o.alias ? ['--alias', o.alias] : []),
    ...(o.threads ? ['--threads', String(o.threads)] : []),
    ...(o.gpuLayers ? ['--n-gpu-layers', String(o.gpuLayers)] : []),
  ];
  return { argv, command: argv.map(shellQuote).join(' ') };
}

export interface VllmOptions {
  /** Kubernetes name of the Deployment and Service. */
  readonly name: string;
  /** The model name clients send: the slot alias `<project>/<slot>`. */
  readonly servedModelName: string;
  /** An HF export folder in the volume (`/models/<dir>`), or the base model of an adapter (a path or a Hub id). */
  readonly model: string;
  /** A PEFT adapter served on `model` (--enable-lora): its folder in the volume and LoRA rank. */
  readonly adapter?: { readonly path: string; readonly rank: number };
  /** An existing claim holding the bundles, mounted at /models. */
  readonly claimName?: string;
  readonly image?: string;
  readonly port?: number;
  readonly gpus?: number;
  readonly maxModelLen?: number;
  readonly replicas?: number;
  readonly namespace?: string;
}

export const VLLM_IMAGE = 'vllm/vllm-openai:v0.10.1';

/** A Deployment + Service running vLLM's OpenAI-compatible server (the image's entrypoint takes the args). */
export function vllmKubernetesManifest(o: VllmOptions): string {
  const port = o.port ?? 8000;
  const labels = { 'app.kubernetes.io/name': o.name, 'app.kubernetes.io/component': 'vllm', 'app.kubernetes.io/part-of': 'distillery' };
  const meta = { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}), labels };
  const args = o.adapter
    ? ['--model', o.model, '--enable-lora', '--lora-modules', `${o.servedModelName}=${o.adapter.path}`, '--max-lora-rank', String(o.adapter.rank)]
    : ['--model', o.model, '--served-model-name', o.servedModelName];
  args.push('--port', String(port), ...(o.maxModelLen ? ['--max-model-len', String(o.maxModelLen)] : []));
  const gpus = o.gpus ?? 1;
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta,
    spec: {
      replicas: o.replicas ?? 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': o.name } },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'vllm',
              image: o.image ?? VLLM_IMAGE,
              args,
              ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
              // vLLM answers /health once the model is loaded; loading takes minutes on large models.
              readinessProbe: { httpGet: { path: '/health', port: 'http' }, initialDelaySeconds: 20, periodSeconds: 5, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: '/health', port: 'http' }, initialDelaySeconds: 300, periodSeconds: 10, failureThreshold: 6 },
              resources: gpus > 0 ? { limits: { 'nvidia.com/gpu': gpus } } : {},
              volumeMounts: [...(o.claimName ? [{ name: 'models', mountPath: '/models', readOnly: true }] : []), { name: 'shm', mountPath: '/dev/shm' }],
            },
          ],
          volumes: [...(o.claimName ? [{ name: 'models', persistentVolumeClaim: { claimName: o.claimName, readOnly: true } }] : []), { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '2Gi' } }],
        },
      },
    },
  };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta,
    spec: { type: 'ClusterIP', selector: { 'app.kubernetes.io/name': o.name }, ports: [{ name: 'http', port, targetPort: 'http', protocol: 'TCP' }] },
  };
  return `${stringify(deployment, { aliasDuplicateObjects: false })}---\n${stringify(service, { aliasDuplicateObjects: false })}`;
}

/** The OpenAI base URL of the generated vLLM Service inside the cluster (the deployment request's `endpoint`). */
export const vllmEndpoint = (o: Pick<VllmOptions, 'name' | 'namespace' | 'port'>): string => `http://${o.name}${o.namespace ? `.${o.namespace}.svc` : ''}:${o.port ?? 8000}/v1`;

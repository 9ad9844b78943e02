#!/usr/bin/env python3
"""Plain PyTorch reference of the ort engine's training step (Llama decoder family, LoRA, AdamW).

Used by libs/engine-ort's parity test and by tools/bench/train-ort.bench.ts. Runs with Debian's PyTorch 1.13
(`apt install python3-torch`, /usr/bin/python3); it needs nothing else: the safetensors reader below is plain
struct + json.

    /usr/bin/python3 tools/bench/train_reference.py SPEC.json

SPEC.json:
    config        config.json fields (llama / mistral / qwen2: hidden_size, num_attention_heads, head_dim, ...)
    weights       path of a safetensors file with the base weights (transformers names, F32)
    method        "full" | "lora"
    lora          {r, alpha, target_modules}  (method lora; dropout is not modelled: parity runs use 0)
    adapters      path of a safetensors file with the initial adapters (PEFT names), method lora
    optim         {weight_decay, max_grad_norm (0 = no clipping), betas, eps}
    lrs           learning rate of each step (its length is the number of steps)
    batches       [{batch, seq, input_ids, labels, attention_mask}] (flat row-major lists); step t uses
                  batches[t % len(batches)]
    threads       torch intra-op threads (default 2)
    warmup        steps excluded from the timing (default 0)

Prints one JSON line: {"losses", "grad_norms", "ms_per_step", "peak_rss_mb", "torch", "threads", "params"}.

The maths is the engine's, written independently in torch: token embedding; per layer RMSNorm, rotary grouped-query
attention (q/k/v biases when the config has them), residual, RMSNorm, SwiGLU MLP, residual; final RMSNorm; tied or
untied head; causal + padding mask (masked scores = -1e9); mean cross-entropy of labels shifted by one (-100
ignored). AdamW is torch.optim.AdamW with clip_grad_norm_; biases and norm weights get no weight decay.
"""

import json
import math
import resource
import struct
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - reported to the caller
    sys.stderr.write("PyTorch is not importable by this python: install Debian's python3-torch (apt install python3-torch)\n")
    sys.exit(3)

IGNORE_INDEX = -100
LORA_PARENT = {
    "q_proj": "self_attn", "k_proj": "self_attn", "v_proj": "self_attn", "o_proj": "self_attn",
    "gate_proj": "mlp", "up_proj": "mlp", "down_proj": "mlp",
}


def read_safetensors(path):
    """name -> float32 tensor, for F32 files (u64 header length, JSON header, raw little-endian data).
    Each tensor is one positioned read, so memory never holds the whole file at once."""
    out = {}
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n).decode("utf-8"))
        for name, info in header.items():
            if name == "__metadata__":
                continue
            if info["dtype"] != "F32":
                raise ValueError(f"{path}: tensor {name} is {info['dtype']}, only F32 is read")
            begin, end = info["data_offsets"]
            f.seek(8 + n + begin)
            buf = bytearray(f.read(end - begin))
            t = torch.frombuffer(buf, dtype=torch.float32) if end > begin else torch.zeros(0)
            out[name] = t.reshape(info["shape"]).clone()
            del buf, t
    return out


def rotary_tables(seq, head_dim, theta, factor):
    """cos/sin [seq, head_dim] in float64, rounded once to float32 (as the engine computes them)."""
    half = head_dim // 2
    cos = torch.zeros(seq, head_dim, dtype=torch.float64)
    sin = torch.zeros(seq, head_dim, dtype=torch.float64)
    for p in range(seq):
        for i in range(half):
            angle = (p / factor) * theta ** ((-2 * i) / head_dim)
            cos[p, i] = cos[p, i + half] = math.cos(angle)
            sin[p, i] = sin[p, i + half] = math.sin(angle)
    return cos.float(), sin.float()


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rms_norm(x, w, eps):
    return x * (1.0 / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps)) * w


class Decoder:
    def __init__(self, config, weights, lora=None, adapters=None):
        self.c = config
        self.w = weights
        self.lora = lora
        self.adapters = adapters or {}
        self.scale = (lora["alpha"] / lora["r"]) if lora else 0.0
        self.tables = {}

    def linear(self, x, module, bias):
        y = F.linear(x, self.w[module + ".weight"], self.w.get(module + ".bias") if bias else None)
        a = self.adapters.get("base_model.model." + module + ".lora_A.weight")
        if a is not None:
            b = self.adapters["base_model.model." + module + ".lora_B.weight"]
            y = y + F.linear(F.linear(x, a) * self.scale, b)
        return y

    def logits(self, ids, attention):
        c = self.c
        bsz, seq = ids.shape
        heads, kv, dh = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
        group = heads // kv
        eps = c["rms_norm_eps"]
        qkv_bias = c["attention_bias"]
        if seq not in self.tables:
            factor = c["rope_scaling"]["factor"] if c.get("rope_scaling") else 1.0
            self.tables[seq] = rotary_tables(seq, dh, c["rope_theta"], factor)
        cos, sin = self.tables[seq]
        causal = torch.tril(torch.ones(seq, seq, dtype=torch.bool))
        mask = causal[None, None, :, :] & attention.bool()[:, None, None, :]
        embed = self.w["model.embed_tokens.weight"]
        h = embed[ids]
        for layer in range(c["num_hidden_layers"]):
            p = f"model.layers.{layer}"
            x = rms_norm(h, self.w[p + ".input_layernorm.weight"], eps)
            q = self.linear(x, p + ".self_attn.q_proj", qkv_bias).view(bsz, seq, heads, dh).transpose(1, 2)
            k = self.linear(x, p + ".self_attn.k_proj", qkv_bias).view(bsz, seq, kv, dh).transpose(1, 2)
            v = self.linear(x, p + ".self_attn.v_proj", qkv_bias).view(bsz, seq, kv, dh).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            q = q * (1.0 / math.sqrt(dh))
            if group > 1:
                k = k.repeat_interleave(group, dim=1)
                v = v.repeat_interleave(group, dim=1)
            scores = torch.matmul(q, k.transpose(-1, -2)).masked_fill(~mask, -1e9)
            out = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(bsz, seq, heads * dh)
            h = h + self.linear(out, p + ".self_attn.o_proj", c["attention_out_bias"])
            x = rms_norm(h, self.w[p + ".post_attention_layernorm.weight"], eps)
            gate = self.linear(x, p + ".mlp.gate_proj", False)
            up = self.linear(x, p + ".mlp.up_proj", False)
            h = h + self.linear(F.silu(gate) * up, p + ".mlp.down_proj", False)
        head = embed if c["tie_word_embeddings"] else self.w["lm_head.weight"]
        return F.linear(rms_norm(h, self.w["model.norm.weight"], eps), head)

    def loss(self, ids, labels, attention):
        logits = self.logits(ids, attention)
        vocab = logits.shape[-1]
        return F.cross_entropy(logits[:, :-1].reshape(-1, vocab), labels[:, 1:].reshape(-1), ignore_index=IGNORE_INDEX)


def normalize_config(c):
    c = dict(c)
    c.setdefault("num_key_value_heads", c["num_attention_heads"])
    c.setdefault("head_dim", c["hidden_size"] // c["num_attention_heads"])
    c.setdefault("rope_theta", 10000.0)
    c.setdefault("rope_scaling", None)
    c.setdefault("rms_norm_eps", 1e-6)
    c.setdefault("tie_word_embeddings", False)
    mt = c["model_type"]
    c["attention_bias"] = True if mt == "qwen2" else bool(c.get("attention_bias", False)) if mt == "llama" else False
    c["attention_out_bias"] = mt == "llama" and c["attention_bias"]
    return c


def no_decay(name):
    return name.endswith(".bias") or "norm" in name


def main():
    spec = json.load(open(sys.argv[1]))
    threads = int(spec.get("threads", 2))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    config = normalize_config(spec["config"])
    weights = read_safetensors(spec["weights"])
    method = spec["method"]
    adapters = None
    if method == "lora":
        adapters = read_safetensors(spec["adapters"])
        trainable = adapters
        for t in weights.values():
            t.requires_grad_(False)
    elif method == "full":
        trainable = weights
    else:
        raise ValueError(f"method {method} is not modelled by the reference (full, lora)")
    for t in trainable.values():
        t.requires_grad_(True)
    model = Decoder(config, weights, spec.get("lora") if method == "lora" else None, adapters)

    optim = spec["optim"]
    names = sorted(trainable)
    groups = [
        {"params": [trainable[n] for n in names if not no_decay(n)], "weight_decay": optim["weight_decay"]},
        {"params": [trainable[n] for n in names if no_decay(n)], "weight_decay": 0.0},
    ]
    groups = [g for g in groups if g["params"]]
    opt = torch.optim.AdamW(groups, lr=spec["lrs"][0], betas=tuple(optim["betas"]), eps=optim["eps"])
    max_norm = optim["max_grad_norm"] if optim["max_grad_norm"] > 0 else float("inf")
    params = [trainable[n] for n in names]

    batches = []
    for b in spec["batches"]:
        shape = (b["batch"], b["seq"])
        batches.append((
            torch.tensor(b["input_ids"], dtype=torch.long).view(shape),
            torch.tensor(b["labels"], dtype=torch.long).view(shape),
            torch.tensor(b["attention_mask"], dtype=torch.long).view(shape),
        ))

    losses, norms, times = [], [], []
    for t, lr in enumerate(spec["lrs"]):
        ids, labels, attention = batches[t % len(batches)]
        start = time.perf_counter()
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss = model.loss(ids, labels, attention)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
        opt.step()
        times.append((time.perf_counter() - start) * 1000.0)
        losses.append(loss.item())
        norms.append(float(norm))

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({
        "losses": losses,
        "grad_norms": norms,
        "ms_per_step": times[int(spec.get("warmup", 0)):],
        "peak_rss_mb": rss_mb,
        "torch": torch.__version__,
        "threads": threads,
        "params": sum(p.numel() for p in params),
    }))


if __name__ == "__main__":
    main()

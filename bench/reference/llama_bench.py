#!/usr/bin/python3
"""Plain-PyTorch baseline of a Llama-family decoder for the model benchmark (bench/model/run.sh, decode.sh).

Loads the model directory the Java benchmark wrote (config.json + model.safetensors or shards, F32/BF16/F16,
read by hand) into an fp32 Llama / Qwen2 / Qwen3 written here in plain PyTorch (the forward of
llama_reference.py, batched, with a KV cache), then measures with the same shapes as the Java side:
training tokens/s (AdamW, cross-entropy, clip 1.0), KV-cache generation tokens/s at batch 1 and batched
(temperature-1 sampling, per-token log-probs as the Java side computes them), and the fp32 matmul peak.

Usage: /usr/bin/python3 bench/reference/llama_bench.py MODEL_DIR OUT.json [threads] [batch] [seq]
       [train_steps] [gen_tokens] [gen_batch]
"""
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        raw = np.frombuffer(data[a:b], dtype={"F32": "<f4", "F16": "<f2", "BF16": "<u2"}[info["dtype"]])
        if info["dtype"] == "BF16":  # a bfloat16 is the top half of a float32
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        out[name] = torch.tensor(raw.astype(np.float32).reshape(info["shape"]))
    return out


def read_model(model_dir):
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        w = {}
        for shard in sorted(set(json.load(open(index))["weight_map"].values())):
            w.update(read_safetensors(os.path.join(model_dir, shard)))
        return w
    return read_safetensors(os.path.join(model_dir, "model.safetensors"))


def inverse_frequencies(c):
    hd = c["head_dim"]
    inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    rs = c.get("rope_scaling")
    if rs and (rs.get("rope_type") or rs.get("type")) == "llama3":
        factor, low, high, old = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"], \
            rs["original_max_position_embeddings"]
        wavelen = 2 * math.pi / inv
        smooth = (old / wavelen - low) / (high - low)
        blended = (1 - smooth) * inv / factor + smooth * inv
        inv = torch.where(wavelen > old / low, inv / factor, torch.where(wavelen < old / high, inv, blended))
    return inv.float()


class Llama(torch.nn.Module):
    def __init__(self, c, weights):
        super().__init__()
        c.setdefault("head_dim", c["hidden_size"] // c["num_attention_heads"])
        self.c = c
        self.p = torch.nn.ParameterDict({k.replace(".", "_"): torch.nn.Parameter(v.clone())
                                         for k, v in weights.items() if not k.endswith("rotary_emb.inv_freq")})
        self.inv = inverse_frequencies(c)

    def w(self, name):
        return self.p[name.replace(".", "_")]

    def linear(self, name, x):
        bias = name.replace(".", "_") + "_bias"
        return F.linear(x, self.w(name + ".weight"), self.p[bias] if bias in self.p else None)

    def norm(self, x, name):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.c["rms_norm_eps"]) * self.w(name)

    def forward(self, ids, pos, mask, cache=None):
        """ids, pos (B, T); mask additive (B or 1, 1, T, K) or None; cache: list of (k, v) per layer, extended."""
        c = self.c
        H, KV, hd = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
        B, T = ids.shape
        ang = pos[..., None].float() * self.inv  # (B, T, hd/2)
        ang = torch.cat([ang, ang], -1)[:, None]  # (B, 1, T, hd)
        cos, sin = ang.cos(), ang.sin()
        x = self.w("model.embed_tokens.weight")[ids]
        for i in range(c["num_hidden_layers"]):
            p = f"model.layers.{i}."
            a = self.norm(x, p + "input_layernorm.weight")
            q = self.linear(p + "self_attn.q_proj", a).view(B, T, H, hd)
            k = self.linear(p + "self_attn.k_proj", a).view(B, T, KV, hd)
            v = self.linear(p + "self_attn.v_proj", a).view(B, T, KV, hd).transpose(1, 2)
            if c["model_type"] == "qwen3":
                q = self.norm(q, p + "self_attn.q_norm.weight")
                k = self.norm(k, p + "self_attn.k_norm.weight")
            q, k = q.transpose(1, 2), k.transpose(1, 2)
            q = q * cos + torch.cat([-q[..., hd // 2:], q[..., :hd // 2]], -1) * sin
            k = k * cos + torch.cat([-k[..., hd // 2:], k[..., :hd // 2]], -1) * sin
            if cache is not None:
                if len(cache) > i:
                    k = torch.cat([cache[i][0], k], 2)
                    v = torch.cat([cache[i][1], v], 2)
                    cache[i] = (k, v)
                else:
                    cache.append((k, v))
            g = H // KV
            if g > 1:
                k, v = k.repeat_interleave(g, 1), v.repeat_interleave(g, 1)
            att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
            if mask is not None:
                att = att + mask
            y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, H * hd)
            x = x + self.linear(p + "self_attn.o_proj", y)
            m = self.norm(x, p + "post_attention_layernorm.weight")
            x = x + self.linear(p + "mlp.down_proj", F.silu(self.linear(p + "mlp.gate_proj", m))
                                * self.linear(p + "mlp.up_proj", m))
        x = self.norm(x, "model.norm.weight")
        out = "lm_head_weight" if "lm_head_weight" in self.p else "model_embed_tokens_weight"
        return F.linear(x, self.p[out])


def causal(T):
    return torch.triu(torch.full((T, T), -1e9), 1).view(1, 1, T, T)


def generate(model, prompts, n_new, gen):
    B, P = len(prompts), len(prompts[0])
    ids = torch.tensor(prompts)
    cache = []
    with torch.no_grad():
        logits = model(ids, torch.arange(P).expand(B, P), causal(P), cache)[:, -1]
        for t in range(n_new):
            logp = logits.log_softmax(-1)
            tok = torch.multinomial(logp.exp(), 1, generator=gen)
            _ = logp.gather(1, tok)  # behaviour log-probs, as the Java side reports them
            if t == n_new - 1:
                break
            logits = model(tok, torch.full((B, 1), P + t), None, cache)[:, -1]


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main():
    a = sys.argv[1:]
    model_dir, out = a[0], a[1]
    threads = int(a[2]) if len(a) > 2 else 1
    batch, seq, steps, gen_tokens, gen_batch = [int(x) for x in (a[3:8] + ["16", "64", "30", "64", "8"][len(a[3:8]):])]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = json.load(open(f"{model_dir}/config.json"))
    model = Llama(cfg, read_model(model_dir))
    r = {"impl": f"pytorch-{torch.__version__}-{threads}-threads", "model_type": cfg["model_type"],
         "parameters": sum(p.numel() for p in model.parameters()), "batch": batch, "seq": seq}
    n = 1024
    x, y = torch.randn(n, n), torch.randn(n, n)
    r["matmul_peak_gflops"] = 2 * n ** 3 / min(timed(lambda: x @ y) for _ in range(20)) / 1e9

    V = cfg["vocab_size"]
    if steps > 0:
        g = torch.Generator().manual_seed(2)
        ids = torch.cat([torch.ones(batch, 1, dtype=torch.long), torch.randint(2, V, (batch, seq - 1), generator=g)], 1)
        inp, tgt = ids[:, :-1], ids[:, 1:]
        T = seq - 1
        pos, mask = torch.arange(T).view(1, T), causal(T)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.01)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(inp, pos, mask).reshape(-1, V), tgt.reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()

        step()
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        s = time.perf_counter() - t0
        r["train_tokens_per_s"] = batch * T * steps / s
        r["train_tokens_per_cpu_s"] = batch * T * steps / (time.process_time() - c0)
        r["train_ms_per_step"] = 1e3 * s / steps

    for gb in (1, gen_batch):
        prompts = [[1, 2 + b % (V - 2), 3] for b in range(gb)]
        gen = torch.Generator().manual_seed(0)
        for _ in range(5):  # the same warm-up as the Java side
            generate(model, prompts, gen_tokens, gen)
        reps = 10 if gb == 1 else 4
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(reps):
            generate(model, prompts, gen_tokens, gen)
        r[f"gen_tokens_per_s_batch{gb}"] = gb * gen_tokens * reps / (time.perf_counter() - t0)
        r[f"gen_tokens_per_cpu_s_batch{gb}"] = gb * gen_tokens * reps / (time.process_time() - c0)

    json.dump(r, open(out, "w"), indent=2)
    print(json.dumps(r, indent=2))


if __name__ == "__main__":
    main()

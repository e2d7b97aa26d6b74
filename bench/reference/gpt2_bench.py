#!/usr/bin/python3
"""Plain-PyTorch baseline for the DJL model core benchmark (bench/model/run.sh).

Loads the exact model directory the Java benchmark wrote (config.json + model.safetensors, read by
hand), then measures with the same shapes: training tokens/s (AdamW, cross-entropy on the response
tokens), KV-cache generation tokens/s at batch 1 and batched (temperature-1 sampling, per-token
log-probs computed as the Java side does), and achieved FLOP/s against a measured fp32 matmul peak.

Usage: /usr/bin/python3 bench/reference/gpt2_bench.py MODEL_DIR OUT.json [threads] [batch] [seq]
       [train_steps] [gen_tokens] [gen_batch]
"""
import json
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16}


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
        arr = np.frombuffer(data[a:b], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        out[name.removeprefix("transformer.")] = torch.tensor(arr.astype(np.float32))
    return out


class Gpt(torch.nn.Module):
    def __init__(self, cfg, weights):
        super().__init__()
        self.cfg = cfg
        self.p = torch.nn.ParameterDict({k.replace(".", "_"): torch.nn.Parameter(v.clone())
                                         for k, v in weights.items()
                                         if not k.endswith(".attn.bias") and not k.endswith(".attn.masked_bias")
                                         and k != "lm_head.weight"})

    def w(self, name):
        return self.p[name.replace(".", "_")]

    def forward(self, ids, pos, mask, cache=None):
        """ids, pos (B, T); mask additive (B or 1, 1, T, K); cache: list of (k, v) per layer, extended."""
        c = self.cfg
        d, H = c["n_embd"], c["n_head"]
        hd = d // H
        B, T = ids.shape
        x = self.w("wte.weight")[ids] + self.w("wpe.weight")[pos]
        for i in range(c["n_layer"]):
            p = f"h.{i}."
            a = F.layer_norm(x, (d,), self.w(p + "ln_1.weight"), self.w(p + "ln_1.bias"), c["layer_norm_epsilon"])
            qkv = torch.addmm(self.w(p + "attn.c_attn.bias"), a.view(-1, d), self.w(p + "attn.c_attn.weight"))
            q, k, v = qkv.view(B, T, 3 * d).split(d, dim=-1)
            q, k, v = (t.reshape(B, T, H, hd).transpose(1, 2) for t in (q, k, v))
            if cache is not None:
                if len(cache) > i:
                    k = torch.cat([cache[i][0], k], 2)
                    v = torch.cat([cache[i][1], v], 2)
                    cache[i] = (k, v)
                else:
                    cache.append((k, v))
            att = ((q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask).softmax(-1)
            y = (att @ v).transpose(1, 2).reshape(B * T, d)
            x = x + torch.addmm(self.w(p + "attn.c_proj.bias"), y, self.w(p + "attn.c_proj.weight")).view(B, T, d)
            m = F.layer_norm(x, (d,), self.w(p + "ln_2.weight"), self.w(p + "ln_2.bias"), c["layer_norm_epsilon"])
            m = F.gelu(torch.addmm(self.w(p + "mlp.c_fc.bias"), m.view(-1, d), self.w(p + "mlp.c_fc.weight")),
                       approximate="tanh")
            x = x + torch.addmm(self.w(p + "mlp.c_proj.bias"), m, self.w(p + "mlp.c_proj.weight")).view(B, T, d)
        x = F.layer_norm(x, (d,), self.w("ln_f.weight"), self.w("ln_f.bias"), c["layer_norm_epsilon"])
        return x @ self.w("wte.weight").T


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
            pos = torch.full((B, 1), P + t)
            logits = model(tok, pos, torch.zeros(1, 1, 1, P + t + 1), cache)[:, -1]


def main():
    a = sys.argv[1:]
    model_dir, out = a[0], a[1]
    threads = int(a[2]) if len(a) > 2 else 2
    batch, seq, steps, gen_tokens, gen_batch = [int(x) for x in (a[3:8] + ["16", "64", "30", "64", "8"][len(a[3:8]):])]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = json.load(open(f"{model_dir}/config.json"))
    model = Gpt(cfg, read_safetensors(f"{model_dir}/model.safetensors"))
    r = {"impl": f"pytorch-{torch.__version__}-{threads}-threads", "batch": batch, "seq": seq}

    n = 1024
    x, y = torch.randn(n, n), torch.randn(n, n)
    best = min(timed(lambda: x @ y) for _ in range(20))
    peak = 2 * n ** 3 / best
    r["matmul_peak_gflops"] = peak / 1e9

    V, d, L = cfg["vocab_size"], cfg["n_embd"], cfg["n_layer"]
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

    for _ in range(3):
        step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    s = time.perf_counter() - t0
    r["train_tokens_per_cpu_s"] = batch * (seq - 1) * steps / (time.process_time() - c0)
    tokens = batch * T * steps
    fwd = 2 * (L * 12 * d * d + V * d) + 4 * L * T * d
    r["train_tokens_per_s"] = tokens / s
    r["train_ms_per_step"] = 1e3 * s / steps
    r["train_gflops"] = tokens * 3 * fwd / s / 1e9
    r["train_fraction_of_peak"] = tokens * 3 * fwd / s / peak

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


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Independent GPT-2 in plain PyTorch: writes a random tiny GPT-2 as a Hugging Face model directory
and the logits it computes, so the Java implementation can be checked against it.

Writes into --out:
  config.json           Hugging Face GPT-2 keys
  model.safetensors     written by hand (8-byte little-endian header length, JSON header, raw
                        little-endian data), with the "transformer." prefix, the attn.bias /
                        attn.masked_bias buffers and a tied lm_head.weight, as HF checkpoints have
  expected_logits.json  {"tokens": [...], "logits": [[...] per position]}

Run with Debian's interpreter (python3-torch): /usr/bin/python3 bench/reference/gpt2_reference.py \
    --out model/src/test/resources/reference/gpt2-tiny --seed 1234
The committed test resource was produced by exactly that command.
"""
import argparse
import json
import math
import os
import struct

import torch
import torch.nn.functional as F


def make_weights(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    d, L, V, T = cfg["n_embd"], cfg["n_layer"], cfg["vocab_size"], cfg["n_positions"]

    def rnd(*shape, std=0.2, mean=0.0):
        return (torch.randn(*shape, generator=g) * std + mean).float()

    w = {"wte.weight": rnd(V, d), "wpe.weight": rnd(T, d)}
    for i in range(L):
        p = f"h.{i}."
        w[p + "ln_1.weight"] = rnd(d, std=0.1, mean=1.0)
        w[p + "ln_1.bias"] = rnd(d, std=0.1)
        w[p + "attn.c_attn.weight"] = rnd(d, 3 * d)  # Conv1D layout: (in, out)
        w[p + "attn.c_attn.bias"] = rnd(3 * d, std=0.1)
        w[p + "attn.c_proj.weight"] = rnd(d, d)
        w[p + "attn.c_proj.bias"] = rnd(d, std=0.1)
        w[p + "ln_2.weight"] = rnd(d, std=0.1, mean=1.0)
        w[p + "ln_2.bias"] = rnd(d, std=0.1)
        w[p + "mlp.c_fc.weight"] = rnd(d, 4 * d)
        w[p + "mlp.c_fc.bias"] = rnd(4 * d, std=0.1)
        w[p + "mlp.c_proj.weight"] = rnd(4 * d, d)
        w[p + "mlp.c_proj.bias"] = rnd(d, std=0.1)
    w["ln_f.weight"] = rnd(d, std=0.1, mean=1.0)
    w["ln_f.bias"] = rnd(d, std=0.1)
    return w


def forward(w, cfg, tokens):
    """Logits (seq, vocab) of one sequence: GPT-2 with tanh GELU and an lm head tied to wte."""
    d, H, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    hd = d // H
    T = tokens.shape[0]
    x = w["wte.weight"][tokens] + w["wpe.weight"][torch.arange(T)]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for i in range(cfg["n_layer"]):
        p = f"h.{i}."
        a = F.layer_norm(x, (d,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = a @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = qkv.split(d, dim=-1)
        q, k, v = (t.view(T, H, hd).transpose(0, 1) for t in (q, k, v))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        att = att.masked_fill(~causal, float("-inf")).softmax(-1)
        y = (att @ v).transpose(0, 1).reshape(T, d)
        x = x + y @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        m = F.layer_norm(x, (d,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        m = F.gelu(m @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"], approximate="tanh")
        x = x + m @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    x = F.layer_norm(x, (d,), w["ln_f.weight"], w["ln_f.bias"], eps)
    return x @ w["wte.weight"].T


def write_safetensors(path, tensors):
    """The safetensors format by hand: u64 LE header size, JSON header, little-endian raw data."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        data = t.contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # align the data start to 8 bytes, as the reference writer does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    cfg = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "activation_function": "gelu_new",
           "vocab_size": 32, "n_positions": 16, "n_ctx": 16, "n_embd": 16, "n_layer": 2, "n_head": 2,
           "layer_norm_epsilon": 1e-5, "bos_token_id": 31, "eos_token_id": 31}
    w = make_weights(cfg, args.seed)
    g = torch.Generator().manual_seed(args.seed + 1)
    tokens = torch.randint(0, cfg["vocab_size"], (12,), generator=g)
    with torch.no_grad():
        logits = forward(w, cfg, tokens)

    os.makedirs(args.out, exist_ok=True)
    stored = {}
    T = cfg["n_positions"]
    for name, t in w.items():
        stored["transformer." + name] = t
        if name.endswith("ln_1.weight"):  # HF's causal-mask buffers, which loaders must skip
            layer = name.split(".")[1]
            stored[f"transformer.h.{layer}.attn.bias"] = torch.tril(torch.ones(T, T)).view(1, 1, T, T)
            stored[f"transformer.h.{layer}.attn.masked_bias"] = torch.tensor(-1e4)
    stored["lm_head.weight"] = w["wte.weight"]  # tied
    write_safetensors(os.path.join(args.out, "model.safetensors"), stored)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    with open(os.path.join(args.out, "expected_logits.json"), "w") as f:
        json.dump({"seed": args.seed, "tokens": tokens.tolist(),
                   "logits": [[round(v, 7) for v in row] for row in logits.tolist()]}, f)
    print(f"wrote {args.out} ({sum(t.numel() for t in w.values())} parameters)")


if __name__ == "__main__":
    main()

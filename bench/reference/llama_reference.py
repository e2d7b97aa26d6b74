#!/usr/bin/python3
"""Independent Llama-family decoder (Llama 2/3, SmolLM2, Qwen2, Qwen3) in plain PyTorch, written from the
papers and the Hugging Face config semantics (no `transformers` here): writes a model with random weights as
a Hugging Face model directory, and what this implementation computes on it, so that the Java implementation
can be checked against it.

What it implements:
  RMSNorm (x / sqrt(mean(x^2) + eps) * w); rotary embeddings in the rotate-half layout with rope_theta and
  Llama 3's rope_scaling (rope_type "llama3": long wavelengths divided by `factor`, a smooth blend between
  low_freq_factor and high_freq_factor); grouped-query attention (num_key_value_heads); SwiGLU MLP
  (down(silu(gate(x)) * up(x))); tied or untied output layer; Qwen2's q/k/v biases; Qwen3's per-head
  q/k RMSNorm before the rotation, and a head_dim that need not be hidden_size / num_attention_heads.

Writes into --out:
  config.json            Hugging Face keys of LlamaForCausalLM / Qwen2ForCausalLM / Qwen3ForCausalLM
  model.safetensors      or model-0000k-of-0000n.safetensors + model.safetensors.index.json (--shards n),
                         written by hand (u64 LE header size, JSON header, raw little-endian data), in
                         F32, BF16 or F16 (--dtype); the logits are those of the stored (rounded) weights
  expected.json          {"tokens", "logits" (per position, float64 forward), "fp32_error" (max |float32
                         forward - float64 forward| of this implementation), "prompt", "greedy" (greedy
                         continuation by full recomputation at every step), "dtype"}

Run with Debian's interpreter (python3-torch):
  /usr/bin/python3 bench/reference/llama_reference.py --preset llama-tiny --out DIR [--seed S] [--dtype bf16]
The committed test resources under model/src/test/resources/reference/ were produced by the commands in
model/src/test/resources/reference/README.md.
"""
import argparse
import json
import math
import os
import struct

import numpy as np
import torch

PRESETS = {
    # Tiny shapes for the committed fixtures: every feature on, in a few kilobytes.
    "llama-tiny": dict(model_type="llama", vocab_size=64, hidden_size=32, intermediate_size=32,
                       num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                       max_position_embeddings=128, rms_norm_eps=1e-5, rope_theta=500000.0,
                       # head_dim 16 at theta 5e5 has wavelengths of 6.3, 32, 167, ...: with these settings
                       # the first is kept, the second blended and the rest stretched by the factor.
                       rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                     "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
                       tie_word_embeddings=False, attention_bias=False, bos_token_id=1, eos_token_id=[2, 3]),
    "qwen2-tiny": dict(model_type="qwen2", vocab_size=64, hidden_size=32, intermediate_size=32,
                       num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=1,
                       max_position_embeddings=64, rms_norm_eps=1e-6, rope_theta=1000000.0,
                       tie_word_embeddings=True, bos_token_id=0, eos_token_id=1),
    "qwen3-tiny": dict(model_type="qwen3", vocab_size=64, hidden_size=32, intermediate_size=32,
                       num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                       max_position_embeddings=64, rms_norm_eps=1e-6, rope_theta=1000000.0,
                       tie_word_embeddings=True, attention_bias=False, bos_token_id=0, eos_token_id=1),
    # The benchmark shapes: SmolLM2-135M's, and a small Qwen3 (Qwen3-0.6B's layout at a quarter of its depth).
    "smollm2-135m": dict(model_type="llama", vocab_size=49152, hidden_size=576, intermediate_size=1536,
                         num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3,
                         max_position_embeddings=8192, rms_norm_eps=1e-5, rope_theta=100000.0,
                         tie_word_embeddings=True, attention_bias=False, bos_token_id=1, eos_token_id=2),
    "qwen3-small": dict(model_type="qwen3", vocab_size=151936, hidden_size=1024, intermediate_size=3072,
                        num_hidden_layers=7, num_attention_heads=16, num_key_value_heads=8, head_dim=128,
                        max_position_embeddings=40960, rms_norm_eps=1e-6, rope_theta=1000000.0,
                        tie_word_embeddings=True, attention_bias=False, bos_token_id=151643, eos_token_id=151645),
}
ARCHITECTURES = {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM"}


def full_config(preset):
    c = dict(PRESETS[preset])
    c["architectures"] = [ARCHITECTURES[c["model_type"]]]
    c.setdefault("head_dim", c["hidden_size"] // c["num_attention_heads"])
    c.setdefault("rope_scaling", None)
    c.update(hidden_act="silu", attention_dropout=0.0, initializer_range=0.02, use_cache=True)
    if c["model_type"] == "llama":
        c.update(mlp_bias=False, pretraining_tp=1)
    else:
        c.update(use_sliding_window=False, sliding_window=None, max_window_layers=c["num_hidden_layers"])
    return c


def parameter_shapes(c):
    d, hd, H, KV, I = c["hidden_size"], c["head_dim"], c["num_attention_heads"], c["num_key_value_heads"], \
        c["intermediate_size"]
    qkv_bias = c["model_type"] == "qwen2" or c.get("attention_bias", False)
    o_bias = c["model_type"] != "qwen2" and c.get("attention_bias", False)
    s = {"model.embed_tokens.weight": (c["vocab_size"], d)}
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        s[p + "input_layernorm.weight"] = (d,)
        s[p + "self_attn.q_proj.weight"] = (H * hd, d)
        s[p + "self_attn.k_proj.weight"] = (KV * hd, d)
        s[p + "self_attn.v_proj.weight"] = (KV * hd, d)
        if qkv_bias:
            s[p + "self_attn.q_proj.bias"] = (H * hd,)
            s[p + "self_attn.k_proj.bias"] = (KV * hd,)
            s[p + "self_attn.v_proj.bias"] = (KV * hd,)
        s[p + "self_attn.o_proj.weight"] = (d, H * hd)
        if o_bias:
            s[p + "self_attn.o_proj.bias"] = (d,)
        if c["model_type"] == "qwen3":
            s[p + "self_attn.q_norm.weight"] = (hd,)
            s[p + "self_attn.k_norm.weight"] = (hd,)
        s[p + "post_attention_layernorm.weight"] = (d,)
        s[p + "mlp.gate_proj.weight"] = (I, d)
        s[p + "mlp.up_proj.weight"] = (I, d)
        s[p + "mlp.down_proj.weight"] = (d, I)
    s["model.norm.weight"] = (d,)
    if not c["tie_word_embeddings"]:
        s["lm_head.weight"] = (c["vocab_size"], d)
    return s


def random_weights(c, seed):
    """Norm gains near 1, biases near 0, matrices N(0, std) with std large enough that every layer matters."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, shape in parameter_shapes(c).items():
        if name.endswith("norm.weight"):
            t = 1.0 + 0.1 * torch.randn(shape, generator=g)
        elif name.endswith(".bias"):
            t = 0.1 * torch.randn(shape, generator=g)
        else:
            # Embeddings small beside the blocks' outputs, so that a tied output layer does not just
            # predict the input token again (greedy decoding would repeat one token).
            std = 0.3 if name.endswith("embed_tokens.weight") or name == "lm_head.weight" else 3 / math.sqrt(shape[-1])
            t = torch.randn(shape, generator=g) * std
        out[name] = t.float()
    return out


def inverse_frequencies(c):
    """Rotary inverse frequencies of one head, with Llama 3's scaling when the config asks for it (float64)."""
    hd = c["head_dim"]
    inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    rs = c.get("rope_scaling")
    if rs and (rs.get("rope_type") or rs.get("type")) == "llama3":
        factor, low, high = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        wavelen = 2 * math.pi / inv
        # Long wavelengths (past old / low) are stretched by `factor`; short ones (below old / high) kept;
        # between, a linear blend in old / wavelen.
        smooth = (old / wavelen - low) / (high - low)
        blended = (1 - smooth) * inv / factor + smooth * inv
        inv = torch.where(wavelen > old / low, inv / factor, torch.where(wavelen < old / high, inv, blended))
    return inv


def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rotate(x, cos, sin):
    """x (..., T, hd): pairs (i, i + hd/2) rotated by the angle of their frequency at each position."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


def forward(w, c, tokens):
    """Logits (T, vocab) of one sequence, in the dtype of w."""
    d, hd, H, KV = c["hidden_size"], c["head_dim"], c["num_attention_heads"], c["num_key_value_heads"]
    eps, T = c["rms_norm_eps"], tokens.shape[0]
    angles = torch.arange(T, dtype=torch.float64)[:, None] * inverse_frequencies(c)[None, :]  # (T, hd/2)
    angles = torch.cat([angles, angles], -1).to(w["model.norm.weight"].dtype)  # (T, hd)
    cos, sin = angles.cos(), angles.sin()
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    x = w["model.embed_tokens.weight"][tokens]  # (T, d)

    def linear(name, v):
        y = v @ w[name + ".weight"].T
        return y + w[name + ".bias"] if name + ".bias" in w else y

    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        a = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = linear(p + "self_attn.q_proj", a).view(T, H, hd)
        k = linear(p + "self_attn.k_proj", a).view(T, KV, hd)
        v = linear(p + "self_attn.v_proj", a).view(T, KV, hd)
        if c["model_type"] == "qwen3":
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q, k, v = (t.transpose(0, 1) for t in (q, k, v))  # (heads, T, hd)
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        group = H // KV  # query head h reads key/value head h // group
        k, v = k.repeat_interleave(group, 0), v.repeat_interleave(group, 0)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        att = att.masked_fill(~causal, float("-inf")).softmax(-1)
        y = (att @ v).transpose(0, 1).reshape(T, H * hd)
        x = x + linear(p + "self_attn.o_proj", y)
        m = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate = linear(p + "mlp.gate_proj", m)
        x = x + linear(p + "mlp.down_proj", gate * torch.sigmoid(gate) * linear(p + "mlp.up_proj", m))
    x = rms_norm(x, w["model.norm.weight"], eps)
    out = w["lm_head.weight"] if "lm_head.weight" in w else w["model.embed_tokens.weight"]
    return x @ out.T


def stored(t, dtype):
    """The tensor as it is stored: rounded to bf16 / f16 when asked (round to nearest even, as torch does)."""
    return {"f32": t, "bf16": t.to(torch.bfloat16), "f16": t.to(torch.float16)}[dtype]


def tensor_bytes(t):
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: its bits are the top half of the float32's
        return (t.float().numpy().view(np.uint32) >> 16).astype("<u2").tobytes()
    return t.contiguous().numpy().astype({torch.float32: "<f4", torch.float16: "<f2"}[t.dtype]).tobytes()


ST_DTYPE = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16"}


def write_safetensors(path, tensors):
    """The safetensors format by hand: u64 LE header size, JSON header, little-endian raw data."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in tensors.items():
        data = tensor_bytes(t)
        header[name] = {"dtype": ST_DTYPE[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # align the data start to 8 bytes, as the reference writer does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)
    return offset


def write_model(out, c, weights, dtype, shards):
    os.makedirs(out, exist_ok=True)
    kept = {k: stored(v, dtype) for k, v in weights.items()}
    if shards <= 1:
        write_safetensors(os.path.join(out, "model.safetensors"), kept)
    else:
        names = list(kept)
        per = math.ceil(len(names) / shards)
        weight_map, total = {}, 0
        for s in range(shards):
            part = names[s * per:(s + 1) * per]
            file = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
            total += write_safetensors(os.path.join(out, file), {n: kept[n] for n in part})
            weight_map.update({n: file for n in part})
        with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    c = dict(c, torch_dtype={"f32": "float32", "bf16": "bfloat16", "f16": "float16"}[dtype])
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
    return {k: v.double() for k, v in kept.items()}


def greedy(w, c, prompt, n):
    ids = list(prompt)
    for _ in range(n):
        ids.append(int(forward(w, c, torch.tensor(ids)).argmax(-1)[-1]))
    return ids[len(prompt):]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", required=True, choices=sorted(PRESETS))
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--dtype", default="f32", choices=["f32", "bf16", "f16"])
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--tokens", type=int, default=12, help="length of the sequence whose logits are written")
    ap.add_argument("--greedy", type=int, default=10, help="greedy tokens generated after a 4-token prompt")
    ap.add_argument("--logits-rows", type=int, default=0,
                    help="write only the last N positions' logits (0: all; large vocabularies)")
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    c = full_config(args.preset)
    w = write_model(args.out, c, random_weights(c, args.seed), args.dtype, args.shards)
    g = torch.Generator().manual_seed(args.seed + 1)
    tokens = torch.randint(0, c["vocab_size"], (args.tokens,), generator=g)
    with torch.no_grad():
        logits = forward(w, c, tokens)
        # The same forward in float32: how far this implementation's own fp32 is from its float64, the
        # yardstick for any other fp32 implementation.
        fp32_error = (forward({k: v.float() for k, v in w.items()}, c, tokens).double() - logits).abs().max().item()
        prompt = tokens[:4].tolist()
        continuation = greedy(w, c, prompt, args.greedy)
    rows = logits if args.logits_rows <= 0 else logits[-args.logits_rows:]
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump({"preset": args.preset, "seed": args.seed, "dtype": args.dtype, "tokens": tokens.tolist(),
                   "first_logits_row": args.tokens - len(rows), "fp32_error": fp32_error,
                   "logits": [[round(v, 6) for v in row] for row in rows.tolist()],
                   "prompt": prompt, "greedy": continuation}, f)
    print(f"wrote {args.out} ({sum(t.numel() for t in w.values())} parameters, {args.dtype}, "
          f"{max(1, args.shards)} file(s)); greedy {continuation}")


if __name__ == "__main__":
    main()

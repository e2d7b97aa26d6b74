#!/usr/bin/python3
"""Plain-PyTorch baseline of LoRA training for bench/model/lora-train.sh: the Llama-family model of
llama_bench.py on the weights the Java side wrote, trained in full and with a LoRA adapter on every linear
layer (PEFT's recipe: base frozen, A kaiming-uniform, B zero, y = x W^T + (alpha/r) (x A^T) B^T, AdamW over
A and B only), with the same batch, sequence length and steps (one warm-up step each).

Usage: /usr/bin/python3 bench/reference/lora_bench.py MODEL_DIR OUT.json [threads=1] [batch=4] [seq=64]
       [steps=3] [rank=8] [modes=full,lora]
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_bench import Llama, causal, read_model  # noqa: E402

TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class LoraLlama(Llama):
    def __init__(self, c, weights, r, alpha):
        super().__init__(c, weights)
        for p in self.p.values():
            p.requires_grad_(False)
        self.scale = alpha / r
        self.lora = torch.nn.ParameterDict()
        for key, p in list(self.p.items()):
            layer = key[:-len("_weight")]
            if key.endswith("_weight") and layer.endswith(TARGETS):
                out_, in_ = p.shape
                a = torch.empty(r, in_)
                torch.nn.init.kaiming_uniform_(a, a=math.sqrt(5))
                self.lora[layer + "_A"] = torch.nn.Parameter(a)
                self.lora[layer + "_B"] = torch.nn.Parameter(torch.zeros(out_, r))

    def linear(self, name, x):
        y = super().linear(name, x)
        key = name.replace(".", "_")
        if key + "_A" in self.lora:
            y = y + F.linear(F.linear(x, self.lora[key + "_A"]) * self.scale, self.lora[key + "_B"])
        return y


def train(model, params, inp, tgt, pos, mask, steps, V):
    opt = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.01)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(inp, pos, mask).reshape(-1, V), tgt.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    step()  # warm-up
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        step()
    return time.perf_counter() - t0, time.process_time() - c0


def main():
    a = sys.argv[1:]
    model_dir, out = a[0], a[1]
    threads, batch, seq, steps, rank = [int(x) for x in (a[2:7] + ["1", "4", "64", "3", "8"][len(a[2:7]):])]
    modes = (a[7] if len(a) > 7 else "full,lora").split(",")
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = json.load(open(f"{model_dir}/config.json"))
    weights = read_model(model_dir)
    V = cfg["vocab_size"]
    g = torch.Generator().manual_seed(2)
    ids = torch.cat([torch.ones(batch, 1, dtype=torch.long), torch.randint(2, V, (batch, seq - 1), generator=g)], 1)
    inp, tgt = ids[:, :-1], ids[:, 1:]
    T = seq - 1
    pos, mask = torch.arange(T).view(1, T), causal(T)
    r = {"impl": f"pytorch-{torch.__version__}-{threads}-threads", "model_type": cfg["model_type"],
         "batch": batch, "seq": seq, "rank": rank}
    tokens = batch * T * steps
    r["parameters"] = sum(v.numel() for v in weights.values())
    if "full" in modes:
        full = Llama(dict(cfg), weights)
        s, cpu = train(full, list(full.parameters()), inp, tgt, pos, mask, steps, V)
        r.update(full_train_tokens_per_s=tokens / s, full_train_tokens_per_cpu_s=tokens / cpu,
                 full_train_ms_per_step=1e3 * s / steps)
        del full
    if "lora" in modes:
        lora = LoraLlama(dict(cfg), weights, rank, 2.0 * rank)
        params = list(lora.lora.parameters())
        r["adapter_parameters"] = sum(p.numel() for p in params)
        s, cpu = train(lora, params, inp, tgt, pos, mask, steps, V)
        r.update(lora_train_tokens_per_s=tokens / s, lora_train_tokens_per_cpu_s=tokens / cpu,
                 lora_train_ms_per_step=1e3 * s / steps)
    json.dump(r, open(out, "w"), indent=2)
    print(json.dumps(r, indent=2))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Recomputes, from the files alone, the log-probs alignstream gave with a LoRA adapter (LoraParity.java):
the base from config.json + model.safetensors (llama_bench.py's plain-PyTorch Llama), the adapter from
adapter_config.json + adapter_model.safetensors exactly as PEFT defines them: for every module M named
base_model.model.M.lora_A.weight (r, in) / lora_B.weight (out, r), y = M(x) + (lora_alpha / r) (x A^T) B^T.

Usage: /usr/bin/python3 bench/reference/lora_parity.py OUT_DIR   (exit 1 when a log-prob is off by > 1e-4)
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_bench import Llama, causal, read_model, read_safetensors  # noqa: E402

PREFIX = "base_model.model."


class PeftLlama(Llama):
    def __init__(self, c, weights, adapter, cfg):
        super().__init__(c, weights)
        self.scale = cfg["lora_alpha"] / cfg["r"]
        self.a = {k[len(PREFIX):-len(".lora_A.weight")]: v for k, v in adapter.items() if k.endswith(".lora_A.weight")}
        self.b = {k[len(PREFIX):-len(".lora_B.weight")]: v for k, v in adapter.items() if k.endswith(".lora_B.weight")}
        assert set(self.a) == set(self.b) and self.a, "every adapted module has A and B"
        self.used = set()

    def linear(self, name, x):
        y = super().linear(name, x)
        if name in self.a:
            self.used.add(name)
            y = y + F.linear(F.linear(x, self.a[name]), self.b[name]) * self.scale
        return y


def main():
    out = sys.argv[1]
    d = os.path.join(out, "model")
    cfg = json.load(open(os.path.join(d, "config.json")))
    peft = json.load(open(os.path.join(d, "adapter_config.json")))
    assert peft["peft_type"] == "LORA" and not peft["fan_in_fan_out"], peft
    java = json.load(open(os.path.join(out, "java-logprobs.json")))
    ids = java["prompt"] + java["response"]
    inp, tgt = torch.tensor([ids[:-1]]), torch.tensor([ids[1:]])
    T = inp.shape[1]
    P = len(java["prompt"])
    worst = 0.0
    for label, model in (("base", Llama(dict(cfg), read_model(d))),
                         ("adapted", PeftLlama(dict(cfg), read_model(d),
                                               read_safetensors(os.path.join(d, "adapter_model.safetensors")), peft))):
        with torch.no_grad():
            lp = model(inp, torch.arange(T).view(1, T), causal(T)).log_softmax(-1).gather(-1, tgt[..., None])[0, :, 0]
        ref = lp[P - 1:]
        diff = (ref - torch.tensor(java[label])).abs().max().item()
        worst = max(worst, diff)
        extra = f", {len(model.used)} adapted modules used" if label == "adapted" else ""
        print(f"{label}: max |alignstream - PyTorch| over {len(ref)} response log-probs = {diff:.2e}{extra}")
    moved = (torch.tensor(java["adapted"]) - torch.tensor(java["base"])).abs().max().item()
    print(f"the adapter moves the log-probs by up to {moved:.2e} (so the check above is not of an inert adapter)")
    sys.exit(0 if worst <= 1e-4 and moved > 1e-2 else 1)


if __name__ == "__main__":
    main()

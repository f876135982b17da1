"""Reference Llama / Qwen2 / Mistral forward pass in PyTorch, used as an oracle for the ONNX graphs.

Reads a Hugging Face checkpoint folder (config.json + model.safetensors, parsed here without the safetensors
package), scores JSONL lines {"input_ids": [...], "loss_mask": [...]} in float64, and writes:
  --logprobs FILE  one JSON line per input: {"logprobs": [null, lp_1, ...]} where lp_t = log p(ids[t] | ids[:t])
  --logits FILE    safetensors with "logits.<line>" of shape [T, vocab]
  --grads FILE     safetensors with the gradient of sum_lines sum_t loss_mask[t] * lp_t for every parameter
  --adapter DIR    a PEFT LoRA adapter (adapter_config.json, adapter_model.safetensors) added to the
                   projections as y += (lora_alpha / r) * x A^T B^T; the gradients are then the adapters'

Run with Debian's interpreter (which has python3-torch): /usr/bin/python3 tests/torch/reference_llama.py ...
"""

import argparse
import json
import math
import struct

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64}


def read_safetensors(path):
    """Returns {name: float64 tensor} from a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    start = 8 + header_len
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = bytearray(data[start + begin : start + end])
        flat = torch.frombuffer(raw, dtype=DTYPES[entry["dtype"]]) if raw else torch.zeros(0)
        tensors[name] = flat.to(torch.float64).reshape(entry["shape"])
    return tensors


def write_safetensors(path, tensors):
    """Writes {name: tensor} as float32 safetensors."""
    header, chunks, offset = {}, [], 0
    for name, tensor in tensors.items():
        raw = tensor.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


class Llama:
    """The decoder-only Llama family, written out op by op as Hugging Face's modeling code defines it."""

    def __init__(self, config, weights, adapter=None, scale=1.0):
        self.c = config
        self.w = weights
        self.adapter = adapter or {}
        self.scale = scale
        self.heads = config["num_attention_heads"]
        self.kv_heads = config.get("num_key_value_heads") or self.heads
        self.head_dim = config.get("head_dim") or config["hidden_size"] // self.heads
        self.eps = config.get("rms_norm_eps", 1e-6)
        self.theta = config.get("rope_theta", 10000.0)

    def rms_norm(self, x, weight):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * weight

    def linear(self, x, prefix):
        y = x @ self.w[prefix + ".weight"].T
        a = self.adapter.get(prefix + ".lora_A.weight")
        if a is not None:
            y = y + self.scale * ((x @ a.T) @ self.adapter[prefix + ".lora_B.weight"].T)
        bias = self.w.get(prefix + ".bias")
        return y + bias if bias is not None else y

    def rotary(self, x, positions):
        """Rotates [batch, heads, seq, head_dim] by the angles of positions [seq] (Hugging Face's rotate_half)."""
        half = self.head_dim // 2
        exponents = torch.arange(0, self.head_dim, 2, dtype=torch.float64) / self.head_dim
        inv_freq = 1.0 / (self.theta**exponents)
        angles = (positions[:, None].to(torch.float64) * inv_freq[None, :]).to(x.dtype)
        cos = torch.cat([angles.cos(), angles.cos()], -1)
        sin = torch.cat([angles.sin(), angles.sin()], -1)
        rotated = torch.cat([-x[..., half:], x[..., :half]], -1)
        return x * cos + rotated * sin

    def attention(self, x, prefix, positions):
        b, t, _ = x.shape
        q = self.linear(x, prefix + ".q_proj").view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.linear(x, prefix + ".k_proj").view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.linear(x, prefix + ".v_proj").view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q, k = self.rotary(q, positions), self.rotary(k, positions)
        groups = self.heads // self.kv_heads
        k, v = k.repeat_interleave(groups, 1), v.repeat_interleave(groups, 1)
        scores = q @ k.transpose(2, 3) / math.sqrt(self.head_dim)
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        scores = scores.masked_fill(~causal, float("-inf"))
        out = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, self.heads * self.head_dim)
        return self.linear(out, prefix + ".o_proj")

    def mlp(self, x, prefix):
        gate = self.linear(x, prefix + ".gate_proj")
        return self.linear(torch.nn.functional.silu(gate) * self.linear(x, prefix + ".up_proj"), prefix + ".down_proj")

    def logits(self, input_ids):
        """Logits [batch, seq, vocab] of unpadded token ids [batch, seq]."""
        positions = torch.arange(input_ids.shape[1])
        h = self.w["model.embed_tokens.weight"][input_ids]
        for i in range(self.c["num_hidden_layers"]):
            p = f"model.layers.{i}"
            h = h + self.attention(self.rms_norm(h, self.w[p + ".input_layernorm.weight"]), p + ".self_attn", positions)
            h = h + self.mlp(self.rms_norm(h, self.w[p + ".post_attention_layernorm.weight"]), p + ".mlp")
        h = self.rms_norm(h, self.w["model.norm.weight"])
        head = self.w["model.embed_tokens.weight"] if self.c.get("tie_word_embeddings") else self.w["lm_head.weight"]
        return h @ head.T


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--in", dest="input", required=True)
    parser.add_argument("--logprobs", required=True)
    parser.add_argument("--logits")
    parser.add_argument("--grads")
    parser.add_argument("--adapter")
    args = parser.parse_args()

    with open(f"{args.model}/config.json") as f:
        config = json.load(f)
    weights = read_safetensors(f"{args.model}/model.safetensors")
    if config.get("tie_word_embeddings"):
        weights.pop("lm_head.weight", None)
    adapter, scale = None, 1.0
    if args.adapter:
        with open(f"{args.adapter}/adapter_config.json") as f:
            peft = json.load(f)
        scale = peft["lora_alpha"] / peft["r"]
        prefix = "base_model.model."
        adapter = {k[len(prefix):]: v for k, v in read_safetensors(f"{args.adapter}/adapter_model.safetensors").items()}
    trained = adapter if adapter is not None else weights
    for tensor in trained.values():
        tensor.requires_grad_(True)
    model = Llama(config, weights, adapter, scale)

    with open(args.input) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    total = torch.zeros((), dtype=torch.float64)
    all_logits = {}
    with open(args.logprobs, "w") as out:
        for index, line in enumerate(lines):
            ids = line["input_ids"]
            logits = model.logits(torch.tensor([ids]))[0]
            all_logits[f"logits.{index}"] = logits
            logprobs = logits[:-1].log_softmax(-1).gather(1, torch.tensor(ids[1:])[:, None])[:, 0]
            mask = torch.tensor(line["loss_mask"][1:], dtype=torch.float64)
            total = total + (logprobs * mask).sum()
            out.write(json.dumps({"logprobs": [None] + logprobs.tolist()}) + "\n")
    if args.logits:
        write_safetensors(args.logits, all_logits)
    if args.grads:
        total.backward()
        write_safetensors(args.grads, {name: w.grad for name, w in trained.items()})


if __name__ == "__main__":
    main()

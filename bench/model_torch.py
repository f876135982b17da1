"""PyTorch CPU counterpart of bench/model.ts: one training step (forward + backward of the same loss, all
parameter gradients) for the same ~10M-parameter Llama config and batch, printing tokens/s and peak RSS.

The model is tests/torch/reference_llama.py (Hugging Face's Llama math written out in plain torch ops) in
float32 with every weight a leaf tensor that requires a gradient. The loss matches the ONNX training graph:
sum(-token_weights * logp) + sum(kl_weights * (exp(d) - d - 1)) with d = ref_logprobs - logp.

Usage: /usr/bin/python3 bench/model_torch.py [--batch 8] [--seq 128] [--steps 5] [--threads N]
"""

import argparse
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "torch"))
from reference_llama import Llama  # noqa: E402

# Must equal BENCH_CONFIG in bench/model.ts.
BENCH_CONFIG = {
    "model_type": "llama",
    "vocab_size": 8192,
    "hidden_size": 256,
    "intermediate_size": 768,
    "num_hidden_layers": 10,
    "num_attention_heads": 8,
    "num_key_value_heads": 4,
    "rope_theta": 10000,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": True,
}


def parameter_shapes(c):
    """Hugging Face names and shapes, as src/model/config.ts parameterShapes computes them."""
    head_dim = c["hidden_size"] // c["num_attention_heads"]
    q, kv, h, i = c["num_attention_heads"] * head_dim, c["num_key_value_heads"] * head_dim, c["hidden_size"], c["intermediate_size"]
    shapes = {"model.embed_tokens.weight": (c["vocab_size"], h)}
    for layer in range(c["num_hidden_layers"]):
        p = f"model.layers.{layer}"
        shapes.update({
            f"{p}.input_layernorm.weight": (h,),
            f"{p}.self_attn.q_proj.weight": (q, h),
            f"{p}.self_attn.k_proj.weight": (kv, h),
            f"{p}.self_attn.v_proj.weight": (kv, h),
            f"{p}.self_attn.o_proj.weight": (h, q),
            f"{p}.post_attention_layernorm.weight": (h,),
            f"{p}.mlp.gate_proj.weight": (i, h),
            f"{p}.mlp.up_proj.weight": (i, h),
            f"{p}.mlp.down_proj.weight": (h, i),
        })
    shapes["model.norm.weight"] = (h,)
    return shapes


def main():
    parser = argparse.ArgumentParser(description="PyTorch CPU training-step benchmark")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=128)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    weights = {}
    for name, shape in parameter_shapes(BENCH_CONFIG).items():
        value = torch.ones(shape) if name.endswith("norm.weight") else (torch.rand(shape) - 0.5) * 0.04
        weights[name] = value.requires_grad_(True)
    model = Llama(BENCH_CONFIG, weights)
    tokens = args.batch * args.seq
    ids = torch.tensor([(i * 7919) % BENCH_CONFIG["vocab_size"] for i in range(tokens)])
    input_ids = ids.view(args.batch, args.seq)
    targets = ids.roll(-1).view(args.batch, args.seq)
    token_weights = torch.full((args.batch, args.seq), 1.0 / tokens)
    ref_logprobs = torch.full((args.batch, args.seq), -9.0)
    kl_weights = torch.full((args.batch, args.seq), 0.01)

    def step():
        for w in weights.values():
            w.grad = None
        logp = model.logits(input_ids).log_softmax(-1).gather(-1, targets[..., None])[..., 0]
        d = ref_logprobs - logp
        loss = (-token_weights * logp).sum() + (kl_weights * (d.exp() - d - 1)).sum()
        loss.backward()

    step()  # warm-up
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    times.sort()
    median = times[len(times) // 2]
    params = sum(w.numel() for w in weights.values())
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"model bench: PyTorch {torch.__version__} training step (forward + backward), CPU, {args.threads} threads")
    print(f"  config: llama {params / 1e6:.2f}M params, batch {args.batch} x seq {args.seq}, full gradients")
    print(f"  step time: median {median * 1000:.1f} ms, min {times[0] * 1000:.1f} ms over {args.steps} steps")
    print(f"  training throughput: {tokens / median:.0f} tokens/s")
    print(f"  peak RSS: {peak_rss_mib:.0f} MiB")


if __name__ == "__main__":
    main()

/**
 * Hugging Face `config.json` for decoder-only Llama-family models (llama, qwen2, mistral), and the names and
 * shapes of their parameters under Hugging Face's tensor naming.
 *
 * @module
 */
import { z } from "zod";

/** The Llama-family config fields this project reads; unknown fields are kept but ignored. */
export const LlamaConfig = z.looseObject({
  model_type: z.enum(["llama", "qwen2", "mistral"]),
  vocab_size: z.number().int().positive(),
  hidden_size: z.number().int().positive(),
  intermediate_size: z.number().int().positive(),
  num_hidden_layers: z.number().int().positive(),
  num_attention_heads: z.number().int().positive(),
  num_key_value_heads: z.number().int().positive().optional(),
  head_dim: z.number().int().positive().optional(),
  rms_norm_eps: z.number().positive().default(1e-6),
  rope_theta: z.number().positive().default(10000),
  max_position_embeddings: z.number().int().positive().default(2048),
  tie_word_embeddings: z.boolean().default(false),
  /** qwen2 always has q/k/v biases; llama exposes it as a flag. */
  attention_bias: z.boolean().optional(),
  bos_token_id: z.number().int().nullable().optional(),
  eos_token_id: z.union([z.number().int(), z.array(z.number().int())]).nullable().optional(),
  pad_token_id: z.number().int().nullable().optional(),
  torch_dtype: z.string().optional(),
});
/** A parsed Llama-family config. */
export type LlamaConfig = z.infer<typeof LlamaConfig>;

/** Derived sizes that every graph needs. */
export interface ModelDims {
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  vocab: number;
  /** True when q/k/v projections carry biases (qwen2, or llama with attention_bias). */
  qkvBias: boolean;
}

/** Computes the sizes of a config, validating that they fit together. */
export function modelDims(config: LlamaConfig): ModelDims {
  const heads = config.num_attention_heads;
  const kvHeads = config.num_key_value_heads ?? heads;
  const headDim = config.head_dim ?? config.hidden_size / heads;
  if (!Number.isInteger(headDim)) {
    throw new Error(
      `config: hidden_size ${config.hidden_size} is not divisible by num_attention_heads ${heads}; set head_dim`,
    );
  }
  if (heads % kvHeads !== 0) {
    throw new Error(
      `config: num_attention_heads ${heads} must be a multiple of num_key_value_heads ${kvHeads}`,
    );
  }
  return {
    layers: config.num_hidden_layers,
    hidden: config.hidden_size,
    heads,
    kvHeads,
    headDim,
    intermediate: config.intermediate_size,
    vocab: config.vocab_size,
    qkvBias: config.model_type === "qwen2" || config.attention_bias === true,
  };
}

/** The Hugging Face name and shape of every parameter of a config, in a stable order. */
export function parameterShapes(config: LlamaConfig): Map<string, number[]> {
  const d = modelDims(config);
  const shapes = new Map<string, number[]>();
  shapes.set("model.embed_tokens.weight", [d.vocab, d.hidden]);
  for (let i = 0; i < d.layers; i++) {
    const p = `model.layers.${i}`;
    shapes.set(`${p}.input_layernorm.weight`, [d.hidden]);
    shapes.set(`${p}.self_attn.q_proj.weight`, [d.heads * d.headDim, d.hidden]);
    shapes.set(`${p}.self_attn.k_proj.weight`, [d.kvHeads * d.headDim, d.hidden]);
    shapes.set(`${p}.self_attn.v_proj.weight`, [d.kvHeads * d.headDim, d.hidden]);
    if (d.qkvBias) {
      shapes.set(`${p}.self_attn.q_proj.bias`, [d.heads * d.headDim]);
      shapes.set(`${p}.self_attn.k_proj.bias`, [d.kvHeads * d.headDim]);
      shapes.set(`${p}.self_attn.v_proj.bias`, [d.kvHeads * d.headDim]);
    }
    shapes.set(`${p}.self_attn.o_proj.weight`, [d.hidden, d.heads * d.headDim]);
    shapes.set(`${p}.post_attention_layernorm.weight`, [d.hidden]);
    shapes.set(`${p}.mlp.gate_proj.weight`, [d.intermediate, d.hidden]);
    shapes.set(`${p}.mlp.up_proj.weight`, [d.intermediate, d.hidden]);
    shapes.set(`${p}.mlp.down_proj.weight`, [d.hidden, d.intermediate]);
  }
  shapes.set("model.norm.weight", [d.hidden]);
  if (!config.tie_word_embeddings) shapes.set("lm_head.weight", [d.vocab, d.hidden]);
  return shapes;
}

/** Total number of parameters of a config. */
export function parameterCount(config: LlamaConfig): number {
  let total = 0;
  for (const shape of parameterShapes(config).values()) total += shape.reduce((a, b) => a * b, 1);
  return total;
}

/**
 * Adam and AdamW over named float32 tensors, with global gradient-norm clipping and a state that saves as
 * plain tensors (safetensors-ready) plus a step count, so a resumed run takes the same next update.
 *
 * One update, for every parameter p with gradient g (after clipping), at step t (1-based), following
 * PyTorch's torch.optim.Adam / AdamW:
 *
 *     g  = g + weight_decay * p                  (only with weight_decay_mode "l2": Adam's L2 penalty)
 *     p  = p * (1 - lr * weight_decay)           (only with weight_decay_mode "decoupled": AdamW)
 *     m  = beta1 * m + (1 - beta1) * g
 *     v  = beta2 * v + (1 - beta2) * g^2
 *     p  = p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
 *
 * Arithmetic is in float64; parameters and moments are stored in float32.
 *
 * @module
 */
import { z } from "zod";

/** Optimizer settings; the defaults are PyTorch's (the paper uses Adam; the learning rate is per workflow). */
export const AdamSettings = z.object({
  /** Step size. */
  learningRate: z.number().positive().default(1e-5),
  /** Decay of the first moment. */
  beta1: z.number().min(0).lt(1).default(0.9),
  /** Decay of the second moment. */
  beta2: z.number().min(0).lt(1).default(0.999),
  /** Added to the denominator for stability. */
  eps: z.number().nonnegative().default(1e-8),
  /** Weight-decay coefficient (0: none). */
  weightDecay: z.number().nonnegative().default(0),
  /** `decoupled` is AdamW; `l2` adds weight_decay * p to the gradient, as Adam's weight_decay does. */
  weightDecayMode: z.enum(["decoupled", "l2"]).default("decoupled"),
  /** When set, gradients are scaled so that their global L2 norm is at most this. */
  maxGradNorm: z.number().positive().optional(),
});
/** Optimizer settings. */
export type AdamSettings = z.infer<typeof AdamSettings>;

/** The optimizer's state as tensors: `<param>.exp_avg` and `<param>.exp_avg_sq`, and the steps taken. */
export interface AdamState {
  /** Updates taken so far. */
  step: number;
  /** First and second moments, named after their parameter. */
  tensors: Map<string, Float32Array>;
}

/** Figures about one update. */
export interface AdamStepStats {
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
  /** Factor the gradients were multiplied by (1 when not clipped). */
  clipScale: number;
  /** The 1-based index of this update. */
  step: number;
}

/** Moment tensor names in the saved state. */
const FIRST = ".exp_avg";
const SECOND = ".exp_avg_sq";

/** Global L2 norm over every gradient tensor. */
export function globalNorm(grads: ReadonlyMap<string, Float32Array>): number {
  let sum = 0;
  for (const grad of grads.values()) {
    for (let i = 0; i < grad.length; i++) sum += grad[i] * grad[i];
  }
  return Math.sqrt(sum);
}

/** The factor that brings a gradient norm down to `maxNorm` (PyTorch's clip_grad_norm_ rule), else 1. */
export function clipScale(norm: number, maxNorm: number | undefined): number {
  if (maxNorm === undefined) return 1;
  return Math.min(1, maxNorm / (norm + 1e-6));
}

/** Adam/AdamW that updates named float32 parameters in place. */
export class Adam {
  /** The settings this optimizer was built with. */
  readonly settings: AdamSettings;
  #step: number;
  #first = new Map<string, Float32Array>();
  #second = new Map<string, Float32Array>();

  /** Starts fresh, or from a saved {@link AdamState}. */
  constructor(settings: AdamSettings, state?: AdamState) {
    this.settings = settings;
    this.#step = state?.step ?? 0;
    if (state) this.#load(state);
  }

  /** Updates taken so far. */
  get step(): number {
    return this.#step;
  }

  /**
   * Takes one update of every parameter in place. `grads` must hold a gradient of the same length for every
   * parameter and nothing else. `learningRate` overrides the configured one (for schedules).
   */
  update(
    params: ReadonlyMap<string, Float32Array>,
    grads: ReadonlyMap<string, Float32Array>,
    learningRate = this.settings.learningRate,
  ): AdamStepStats {
    checkGradients(params, grads);
    const gradNorm = globalNorm(grads);
    if (!Number.isFinite(gradNorm)) {
      throw new Error(
        `Adam: the gradient norm is ${gradNorm}; a gradient holds NaN or Infinity, skip this batch`,
      );
    }
    const scale = clipScale(gradNorm, this.settings.maxGradNorm);
    this.#step += 1;
    for (const [name, param] of params) {
      this.#updateTensor(name, param, grads.get(name)!, scale, learningRate);
    }
    return { gradNorm, clipScale: scale, step: this.#step };
  }

  /** The state to save with a checkpoint (copies, so later updates do not change it). */
  exportState(): AdamState {
    const tensors = new Map<string, Float32Array>();
    for (const [name, moment] of this.#first) tensors.set(name + FIRST, moment.slice());
    for (const [name, moment] of this.#second) tensors.set(name + SECOND, moment.slice());
    return { step: this.#step, tensors };
  }

  #updateTensor(name: string, param: Float32Array, grad: Float32Array, scale: number, lr: number): void {
    const { beta1, beta2, eps, weightDecay, weightDecayMode } = this.settings;
    const first = this.#moment(this.#first, name, param.length);
    const second = this.#moment(this.#second, name, param.length);
    const correction1 = 1 - beta1 ** this.#step;
    const correction2 = 1 - beta2 ** this.#step;
    const decay = weightDecayMode === "decoupled" ? 1 - lr * weightDecay : 1;
    const l2 = weightDecayMode === "l2" ? weightDecay : 0;
    for (let i = 0; i < param.length; i++) {
      const g = grad[i] * scale + l2 * param[i];
      const m = beta1 * first[i] + (1 - beta1) * g;
      const v = beta2 * second[i] + (1 - beta2) * g * g;
      first[i] = m;
      second[i] = v;
      param[i] = param[i] * decay - lr * (m / correction1) / (Math.sqrt(v / correction2) + eps);
    }
  }

  #moment(moments: Map<string, Float32Array>, name: string, length: number): Float32Array {
    let moment = moments.get(name);
    if (!moment) {
      moment = new Float32Array(length);
      moments.set(name, moment);
    }
    if (moment.length !== length) {
      throw new Error(
        `Adam: saved moment of "${name}" has ${moment.length} elements, the parameter ${length}; ` +
          `the optimizer state belongs to another model`,
      );
    }
    return moment;
  }

  #load(state: AdamState): void {
    for (const [key, tensor] of state.tensors) {
      const target = key.endsWith(SECOND) ? this.#second : key.endsWith(FIRST) ? this.#first : undefined;
      if (!target) {
        throw new Error(
          `Adam: saved state tensor "${key}" ends in neither ${FIRST} nor ${SECOND}; the checkpoint's ` +
            `optimizer file is not an Adam state`,
        );
      }
      const name = key.slice(0, key.length - (target === this.#second ? SECOND : FIRST).length);
      target.set(name, tensor.slice());
    }
  }
}

function checkGradients(params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, Float32Array>) {
  for (const [name, param] of params) {
    const grad = grads.get(name);
    if (!grad) throw new Error(`Adam: no gradient for parameter "${name}"; pass one gradient per parameter`);
    if (grad.length !== param.length) {
      throw new Error(
        `Adam: gradient of "${name}" has ${grad.length} elements, the parameter ${param.length}`,
      );
    }
  }
  for (const name of grads.keys()) {
    if (!params.has(name)) {
      throw new Error(
        `Adam: gradient "${name}" matches no parameter; pass only the trained parameters' gradients`,
      );
    }
  }
}

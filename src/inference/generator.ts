/**
 * Batched generation with a KV cache: prompts are left-padded and prefilled together, each prompt's cache is
 * replicated for its `n` samples (one prefill per prompt), and the batch decodes one token per step. A
 * sequence that finishes (EOS, a stop string, or max_new_tokens) stops being sampled at once and leaves the
 * batch at the next rebuild: when waiting prompts take its place, or when enough rows have finished; the new
 * cache keeps only the rows still running and drops left padding none of them needs.
 *
 * Every sequence samples from its own generator seeded by (seed, prompt key, sample index), so its output does
 * not depend on the batch it ran in: batched and one-at-a-time runs, and resumed runs, agree.
 *
 * @module
 */
import type { DecoderSession, KvCache, RowSource } from "./decoder_session.ts";
import { assertFitsBudget } from "./memory.ts";
import { type SeededRng, sequenceRng } from "./rng.ts";
import { type SamplingSettings, TokenSampler, validateSampling } from "./sampler.ts";
import { cutAtStop, type DecodeTokens, IncrementalDecoder, StopMatcher } from "./stop.ts";

/** One prompt to complete. */
export interface GenerationRequest {
  /** Names the prompt for seeding: its id, or its index in the input. */
  key: string | number;
  /** The prompt's token ids (at least one). */
  promptIds: readonly number[];
}

/** Settings of a generation. */
export interface GenerationSettings extends SamplingSettings {
  /** Tokens generated at most per sequence. */
  maxNewTokens: number;
  /** Samples per prompt (they share the prompt's prefill). */
  n: number;
  /** The run's seed. */
  seed: number;
  /** Strings that end a sequence; the text is cut just before the first one. */
  stop: readonly string[];
  /** Sequences decoded together at most; freed rows are refilled with waiting prompts (all n samples fit). */
  batchSize: number;
  /** Tokens that end a sequence (default: the model config's EOS ids). */
  eosTokenIds?: readonly number[];
  /** Refuse up front when the estimated peak memory of a batch exceeds this many bytes. */
  memoryBudgetBytes: number;
  /** False recomputes every sequence in full at each step (a slow reference for tests); default true. */
  useKvCache?: boolean;
}

/** Why a sequence ended. */
export type FinishReason = "eos" | "stop" | "length";

/** One generated sample. */
export interface Completion {
  /** The prompt's key. */
  key: string | number;
  /** Which of the prompt's `n` samples this is. */
  sampleIndex: number;
  /** The completion's text, cut before the stop string and without the EOS token. */
  text: string;
  /** Every generated token id, including the EOS token or the tokens that completed a stop string. */
  tokenIds: number[];
  /** Per token: log-probability under the sampling distribution (0 under greedy decoding). */
  logprobs: number[];
  /** Per token: log-probability under the raw model (temperature 1, no truncation). */
  rawLogprobs: number[];
  finishReason: FinishReason;
  /** The stop string that ended the sequence. */
  stopString?: string;
}

/** Optional hooks of {@link Generator.generate}. */
export interface GenerationHooks {
  /** Stops generation between steps. */
  signal?: AbortSignal;
  /** Called with the number of new tokens after each step. */
  onTokens?: (count: number) => void;
}

/** What every sequence of one `generate` call shares. */
interface RunContext {
  settings: GenerationSettings;
  stops: StopMatcher;
  eos: ReadonlySet<number>;
}

/** A sequence being generated. */
interface Sequence {
  request: number;
  sampleIndex: number;
  rng: SeededRng;
  promptIds: readonly number[];
  /** Where this sequence's keys and values are (absent until prefilled, and without a cache). */
  cacheRow?: RowSource;
  tokens: number[];
  logprobs: number[];
  rawLogprobs: number[];
  decoder?: IncrementalDecoder;
  finish?: FinishReason;
}

/** Generates completions with a {@link DecoderSession}. */
export class Generator {
  readonly session: DecoderSession;
  readonly #decode: DecodeTokens;
  readonly #sampler: TokenSampler;

  /** Creates a generator; `decode` turns token ids into text (skipping special tokens). */
  constructor(session: DecoderSession, decode: DecodeTokens) {
    this.session = session;
    this.#decode = decode;
    this.#sampler = new TokenSampler(session.shape.vocab);
  }

  /** Completes every request; returns, per request in input order, its `n` samples. */
  async generate(
    requests: readonly GenerationRequest[],
    settings: GenerationSettings,
    hooks: GenerationHooks = {},
  ): Promise<Completion[][]> {
    checkSettings(requests, settings);
    if (requests.length === 0) return [];
    const run: RunContext = {
      settings,
      stops: new StopMatcher(settings.stop),
      eos: new Set(settings.eosTokenIds ?? this.session.eosTokenIds),
    };
    const queue = this.#plan(requests, settings);
    const sequences = await this.#run(requests, queue, run, hooks);
    const results: Completion[][] = requests.map(() => []);
    for (const sequence of sequences) results[sequence.request].push(this.#complete(requests, sequence, run));
    for (const samples of results) samples.sort((a, b) => a.sampleIndex - b.sampleIndex);
    return results;
  }

  /**
   * Orders prompts by length (similar lengths share less padding) and checks the largest batch the settings
   * allow against the memory budget, before any work.
   */
  #plan(requests: readonly GenerationRequest[], settings: GenerationSettings): number[] {
    const order = requests.map((_, i) => i);
    order.sort((a, b) => requests[a].promptIds.length - requests[b].promptIds.length);
    const prompts = Math.min(promptsPerAdmission(settings, 0), requests.length);
    const { layers, kvHeads, headDim, vocab } = this.session.shape;
    assertFitsBudget({
      layers,
      kvHeads,
      headDim,
      vocab,
      promptsPerBatch: prompts,
      sequencesPerBatch: Math.max(settings.batchSize, settings.n),
      maxPromptTokens: Math.max(...requests.map((r) => r.promptIds.length)),
      maxNewTokens: settings.maxNewTokens,
      lastLogitsOnly: this.session.lastLogitsOnly,
    }, settings.memoryBudgetBytes);
    return order;
  }

  /**
   * Continuous batching: waiting prompts are prefilled and merged into the running batch whenever enough
   * rows are free for all their samples. Rebuilding the cache copies all of it, so a finished row is not
   * dropped at once: it stays in the batch, masked and ignored, until prompts join or, once none wait, until
   * enough rows are finished for compaction to pay ({@link worthCompacting}). A rebuild keeps only the
   * positions some remaining row needs.
   */
  async #run(
    requests: readonly GenerationRequest[],
    queue: number[],
    run: RunContext,
    hooks: GenerationHooks,
  ): Promise<Sequence[]> {
    const useCache = run.settings.useKvCache ?? true;
    const all: Sequence[] = [];
    let batch: Sequence[] = [];
    let cache: KvCache | undefined;
    while (queue.length > 0 || batch.some(isRunning)) {
      hooks.signal?.throwIfAborted();
      const running = batch.filter(isRunning);
      const admit = Math.min(queue.length, promptsPerAdmission(run.settings, running.length));
      const admitted = admit > 0 ? await this.#prefill(queue.splice(0, admit), requests, run, hooks) : [];
      all.push(...admitted);
      const joining = admitted.filter(isRunning);
      const rebuild = !useCache || joining.length > 0 || cache === undefined ||
        worthCompacting({ rows: batch.length, running, cacheLength: cache.length, waiting: queue.length });
      if (rebuild) {
        // finished sequences let go of their cache rows, so old caches can be freed
        for (const s of [...batch, ...admitted]) if (s.finish) s.cacheRow = undefined;
        batch = [...running, ...joining];
        if (batch.length === 0) continue;
        if (useCache) cache = await this.#reassemble(batch);
      }
      const step = useCache ? await this.#decodeStep(batch, cache!) : await this.#fullStep(batch);
      if (useCache) cache = step.present;
      batch.forEach((s, row) => {
        if (s.finish) return;
        if (useCache) s.cacheRow = { cache: step.present, row };
        this.#append(s, step.lastLogits, row, run);
      });
      hooks.onTokens?.(running.length + joining.length);
    }
    return all;
  }

  /** Prefills prompts together (left-padded), samples each sample's first token, and notes its cache row. */
  async #prefill(
    indices: readonly number[],
    requests: readonly GenerationRequest[],
    run: RunContext,
    hooks: GenerationHooks,
  ): Promise<Sequence[]> {
    const prompts = indices.map((i) => requests[i]);
    const width = Math.max(...prompts.map((p) => p.promptIds.length));
    const prefill = await this.session.forward({
      ...leftPadded(prompts.map((p) => p.promptIds), width),
      rows: prompts.length,
      tokens: width,
      past: this.session.emptyCache(prompts.length),
    });
    const sequences: Sequence[] = [];
    prompts.forEach((prompt, row) => {
      for (let sample = 0; sample < run.settings.n; sample++) {
        const sequence = this.#newSequence(prompt, indices[row], sample, run.settings);
        sequence.cacheRow = { cache: prefill.present, row };
        this.#append(sequence, prefill.lastLogits, row, run);
        sequences.push(sequence);
      }
    });
    hooks.onTokens?.(sequences.length);
    return sequences;
  }

  /** A cache holding exactly the rows of `active`, right-aligned to the longest one's positions. */
  #reassemble(active: readonly Sequence[]): Promise<KvCache> {
    const length = Math.max(...active.map(cachedLength));
    return this.session.gatherRows(active.map((s) => s.cacheRow!), length);
  }

  #newSequence(
    prompt: GenerationRequest,
    request: number,
    sampleIndex: number,
    settings: GenerationSettings,
  ): Sequence {
    return {
      request,
      sampleIndex,
      rng: sequenceRng(settings.seed, prompt.key, sampleIndex),
      promptIds: prompt.promptIds,
      tokens: [],
      logprobs: [],
      rawLogprobs: [],
      decoder: settings.stop.length > 0 ? new IncrementalDecoder(this.#decode) : undefined,
    };
  }

  /** Chooses a sequence's next token from its logits row and records why it finished, if it did. */
  #append(sequence: Sequence, logits: Float32Array, row: number, run: RunContext): void {
    const { settings } = run;
    const choice = this.#sampler.choose(logits, row * this.session.shape.vocab, settings, sequence.rng);
    sequence.tokens.push(choice.token);
    sequence.logprobs.push(choice.logprob);
    sequence.rawLogprobs.push(choice.rawLogprob);
    if (run.eos.has(choice.token)) {
      sequence.finish = "eos";
    } else if (sequence.decoder) {
      const newFrom = sequence.decoder.push(choice.token);
      if (run.stops.find(sequence.decoder.text, newFrom)) sequence.finish = "stop";
    }
    if (!sequence.finish && sequence.tokens.length >= settings.maxNewTokens) sequence.finish = "length";
  }

  /**
   * One decode step: each row's last token on top of the cache. A finished row still in the batch gets a
   * harmless input (token 0 at position 0, attending to every position); its output is ignored.
   */
  #decodeStep(batch: readonly Sequence[], cache: KvCache) {
    const rows = batch.length;
    const width = cache.length + 1;
    const inputIds = new BigInt64Array(rows);
    const positionIds = new BigInt64Array(rows);
    const attentionMask = new BigInt64Array(rows * width).fill(1n);
    batch.forEach((s, row) => {
      if (s.finish) return;
      inputIds[row] = BigInt(s.tokens[s.tokens.length - 1]);
      positionIds[row] = BigInt(s.promptIds.length + s.tokens.length - 1);
      attentionMask.fill(0n, row * width, row * width + cache.length - cachedLength(s));
    });
    return this.session.forward({ inputIds, attentionMask, positionIds, rows, tokens: 1, past: cache });
  }

  /** Reference step without a cache: every row's whole sequence, left-padded, from scratch. */
  #fullStep(active: readonly Sequence[]) {
    const sequences = active.map((s) => [...s.promptIds, ...s.tokens]);
    const width = Math.max(...sequences.map((ids) => ids.length));
    return this.session.forward({
      ...leftPadded(sequences, width),
      rows: active.length,
      tokens: width,
      past: this.session.emptyCache(active.length),
    });
  }

  /** The final record of a sequence: text decoded in full, cut exactly before the first stop string. */
  #complete(requests: readonly GenerationRequest[], s: Sequence, run: RunContext): Completion {
    const textTokens = s.finish === "eos" ? s.tokens.slice(0, -1) : s.tokens;
    const cut = cutAtStop(this.#decode(textTokens), run.stops);
    const finishReason: FinishReason = cut.stop !== undefined && s.finish !== "eos" ? "stop" : s.finish!;
    const completion: Completion = {
      key: requests[s.request].key,
      sampleIndex: s.sampleIndex,
      text: cut.text,
      tokenIds: s.tokens,
      logprobs: s.logprobs,
      rawLogprobs: s.rawLogprobs,
      finishReason,
    };
    if (finishReason === "stop" && cut.stop !== undefined) completion.stopString = cut.stop;
    return completion;
  }
}

/** Positions a sequence has in the cache: its prompt and every generated token but the newest. */
function cachedLength(sequence: Sequence): number {
  return sequence.promptIds.length + sequence.tokens.length - 1;
}

/** True until the sequence has finished. */
function isRunning(sequence: Sequence): boolean {
  return sequence.finish === undefined;
}

/** What {@link worthCompacting} weighs. */
interface BatchState {
  /** Rows in the batch, finished ones included. */
  rows: number;
  running: readonly Sequence[];
  /** Positions in the cache. */
  cacheLength: number;
  /** Prompts waiting for rows. */
  waiting: number;
}

/**
 * Whether to rebuild the cache now without admitting prompts. A rebuild copies the cache once (about a
 * third of a decode step at batch 32), while a decode step's time grows with both rows and cache positions:
 * every finished row carried and every position no running row needs (left behind by finished long rows)
 * costs a little at every later step. So rebuild when the cache would be at least 1/16 shorter, or, when no
 * prompts wait to take the finished rows' place, when finished rows are an eighth of the batch.
 */
function worthCompacting(state: BatchState): boolean {
  if (state.running.length === 0) return true;
  const finished = state.rows - state.running.length;
  if (finished === 0) return false;
  const needed = Math.max(...state.running.map(cachedLength));
  if ((state.cacheLength - needed) * 16 >= state.cacheLength) return true;
  return state.waiting === 0 && finished * 8 >= state.rows;
}

/** Prompts to admit now: as many as have all their samples fit in the free rows (at least one when idle). */
function promptsPerAdmission(settings: GenerationSettings, activeRows: number): number {
  const free = Math.floor((settings.batchSize - activeRows) / settings.n);
  return activeRows === 0 ? Math.max(1, free) : Math.max(0, free);
}

/** Left-padded int64 inputs for token sequences: ids, attention mask and positions (0 at padding). */
function leftPadded(sequences: readonly (readonly number[])[], width: number) {
  const inputIds = new BigInt64Array(sequences.length * width);
  const attentionMask = new BigInt64Array(sequences.length * width);
  const positionIds = new BigInt64Array(sequences.length * width);
  sequences.forEach((ids, row) => {
    const pad = width - ids.length;
    for (let j = 0; j < ids.length; j++) {
      const at = row * width + pad + j;
      inputIds[at] = BigInt(ids[j]);
      attentionMask[at] = 1n;
      positionIds[at] = BigInt(j);
    }
  });
  return { inputIds, attentionMask, positionIds };
}

/** Rejects settings and requests that cannot run, naming the field. */
function checkSettings(requests: readonly GenerationRequest[], settings: GenerationSettings): void {
  validateSampling(settings);
  const positive: [string, number][] = [
    ["max_new_tokens", settings.maxNewTokens],
    ["n", settings.n],
    ["batch_size", settings.batchSize],
  ];
  for (const [name, value] of positive) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`generation: ${name} must be an integer >= 1, got ${value}`);
    }
  }
  if (!Number.isFinite(settings.seed)) {
    throw new Error(`generation: seed must be a number, got ${settings.seed}`);
  }
  requests.forEach((request, i) => {
    if (request.promptIds.length === 0) {
      throw new Error(
        `generation: prompt ${JSON.stringify(request.key)} (index ${i}) has no tokens; give it text`,
      );
    }
  });
}

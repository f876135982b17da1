/**
 * Packs (context, completion) token sequences into the padded [B, T] batch of the scoring and training
 * graphs, and locates each completion's target positions.
 *
 * Row r holds context ++ completion, right-padded. Position t predicts token t + 1, so a completion that starts
 * at token index c (the context's length) occupies target positions [c - 1, c - 1 + completion length).
 *
 * @module
 */
import type { TokenBatch } from "../model/llama/sessions.ts";

/** One training row: the context the model saw and the tokens it produced (or should produce). */
export interface SequenceRow {
  context: readonly number[];
  completion: readonly number[];
}

/** Target positions of a row's completion. */
export interface CompletionSpan {
  row: number;
  start: number;
  end: number;
}

/** A padded token batch and where each row's completion lies. */
export interface PackedBatch {
  tokens: TokenBatch;
  spans: CompletionSpan[];
}

/** Packs rows into one right-padded batch (padding id 0 under a zero attention mask). */
export function packRows(rows: readonly SequenceRow[]): PackedBatch {
  if (rows.length === 0) throw new Error("packRows: no rows; give at least one sequence");
  rows.forEach((row, i) => {
    if (row.context.length === 0) {
      throw new Error(`packRows: row ${i} has an empty context; every completion needs a token before it`);
    }
  });
  const seq = Math.max(...rows.map((row) => row.context.length + row.completion.length));
  const size = rows.length * seq;
  const inputIds = new Int32Array(size);
  const attentionMask = new Int32Array(size);
  const targets = new Int32Array(size);
  const spans: CompletionSpan[] = [];
  rows.forEach((row, r) => {
    const ids = [...row.context, ...row.completion];
    ids.forEach((id, t) => {
      inputIds[r * seq + t] = id;
      attentionMask[r * seq + t] = 1;
      if (t > 0) targets[r * seq + t - 1] = id;
    });
    const start = row.context.length - 1;
    spans.push({ row: r, start, end: start + row.completion.length });
  });
  return { tokens: { batch: rows.length, seq, inputIds, attentionMask, targets }, spans };
}

/** Splits items into consecutive chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  if (!(Number.isInteger(size) && size >= 1)) {
    throw new Error(`chunks: size must be an integer >= 1, got ${size}`);
  }
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Row indices grouped into micro-batches of at most `size` rows of similar length (longest first), so that
 * padding to each micro-batch's longest row wastes little: lengths [3, 9, 4, 8] in pairs give [[1, 3], [2, 0]].
 * Every index appears once; ties keep the rows' order.
 */
export function lengthSortedChunks(rows: readonly SequenceRow[], size: number): number[][] {
  const length = (i: number) => rows[i].context.length + rows[i].completion.length;
  const order = rows.map((_, i) => i).sort((a, b) => length(b) - length(a) || a - b);
  return chunks(order, size);
}

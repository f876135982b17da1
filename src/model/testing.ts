/**
 * Assertions shared by the model tests: errors that must carry a given fragment of text.
 *
 * @module
 */
import assert from "node:assert/strict";

/** Asserts that `run` rejects with an Error whose one-line message contains `fragment`; returns the error. */
export async function assertRejectsWith(run: () => Promise<unknown>, fragment: string): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return checkError(error, fragment);
  }
  assert.fail(`expected an error containing "${fragment}", but nothing was thrown`);
}

/** Asserts that `run` throws an Error whose one-line message contains `fragment`; returns the error. */
export function assertThrowsWith(run: () => unknown, fragment: string): Error {
  try {
    run();
  } catch (error) {
    return checkError(error, fragment);
  }
  assert.fail(`expected an error containing "${fragment}", but nothing was thrown`);
}

function checkError(error: unknown, fragment: string): Error {
  assert.ok(error instanceof Error, `expected an Error, got ${String(error)}`);
  assert.ok(error.message.includes(fragment), `expected "${fragment}" in the message "${error.message}"`);
  assert.ok(!error.message.includes("\n"), `expected a one-line message, got "${error.message}"`);
  return error;
}

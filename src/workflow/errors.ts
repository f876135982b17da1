/**
 * Errors in workflow files, reported as one line: `file:line:col: message (hint: ...)`.
 *
 * @module
 */

/** A 1-based line and column in a workflow file. */
export interface Position {
  line: number;
  col: number;
}

/** A mistake in a workflow file or its parameters. The CLI prints it as one line and exits with code 2. */
export class WorkflowError extends Error {
  /** Creates an error at `position` in `file`, with a hint on how to fix it. */
  constructor(
    readonly file: string,
    readonly position: Position,
    readonly problem: string,
    readonly hint: string,
  ) {
    super(`${file}:${position.line}:${position.col}: ${problem} (hint: ${hint})`);
    this.name = "WorkflowError";
  }
}

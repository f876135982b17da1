"""Runs openai/human-eval's own harness on a samples file, for bench/code.ts to compare against.

The harness is imported from a checkout of https://github.com/openai/human-eval (never copied into this
repository). Some versions of its human_eval/execution.py ship with the line that executes the program
commented out; this driver then uncomments it in memory, at import time, and leaves the checkout unchanged.
It says on stderr which of the two it found.

Samples are run as human-eval's evaluate_functional_correctness runs them (a ThreadPoolExecutor of
`workers` threads, each sample through check_correctness: a fresh multiprocessing.Process per sample), but
without the numpy and tqdm imports of evaluation.py, which Debian's python3 lacks. The time reported is
from the first submission to the last result.

Usage: python3 bench/code_human_eval.py HUMAN_EVAL_DIR PROBLEMS.jsonl[.gz] SAMPLES.jsonl WORKERS TIMEOUT
Output: one JSON line per sample ({"index", "passed", "result"}) in input order, then {"seconds": S}.
"""

import gzip
import json
import os
import re
import sys
import time
import types
from concurrent.futures import ThreadPoolExecutor, as_completed

COMMENTED_EXEC = re.compile(r"^(\s*)#\s*(exec\(check_program, exec_globals\))", re.MULTILINE)


def uncomment_exec(source):
    """Uncomments the exec line, indented as the body of the last code line before it (a `with` block)."""
    lines = source.split("\n")
    at = next(i for i, line in enumerate(lines) if COMMENTED_EXEC.match(line))
    previous = next(line for line in reversed(lines[:at]) if line.strip() and not line.lstrip().startswith("#"))
    indent = len(previous) - len(previous.lstrip()) + (4 if previous.rstrip().endswith(":") else 0)
    lines[at] = " " * indent + COMMENTED_EXEC.match(lines[at]).group(2)
    return "\n".join(lines)


def load_execution_module(checkout):
    """Imports human_eval.execution from the checkout, with execution enabled."""
    path = os.path.join(checkout, "human_eval", "execution.py")
    with open(path) as file:
        source = file.read()
    if COMMENTED_EXEC.search(source):
        source = uncomment_exec(source)
        print("human-eval: execution.py ships with exec commented out; enabled in memory", file=sys.stderr)
    elif "exec(check_program, exec_globals)" in source:
        print("human-eval: execution.py already executes programs; run unchanged", file=sys.stderr)
    else:
        raise SystemExit(f"{path}: no exec(check_program, exec_globals) line; unknown human-eval version")
    package = types.ModuleType("human_eval")
    package.__path__ = [os.path.dirname(path)]
    module = types.ModuleType("human_eval.execution")
    module.__file__ = path
    sys.modules["human_eval"] = package
    sys.modules["human_eval.execution"] = module
    exec(compile(source, path, "exec"), module.__dict__)
    return module


def read_jsonl(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as file:
        return [json.loads(line) for line in file if line.strip()]


def main():
    checkout, problems_path, samples_path, workers, timeout = sys.argv[1:6]
    execution = load_execution_module(checkout)
    problems = {problem["task_id"]: problem for problem in read_jsonl(problems_path)}
    samples = read_jsonl(samples_path)
    results = [None] * len(samples)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=int(workers)) as executor:
        futures = {
            executor.submit(
                execution.check_correctness, problems[sample["task_id"]], sample["completion"], float(timeout), index
            ): index
            for index, sample in enumerate(samples)
        }
        for future in as_completed(futures):
            results[futures[future]] = future.result()
    seconds = time.perf_counter() - start
    for index, result in enumerate(results):
        print(json.dumps({"index": index, "passed": result["passed"], "result": result["result"]}))
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    main()

/**
 * The Python halves of the Python runner, as source text (the runner reads no file but Pyodide's own and
 * its own modules).
 *
 * A sample runs in two interpreters that share nothing but bytes (see python_engine.ts):
 *
 * - {@link SOLUTION_HARNESS} runs in the _solution_ interpreter, where the sample's code lives. Its
 *   `step()` reads one request from `/dev/harness` and writes one answer: `load` compiles and runs the
 *   solution in a fresh namespace and keeps its entry point; `call` decodes arguments, calls the entry
 *   point and encodes what it returned or raised. Nothing this interpreter says is trusted: whatever the
 *   sample does to it, all that comes out is bytes that the other interpreter decodes into plain data.
 * - {@link TESTS_HARNESS} runs in the _tests_ interpreter, which never runs sample code. Its `step()` runs
 *   the prompt (for the helpers the tests use) and the tests in a fresh namespace, with a `candidate`
 *   whose every call travels to the solution interpreter as bytes, and reports the verdict.
 *
 * Both encode values with {@link CODEC}: JSON with tagged objects for tuples, dicts, sets, frozensets,
 * bytes and complex numbers. Only built-in data of exactly those types can be encoded, so an object whose
 * `__eq__` always answers True cannot leave the solution interpreter, and what the tests compare is data
 * that the tests interpreter built itself.
 *
 * @module
 */

/** The path of each interpreter's private channel device. */
export const HARNESS_DEVICE = "/dev/harness";
/** The largest message either interpreter may send (the engine enforces it; the harness fails early). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Shared by both harnesses: message framing on the device, and the data codec. */
const CODEC = String.raw`
import json as _json, os as _os, sys as _sys

_sys.set_int_max_str_digits(0)
_DEVICE = ${JSON.stringify(HARNESS_DEVICE)}
_MAX_DEPTH = 64
_MAX_BYTES = ${MAX_MESSAGE_BYTES}


class NotPlainData(TypeError):
    pass


class Oversized(Exception):
    pass


def read_message():
    fd = _os.open(_DEVICE, _os.O_RDONLY)
    try:
        header = _read_exact(fd, 8)
        return _read_exact(fd, int.from_bytes(header, "little"))
    finally:
        _os.close(fd)


def _read_exact(fd, size):
    chunks = []
    while size > 0:
        chunk = _os.read(fd, size)
        if not chunk:
            raise EOFError("sandbox: the harness channel closed early")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def write_message(data):
    fd = _os.open(_DEVICE, _os.O_WRONLY)
    try:
        _os.write(fd, data)
    finally:
        _os.close(fd)


def encode(value, depth=0):
    kind = type(value)
    if kind is str and len(value) > _MAX_BYTES:
        raise Oversized()
    if kind is int or kind is str or kind is bool or kind is float or value is None:
        return value
    if depth >= _MAX_DEPTH:
        raise NotPlainData("sandbox: the value is nested more than 64 levels deep")
    if kind is list:
        return [encode(item, depth + 1) for item in value]
    if kind is tuple:
        return {"t": [encode(item, depth + 1) for item in value]}
    if kind is dict:
        return {"d": [[encode(key, depth + 1), encode(item, depth + 1)] for key, item in value.items()]}
    if kind is set:
        return {"s": [encode(item, depth + 1) for item in value]}
    if kind is frozenset:
        return {"f": [encode(item, depth + 1) for item in value]}
    if kind is bytes:
        if len(value) > _MAX_BYTES // 2:
            raise Oversized()
        return {"b": value.hex()}
    if kind is complex:
        return {"c": [value.real, value.imag]}
    raise NotPlainData("sandbox: the candidate returned a " + kind.__name__ +
                       "; only built-in data (numbers, strings, bytes, lists, tuples, sets, dicts, None)"
                       " is compared")


def _tagged(obj):
    if len(obj) == 1:
        (tag, items), = obj.items()
        if tag == "t" and type(items) is list:
            return tuple(items)
        if tag == "d" and type(items) is list:
            return {key: item for key, item in items}
        if tag == "s" and type(items) is list:
            return set(items)
        if tag == "f" and type(items) is list:
            return frozenset(items)
        if tag == "b" and type(items) is str:
            return bytes.fromhex(items)
        if tag == "c" and type(items) is list and len(items) == 2:
            return complex(float(items[0]), float(items[1]))
    raise ValueError("sandbox: malformed data from the other interpreter")


def decode(text):
    return _json.loads(text, object_hook=_tagged)


def dumps(value):
    return _json.dumps(value).encode()


def exception_text(error):
    kind = type(error)
    parts = [str(arg) for arg in error.args if type(arg) in (str, int, float, bool)]
    text = kind.__name__
    if parts and len(parts) == len(error.args):
        text += ": " + ", ".join(parts)
    return text
`;

/** Harness of the solution interpreter: runs the sample, answers calls with bytes. */
export const SOLUTION_HARNESS = CODEC + String.raw`

_state = {"function": None}


def _load(solution, entry_point):
    try:
        code = compile(solution, "<solution>", "exec")
    except BaseException as error:
        detail = error.msg if type(getattr(error, "msg", None)) is str else ""
        where = " (line " + str(error.lineno) + ")" if type(getattr(error, "lineno", None)) is int else ""
        return ["syntax_error", type(error).__name__ + ": " + detail + where]
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        exec(code, namespace)
    except BaseException as error:
        return ["raised", type(error).__name__, exception_text(error)]
    if entry_point not in namespace:
        return ["raised", "NameError", "NameError: the solution does not define " + entry_point]
    _state["function"] = namespace[entry_point]
    return ["loaded"]


def _call(args, kwargs):
    try:
        result = _state["function"](*args, **kwargs)
    except BaseException as error:
        return ["raised", type(error).__name__, exception_text(error)]
    try:
        return ["returned", encode(result)]
    except NotPlainData as error:
        return ["refused", str(error)]
    except Oversized:
        return ["oversized"]


def step():
    try:
        request = decode(read_message())
        answer = _load(request[1], request[2]) if request[0] == "load" else _call(request[1], request[2])
        data = dumps(answer)
        if len(data) > _MAX_BYTES:
            data = dumps(["oversized"])
    except BaseException as error:
        data = dumps(["failed", exception_text(error)])
    write_message(data)
`;

/** Harness of the tests interpreter: runs the tests against a candidate that lives elsewhere. */
export const TESTS_HARNESS = CODEC + String.raw`
import builtins as _builtins


class SandboxAbort(BaseException):
    """The solution interpreter stopped (refused import, fault, out of memory): ends the tests."""


def _exception_type(name):
    kind = _builtins.__dict__.get(name)
    if isinstance(kind, type) and issubclass(kind, BaseException):
        return kind
    return type(name, (Exception,), {})


class Candidate:
    """Stands for the solution's entry point: every call is sent as data and answered as data."""

    def __call__(self, *args, **kwargs):
        write_message(dumps(["call", encode(list(args)), encode(kwargs)]))
        answer = decode(read_message())
        kind = answer[0]
        if kind == "returned" and len(answer) == 2:
            return answer[1]
        if kind == "raised" and type(answer[1]) is str and type(answer[2]) is str:
            name, text = answer[1], answer[2]
            prefix = name + ": "
            raise _exception_type(name)(text[len(prefix):] if text.startswith(prefix) else "")
        if kind == "refused":
            raise TypeError(str(answer[1]))
        raise SandboxAbort(str(answer[1]) if len(answer) > 1 else "sandbox: no answer from the solution")


def _failing_test_line(error, test_source):
    traceback = error.__traceback__
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<test>":
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    if line is None:
        return ""
    lines = test_source.split("\n")
    return " (test line " + str(line) + ": " + lines[line - 1].strip() + ")" if line <= len(lines) else ""


def _compile_prelude(prelude):
    # The prompt ends in a bare signature when it has no docstring: give it a body, or drop it.
    for source in (prelude, prelude + "\n    pass\n"):
        try:
            return compile(source, "<prompt>", "exec")
        except SyntaxError:
            pass
    return compile("", "<prompt>", "exec")


def _run(request):
    test = request["test"]
    try:
        prelude_code = _compile_prelude(request["prelude"])
        test_code = compile(test, "<test>", "exec")
    except BaseException as error:
        return ["error", "the tests do not compile: " + exception_text(error)]
    candidate = Candidate()
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        exec(prelude_code, namespace)
        namespace[request["entry_point"]] = candidate
        exec(test_code, namespace)
        if request["test_function"]:
            namespace[request["test_function"]](candidate)
    except AssertionError as error:
        return ["failed", exception_text(error) + _failing_test_line(error, test)]
    except SandboxAbort as error:
        return ["error", str(error)]
    except MemoryError as error:
        return ["out_of_memory", exception_text(error)]
    except BaseException as error:
        return ["error", exception_text(error) + _failing_test_line(error, test)]
    return ["passed", ""]


def step():
    try:
        request = _json.loads(read_message())
        verdict = _run(request)
    except BaseException as error:
        verdict = ["error", "sandbox: the tests harness failed: " + exception_text(error)]
    write_message(dumps(["verdict"] + verdict))
`;

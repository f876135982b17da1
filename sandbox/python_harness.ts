/**
 * The Python half of the Python runner, as source text (the runner may read no file but Pyodide's own).
 *
 * `install()` runs once per interpreter and returns two functions that close over everything they use:
 *
 * - `run_sample(solution, prelude, test, entry_point, test_function)` compiles and runs the solution
 *   in a fresh namespace, runs the prompt and then the test in a second fresh namespace (so the solution cannot replace
 *   `check`, `abs` or prompt helpers the test calls), then calls `check(guard(candidate))`. It returns
 *   `(status, message)`. The guard lets only built-in data (int, float, str, list, dict, ...) out of the
 *   candidate, so an object whose `__eq__` always answers True cannot satisfy an assertion.
 * - `after_sample()` puts the shared interpreter back (drops modules the sample imported, resets the
 *   recursion limit) and reports `(changed, tainted)`: `changed` names shared state the sample altered
 *   (builtins, a module attribute, a class attribute, an import hook), which must not count as a pass;
 *   `tainted` names audited side effects (file writes, os calls) after which the interpreter is discarded.
 *
 * An audit hook, which Python code cannot remove, refuses what would let a sample reach the harness's
 * frames or the JavaScript bridge: frame and traceback introspection, `gc` object walks, tracing and
 * profiling hooks, new audit hooks, and imports of `js`, `pyodide`, `ctypes`.
 *
 * @module
 */

/** The harness source. Run it, then call `install()` from the resulting namespace. */
export const PYTHON_HARNESS = String.raw`
def install():
    import sys, builtins

    blocked_modules = frozenset({
        "js", "pyodide", "pyodide_js", "_pyodide", "_pyodide_core", "ctypes", "_ctypes", "gc",
        "micropip", "_testcapi", "_testinternalcapi", "faulthandler", "tracemalloc",
    })
    denied_events = frozenset({
        "sys._getframe", "sys._current_frames", "sys._current_exceptions", "sys.settrace", "sys.setprofile",
        "sys.addaudithook", "sys.remote_exec", "object.__getattr__", "cpython.PyInterpreterState_Clear",
    })
    denied_prefixes = ("gc.", "ctypes.", "sys.monitoring", "cpython.")
    taint_prefixes = ("os.", "shutil.", "socket.", "subprocess.", "sqlite3.", "tempfile.", "object.__setattr__",
                      "object.__delattr__", "sys.set", "function.__new__", "code.__new__", "marshal.")
    tainted = []
    introspection_allowed = [False]

    def audit(event, args, _denied=denied_events, _prefixes=denied_prefixes, _taint=taint_prefixes,
              _blocked=blocked_modules, _tainted=tainted, _allowed=introspection_allowed, _str=str):
        if event == "import":
            name = args[0]
            if type(name) is _str and name.partition(".")[0] in _blocked:
                raise ImportError("sandbox: importing " + name + " is not allowed")
            return
        if event in _denied or event.startswith(_prefixes):
            if _allowed[0] and event == "object.__getattr__":
                return
            raise RuntimeError("sandbox: " + event + " is not allowed")
        if event == "open":
            mode = args[1]
            if type(mode) is _str and not ("w" in mode or "a" in mode or "x" in mode or "+" in mode):
                return
            _tainted.append("open for writing")
        elif event.startswith(_taint):
            _tainted.append(event)

    for name in list(sys.modules):
        if name.partition(".")[0] in blocked_modules:
            del sys.modules[name]
    sys.meta_path[:] = [finder for finder in sys.meta_path if "Js" not in type(finder).__name__]
    sys.addaudithook(audit)

    baseline_builtins = dict(vars(builtins))
    baseline_modules = dict(sys.modules)
    baseline_recursion_limit = sys.getrecursionlimit()
    watched_lists = {"sys.path": sys.path, "sys.meta_path": sys.meta_path, "sys.path_hooks": sys.path_hooks}

    def module_state(module):
        namespace = getattr(module, "__dict__", None)
        if type(namespace) is not dict:
            return {}
        state = {("attr", key): value for key, value in namespace.items()}
        module_name = namespace.get("__name__")
        for key, value in namespace.items():
            if isinstance(value, type) and value.__dict__.get("__module__") == module_name:
                for attribute, member in value.__dict__.items():
                    state[("class", key, attribute)] = member
        return state

    baseline_state = {name: module_state(module) for name, module in baseline_modules.items()}
    baseline_lists = {name: list(value) for name, value in watched_lists.items()}

    def first_difference(before, after):
        for key, value in before.items():
            if key not in after or after[key] is not value:
                return key
        for key in after:
            if key not in before:
                return key
        return None

    def changed_state():
        difference = first_difference(baseline_builtins, vars(builtins))
        if difference is not None:
            return "builtins." + str(difference)
        for name, module in baseline_modules.items():
            if sys.modules.get(name) is not module:
                return "sys.modules[" + repr(name) + "]"
            difference = first_difference(baseline_state[name], module_state(module))
            if difference is not None:
                return name + ": " + " ".join(str(part) for part in difference[1:])
        for name, value in watched_lists.items():
            if first_difference(dict(enumerate(baseline_lists[name])), dict(enumerate(value))) is not None:
                return name
        return ""

    def after_sample():
        changed = changed_state()
        for name in list(sys.modules):
            if name not in baseline_modules:
                del sys.modules[name]
        sys.setrecursionlimit(baseline_recursion_limit)
        taint = ", ".join(sorted(set(tainted)))
        tainted.clear()
        return (changed, taint)

    plain_scalars = frozenset(id(kind) for kind in (int, float, complex, str, bytes, bool, type(None)))
    plain_containers = frozenset(id(kind) for kind in (list, tuple, set, frozenset))

    def check_plain(value, depth=0, _id=id, _type=type, _dict=dict):
        kind = _type(value)
        if _id(kind) in plain_scalars:
            return
        if depth < 64 and _id(kind) in plain_containers:
            for item in value:
                check_plain(item, depth + 1)
            return
        if depth < 64 and kind is _dict:
            for key, item in value.items():
                check_plain(key, depth + 1)
                check_plain(item, depth + 1)
            return
        raise TypeError("sandbox: the candidate returned a " + kind.__name__ +
                        "; only built-in data (numbers, strings, lists, tuples, sets, dicts, None) is compared")

    def guard(function):
        def candidate(*args, **kwargs):
            result = function(*args, **kwargs)
            check_plain(result)
            return result
        return candidate

    def exception_text(error, _type=type, _str=str):
        kind = _type(error)
        parts = [_str(arg) for arg in error.args if _type(arg) in (_str, int, float, bool)]
        text = kind.__name__
        if parts and len(parts) == len(error.args):
            text += ": " + ", ".join(parts)
        return text

    def failing_test_line(error, test_source):
        introspection_allowed[0] = True
        try:
            traceback = error.__traceback__
            line = None
            while traceback is not None:
                if traceback.tb_frame.f_code.co_filename == "<test>":
                    line = traceback.tb_lineno
                traceback = traceback.tb_next
        finally:
            introspection_allowed[0] = False
        if line is None:
            return ""
        lines = test_source.split("\n")
        return " (test line " + str(line) + ": " + lines[line - 1].strip() + ")" if line <= len(lines) else ""

    def classify(error, test_source):
        kind = type(error)
        if issubclass(kind, AssertionError):
            return ("failed", exception_text(error) + failing_test_line(error, test_source))
        if issubclass(kind, MemoryError):
            return ("out_of_memory", exception_text(error))
        return ("error", exception_text(error) + failing_test_line(error, test_source))

    def compile_prelude(prelude):
        # The prompt ends in a bare signature when it has no docstring: give it a body, or drop it.
        for candidate_source in (prelude, prelude + "\n    pass\n"):
            try:
                return compile(candidate_source, "<prompt>", "exec")
            except SyntaxError:
                pass
        return compile("", "<prompt>", "exec")

    def run_sample(solution, prelude, test, entry_point, test_function,
                   _compile=compile, _exec=exec, _builtins=baseline_builtins, _dict=dict):
        try:
            solution_code = _compile(solution, "<solution>", "exec")
            prelude_code = compile_prelude(prelude)
            test_code = _compile(test, "<test>", "exec")
        except BaseException as error:
            detail = error.msg if type(getattr(error, "msg", None)) is str else ""
            where = " (line " + str(error.lineno) + ")" if type(getattr(error, "lineno", None)) is int else ""
            return ("syntax_error", type(error).__name__ + ": " + detail + where)
        solution_namespace = {"__name__": "__main__", "__builtins__": _dict(_builtins)}
        test_namespace = {"__name__": "__main__", "__builtins__": _dict(_builtins)}
        try:
            _exec(solution_code, solution_namespace)
            if entry_point not in solution_namespace:
                return ("error", "NameError: the solution does not define " + entry_point)
            candidate = guard(solution_namespace[entry_point])
            _exec(prelude_code, test_namespace)
            test_namespace[entry_point] = candidate
            _exec(test_code, test_namespace)
            if test_function:
                test_namespace[test_function](candidate)
        except BaseException as error:
            return classify(error, test)
        return ("passed", "")

    return run_sample, after_sample
`;

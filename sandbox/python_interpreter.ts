/**
 * One gated Pyodide interpreter whose whole state is put back before every sample.
 *
 * {@link bootInterpreter} loads Pyodide with its imports wrapped by an {@link ImportGate}, installs a
 * harness module, gives it a private channel device (`/dev/harness`), closes the gate, locks the file
 * system, and saves an {@link InterpreterImage}: a copy of the WebAssembly memory, the stack pointer, the
 * hiwire table and the JavaScript-side file-system state (open files, current directory, inode counter).
 * {@link Interpreter.restore} writes all of that back, zeroes memory the interpreter grew since, and mounts
 * a fresh scratch directory at `/tmp`. With the gate closed, nothing else in JavaScript can change in
 * between (python_gate.ts), so every sample starts from the same state, whatever the previous one did.
 *
 * The interpreter is driven without Pyodide's JS API (no PyProxy ever exists after boot): the host writes
 * a request into the device, calls the harness's `step` function through the C API export
 * `PyObject_CallNoArgs`, and reads what `step` wrote back.
 *
 * @module
 */
import {
  type EmscriptenFs,
  type FsStream,
  ImportGate,
  lockFileSystem,
  type MemFs,
  MemoryBudget,
  ScratchQuota,
} from "./python_gate.ts";
import { HARNESS_DEVICE } from "./python_harness.ts";

/** Modules imported before the snapshot, so that typical solutions find them already loaded. */
export const PRELOADED_MODULES = [
  "math",
  "re",
  "collections",
  "itertools",
  "functools",
  "string",
  "heapq",
  "bisect",
  "random",
  "fractions",
  "statistics",
  "typing",
  "operator",
  "copy",
  "decimal",
  "datetime",
  "json",
  "hashlib",
  "dataclasses",
  "enum",
];

/** The subset of the Pyodide API used while booting. */
interface PyodideApi {
  runPython(code: string): unknown;
  makeMemorySnapshot(): Uint8Array;
  setStdin(options: { error: true }): void;
  setStdout(options: { write: (buffer: Uint8Array) => number }): void;
  setStderr(options: { write: (buffer: Uint8Array) => number }): void;
  setInterruptBuffer(buffer: Uint8Array): void;
  _module: { FS: EmscriptenFs; MEMFS: MemFs };
}

type LoadPyodide = (options: Record<string, unknown>) => Promise<PyodideApi>;

/** The C API and runtime exports the host calls. */
interface Exports {
  memory: WebAssembly.Memory;
  __stack_pointer: WebAssembly.Global;
  __indirect_function_table: WebAssembly.Table;
  PyObject_CallNoArgs(callable: number): number;
  PyErr_Clear(): void;
  Py_DecRef(object: number): void;
  _hiwire_get(index: number): unknown;
  _hiwire_set(index: number, value: unknown): number;
}

/**
 * Receives every message the interpreter's harness writes to its device (a view into its memory, to be
 * copied if kept) and returns the reply to queue, if any.
 */
export type DeviceHandler = (message: Uint8Array) => Uint8Array | undefined;

/** How an interpreter is booted. */
export interface BootOptions {
  /** Pyodide's package directory. */
  pyodideDir: string;
  /** `pyodide.asm.wasm`, compiled once per process. */
  wasm: WebAssembly.Module;
  /** A Pyodide memory snapshot to start from; without one, a cold boot (seconds). */
  snapshot?: Uint8Array;
  /** Python source of the harness; it must define `step()`. */
  harness: string;
  /** Largest size the WebAssembly memory may grow to. */
  maxMemoryBytes: number;
  /** Bytes that files in the scratch directory may take. */
  scratchBytes: number;
  /** Pyodide's interrupt buffer (shared with the thread that enforces timeouts). */
  interrupt: Uint8Array;
  /** Receives every byte the interpreter prints. */
  output: (bytes: number) => void;
}

/** What {@link Interpreter.restore} writes back. */
interface InterpreterImage {
  memory: Uint8Array;
  stackPointer: number;
  hiwire: unknown[];
  streams: (SavedStream | null)[];
  cwd: string;
  nextInode: number;
  tableLength: number;
}

/** An open file at image time, with the fields a sample can change. */
interface SavedStream {
  stream: FsStream;
  position: number;
  flags: number;
}

/** How a {@link Interpreter.step} call ended. */
export type StepOutcome =
  | { kind: "returned" }
  | { kind: "aborted"; reason: string; refusedImport?: string };

/** Where the scratch directory is mounted (also the working directory). */
const SCRATCH_DIR = "/tmp";
/** The device number of the harness channel (major 99 is unused by Emscripten and Pyodide). */
const HARNESS_MAJOR = 99;

/** A booted, gated interpreter. */
export class Interpreter {
  readonly #api: PyodideApi;
  readonly #exports: Exports;
  readonly #gate: ImportGate;
  readonly #budget: MemoryBudget;
  readonly #quota: ScratchQuota;
  readonly #step: number;
  readonly #image: InterpreterImage;
  #pendingRead: Uint8Array = new Uint8Array(0);
  #readOffset = 0;
  #handler: DeviceHandler = () => undefined;

  private constructor(api: PyodideApi, exports: Exports, gate: ImportGate, budget: MemoryBudget, quota: ScratchQuota, step: number) {
    this.#api = api;
    this.#exports = exports;
    this.#gate = gate;
    this.#budget = budget;
    this.#quota = quota;
    this.#step = step;
    this.#image = this.#save();
  }

  /** @internal Used by {@link bootInterpreter} once the harness is in place. */
  static create(
    api: PyodideApi,
    exports: Exports,
    gate: ImportGate,
    budget: MemoryBudget,
    quota: ScratchQuota,
    step: number,
  ): Interpreter {
    return new Interpreter(api, exports, gate, budget, quota, step);
  }

  /** True once a memory growth past the budget was refused since the last restore. */
  get outOfMemory(): boolean {
    return this.#budget.exhausted;
  }

  /** Bytes the WebAssembly memory has grown past its image. */
  get grownBytes(): number {
    return this.#exports.memory.buffer.byteLength - this.#image.memory.length;
  }

  /** Sets the function that answers the harness's messages. */
  onMessage(handler: DeviceHandler): void {
    this.#handler = handler;
  }

  /** Queues `message` for the harness's next read of its device. */
  queue(message: Uint8Array): void {
    const framed = new Uint8Array(8 + message.length);
    new DataView(framed.buffer).setBigUint64(0, BigInt(message.length), true);
    framed.set(message, 8);
    this.#pendingRead = framed;
    this.#readOffset = 0;
  }

  /** Calls the harness's `step()`; JS exceptions from a refused import, a trap or a fault end it early. */
  step(): StepOutcome {
    let result = 0;
    try {
      result = this.#exports.PyObject_CallNoArgs(this.#step);
    } catch (error) {
      const refusedImport = this.#gate.takeRefusal();
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return { kind: "aborted", reason, refusedImport };
    }
    if (result === 0) {
      this.#exports.PyErr_Clear();
      return { kind: "aborted", reason: "the harness's step raised" };
    }
    this.#exports.Py_DecRef(result);
    return { kind: "returned" };
  }

  /**
   * Puts the interpreter back in the state it had when booted: WebAssembly memory (and zeroes what it
   * grew since), stack pointer, hiwire table, open files, working directory, inode counter, a fresh
   * scratch directory. Cheap: one copy of the memory image.
   */
  restore(): void {
    const fs = this.#api._module.FS;
    const image = this.#image;
    this.#restoreStreams(fs, image);
    this.#mountScratch(fs);
    fs.chdir(image.cwd);
    fs.nextInode = image.nextInode;
    this.#quota.reset();
    const heap = new Uint8Array(this.#exports.memory.buffer);
    heap.set(image.memory);
    if (heap.length > image.memory.length) heap.fill(0, image.memory.length);
    this.#exports.__stack_pointer.value = image.stackPointer;
    for (let index = 0; index < image.hiwire.length; index++) {
      this.#exports._hiwire_set(index, image.hiwire[index]);
    }
    if (this.#exports.__indirect_function_table.length !== image.tableLength) {
      throw new Error("sandbox: the interpreter's function table changed; it cannot be restored");
    }
    this.#budget.exhausted = false;
    this.#gate.takeRefusal();
    this.#pendingRead = new Uint8Array(0);
    this.#readOffset = 0;
  }

  #save(): InterpreterImage {
    const fs = this.#api._module.FS;
    this.#mountScratch(fs);
    fs.chdir(SCRATCH_DIR);
    const hiwire: unknown[] = [];
    for (let index = 0;; index++) {
      try {
        hiwire.push(this.#exports._hiwire_get(index));
      } catch {
        break;
      }
    }
    return {
      memory: new Uint8Array(this.#exports.memory.buffer).slice(),
      stackPointer: this.#exports.__stack_pointer.value as number,
      hiwire,
      streams: fs.streams.map((stream) => stream ? { stream, position: stream.position, flags: stream.flags } : null),
      cwd: fs.cwd(),
      nextInode: fs.nextInode,
      tableLength: this.#exports.__indirect_function_table.length,
    };
  }

  #restoreStreams(fs: EmscriptenFs, image: InterpreterImage): void {
    const length = Math.max(fs.streams.length, image.streams.length);
    for (let fd = 0; fd < length; fd++) {
      const saved = image.streams[fd];
      if (!saved) {
        if (fs.streams[fd]) fs.closeStream(fd);
        continue;
      }
      fs.streams[fd] = saved.stream;
      saved.stream.fd = fd;
      saved.stream.position = saved.position;
      saved.stream.flags = saved.flags;
    }
  }

  #mountScratch(fs: EmscriptenFs): void {
    try {
      fs.unmount(SCRATCH_DIR);
    } catch { /* not mounted yet */ }
    fs.mount(this.#api._module.MEMFS, {}, SCRATCH_DIR);
  }

  /** @internal The device's read operation. */
  readDevice(buffer: Int8Array, offset: number, length: number): number {
    const available = this.#pendingRead.length - this.#readOffset;
    const count = Math.min(available, length);
    if (count <= 0) return 0;
    new Uint8Array(buffer.buffer, buffer.byteOffset + offset, count).set(
      this.#pendingRead.subarray(this.#readOffset, this.#readOffset + count),
    );
    this.#readOffset += count;
    return count;
  }

  /**
   * @internal The device's write operation: one write is one message. The handler gets a view into the
   * interpreter's memory, valid only until it returns (it copies what it keeps).
   */
  writeDevice(buffer: Int8Array, offset: number, length: number): number {
    const message = new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length);
    const reply = this.#handler(message);
    if (reply) this.queue(reply);
    return length;
  }
}

/** Imports `pyodide.mjs` from Pyodide's directory. */
export async function loadPyodideModule(pyodideDir: string): Promise<LoadPyodide> {
  const url = "file://" + encodeURI(pyodideDir.replace(/\/$/, "") + "/pyodide.mjs");
  return (await import(url)).loadPyodide as LoadPyodide;
}

/**
 * Boots Pyodide with gated imports and returns the interpreter before its harness is installed, plus
 * what is needed to finish ({@link finishBoot}). Split in two so that the first, cold boot can take the
 * Pyodide snapshot that later boots start from.
 */
export async function startInterpreter(
  load: LoadPyodide,
  options: BootOptions,
): Promise<{ api: PyodideApi; exports: Exports; gate: ImportGate; budget: MemoryBudget }> {
  const budget = new MemoryBudget(options.maxMemoryBytes);
  const gate = new ImportGate(budget);
  let exports: Exports | undefined;
  const original = WebAssembly.instantiate;
  const wasm = options.wasm;
  // Pyodide instantiates its module itself; during this boot, hand it the compiled module and wrap the
  // imports first. Nothing but this runner's own code runs in this realm.
  const instantiate = async (source: unknown, imports?: WebAssembly.Imports) => {
    if (!imports || !("env" in imports)) return original(source as WebAssembly.Module, imports);
    gate.wrap(imports.env as Record<string, unknown>);
    const instance = await original(wasm, imports);
    exports = instance.exports as unknown as Exports;
    return { instance, module: wasm };
  };
  WebAssembly.instantiate = instantiate as typeof WebAssembly.instantiate;
  let api: PyodideApi;
  try {
    api = await load({
      indexURL: options.pyodideDir.replace(/\/$/, "") + "/",
      jsglobals: Object.create(null),
      env: {},
      stdout: () => {},
      stderr: () => {},
      ...(options.snapshot ? { _loadSnapshot: options.snapshot } : { _makeSnapshot: true }),
    });
  } finally {
    WebAssembly.instantiate = original;
  }
  if (!exports) throw new Error("sandbox: Pyodide did not instantiate its WebAssembly module");
  return { api, exports, gate, budget };
}

/** Installs the harness and the channel device, closes the gate, locks the file system, saves the image. */
export function finishBoot(
  started: { api: PyodideApi; exports: Exports; gate: ImportGate; budget: MemoryBudget },
  options: BootOptions,
): Interpreter {
  const { api, exports, gate, budget } = started;
  const fs = api._module.FS;
  const count = (buffer: Uint8Array) => {
    options.output(buffer.length);
    return buffer.length;
  };
  api.setStdin({ error: true });
  api.setStdout({ write: count });
  api.setStderr({ write: count });
  api.setInterruptBuffer(options.interrupt);
  let interpreter: Interpreter | undefined;
  const device = fs.makedev(HARNESS_MAJOR, 0);
  (fs as unknown as { registerDevice(dev: number, ops: unknown): void }).registerDevice(device, {
    open(stream: { seekable: boolean }) {
      stream.seekable = false;
    },
    read: (_stream: unknown, buffer: Int8Array, offset: number, length: number) =>
      interpreter?.readDevice(buffer, offset, length) ?? 0,
    write: (_stream: unknown, buffer: Int8Array, offset: number, length: number) =>
      interpreter?.writeDevice(buffer, offset, length) ?? length,
  });
  (fs as unknown as { mkdev(path: string, mode: number, dev: number): void }).mkdev(HARNESS_DEVICE, 0o666, device);
  api.runPython(
    [
      "import sys, types",
      ...PRELOADED_MODULES.map((name) => `import ${name}`),
      "_harness = types.ModuleType('_sandbox_harness')",
      `exec(${JSON.stringify(options.harness)}, _harness.__dict__)`,
      "sys.modules['_sandbox_harness'] = _harness",
      // No JavaScript is reachable once the gate closes; make `import js` a plain ImportError.
      "sys.meta_path[:] = [f for f in sys.meta_path if 'Js' not in type(f).__name__]",
      "for _name in [n for n in sys.modules if n.partition('.')[0] in ('js', 'pyodide_js')]: del sys.modules[_name]",
      "del _harness, _name",
    ].join("\n"),
  );
  const step = api.runPython("id(__import__('_sandbox_harness').step)") as number;
  api.runPython("import gc; gc.collect(); del gc");
  const quota = new ScratchQuota(options.scratchBytes, api._module.MEMFS, fs, budget);
  const keep = new Set([device, ...stdStreamDevices(fs)]);
  lockFileSystem(fs, keep);
  gate.close();
  interpreter = Interpreter.create(api, exports, gate, budget, quota, step);
  return interpreter;
}

/** Devices whose writes stay allowed: Pyodide's stdout/stderr, /dev/null. */
function stdStreamDevices(fs: EmscriptenFs): number[] {
  const devices: number[] = [fs.makedev(1, 3)];
  for (const path of ["/dev/stdout", "/dev/stderr"]) devices.push(fs.lookupPath(path).node.rdev);
  return devices;
}

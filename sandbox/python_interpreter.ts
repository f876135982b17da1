/**
 * One gated Pyodide interpreter whose whole state is put back before every sample.
 *
 * {@link bootInterpreter} loads Pyodide with its imports wrapped by an {@link ImportGate}, installs a
 * harness module, gives it a private channel device (`/dev/harness`), closes the gate, locks the file
 * system, and saves an image: a copy of the WebAssembly memory, the stack pointer, the hiwire table and
 * the JavaScript-side file-system state (open files, current directory, inode counter).
 * {@link Interpreter.restore} writes all of that back, zeroes memory the interpreter grew since, and mounts
 * a fresh scratch directory at `/tmp`. With the gate closed, nothing else in JavaScript can change in
 * between (python_gate.ts), so every sample starts from the same state, whatever the previous one did.
 *
 * The interpreter is driven without Pyodide's JS API (no PyProxy exists after boot): the host queues a
 * request on the device, calls the harness's `step` function through the C API export
 * `PyObject_CallNoArgs`, and receives what `step` writes back.
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
  _module: { FS: EmscriptenFs & DeviceFs; MEMFS: MemFs };
}

/** The file-system calls that create a device. */
interface DeviceFs {
  registerDevice(device: number, operations: Record<string, unknown>): void;
  mkdev(path: string, mode: number, device: number): void;
}

/** `loadPyodide` from `pyodide.mjs`. */
export type LoadPyodide = (options: Record<string, unknown>) => Promise<PyodideApi>;

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
  /** A Pyodide memory snapshot to start from; without one, a cold boot (seconds) that makes one. */
  snapshot?: Uint8Array;
  /** Python source of the harness; it must define `step()`. */
  harness: string;
  /** Largest size the WebAssembly memory may grow to. */
  maxMemoryBytes: number;
  /** Bytes that files in the scratch directory may take. */
  scratchBytes: number;
  /** Pyodide's interrupt buffer (shared with the thread that enforces timeouts). */
  interrupt: Uint8Array;
  /** Receives the size of everything the interpreter prints. */
  output: (bytes: number) => void;
}

/** An open file at image time, with the fields a sample can change. */
interface SavedStream {
  stream: FsStream;
  position: number;
  flags: number;
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

/** How a {@link Interpreter.step} call ended. */
export type StepOutcome =
  | { kind: "returned" }
  | { kind: "aborted"; reason: string; refusedImport?: string };

/** Where the scratch directory is mounted (also the working directory). */
const SCRATCH_DIR = "/tmp";
/** The device number of the harness channel (major 99 is unused by Emscripten and Pyodide). */
const HARNESS_MAJOR = 99;

/** The harness's private channel: one message queued for it to read, every write handed to a handler. */
class HarnessDevice {
  #pending: Uint8Array = new Uint8Array(0);
  #offset = 0;
  handler: DeviceHandler = () => undefined;

  /** Queues `message`, framed by its 8-byte little-endian length, for the harness's next reads. */
  queue(message: Uint8Array): void {
    const framed = new Uint8Array(8 + message.length);
    new DataView(framed.buffer).setBigUint64(0, BigInt(message.length), true);
    framed.set(message, 8);
    this.#pending = framed;
    this.#offset = 0;
  }

  /** Drops whatever was queued. */
  clear(): void {
    this.#pending = new Uint8Array(0);
    this.#offset = 0;
  }

  /** Emscripten device operations for {@link DeviceFs.registerDevice}. */
  operations(): Record<string, unknown> {
    return {
      open(stream: { seekable: boolean }) {
        stream.seekable = false;
      },
      read: (_stream: unknown, buffer: Int8Array, offset: number, length: number) =>
        this.#read(buffer, offset, length),
      write: (_stream: unknown, buffer: Int8Array, offset: number, length: number) =>
        this.#write(buffer, offset, length),
    };
  }

  #read(buffer: Int8Array, offset: number, length: number): number {
    const count = Math.min(this.#pending.length - this.#offset, length);
    if (count <= 0) return 0;
    new Uint8Array(buffer.buffer, buffer.byteOffset + offset, count).set(
      this.#pending.subarray(this.#offset, this.#offset + count),
    );
    this.#offset += count;
    return count;
  }

  /** One write is one message; the handler's view is valid only until it returns. */
  #write(buffer: Int8Array, offset: number, length: number): number {
    const reply = this.handler(new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length));
    if (reply) this.queue(reply);
    return length;
  }
}

/** What {@link bootInterpreter} hands to the {@link Interpreter} it builds. */
interface Booted {
  api: PyodideApi;
  exports: Exports;
  gate: ImportGate;
  budget: MemoryBudget;
  quota: ScratchQuota;
  device: HarnessDevice;
  step: number;
}

/** A booted, gated interpreter (see the module documentation). */
export class Interpreter {
  readonly #booted: Booted;
  readonly #image: InterpreterImage;

  private constructor(booted: Booted) {
    this.#booted = booted;
    this.#image = this.#save();
  }

  /** @internal Called by {@link bootInterpreter} once the gate is closed. */
  static fromBooted(booted: Booted): Interpreter {
    return new Interpreter(booted);
  }

  /** Why the interpreter ran out of memory since the last restore, or undefined. */
  get outOfMemory(): string | undefined {
    return this.#booted.budget.exhausted;
  }

  /** Bytes the WebAssembly memory has grown past its image. */
  get grownBytes(): number {
    return this.#booted.exports.memory.buffer.byteLength - this.#image.memory.length;
  }

  /** Sets the function that answers the harness's messages. */
  onMessage(handler: DeviceHandler): void {
    this.#booted.device.handler = handler;
  }

  /** Queues `message` for the harness's next read of its device. */
  queue(message: Uint8Array): void {
    this.#booted.device.queue(message);
  }

  /** Calls the harness's `step()`; JS exceptions from a refused import, a trap or a fault end it early. */
  step(): StepOutcome {
    const { exports, gate, step } = this.#booted;
    let result = 0;
    try {
      result = exports.PyObject_CallNoArgs(step);
    } catch (error) {
      const refusedImport = gate.takeRefusal();
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return { kind: "aborted", reason, refusedImport };
    }
    if (result === 0) {
      exports.PyErr_Clear();
      return { kind: "aborted", reason: "the harness's step raised" };
    }
    exports.Py_DecRef(result);
    return { kind: "returned" };
  }

  /**
   * Puts the interpreter back in the state it had when booted: WebAssembly memory (and zeroes what it
   * grew since), stack pointer, hiwire table, open files, working directory, inode counter, a fresh
   * scratch directory. Its cost is one copy of the memory image.
   */
  restore(): void {
    const { api, exports, budget, quota, gate, device } = this.#booted;
    const fs = api._module.FS;
    const image = this.#image;
    restoreStreams(fs, image.streams);
    this.#mountScratch();
    fs.chdir(image.cwd);
    fs.nextInode = image.nextInode;
    quota.reset();
    const heap = new Uint8Array(exports.memory.buffer);
    heap.set(image.memory);
    if (heap.length > image.memory.length) heap.fill(0, image.memory.length);
    exports.__stack_pointer.value = image.stackPointer;
    for (let index = 0; index < image.hiwire.length; index++) exports._hiwire_set(index, image.hiwire[index]);
    if (exports.__indirect_function_table.length !== image.tableLength) {
      throw new Error("sandbox: the interpreter's function table changed; it cannot be restored");
    }
    budget.reset();
    gate.takeRefusal();
    device.clear();
  }

  #save(): InterpreterImage {
    const { api, exports } = this.#booted;
    const fs = api._module.FS;
    this.#mountScratch();
    fs.chdir(SCRATCH_DIR);
    const hiwire: unknown[] = [];
    for (let index = 0;; index++) {
      try {
        hiwire.push(exports._hiwire_get(index));
      } catch {
        break;
      }
    }
    return {
      memory: new Uint8Array(exports.memory.buffer).slice(),
      stackPointer: exports.__stack_pointer.value as number,
      hiwire,
      streams: fs.streams.map((stream) =>
        stream ? { stream, position: stream.position, flags: stream.flags } : null
      ),
      cwd: fs.cwd(),
      nextInode: fs.nextInode,
      tableLength: exports.__indirect_function_table.length,
    };
  }

  #mountScratch(): void {
    const { FS: fs, MEMFS: memfs } = this.#booted.api._module;
    try {
      fs.unmount(SCRATCH_DIR);
    } catch { /* not mounted yet */ }
    fs.mount(memfs, {}, SCRATCH_DIR);
  }
}

/** Puts the table of open files back as it was: files opened since are dropped, moved ones put back. */
function restoreStreams(fs: EmscriptenFs, saved: (SavedStream | null)[]): void {
  const length = Math.max(fs.streams.length, saved.length);
  for (let fd = 0; fd < length; fd++) {
    const entry = saved[fd];
    if (!entry) {
      if (fs.streams[fd]) fs.closeStream(fd);
      continue;
    }
    fs.streams[fd] = entry.stream;
    entry.stream.fd = fd;
    entry.stream.position = entry.position;
    entry.stream.flags = entry.flags;
  }
}

/** Imports `pyodide.mjs` from Pyodide's directory. */
export async function loadPyodideModule(pyodideDir: string): Promise<LoadPyodide> {
  const url = "file://" + encodeURI(pyodideDir.replace(/\/$/, "") + "/pyodide.mjs");
  return (await import(url)).loadPyodide as LoadPyodide;
}

/**
 * Boots an interpreter. Without `options.snapshot` this is a cold boot that imports
 * {@link PRELOADED_MODULES} and returns the Pyodide snapshot later boots start from.
 */
export async function bootInterpreter(
  load: LoadPyodide,
  options: BootOptions,
): Promise<{ interpreter: Interpreter; snapshot?: Uint8Array }> {
  const budget = new MemoryBudget(options.maxMemoryBytes);
  const gate = new ImportGate(budget);
  const { api, exports } = await loadGated(load, options, gate);
  let snapshot: Uint8Array | undefined;
  if (!options.snapshot) {
    api.runPython(`import ${PRELOADED_MODULES.join(", ")}`);
    snapshot = api.makeMemorySnapshot();
  }
  const fs = api._module.FS;
  const count = (buffer: Uint8Array) => {
    options.output(buffer.length);
    return buffer.length;
  };
  api.setStdin({ error: true });
  api.setStdout({ write: count });
  api.setStderr({ write: count });
  api.setInterruptBuffer(options.interrupt);
  const device = new HarnessDevice();
  const deviceNumber = fs.makedev(HARNESS_MAJOR, 0);
  fs.registerDevice(deviceNumber, device.operations());
  fs.mkdev(HARNESS_DEVICE, 0o666, deviceNumber);
  const step = installHarness(api, options.harness);
  const quota = new ScratchQuota(options.scratchBytes, api._module.MEMFS, fs, budget);
  lockFileSystem(fs, new Set([deviceNumber, ...standardStreamDevices(fs)]));
  gate.close();
  const interpreter = Interpreter.fromBooted({ api, exports, gate, budget, quota, device, step });
  return { interpreter, snapshot };
}

/** Loads Pyodide, wrapping its imports with `gate` before its WebAssembly module is instantiated. */
async function loadGated(
  load: LoadPyodide,
  options: BootOptions,
  gate: ImportGate,
): Promise<{ api: PyodideApi; exports: Exports }> {
  let exports: Exports | undefined;
  const original = WebAssembly.instantiate;
  const wasm = options.wasm;
  // Pyodide instantiates its module itself: during this load, hand it the compiled module, with the
  // imports wrapped first. Nothing but this runner's own code ever runs in this realm.
  const instantiate = async (source: unknown, imports?: WebAssembly.Imports) => {
    if (!imports || !("env" in imports)) return original(source as WebAssembly.Module, imports);
    gate.wrap(imports.env as Record<string, unknown>);
    const instance = await original(wasm, imports);
    exports = instance.exports as unknown as Exports;
    return { instance, module: wasm };
  };
  WebAssembly.instantiate = instantiate as typeof WebAssembly.instantiate;
  try {
    const api = await load({
      indexURL: options.pyodideDir.replace(/\/$/, "") + "/",
      jsglobals: Object.create(null),
      env: {},
      stdout: () => {},
      stderr: () => {},
      ...(options.snapshot ? { _loadSnapshot: options.snapshot } : { _makeSnapshot: true }),
    });
    if (!exports) throw new Error("sandbox: Pyodide did not instantiate its WebAssembly module");
    return { api, exports };
  } finally {
    WebAssembly.instantiate = original;
  }
}

/** Runs the harness source as module `_sandbox_harness` and returns the address of its `step`. */
function installHarness(api: PyodideApi, harness: string): number {
  api.runPython(
    [
      "import sys, types",
      ...PRELOADED_MODULES.map((name) => `import ${name}`),
      "_harness = types.ModuleType('_sandbox_harness')",
      `exec(${JSON.stringify(harness)}, _harness.__dict__)`,
      "sys.modules['_sandbox_harness'] = _harness",
      // No JavaScript is reachable once the gate closes: make `import js` a plain ImportError.
      "sys.meta_path[:] = [f for f in sys.meta_path if 'Js' not in type(f).__name__]",
      "for _name in [n for n in sys.modules if n.partition('.')[0] in ('js', 'pyodide_js')]: del sys.modules[_name]",
      "del _harness",
      "globals().pop('_name', None)",
      "import gc; gc.collect(); del gc",
    ].join("\n"),
  );
  return api.runPython("id(sys.modules['_sandbox_harness'].step)") as number;
}

/** Devices whose writes stay allowed besides the harness channel: Pyodide's stdout and stderr, /dev/null. */
function standardStreamDevices(fs: EmscriptenFs): number[] {
  const devices: number[] = [fs.makedev(1, 3)];
  for (const path of ["/dev/stdout", "/dev/stderr"]) devices.push(fs.lookupPath(path).node.rdev);
  return devices;
}

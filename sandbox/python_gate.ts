/**
 * The import gate: what a Pyodide interpreter's WebAssembly code may still call in JavaScript once it runs
 * sample code.
 *
 * Python code in Pyodide reaches JavaScript only through the functions the WebAssembly module imports (and
 * the same functions put in its function table by the dynamic linker). {@link ImportGate.wrap} replaces
 * every such function before the module is instantiated. While the gate is open (boot, harness
 * installation) they behave as usual. Once {@link ImportGate.close} is called, which happens before any
 * sample code exists in the interpreter, only the functions in {@link ALLOWED_IMPORTS} still run: clocks,
 * random bytes, memory growth (capped, see {@link MemoryBudget}), the interrupt check, and the file-system
 * system calls. Every other one (the whole JS bridge: JsProxy, hiwire, `pyodide_js`, the event loop's
 * timers, dlopen, libffi, sockets, `exit`, `abort`, EM_ASM) throws a {@link GateRefusal}, which unwinds the
 * interpreter; nothing of the JS realm is reachable from Python after that point, so nothing a sample does
 * can leave state in JavaScript.
 *
 * The file system the allowed system calls act on is locked down by {@link lockFileSystem}: every node
 * that exists at that point becomes read-only (and reports fixed timestamps), so the only writable place is
 * a scratch directory that is replaced for every sample.
 *
 * @module
 */

/** Thrown by a refused import. The message names the import; the interpreter's run is abandoned. */
export class GateRefusal extends Error {
  override name = "GateRefusal";
}

/**
 * Imports that keep running once the gate is closed. Each has either no lasting effect (clocks, entropy,
 * reading the interrupt buffer, stat calls) or an effect on state the interpreter restores before every
 * sample (file descriptors, the current directory) or that {@link lockFileSystem} confines to the
 * per-sample scratch directory.
 */
export const ALLOWED_IMPORTS: ReadonlySet<string> = new Set([
  // WASI
  "clock_res_get",
  "clock_time_get",
  "environ_get",
  "environ_sizes_get",
  "fd_close",
  "fd_fdstat_get",
  "fd_pread",
  "fd_pwrite",
  "fd_read",
  "fd_seek",
  "fd_sync",
  "fd_write",
  "random_get",
  // Emscripten runtime: time, memory size, program name, the interrupt check
  "_Py_CheckEmscriptenSignals_Helper",
  "_Py_emscripten_runtime",
  "_emscripten_get_progname",
  "_gmtime_js",
  "_localtime_js",
  "_mktime_js",
  "_timegm_js",
  "_tzset_js",
  "emscripten_date_now",
  "emscripten_get_heap_max",
  "emscripten_get_now",
  "__syscall_getuid32_js",
  // File-system system calls (mutations outside the scratch directory fail with EROFS, see lockFileSystem)
  "__syscall_chdir",
  "__syscall_chmod",
  "__syscall_dup",
  "__syscall_dup3",
  "__syscall_faccessat",
  "__syscall_fadvise64",
  "__syscall_fallocate",
  "__syscall_fchdir",
  "__syscall_fchmod",
  "__syscall_fchmodat2",
  "__syscall_fchown32",
  "__syscall_fchownat",
  "__syscall_fcntl64",
  "__syscall_fdatasync",
  "__syscall_fstat64",
  "__syscall_fstatfs64",
  "__syscall_ftruncate64",
  "__syscall_getcwd",
  "__syscall_getdents64",
  "__syscall_ioctl",
  "__syscall_lstat64",
  "__syscall_mkdirat",
  "__syscall_newfstatat",
  "__syscall_openat",
  "__syscall_poll",
  "__syscall_readlinkat",
  "__syscall_renameat",
  "__syscall_rmdir",
  "__syscall_stat64",
  "__syscall_statfs64",
  "__syscall_symlinkat",
  "__syscall_truncate64",
  "__syscall_unlinkat",
  "__syscall_utimensat",
  // WebAssembly helpers from Pyodide's own tiny externref module (identity checks, no JS behind them)
  "JsvError_Check",
  "Jsv_GetError_import",
]);

/** Imports replaced by a fixed answer once the gate is closed (the real ones touch the host process). */
const STUBBED_IMPORTS: Readonly<Record<string, (...args: unknown[]) => unknown>> = {
  // The real one calls Node's process.umask, which would change the runner process's umask.
  __syscall_umask_js: () => 0o022,
  // "Can Python suspend into JavaScript now?" No: `time.sleep` then waits in WebAssembly.
  can_run_sync_js: () => 0,
};

/** How much an interpreter's WebAssembly memory may grow, and whether a growth was refused. */
export class MemoryBudget {
  /** Why memory ran out since the last {@link reset}, or undefined while it has not. */
  exhausted: string | undefined;
  constructor(readonly maxBytes: number) {}

  /** Records the first reason memory ran out. */
  exhaust(reason: string): void {
    this.exhausted ??= reason;
  }

  /** Forgets an earlier sample's exhaustion. */
  reset(): void {
    this.exhausted = undefined;
  }
}

type ImportFunction = ((...args: unknown[]) => unknown) & { sig?: string; stub?: boolean };

/** Guards one interpreter's imports. */
export class ImportGate {
  #closed = false;
  /** The first import refused since the last {@link takeRefusal}, if any. */
  #refused: string | undefined;

  constructor(readonly memory: MemoryBudget) {}

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** From now on only allowed imports run. There is no way to open the gate again. */
  close(): void {
    this.#closed = true;
  }

  /** The name of the first import refused since the last call, and forgets it. */
  takeRefusal(): string | undefined {
    const refused = this.#refused;
    this.#refused = undefined;
    return refused;
  }

  /**
   * Replaces, in place, every function of Emscripten's import object (`imports.env`, which is also its
   * symbol table for the dynamic linker) with its gated version. Call before instantiating the module.
   */
  wrap(table: Record<string, unknown>): void {
    for (const name of Object.keys(table)) {
      const value = table[name];
      if (ALLOWED_IMPORTS.has(name) || (typeof value !== "function" && typeof value !== "object")) continue;
      if (value === null || value instanceof WebAssembly.Memory || value instanceof WebAssembly.Table) {
        continue;
      }
      if (value instanceof WebAssembly.Global) continue;
      table[name] = this.#gated(name, value as ImportFunction);
    }
  }

  #gated(name: string, original: ImportFunction): ImportFunction {
    const stub = STUBBED_IMPORTS[name];
    const heapResize = name === "emscripten_resize_heap";
    const callable = typeof original === "function";
    const gated: ImportFunction = (...args: unknown[]) => {
      if (!this.#closed) {
        if (!callable) throw new GateRefusal(`sandbox: ${name} cannot be called from here`);
        return original(...args);
      }
      if (heapResize) return this.#resize(original, args[0] as number);
      if (stub) return stub(...args);
      this.#refused ??= name;
      throw new GateRefusal(`sandbox: Python code may not reach JavaScript (${name})`);
    };
    if (callable) {
      if (original.sig !== undefined) gated.sig = original.sig;
      if (original.stub !== undefined) gated.stub = original.stub;
    }
    return gated;
  }

  #resize(original: ImportFunction, requestedBytes: number): unknown {
    const requested = requestedBytes >>> 0;
    const limit = `the interpreter's memory limit (${this.memory.maxBytes >> 20} MiB)`;
    if (requested > this.memory.maxBytes) {
      this.memory.exhaust(`the sample reached ${limit}`);
      return 0;
    }
    let grown: unknown;
    try {
      grown = original(requested);
    } catch {
      grown = 0;
    }
    if (!grown) this.memory.exhaust(`the process could not grow the interpreter's memory below ${limit}`);
    return grown;
  }
}

/** The parts of Emscripten's file system this module uses. */
export interface EmscriptenFs {
  root: FsNode;
  nameTable: (FsNode | null)[];
  devices: Record<string, { stream_ops: Record<string, unknown> }>;
  streams: (FsStream | null)[];
  nextInode: number;
  ErrnoError: new (errno: number) => Error;
  isChrdev(mode: number): boolean;
  makedev(major: number, minor: number): number;
  mount(type: unknown, options: unknown, mountpoint: string): unknown;
  unmount(mountpoint: string): void;
  chdir(path: string): void;
  cwd(): string;
  closeStream(fd: number): void;
  lookupPath(path: string, options?: Record<string, unknown>): { node: FsNode };
}

/** A file-system node. */
export interface FsNode {
  mode: number;
  rdev: number;
  mount: unknown;
  node_ops: Record<string, unknown>;
  stream_ops: Record<string, unknown>;
  name_next: FsNode | null;
  usedBytes?: number;
  contents?: unknown;
}

/** An open file. */
export interface FsStream {
  fd: number | null;
  position: number;
  flags: number;
}

/** Emscripten's errno for "read-only file system". */
const EROFS = 69;
/** Emscripten's errno for "permission denied". */
const EACCES = 2;
/** Emscripten's errno for "no space left on device". */
const ENOSPC = 51;

/** Node operations that change a node or the tree under it. */
const MUTATING_NODE_OPS = ["setattr", "mknod", "rename", "unlink", "rmdir", "symlink"];
/** Stream operations that change a file's contents. */
const MUTATING_STREAM_OPS = ["write", "allocate", "msync"];

/**
 * Makes every node that exists now read-only: their mutating operations throw EROFS, and `getattr` reports
 * the times they have now, so no sample can leave a mark in a timestamp. Devices other than `keepDevices`
 * (the interpreter's own stdout, stderr, harness channel, /dev/null and the random devices) refuse writes,
 * so nothing can collect in the TTY's line buffer. Called once, before the interpreter's image is saved.
 */
export function lockFileSystem(fs: EmscriptenFs, keepDevices: ReadonlySet<number>): void {
  const readOnly = new Map<Record<string, unknown>, Record<string, unknown>>();
  const frozenOps = (ops: Record<string, unknown>, mutating: string[]) => {
    let locked = readOnly.get(ops);
    if (!locked) {
      locked = { ...ops };
      for (const name of mutating) {
        if (typeof ops[name] === "function") {
          locked[name] = () => {
            throw new fs.ErrnoError(EROFS);
          };
        }
      }
      readOnly.set(ops, locked);
    }
    return locked;
  };
  for (const node of allNodes(fs)) {
    const getattr = node.node_ops.getattr as ((node: FsNode) => Record<string, unknown>) | undefined;
    node.node_ops = { ...frozenOps(node.node_ops, MUTATING_NODE_OPS) };
    if (getattr) {
      const fixed = getattr(node);
      const times = { atime: fixed.atime, mtime: fixed.mtime, ctime: fixed.ctime };
      node.node_ops.getattr = (target: FsNode) => ({ ...getattr(target), ...times });
    }
    if (node.stream_ops && !fs.isChrdev(node.mode)) {
      node.stream_ops = frozenOps(node.stream_ops, MUTATING_STREAM_OPS);
    }
  }
  for (const [id, device] of Object.entries(fs.devices)) {
    if (keepDevices.has(Number(id))) continue;
    device.stream_ops = {
      ...device.stream_ops,
      write: () => {
        throw new fs.ErrnoError(EACCES);
      },
    };
  }
}

function* allNodes(fs: EmscriptenFs): Generator<FsNode> {
  yield fs.root;
  for (const head of fs.nameTable) {
    for (let node = head; node; node = node.name_next) yield node;
  }
}

/** The MEMFS functions a {@link ScratchQuota} wraps. */
export interface MemFs {
  ops_table: { file: { stream: Record<string, unknown> } } | null;
  resizeFileStorage(node: FsNode, newSize: number): void;
}

type FileWrite = (
  stream: { node: FsNode },
  buffer: unknown,
  offset: number,
  length: number,
  position: number,
  canOwn?: boolean,
) => number;
type FileAllocate = (stream: { node: FsNode }, offset: number, length: number) => void;

/**
 * Caps the bytes that files in the scratch directory may take (they live in the JS heap). Growth past the
 * cap fails with ENOSPC and marks the memory budget exhausted, so the sample ends as `out_of_memory`.
 * Only scratch files can grow once {@link lockFileSystem} has run; every way a MEMFS file grows goes
 * through a write, an allocate, or a resize (truncate), and those three are wrapped.
 */
export class ScratchQuota {
  #used = 0;
  constructor(readonly maxBytes: number, memfs: MemFs, fs: EmscriptenFs, budget: MemoryBudget) {
    const fileStream = memfs.ops_table?.file.stream;
    if (!fileStream) throw new Error("sandbox: MEMFS has created no file yet; cannot install the quota");
    const charge = (node: FsNode, size: number) => {
      const extra = Math.max(0, size - (node.usedBytes ?? 0));
      if (this.#used + extra > this.maxBytes) {
        budget.exhaust(`the sample's files exceeded ${this.maxBytes >> 20} MiB (they are kept in memory)`);
        throw new fs.ErrnoError(ENOSPC);
      }
      this.#used += extra;
    };
    const write = fileStream.write as FileWrite;
    fileStream.write = function (this: unknown, ...args: Parameters<FileWrite>) {
      charge(args[0].node, args[4] + args[3]);
      return write.apply(this, args);
    };
    const allocate = fileStream.allocate as FileAllocate | undefined;
    if (allocate) {
      fileStream.allocate = function (this: unknown, ...args: Parameters<FileAllocate>) {
        charge(args[0].node, args[1] + args[2]);
        return allocate.apply(this, args);
      };
    }
    const resize = memfs.resizeFileStorage;
    memfs.resizeFileStorage = (node, newSize) => {
      charge(node, newSize);
      resize.call(memfs, node, newSize);
    };
  }

  /** Forgets what earlier samples wrote (their scratch directory is gone). */
  reset(): void {
    this.#used = 0;
  }
}

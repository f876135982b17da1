/**
 * A real two-node Slurm cluster on the test machine, for the cluster tests: `munged`, one `slurmctld` and two
 * `slurmd` (`-N n1`, `-N n2`, both on 127.0.0.1 with their own ports), started by hand in a private folder
 * (no systemd; see ../shared/reference/cluster/README.md) and stopped by the pids in their pid files.
 *
 * Where `slurmctld` is missing the tests are skipped with one line saying so, unless `CI` is set: then they
 * run and fail, so CI never skips them silently (`.ci/run` installs `slurm-wlm`).
 *
 * @example
 * ```ts ignore
 * clusterTest("runs on two nodes", async () => {
 *   await using cluster = await startCluster();
 *   await cluster.command("sbatch", ["--wrap", "hostname"]);
 * });
 * ```
 *
 * @module
 */

/** The daemons' programs, looked up on PATH and in Debian's sbin folders. */
function findProgram(name: string): string | undefined {
  for (const dir of [...(Deno.env.get("PATH") ?? "").split(":"), "/usr/sbin", "/usr/bin", "/sbin"]) {
    try {
      if (dir && Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
    } catch {
      // not here
    }
  }
  return undefined;
}

const SLURMCTLD = findProgram("slurmctld");
const CI = Boolean(Deno.env.get("CI"));
if (!SLURMCTLD && !CI) {
  console.error(
    "skipping the Slurm cluster tests: slurmctld is not installed (apt-get install slurm-wlm; with CI set " +
      "they fail instead)",
  );
}

/** Whether the cluster tests are skipped: no `slurmctld`, and `CI` is not set. */
export const clusterSkipped: boolean = !SLURMCTLD && !CI;
/** `Deno.test` where a cluster can be started (or `CI` is set), else `Deno.test.ignore`. */
export const clusterTest: Deno.DenoTest["ignore"] = clusterSkipped ? Deno.test.ignore : Deno.test;

/** A started cluster. `stop` (or `await using`) cancels every job and stops the daemons. */
export interface Cluster extends AsyncDisposable {
  /** The private folder (config, state, logs). */
  readonly dir: string;
  /** The environment the Slurm commands need: `SLURM_CONF`. */
  readonly env: Record<string, string>;
  /** Runs a Slurm command against this cluster; returns its stdout, throws on failure. */
  command(name: string, args: string[]): Promise<string>;
  /** Kills node `n1` or `n2` like a crash: its `slurmd` and every process of the jobs on it, with SIGKILL. */
  killNode(node: string): Promise<number[]>;
  /** Releases requeued tasks that Slurm holds back (`Reason=BeginTime`), so they start now. */
  releaseHeld(): Promise<void>;
  stop(): Promise<void>;
  /** Kills every process of the cluster at once and removes its folder (for an `unload` handler). */
  stopNow(): void;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function run(program: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const output = await new Deno.Command(program, { args, env, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(
      `${program} ${args.join(" ")}: exit ${output.code}: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return text;
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number(Deno.readTextFileSync(path).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    const state = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1]?.[0];
    return state !== undefined && state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The pids of processes whose command line starts with `cmdlinePrefix`, whose environment has `environ`, or
 * whose command line or working directory mentions `folder` (the daemons of a cluster, and the `slurmstepd`
 * of its jobs, which run in its log folder).
 */
function processesWith(match: { cmdlinePrefix?: string; environ?: string; folder?: string }): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const pid = Number(entry.name);
    try {
      if (match.cmdlinePrefix) {
        const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`).replaceAll("\0", " ");
        if (cmdline.startsWith(match.cmdlinePrefix)) pids.push(pid);
      }
      if (match.environ) {
        const environ = Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0");
        if (environ.includes(match.environ)) pids.push(pid);
      }
      if (match.folder) {
        const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
        const cwd = Deno.readLinkSync(`/proc/${pid}/cwd`);
        if (cmdline.includes(match.folder) || cwd.startsWith(match.folder)) pids.push(pid);
      }
    } catch {
      // gone, or not readable
    }
  }
  return [...new Set(pids)];
}

/** Kills (SIGKILL) every process of the cluster in `dir`: daemons, step daemons and job processes. */
function killAll(dir: string, confPath: string): void {
  const pids = [
    ...processesWith({ folder: dir }),
    ...processesWith({ environ: `SLURM_CONF=${confPath}` }),
  ].filter((pid) => pid !== Deno.pid);
  for (const pid of new Set(pids)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

/** Starts a two-node cluster in a fresh temporary folder; waits until both nodes are idle. */
export async function startCluster(): Promise<Cluster> {
  if (!SLURMCTLD) {
    throw new Error(
      "slurmctld is not installed (CI is set, so this test fails instead of skipping): apt-get install slurm-wlm",
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "pipeline-slurm-" });
  for (const sub of ["state", "log", "run", "spool", "munge/run", "munge/log", "munge/lib"]) {
    await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
  }
  await Deno.chmod(dir, 0o755);
  await run("chown", ["-R", "munge:munge", `${dir}/munge`]);
  const [ctld, d1, d2] = [freePort(), freePort(), freePort()];
  const host = Deno.hostname();
  const conf = `ClusterName=pipelinetest
SlurmctldHost=${host}(127.0.0.1)
SlurmctldPort=${ctld}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${dir}/munge/run/munge.socket
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool/%n
SlurmctldPidFile=${dir}/run/slurmctld.pid
SlurmdPidFile=${dir}/run/slurmd-%n.pid
SlurmctldLogFile=${dir}/log/slurmctld.log
SlurmdLogFile=${dir}/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
SlurmdTimeout=10
InactiveLimit=0
MinJobAge=300
KillWait=5
NodeName=n1 NodeHostname=${host} NodeAddr=127.0.0.1 Port=${d1} CPUs=1 RealMemory=2000 State=UNKNOWN
NodeName=n2 NodeHostname=${host} NodeAddr=127.0.0.1 Port=${d2} CPUs=1 RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
`;
  const confPath = `${dir}/slurm.conf`;
  await Deno.writeTextFile(confPath, conf);
  const env = { SLURM_CONF: confPath };
  const pidFiles = [
    `${dir}/run/slurmd-n1.pid`,
    `${dir}/run/slurmd-n2.pid`,
    `${dir}/run/slurmctld.pid`,
    `${dir}/munge/run/munged.pid`,
  ];
  const command = (name: string, args: string[]) => run(name, args, env);

  const stop = async () => {
    await command("scancel", ["--full", "--user=root"]).catch(() => "");
    for (const file of pidFiles) {
      const pid = readPid(file);
      if (pid === undefined || !alive(pid)) continue;
      Deno.kill(pid, "SIGTERM");
      await waitFor(`${file} (pid ${pid}) to exit`, () => !alive(pid), 15_000).catch(() =>
        Deno.kill(pid, "SIGKILL")
      );
    }
    // what is left: job processes of a killed node, step daemons of cancelled jobs
    killAll(dir, confPath);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };

  try {
    await run("runuser", [
      "-u",
      "munge",
      "--",
      "munged",
      `--socket=${dir}/munge/run/munge.socket`,
      `--pid-file=${dir}/munge/run/munged.pid`,
      `--log-file=${dir}/munge/log/munged.log`,
      `--seed-file=${dir}/munge/lib/munged.seed`,
      "--key-file=/etc/munge/munge.key",
    ]);
    await run(SLURMCTLD, ["-f", confPath, "-i"], env);
    const slurmd = findProgram("slurmd") ?? "slurmd";
    for (const node of ["n1", "n2"]) await run(slurmd, ["-f", confPath, "-N", node], env);
    await waitFor("both nodes to be idle", async () => {
      const states = await command("sinfo", ["-h", "-N", "-o", "%N %t"]).catch(() => "");
      return states.trim().split("\n").filter((line) => / idle$/.test(line)).length === 2;
    }, 30_000);
  } catch (error) {
    const log = await Deno.readTextFile(`${dir}/log/slurmctld.log`).catch(() => "");
    await stop();
    throw new Error(
      `${(error as Error).message}\nslurmctld.log (tail):\n${log.split("\n").slice(-15).join("\n")}`,
    );
  }

  return {
    dir,
    env,
    command,
    async killNode(node: string): Promise<number[]> {
      const jobIds = (await command("squeue", ["-h", "-w", node, "-o", "%A"])).trim().split(/\s+/).filter(
        Boolean,
      );
      const victims = [readPid(`${dir}/run/slurmd-${node}.pid`)!];
      for (const id of jobIds) {
        victims.push(...processesWith({ cmdlinePrefix: `slurmstepd: [${id}.` }));
        victims.push(...processesWith({ environ: `SLURM_JOB_ID=${id}` }));
      }
      for (const pid of new Set(victims)) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // gone already
        }
      }
      return victims;
    },
    async releaseHeld(): Promise<void> {
      const pending = await command("squeue", ["-h", "-r", "-t", "PD", "-o", "%i|%r"]);
      for (const line of pending.trim().split("\n").filter(Boolean)) {
        const [id, reason] = line.split("|");
        if (reason === "BeginTime") {
          await command("scontrol", ["update", `JobId=${id}`, "StartTime=now"]).catch(() => "");
        }
      }
    },
    stop,
    stopNow() {
      killAll(dir, confPath);
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // a daemon may still be writing; the folder is temporary
      }
    },
    [Symbol.asyncDispose]: stop,
  };
}

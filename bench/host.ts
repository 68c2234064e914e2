/**
 * What the machine and the server process are doing, from /proc (Linux): process CPU time (and
 * its background threads'), peak RSS, per-core busy and stolen time (other processes' noise, and
 * the host's), load average, CPU pinning with `taskset` and a CPU quota through a cgroup v1 `cpu`
 * controller. Everything degrades to `null` with a reason where the platform does not allow it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** Kernel clock ticks per second for /proc/<pid>/stat (USER_HZ; 100 on every Linux we target). */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system) used so far by a process, or null when it cannot be read. */
export function processCpuSeconds(pid: number): number | null {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * CPU seconds used so far by each of a process's threads other than its main one (for Node: V8's
 * compiler and GC helpers, libuv's pool), by thread id; null when none can be read. Compare two
 * readings with {@link backgroundCpuSecondsBetween}.
 */
export function backgroundThreadsCpu(pid: number): ReadonlyMap<string, number> | null {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  const byThread = new Map<string, number>();
  for (const tid of tids) {
    if (tid === String(pid)) continue;
    // A thread may end between the listing and the read; it is then left out.
    const seconds = statCpuSeconds(`/proc/${pid}/task/${tid}/stat`);
    if (seconds !== null) byThread.set(tid, seconds);
  }
  return byThread.size > 0 || tids.length === 1 ? byThread : null;
}

/**
 * The CPU the background threads used between two readings: each thread's growth, a thread that
 * started in between counted in full, one that ended in between not at all (its last interval is
 * lost, rather than its whole past counted against the others). Each thread's time is whole clock
 * ticks (10 ms), rounded down.
 */
export function backgroundCpuSecondsBetween(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const [tid, seconds] of after) total += seconds - (before.get(tid) ?? 0);
  return total;
}

/** utime + stime of a /proc stat file, in seconds. */
function statCpuSeconds(path: string): number | null {
  try {
    const stat = readFileSync(path, 'utf8');
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / CLOCK_TICKS : null;
  } catch {
    return null;
  }
}

/** Peak resident set size (VmHWM) of a process in MiB, or null. */
export function processPeakRssMiB(pid: number): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Resets the peak RSS (VmHWM) of `pid` to its current RSS, so the next reading is the peak of
 * what follows (writing 5 to /proc/<pid>/clear_refs, Linux >= 4.0). False when not allowed.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Busy, stolen and total jiffies per core, from /proc/stat. */
export type CoreTimes = ReadonlyMap<number, { readonly busy: number; readonly steal: number; readonly total: number }>;

/** Per-core times now, or null off Linux. */
export function readCoreTimes(): CoreTimes | null {
  try {
    return parseCoreTimes(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Per-core times from /proc/stat's text. Fields: user nice system idle iowait irq softirq steal
 * guest guest_nice; guest is inside user. Interrupt time is left out of "busy": on loopback it is
 * mostly our own traffic's softirq, which no process is charged for. Steal (the hypervisor running
 * something else while this vCPU waits) is counted apart: it is no process of this machine, and
 * it delays whatever was runnable on that core.
 */
export function parseCoreTimes(stat: string): CoreTimes {
  const out = new Map<number, { busy: number; steal: number; total: number }>();
  for (const line of stat.split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const v = m[2]!.trim().split(/\s+/).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const interrupts = (v[5] ?? 0) + (v[6] ?? 0);
    const steal = v[7] ?? 0;
    out.set(Number(m[1]), { busy: total - idle - interrupts - steal, steal, total });
  }
  return out;
}

/** Busy cores (steal not included) summed over every core between two readings. */
export function busyCoresBetween(before: CoreTimes, after: CoreTimes, seconds: number): number {
  let busy = 0;
  for (const [core, a] of after) {
    const b = before.get(core);
    if (b) busy += (a.busy - b.busy) / CLOCK_TICKS;
  }
  return busy / seconds;
}

/**
 * The share of the time between two readings that the host stole from `cores` (their mean), 0..1,
 * or null when none of them is in the readings. Steal is time this vCPU was ready to run and the
 * hypervisor ran something else: a server on that core waits it out, so it shows in latency as a
 * pause.
 */
export function stealShareBetween(before: CoreTimes, after: CoreTimes, cores: readonly number[]): number | null {
  let stolen = 0;
  let total = 0;
  let seen = false;
  for (const core of cores) {
    const a = after.get(core);
    const b = before.get(core);
    if (!a || !b) continue;
    seen = true;
    stolen += a.steal - b.steal;
    total += a.total - b.total;
  }
  if (!seen) return null;
  return total > 0 ? Math.min(1, Math.max(0, stolen / total)) : 0;
}

/**
 * The cores of a taskset CPU list ("0", "0-2", "0,3"), or null when there is none (an unpinned
 * process) or it is not one (strides such as "0-6:2" included).
 */
export function cpuListCores(list: string | null): number[] | null {
  if (list === null) return null;
  const cores: number[] = [];
  for (const part of list.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) return null;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let c = from; c <= to; c++) cores.push(c);
  }
  return cores.length > 0 ? cores : null;
}

/**
 * Cores that other processes kept busy over `seconds` from now (every core's busy time minus this
 * process's CPU), or null off Linux. A direct reading, unlike the 1-minute load average, which a
 * bench run leaves high for the next one for minutes.
 */
export async function otherBusyCores(seconds: number): Promise<number | null> {
  const before = readCoreTimes();
  const own = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const after = readCoreTimes();
  const mine = process.cpuUsage(own);
  if (before === null || after === null) return null;
  return Math.max(0, busyCoresBetween(before, after, seconds) - (mine.user + mine.system) / 1e6 / seconds);
}

/** 1-minute load average. */
export function loadAverage(): number {
  return loadavg()[0] ?? 0;
}

/** CPU model and count. */
export function cpuInfo(): { model: string; count: number } {
  const list = cpus();
  return { model: list[0]?.model.trim() || 'unknown', count: Math.max(1, list.length) };
}

/**
 * Pins every thread of process `pid` to `cpuList` (e.g. "1") with taskset. Returns null on
 * success, or why it could not.
 */
export function pinProcess(pid: number, cpuList: string): string | null {
  try {
    execFileSync('taskset', ['-a', '-cp', cpuList, String(pid)], { stdio: 'ignore' });
    return null;
  } catch (error) {
    return `taskset could not pin pid ${pid} to CPU ${cpuList}: ${(error as Error).message.split('\n')[0]}`;
  }
}

/** A CPU quota applied to a process; `remove` undoes it. */
export interface CpuQuota {
  readonly millicores: number;
  /** The CFS period, microseconds. */
  readonly periodUs: number;
  /** CFS periods throttled so far, or null. */
  throttledPeriods(): number | null;
  /** Puts another process under the quota (a fresh server); false when it cannot. */
  add(pid: number): boolean;
  /** Moves nothing; deletes the cgroup once the process is gone (best effort). */
  remove(): void;
}

const CGROUP_V1_CPU = '/sys/fs/cgroup/cpu';

/**
 * Puts process `pid` under a CFS quota of `millicores` per `periodUs` (default 100 ms, the
 * kubelet's) in a new cgroup v1 `cpu` group. Needs write access to /sys/fs/cgroup/cpu (root, or a delegated hierarchy); cgroup v2
 * is not handled here. Returns the quota, or a string saying why it cannot be applied.
 */
export function applyCpuQuota(pid: number, millicores: number, periodUs = 100_000): CpuQuota | string {
  if (!existsSync(`${CGROUP_V1_CPU}/cpu.cfs_quota_us`)) {
    return 'no cgroup v1 cpu controller at /sys/fs/cgroup/cpu (cgroup v2 hosts: run the bench under `systemd-run --scope -p CPUQuota=...` instead)';
  }
  const dir = `${CGROUP_V1_CPU}/hello-edge-bench-${process.pid}-${pid}`;
  try {
    mkdirSync(dir);
    writeFileSync(`${dir}/cpu.cfs_period_us`, String(periodUs));
    writeFileSync(`${dir}/cpu.cfs_quota_us`, String(Math.max(1000, Math.round((millicores * periodUs) / 1000))));
    writeFileSync(`${dir}/cgroup.procs`, String(pid));
  } catch (error) {
    try {
      rmdirSync(dir);
    } catch {
      // nothing was created
    }
    return `cannot create a cgroup for the CPU quota (${(error as NodeJS.ErrnoException).code ?? String(error)}); it needs root or a delegated cgroup`;
  }
  return {
    millicores,
    periodUs,
    throttledPeriods: () => {
      try {
        const m = /nr_throttled (\d+)/.exec(readFileSync(`${dir}/cpu.stat`, 'utf8'));
        return m ? Number(m[1]) : null;
      } catch {
        return null;
      }
    },
    add: (other) => {
      try {
        writeFileSync(`${dir}/cgroup.procs`, String(other));
        return true;
      } catch {
        return false;
      }
    },
    remove: () => {
      try {
        rmdirSync(dir);
      } catch {
        // still has a process in it, or already gone; the kernel keeps an empty group harmlessly
      }
    },
  };
}

/** A cgroup v1 memory group of a pod's limit, for a process started through {@link MemoryLimit.wrap}. */
export interface MemoryLimit {
  readonly dir: string;
  readonly limitBytes: number;
  /**
   * The command and arguments that start `command` inside the group (a shell joins the group,
   * then execs it), so the process is charged from its first byte as in a container.
   */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
  /** Memory charged to the group now, bytes (memory.usage_in_bytes: anonymous memory and page cache). */
  usageBytes(): number;
  /** Highest charge since the group was made or {@link MemoryLimit.resetPeak}, bytes. */
  peakBytes(): number;
  /** Starts a new peak from the current usage. */
  resetPeak(): void;
  /** Processes the kernel OOM-killed in the group so far. */
  oomKills(): number;
  /** Kills what still runs in the group (it holds only what was started through `wrap`), then deletes it. */
  remove(): Promise<void>;
}

const CGROUP_V1_MEMORY = '/sys/fs/cgroup/memory';

/**
 * Makes a cgroup v1 memory group limited to `limitBytes`, swap included (a pod has no swap to
 * hide in). Needs write access to /sys/fs/cgroup/memory (root); cgroup v2 is not handled.
 * Returns the group, or a string saying why it cannot be made.
 */
export function createMemoryLimit(limitBytes: number, label = 'bench'): MemoryLimit | string {
  if (!existsSync(`${CGROUP_V1_MEMORY}/memory.limit_in_bytes`)) return 'no cgroup v1 memory controller at /sys/fs/cgroup/memory';
  const dir = `${CGROUP_V1_MEMORY}/hello-edge-${label}-${process.pid}-${Date.now()}`;
  try {
    mkdirSync(dir);
    writeFileSync(`${dir}/memory.limit_in_bytes`, String(limitBytes));
    if (existsSync(`${dir}/memory.memsw.limit_in_bytes`)) writeFileSync(`${dir}/memory.memsw.limit_in_bytes`, String(limitBytes));
  } catch (error) {
    try {
      rmdirSync(dir);
    } catch {
      // nothing was created
    }
    return `cannot create a memory cgroup (${(error as NodeJS.ErrnoException).code ?? String(error)}); it needs root`;
  }
  const readNumber = (file: string): number => Number(readFileSync(`${dir}/${file}`, 'utf8'));
  return {
    dir,
    limitBytes,
    wrap: (command, args) => ({ command: 'sh', args: ['-c', `echo $$ > ${dir}/cgroup.procs && exec "$0" "$@"`, command, ...args] }),
    usageBytes: () => readNumber('memory.usage_in_bytes'),
    peakBytes: () => readNumber('memory.max_usage_in_bytes'),
    resetPeak: () => writeFileSync(`${dir}/memory.max_usage_in_bytes`, '0'),
    oomKills: () => Number(/oom_kill (\d+)/.exec(readFileSync(`${dir}/memory.oom_control`, 'utf8'))?.[1] ?? 0),
    remove: async () => {
      // A group can be removed only once its processes are gone, and a dying process leaves it a
      // little after the signal.
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          for (const pid of readFileSync(`${dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
          rmdirSync(dir);
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
  };
}

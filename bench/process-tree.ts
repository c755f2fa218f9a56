// CPU time and peak memory of a process and its descendants, read from /proc, for methods that
// cannot report their own (the daemon and its algorithm hosts).

import fs from 'node:fs';

/** Clock ticks per second of utime/stime in /proc/PID/stat; 100 on every Linux we target. */
const TICKS_PER_SECOND = 100;

/** The pid and every descendant's pid, from /proc/PID/task/TID/children. */
export function processTree(pid: number): number[] {
  const seen: number[] = [];
  const pending = [pid];
  while (pending.length > 0) {
    const next = pending.pop()!;
    seen.push(next);
    let tasks: string[] = [];
    try {
      tasks = fs.readdirSync(`/proc/${next}/task`);
    } catch {
      continue; // it exited meanwhile
    }
    for (const tid of tasks) {
      try {
        const children = fs.readFileSync(`/proc/${next}/task/${tid}/children`, 'utf8');
        pending.push(...children.split(/\s+/).filter(Boolean).map(Number));
      } catch {
        // the thread exited meanwhile
      }
    }
  }
  return seen;
}

export interface CpuTime {
  userS: number;
  systemS: number;
}

/**
 * CPU seconds used so far by the processes (all their threads), plus what their children that
 * already exited and were waited for used.
 */
export function cpuTime(pids: number[]): CpuTime {
  let user = 0;
  let system = 0;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name, which may contain spaces: the name ends at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime are fields 14-17 of the whole line, 12-15 here (from 1).
    user += Number(fields[11]) + Number(fields[13]);
    system += Number(fields[12]) + Number(fields[14]);
  }
  return { userS: user / TICKS_PER_SECOND, systemS: system / TICKS_PER_SECOND };
}

/** The peak resident set (VmHWM) of each process, summed, in KiB. */
export function peakRssKiB(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
      if (match) total += Number(match[1]);
    } catch {
      // it exited meanwhile
    }
  }
  return total;
}

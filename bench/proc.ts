/** Process figures from Linux's /proc, for the benchmarks that measure another process. */
import { readFile } from 'node:fs/promises';

const TICKS_PER_SECOND = 100;

/** CPU time the process has used, user and system, all its threads, in seconds (10 ms resolution). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name is in parentheses and may hold spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

// CPU time a process has used (utime + stime from /proc/<pid>/stat), for the ingest and
// throughput benchmarks.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** utime + stime of a process, in seconds; NaN once it is gone. */
export function childCpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // Fields after "(comm) ": state is [0]; utime and stime are fields 14 and 15 of stat(5).
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
  } catch {
    return NaN
  }
}

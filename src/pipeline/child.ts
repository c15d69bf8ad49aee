// Starting and stopping one camera child: bin/edgewatch-gst-child.py, a GStreamer
// pipeline run through python3-gi that behaves like `gst-launch-1.0 -v` (see its header).
//
// - Not gst-launch-1.0 itself: that takes the pipeline, rtspsrc's password included, only
//   from argv, which every local user reads in /proc/<pid>/cmdline. The child's argv is
//   its camera's name; the description and the credentials come in its environment
//   (readable by its owner only), and that environment is built here from scratch:
//   nothing of the daemon's own (an EnvironmentFile's secrets) goes along.
// - Frames come on fd 3 (gdppay ! fdsink fd=3); fd 1 carries the caps notify lines
//   (where the source caps are read) and fd 2 the ERROR messages.
// - Each child leads its own process group (detached), so stop() signals the group.
// - No orphans when the daemon is SIGKILLed: the child sets PR_SET_PDEATHSIG itself, first
//   thing, so the kernel kills it when the daemon dies (and exits at once if the daemon,
//   EDGEWATCH_PARENT_PID, died before that). A stalled child may never write to its
//   pipe, so EPIPE alone would not end it. (Not util-linux `setpriv --pdeathsig`: it
//   calls capset(), which the unit's system call filter refuses.)
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { PipelineSpec } from './describe.js'
import { childEnv } from './child-env.js'

/** Debian's interpreter, the one python3-gi is installed for (a python3 on PATH may not have it). */
export const PYTHON = '/usr/bin/python3'
/** bin/ of the installed package: two levels up from src/pipeline/ and from dist/pipeline/. */
export const CAMERA_CHILD = fileURLToPath(new URL('../../bin/edgewatch-gst-child.py', import.meta.url))

/** What a camera child needs to run at all; null when it is there, else what to do. */
export function cameraChildMissing(): string | null {
  if (!executable(PYTHON))
    return `${PYTHON} is missing: install python3, python3-gi and gir1.2-gstreamer-1.0 (apt-get install python3-gi gir1.2-gstreamer-1.0)`
  if (!fs.existsSync(CAMERA_CHILD)) return `${CAMERA_CHILD} is missing: reinstall edgewatch`
  return null
}

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK)
    return true
  } catch {
    return false
  }
}

export interface SpawnedGst {
  child: ChildProcess
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export interface SpawnOptions {
  /** Frame credits on stdin, and what the gate does without one (describe.ts). */
  credits?: PipelineSpec['flow'] | null
  /** A file seeks back to its start at its end instead of exiting. */
  loop?: boolean
}

export function spawnGst(
  camera: string,
  spec: Pick<PipelineSpec, 'description' | 'env' | 'credentials'>,
  opts: SpawnOptions = {},
): SpawnedGst {
  const secrets: Record<string, string> = spec.credentials
    ? { EDGEWATCH_RTSP_USER: spec.credentials.user, EDGEWATCH_RTSP_PASSWORD: spec.credentials.password }
    : {}
  const env = childEnv(process.env, {
    ...spec.env,
    EDGEWATCH_PIPELINE: spec.description,
    EDGEWATCH_PARENT_PID: String(process.pid),
    ...(opts.credits ? { EDGEWATCH_FLOW: opts.credits } : {}),
    ...(opts.loop ? { EDGEWATCH_LOOP: '1' } : {}),
    ...secrets,
  })
  // -I: no PYTHON* variables, no user site-packages: the interpreter runs as installed.
  // -B: no .pyc written beside the installed script (its directory may be read-only).
  const child = spawn(PYTHON, ['-I', '-B', CAMERA_CHILD, '--camera', camera], {
    stdio: [opts.credits ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'],
    detached: true,
    env,
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }))
    // Spawn failures (ENOENT) emit 'error' and may never emit 'close'.
    child.once('error', () => resolve({ code: 127, signal: null }))
  })
  // A credit written after the child died must not become an uncaught EPIPE.
  child.stdin?.on('error', () => undefined)
  return { child, exited }
}

/** Lets `n` more frames through the child's gate. */
export function grantCredits(g: SpawnedGst, n = 1): void {
  const stdin = g.child.stdin
  if (stdin && !stdin.destroyed) stdin.write(Buffer.alloc(n, 1))
}

/** Signals the child's process group; falls back to the child alone. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    try {
      child.kill(signal)
    } catch {
      /* already gone */
    }
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is reaped. */
export async function stopGst(g: SpawnedGst, graceMs = 2000): Promise<void> {
  if (g.child.exitCode !== null || g.child.signalCode !== null) {
    await g.exited
    return
  }
  signalGroup(g.child, 'SIGTERM')
  const timer = setTimeout(() => signalGroup(g.child, 'SIGKILL'), graceMs)
  await g.exited
  clearTimeout(timer)
}

// Real local services for the benchmarks (loopback only): a mosquitto broker and the
// project's GStreamer RTSP server (scripts/lib/rtsp_server.py), on free ports; and the
// H.264 test clips they play.
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { APP_ROOT } from '../config/load.js'

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address()
      srv.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))))
    })
  })
}

/** Resolves once 127.0.0.1:port accepts connections (at most ~15 s). */
export async function waitPort(port: number, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => (s.destroy(), r(true)))
      s.on('error', () => r(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`${what} did not listen on 127.0.0.1:${port}`)
}

export interface Service {
  url: string
  port: number
  proc: ChildProcess
  stop(): Promise<void>
}

function stopper(proc: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve()
      proc.once('exit', () => resolve())
      proc.kill('SIGTERM')
      setTimeout(() => proc.kill('SIGKILL'), 3000).unref()
    })
}

export async function startMosquitto(dir: string): Promise<Service> {
  const port = await freePort()
  const conf = path.join(dir, 'mosquitto.conf')
  fs.writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`)
  const exe = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => fs.existsSync(p)) ?? 'mosquitto'
  const proc = spawn(exe, ['-c', conf], { stdio: 'ignore' })
  await waitPort(port, 'mosquitto')
  return { url: `mqtt://127.0.0.1:${port}`, port, proc, stop: stopper(proc) }
}

/** mounts: path → preset of rtsp_server.py (`file:<mp4>` loops, `clip:<mp4>` plays once). */
export async function startRtspServer(mounts: Record<string, string>): Promise<Service> {
  const port = await freePort()
  const args = [path.join(APP_ROOT, 'scripts', 'lib', 'rtsp_server.py'), '--port', String(port)]
  for (const [m, spec] of Object.entries(mounts)) args.push('--mount', `${m}=${spec}`)
  const proc = spawn('/usr/bin/python3', args, { stdio: 'ignore' })
  await waitPort(port, 'the RTSP server')
  return { url: `rtsp://127.0.0.1:${port}`, port, proc, stop: stopper(proc) }
}

/**
 * Runs `gst-launch-1.0 -q <elements> ! mp4mux ! filesink location=<file>`: `elements` is
 * the source up to and including the H.264 encoder. Returns `file`; throws with gst's
 * stderr when the pipeline fails.
 */
export function encodeMp4(file: string, elements: string[]): string {
  const args = ['-q', ...elements, '!', 'mp4mux', '!', 'filesink', `location=${file}`]
  const r = spawnSync('gst-launch-1.0', args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`could not encode ${file}: ${r.stderr}`)
  return file
}

// What a real `gdppay` writes: `buffers` RGB test frames of width x height as one GDP
// stream, for the parser's tests and its fuzzer.
import { spawnSync } from 'node:child_process'

export function gdppay(width: number, height: number, buffers: number): Buffer {
  const r = spawnSync(
    'gst-launch-1.0',
    [
      '-q',
      'videotestsrc',
      `num-buffers=${buffers}`,
      '!',
      `video/x-raw,format=RGB,width=${width},height=${height},framerate=5/1`,
      '!',
      'gdppay',
      '!',
      'fdsink',
      'fd=1',
    ],
    { maxBuffer: 64 << 20 },
  )
  if (r.status !== 0) throw new Error(`gst-launch failed: ${r.stderr.toString()}`)
  return r.stdout
}

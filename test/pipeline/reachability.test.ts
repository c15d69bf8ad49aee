// The fast return of an unreachable camera (pipeline/reachability.ts): starting the poller
// again while it runs replaces the earlier loop instead of adding a second one (the old
// double pollUntilReachable loop overwrote its own timer and called back twice), and a
// port that opens after having been closed is reported exactly once.
import t from 'tap'
import net from 'node:net'
import { ReachabilityPoller } from '../../src/pipeline/reachability.js'
import { freePort } from '../harness/ports.js'
import { waitFor } from '../service/daemon-harness.js'

t.test('started twice: one loop, one call back when the port opens', async (t) => {
  const port = await freePort()
  const poller = new ReachabilityPoller(40)
  t.teardown(() => poller.stop())
  const calls: string[] = []
  const url = `rtsp://127.0.0.1:${port}/cam`
  poller.start(url, () => calls.push('first'))
  poller.start(url, () => calls.push('second'))
  // Both loops would have seen the port closed by now.
  await waitFor('a closed poll', () => poller.active, 5_000, 10)
  await new Promise((r) => setTimeout(r, 200))
  const server = net.createServer((s) => s.destroy())
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  await waitFor('the call back', () => calls.length > 0, 10_000, 10)
  await new Promise((r) => setTimeout(r, 300))
  t.same(calls, ['second'], 'only the latest start calls back, once')
  t.notOk(poller.active, 'no poll left running')
})

t.test('stop() ends the loop: no call back after it', async (t) => {
  const port = await freePort()
  const poller = new ReachabilityPoller(40)
  let calls = 0
  poller.start(`rtsp://127.0.0.1:${port}/cam`, () => calls++)
  await new Promise((r) => setTimeout(r, 150))
  poller.stop()
  const server = net.createServer((s) => s.destroy())
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  await new Promise((r) => setTimeout(r, 300))
  t.equal(calls, 0)
  t.notOk(poller.active)
})

t.test('after a refused connection, a port open at the first poll counts', async (t) => {
  // The camera's connect was refused just now; the server is back before the first poll.
  const port = await freePort()
  const server = net.createServer((s) => s.destroy())
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const poller = new ReachabilityPoller(40)
  t.teardown(() => poller.stop())
  let calls = 0
  poller.start(`rtsp://127.0.0.1:${port}/cam`, () => calls++, { closed: true })
  await waitFor('the call back', () => calls > 0, 10_000, 10)
  t.equal(calls, 1)
  // Without that knowledge an open port alone proves nothing (a server accepting TCP but
  // failing RTSP keeps its full backoff).
  let others = 0
  poller.start(`rtsp://127.0.0.1:${port}/cam`, () => others++)
  await new Promise((r) => setTimeout(r, 300))
  t.equal(others, 0)
})

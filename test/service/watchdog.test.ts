// Unit tests of the systemd notifier, the health check and the watchdog pinger, with an
// injected transport, fake clocks and a fake runtime's progress figures. What the real
// daemon sends on a real socket is in daemon.test.ts.
import t from 'tap'
import { pino } from 'pino'
import { SystemdNotifier } from '../../src/service/notify.js'
import { HealthCheck, type InferenceProgress } from '../../src/service/health.js'
import { Watchdog } from '../../src/service/watchdog.js'
import { EventLoopMonitor } from '../../src/service/loop-monitor.js'

const log = pino({ level: 'silent' })

t.test('notifier: no-op without NOTIFY_SOCKET, messages with it', async (t) => {
  const sent: string[] = []
  const off = new SystemdNotifier({ env: {}, transport: (s) => sent.push(s) })
  off.ready()
  off.watchdog()
  off.status('x')
  t.equal(off.enabled, false)
  t.equal(off.watchdogIntervalMs(), 0)
  t.same(sent, [])

  const on = new SystemdNotifier({
    env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '3000000' },
    transport: (s) => sent.push(s),
    pid: 42,
    monotonicUsec: () => 123456789n,
  })
  t.equal(on.watchdogIntervalMs(), 1500, 'half of WATCHDOG_USEC')
  on.ready()
  on.status('2/2 cameras\nstreaming')
  on.status('2/2 cameras\nstreaming')
  on.reloading()
  on.watchdog()
  on.stopping()
  t.same(sent, [
    'READY=1',
    'STATUS=2/2 cameras streaming',
    'RELOADING=1\nMONOTONIC_USEC=123456789',
    'WATCHDOG=1',
    'STOPPING=1',
  ])
})

t.test('notifier: watchdog meant for another PID is ignored', async (t) => {
  const env = { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '2000000', WATCHDOG_PID: '7' }
  t.equal(new SystemdNotifier({ env, pid: 8, transport: () => undefined }).watchdogIntervalMs(), 0)
  t.equal(new SystemdNotifier({ env, pid: 7, transport: () => undefined }).watchdogIntervalMs(), 1000)
})

t.test('notifier: the default MONOTONIC_USEC is CLOCK_MONOTONIC in microseconds', async (t) => {
  const sent: string[] = []
  const n = new SystemdNotifier({ env: { NOTIFY_SOCKET: '/x' }, transport: (s) => sent.push(s) })
  const before = process.hrtime.bigint() / 1000n
  n.reloading()
  const after = process.hrtime.bigint() / 1000n
  const v = BigInt(/MONOTONIC_USEC=(\d+)/.exec(sent[0]!)![1]!)
  t.ok(v >= before && v <= after)
})

function fixture() {
  let now = 1_000_000
  let inf: InferenceProgress | null = { busy: false, queued: 0, lastProgressAt: now }
  let lag = 0
  let state = 'running'
  const check = new HealthCheck(
    {
      state: () => state,
      inference: () => inf,
      loopLag: () => lag,
      reloading: () => state === 'reloading',
      warnings: () => [],
    },
    { loopLagMs: 2000, loopWindowMs: 5000, inferenceStallMs: 3000 },
    () => now,
  )
  return {
    check,
    advance: (ms: number) => (now += ms),
    now: () => now,
    setInference: (v: InferenceProgress | null) => (inf = v),
    setLag: (v: number) => (lag = v),
    setState: (v: string) => (state = v),
  }
}

t.test('health: an idle worker is healthy however long ago it last worked', async (t) => {
  const f = fixture()
  f.setInference({ busy: false, queued: 0, lastProgressAt: f.now() - 60_000 })
  t.ok(f.check.evaluate().healthy)
})

t.test('health: a worker with frames waiting and no progress becomes unhealthy', async (t) => {
  const f = fixture()
  const started = f.now()
  f.setInference({ busy: true, queued: 2, lastProgressAt: started })
  t.ok(f.check.evaluate().healthy, 'fresh work is fine')
  f.advance(2500)
  t.ok(f.check.evaluate().healthy, 'below the limit')
  f.advance(1000)
  const r = f.check.evaluate()
  t.notOk(r.healthy)
  t.match(r.reasons[0], /inference worker made no progress for 3\.5 s/)
  f.setInference({ busy: true, queued: 1, lastProgressAt: f.now() })
  t.ok(f.check.evaluate().healthy, 'progress clears it')
})

t.test('health: work that only just arrived is not a stall even if the last result is old', async (t) => {
  const f = fixture()
  f.setInference({ busy: false, queued: 0, lastProgressAt: f.now() })
  f.check.evaluate()
  f.advance(60_000)
  f.setInference({ busy: true, queued: 1, lastProgressAt: f.now() - 60_000 })
  t.ok(f.check.evaluate().healthy)
  f.advance(3500)
  t.notOk(f.check.evaluate().healthy)
})

t.test(
  'health: a model swap during reload is not a stall; a blocked loop and stopping are unhealthy',
  async (t) => {
    const f = fixture()
    f.setInference({ busy: true, queued: 1, lastProgressAt: f.now() })
    f.check.evaluate()
    f.advance(10_000)
    f.setState('reloading')
    t.ok(f.check.evaluate().healthy)
    f.setState('running')
    f.setInference(null)
    f.setLag(2500)
    t.match(f.check.evaluate().reasons, [/event loop was blocked for 2\.5 s/])
    f.setLag(0)
    f.setState('stopping')
    t.match(f.check.evaluate().reasons, [/daemon is stopping/])
  },
)

t.test('watchdog: pings while healthy, withholds while not, resumes after', async (t) => {
  let healthy = true
  let pings = 0
  let tick: (() => void) | null = null
  const wd = new Watchdog({
    intervalMs: 1000,
    health: () => ({ healthy, reasons: healthy ? [] : ['worker hung'], warnings: [] }),
    ping: () => pings++,
    log,
    setInterval: (fn) => (tick = fn),
    clearInterval: () => (tick = null),
  })
  wd.start()
  t.equal(pings, 1, 'first ping at start')
  tick!()
  t.equal(pings, 2)
  healthy = false
  tick!()
  tick!()
  t.equal(pings, 2, 'no pings while unhealthy')
  t.equal(wd.withheld, 2)
  healthy = true
  tick!()
  t.equal(pings, 3)
  wd.stop()
  t.equal(tick, null)
})

t.test('loop monitor: a blocked loop shows up as lag', async (t) => {
  const m = new EventLoopMonitor({ tickMs: 20 })
  m.start()
  t.teardown(() => m.stop())
  await new Promise((r) => setTimeout(r, 60))
  const end = Date.now() + 300
  while (Date.now() < end) {
    /* block the loop for real */
  }
  await new Promise((r) => setTimeout(r, 60))
  t.ok(m.maxLag(10_000) >= 200, `lag ${m.maxLag(10_000)} ms`)
  t.ok(m.delayStats().max > 0.2)
})

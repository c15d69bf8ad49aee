// The one declaration of edgewatch's configuration file: types, defaults and the
// description of every key. Validation (config/load.ts), the docs table
// (docs/configuration.md) and the TypeScript types all come from here.
//
// Every object is strict: a misspelled key is an error, never silently ignored.
import { z } from 'zod'

export const DEFAULT_CONFIG_PATH = '/etc/edgewatch/config.yaml'

const positiveSeconds = z.number().positive()

/** Names used in MQTT topics, metrics labels and file names: keep them plain. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/** Tracking and events; defaults for all cameras, any camera may override under cameras.<name>.track. */
const trackShape = {
  enabled: z.boolean().describe('Track objects and report them as events'),
  min_hits: z
    .number()
    .int()
    .min(1)
    .describe('Detections before a track is confirmed (and its `new` event sent)'),
  max_age_s: z.number().positive().describe('Unseen this long (seconds of video) and the event ends'),
  update_interval_s: z
    .number()
    .positive()
    .describe('At most one `update` per event per interval (zone and stationary changes go at once)'),
  stationary_s: z.number().positive().describe('Box barely moved this long: stationary: true'),
}

export const TrackSchema = z.strictObject({
  enabled: trackShape.enabled.default(true),
  min_hits: trackShape.min_hits.default(3),
  max_age_s: trackShape.max_age_s.default(1.5),
  update_interval_s: trackShape.update_interval_s.default(5),
  stationary_s: trackShape.stationary_s.default(10),
})

/** A camera's overrides of `track` (no defaults: the global keys fill the rest). */
export const CameraTrackSchema = z
  .strictObject({
    enabled: trackShape.enabled.optional(),
    min_hits: trackShape.min_hits.optional(),
    max_age_s: trackShape.max_age_s.optional(),
    update_interval_s: trackShape.update_interval_s.optional(),
    stationary_s: trackShape.stationary_s.optional(),
  })
  .describe("This camera's overrides of the top-level track keys")

/** A point in relative coordinates: 0..1 of the source frame, x right, y down. */
const RelPoint = z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)])
const Polygon = z.array(RelPoint).min(3)

export const ZoneSchema = z
  .strictObject({
    points: Polygon.describe('Polygon corners, relative (0..1 of the frame, x right, y down), at least 3'),
    labels: z
      .array(z.string().min(1))
      .optional()
      .describe('Only these labels count in the zone; default: all'),
    inertia: z
      .number()
      .int()
      .min(1)
      .default(3)
      .describe('Consecutive frames inside (or outside) before an object enters (or leaves)'),
  })
  .describe('A zone: counts and events report the objects whose bottom centre is inside')

export const LineSchema = z
  .strictObject({
    points: z
      .tuple([RelPoint, RelPoint])
      .describe('P1 -> P2, relative; crossing from its negative to its positive side is "in"'),
    labels: z.array(z.string().min(1)).optional().describe('Only these labels are counted; default: all'),
  })
  .describe('A tripwire: each crossing of the segment by an object is counted, in or out')

export const FilterSchema = z
  .strictObject({
    min_score: z.number().min(0).max(1).optional().describe('Detections of this label below it are dropped'),
    min_area: z.number().min(0).max(1).optional().describe('Smallest box area, relative to the frame (0..1)'),
    max_area: z.number().min(0).max(1).optional().describe('Largest box area, relative to the frame (0..1)'),
  })
  .describe('Per-label filter, applied before tracking')

export const CameraSchema = z
  .strictObject({
    url: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Source URL: rtsp://[user:pass@]host[:port]/path, rtsps://, file:///path, v4l2:///dev/videoN',
      ),
    pipeline: z
      .string()
      .min(1)
      .optional()
      .describe('Custom GStreamer source (gst-launch syntax) ending in raw video; used instead of url'),
    transport: z.enum(['tcp', 'udp']).default('tcp').describe('RTSP transport'),
    max_fps: z
      .number()
      .positive()
      .max(240)
      .optional()
      .describe('Frames per second to process (default: detect.max_fps)'),
    loop: z.boolean().default(false).describe('file:// only: start again at the end'),
    realtime: z
      .boolean()
      .default(true)
      .describe('file:// only: play at the file frame rate like a camera (false: as fast as possible)'),
    decoder: z
      .enum(['auto', 'cpu', 'nvv4l2', 'vaapi', 'v4l2'])
      .default('auto')
      .describe('Video decoder family; auto picks hardware when gst-inspect-1.0 finds it'),
    stall_timeout: positiveSeconds
      .default(10)
      .describe('Seconds without a frame before the camera is restarted'),
    enabled: z.boolean().default(true).describe('false keeps the camera in the file but does not run it'),
    track: CameraTrackSchema.optional(),
    zones: z.record(z.string(), ZoneSchema).default({}).describe('Named zones of this camera'),
    lines: z.record(z.string(), LineSchema).default({}).describe('Named tripwires of this camera'),
    masks: z
      .array(Polygon)
      .default([])
      .describe('Polygons (relative): detections whose bottom centre is inside are ignored'),
    filters: z.record(z.string(), FilterSchema).default({}).describe('Per-label filters (by label)'),
  })
  .describe('One camera')

export const TensorRtSchema = z
  .strictObject({
    fp16: z.boolean().default(true).describe('Build FP16 engines'),
    int8: z.boolean().default(false).describe('Build INT8 engines (needs calibration_table)'),
    calibration_table: z.string().optional().describe('INT8 calibration table file'),
    cache_dir: z.string().default('/var/lib/edgewatch/trt').describe('Engine and timing cache directory'),
    timing_cache: z.boolean().default(true).describe('Keep a TensorRT timing cache in cache_dir'),
    workspace_mb: z.number().int().positive().default(1024).describe('Builder workspace size (MiB)'),
    builder_optimization_level: z
      .number()
      .int()
      .min(0)
      .max(5)
      .default(3)
      .describe('TensorRT builder level 0-5'),
    profile_min_shapes: z.string().optional().describe('e.g. images:1x3x416x416'),
    profile_opt_shapes: z.string().optional(),
    profile_max_shapes: z.string().optional(),
  })
  .describe('TensorRT execution-provider options (Jetson build only)')

// No defaults here on purpose: a key left out comes from the output format's convention
// (e.g. YOLOX is BGR, unscaled, top-left), so `input: {width: 640, height: 640}` in a
// config does not silently switch a YOLOX model to RGB.
export const ManifestInputSchema = z
  .strictObject({
    width: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Model input width (pixels; default: from the model)'),
    height: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Model input height (pixels; default: from the model)'),
    color: z
      .enum(['rgb', 'bgr'])
      .optional()
      .describe('Channel order the model expects (default: per format)'),
    scale: z
      .number()
      .positive()
      .optional()
      .describe('Pixel value v becomes (v*scale - mean)/std (default: per format)'),
    mean: z
      .tuple([z.number(), z.number(), z.number()])
      .optional()
      .describe('Per-channel mean (default 0,0,0)'),
    std: z
      .tuple([z.number().positive(), z.number().positive(), z.number().positive()])
      .optional()
      .describe('Per-channel standard deviation (default 1,1,1)'),
    letterbox: z
      .enum(['center', 'topleft'])
      .optional()
      .describe('Where the scaled frame sits in the input (default: per format)'),
    pad: z.number().int().min(0).max(255).optional().describe('Value of the letterbox border (default 114)'),
  })
  .describe('Model input and preprocessing (manifest key; overrides the manifest)')

export const OUTPUT_FORMATS = ['yolov5', 'yolo-raw', 'yolox', 'yolov8', 'nms-n7', 'nms-k6'] as const

/** Keys of a model manifest (models/<name>.yaml); all may be overridden under `model:`. */
export const manifestShape = {
  format: z
    .enum(OUTPUT_FORMATS)
    .optional()
    .describe('Output layout; omitted: auto-detect from output shapes'),
  input: ManifestInputSchema.optional(),
  strides: z.array(z.number().int().positive()).min(1).optional().describe('yolox / yolo-raw strides'),
  anchors: z
    .array(z.array(z.number().positive()).min(2))
    .optional()
    .describe('yolo-raw anchors, one list of w,h pairs per level'),
  labels: z.array(z.string().min(1)).min(1).optional(),
  labels_file: z.string().optional().describe('One label per line, relative to the manifest'),
}

export const ManifestSchema = z.strictObject(manifestShape)

export const ModelSchema = z
  .strictObject({
    path: z.string().min(1).optional().describe('ONNX file; default: the bundled models/csp-shapes.onnx'),
    providers: z
      .array(z.enum(['tensorrt', 'cuda', 'cpu']))
      .min(1)
      .default(['tensorrt', 'cuda', 'cpu'])
      .describe(
        'Execution providers of one session, in order (onnxruntime hands each node to the first that takes it); cpu is always last',
      ),
    threads: z
      .union([z.literal('auto'), z.number().int().min(1).max(64)])
      .default('auto')
      .describe('onnxruntime intra-op threads; auto: one per core, at most 4 (runtime/threads.ts)'),
    spin_wait: z
      .boolean()
      .default(false)
      .describe(
        'Idle onnxruntime threads spin for work (a faster hand-off that burns CPU the decoders need)',
      ),
    tensorrt: TensorRtSchema.prefault({}),
    ...manifestShape,
  })
  .describe('The detector')

export const DetectSchema = z.strictObject({
  score: z.number().min(0).max(1).default(0.35).describe('Minimum score'),
  class_scores: z
    .record(z.string(), z.number().min(0).max(1))
    .default({})
    .describe('Per-label minimum score'),
  iou: z.number().min(0).max(1).default(0.45).describe('NMS IoU threshold'),
  class_agnostic: z.boolean().default(false).describe('NMS across classes'),
  max_detections: z.number().int().positive().default(100),
  max_fps: z.number().positive().max(240).default(10).describe('Default per-camera processing rate'),
  labels: z.array(z.string().min(1)).optional().describe('Allow-list of labels to report; default: all'),
})

export const StorageSchema = z.strictObject({
  path: z.string().min(1).default('/var/lib/edgewatch/edgewatch.db'),
  synchronous: z.enum(['normal', 'full']).default('normal').describe('full: survive power loss, slower'),
  retention: z
    .strictObject({
      days: z.number().positive().default(7),
      max_mb: z.number().positive().default(1024),
      check_interval: positiveSeconds.default(60),
    })
    .prefault({}),
  outbox_max_rows: z.number().int().positive().default(100_000).describe('Unpublished messages kept at most'),
})

export const MqttSchema = z.strictObject({
  enabled: z.boolean().default(true),
  url: z.string().min(1).default('mqtt://127.0.0.1:1883').describe('mqtt://, mqtts://, ws://, wss://'),
  topic_prefix: z.string().min(1).default('edgewatch'),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
  protocol_version: z
    .union([z.literal(4), z.literal(5)])
    .default(4)
    .describe('4 = MQTT 3.1.1, 5 = MQTT 5'),
  client_id: z.string().min(1).optional().describe('default: edgewatch-<device id>'),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  ca: z.string().optional().describe('CA certificate (PEM) for mqtts/wss'),
  cert: z.string().optional().describe('Client certificate (PEM)'),
  key: z.string().optional().describe('Client key (PEM)'),
  reject_unauthorized: z.boolean().default(true),
  keepalive: z.number().int().positive().default(30),
  publish_empty_frames: z.boolean().default(false),
  publish: z
    .strictObject({
      detections: z
        .boolean()
        .default(true)
        .describe('One message per processed frame on <camera>/detections'),
      events: z
        .boolean()
        .default(true)
        .describe('new/update/end of every tracked object on <prefix>/<device>/events'),
      counts: z.boolean().default(true).describe('Retained active-object counts per camera (and zone)'),
    })
    .prefault({}),
  discovery: z
    .strictObject({
      enabled: z.boolean().default(false).describe('Announce the cameras, zones and lines to Home Assistant'),
      prefix: z.string().min(1).default('homeassistant').describe("Home Assistant's discovery prefix"),
    })
    .prefault({}),
  stats_interval: positiveSeconds.default(30),
  max_inflight: z.number().int().positive().max(65535).default(64),
})

export const HttpSchema = z.strictObject({
  enabled: z.boolean().default(true),
  listen: z.string().default('127.0.0.1:9310').describe('host:port of the status/metrics server'),
  allow_remote: z
    .boolean()
    .default(false)
    .describe('Must be true to listen on a non-loopback address (then http.token is required)'),
  token: z
    .string()
    .min(16)
    .optional()
    .describe(
      'Secret every request but /healthz must carry (Authorization: Bearer, or Basic with it as password); default: $EDGEWATCH_HTTP_TOKEN',
    ),
  hosts: z
    .array(z.string().min(1))
    .default([])
    .describe('More Host names clients may use (loopback names and the listen address always work)'),
})

export const EventsSchema = z.strictObject({
  snapshots: z.boolean().default(true).describe("Keep a JPEG of each event's best frame"),
  retention_days: z
    .number()
    .min(0)
    .default(30)
    .describe(
      'Events (and their snapshots) older than this are removed; 0: only storage.retention.max_mb limits them',
    ),
})

export const ConfigSchema = z.strictObject({
  device: z
    .strictObject({
      id: z
        .string()
        .regex(NAME_PATTERN, 'must be 1-64 letters, digits, "_", "-" or ".", starting with a letter or digit')
        .optional()
        .describe('Device id used in MQTT topics and message ids (default: the hostname)'),
    })
    .prefault({}),
  model: ModelSchema.prefault({}),
  detect: DetectSchema.prefault({}),
  track: TrackSchema.prefault({}),
  events: EventsSchema.prefault({}),
  cameras: z.record(z.string(), CameraSchema).default({}),
  storage: StorageSchema.prefault({}),
  mqtt: MqttSchema.prefault({}),
  http: HttpSchema.prefault({}),
  log: z
    .strictObject({
      level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
      format: z.enum(['json', 'pretty']).default('json'),
    })
    .prefault({}),
  service: z
    .strictObject({
      stop_timeout: positiveSeconds.default(10).describe('Seconds to drain the outbox on stop'),
    })
    .prefault({}),
})

export { NAME_PATTERN }
export type CameraConfig = z.infer<typeof CameraSchema>
export type TrackConfig = z.infer<typeof TrackSchema>
export type ZoneConfig = z.infer<typeof ZoneSchema>
export type LineConfig = z.infer<typeof LineSchema>
export type ModelConfig = z.infer<typeof ModelSchema>
export type ManifestConfig = z.infer<typeof ManifestSchema>
export type EdgewatchConfig = z.infer<typeof ConfigSchema>

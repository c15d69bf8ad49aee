// What a GStreamer child (the camera child, gst-inspect-1.0) gets as its environment: built
// from nothing, never the daemon's own, which may hold an EnvironmentFile's secrets. A
// leaf module: child.ts and video-decoders.ts both use it.

/**
 * The environment of a GStreamer child, from nothing: a PATH, HOME and XDG_CACHE_HOME
 * (GStreamer keeps its plugin registry cache there), the GST_* settings of the unit
 * (GST_DEBUG, GST_PLUGIN_PATH...) and LD_LIBRARY_PATH (vendor codecs on some boards).
 * LANG is C.UTF-8 whatever the daemon's: errors.ts reads GStreamer's English messages.
 */
export function childEnv(
  from: NodeJS.ProcessEnv,
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: from.PATH || '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
  }
  for (const [k, v] of Object.entries(from)) {
    if (v === undefined) continue
    if (k === 'HOME' || k === 'XDG_CACHE_HOME' || k === 'LD_LIBRARY_PATH' || k.startsWith('GST_')) env[k] = v
  }
  return { ...env, ...extra }
}

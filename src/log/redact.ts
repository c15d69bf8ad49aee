// Credentials must never reach a log line, an MQTT stats message or the status page.
// Cameras carry them in URLs (rtsp://user:secret@host) and GStreamer repeats the URL in
// its own error messages, so every free-form string is passed through redact().

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]+):([^\s/@]+)@/gi
const KEY_VALUE_SECRETS = /\b(password|passwd|user-pw|pwd)=("[^"]*"|'[^']*'|\S+)/gi

/** Replaces the password part of every URL and `password=…` pair in `text`. */
export function redact(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1$2:***@').replace(KEY_VALUE_SECRETS, '$1=***')
}

/** Redacts a set of known secret values too (e.g. the configured MQTT password). */
export function makeRedactor(secrets: readonly string[]): (text: string) => string {
  const list = secrets.filter((s) => s.length >= 3)
  return (text: string) => {
    let out = redact(text)
    for (const s of list) out = out.split(s).join('***')
    return out
  }
}

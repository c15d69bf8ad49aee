// Free text from libraries (YAML errors, onnxruntime messages) shortened for one log line
// or one problem line.

/** The first line of `s`, without ANSI colour escapes (onnxruntime appends its coloured native log). */
export function firstLine(s: string): string {
  // eslint-disable-next-line no-control-regex -- stripping ANSI escapes is the point
  return (s.split('\n')[0] ?? s).replace(/\u001b\[[0-9;]*m/g, '').trim()
}

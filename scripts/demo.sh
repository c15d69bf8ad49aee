#!/usr/bin/env bash
# The demo (README's first command): installs what is missing, then runs, together,
#   - a local RTSP server playing the default model's test clip as a camera,
#   - a local mosquitto (unless EDGEWATCH_DEMO_MQTT_URL names a broker),
#   - the edgewatch daemon with the default model,
# and stops all of them on Ctrl-C. State (database, config) lives in .demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/deps.sh
. scripts/lib/deps.sh

check_node
ensure_packages "${RUNTIME_PACKAGES[@]}"
ensure_node_modules
ensure_build

STATE="$PWD/.demo"
mkdir -p "$STATE"
CLIP="$PWD/models/clip/shapes-clip.mp4"
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

pids=()
# shellcheck disable=SC2317 # called through the trap
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

RTSP_PORT="$(free_port)"
if [ -f "$CLIP" ]; then SOURCE="file:$CLIP"; else SOURCE="testsrc"; fi
/usr/bin/python3 scripts/lib/rtsp_server.py --port "$RTSP_PORT" --mount "/shapes=$SOURCE" > "$STATE/rtsp-server.log" 2>&1 &
pids+=("$!")

MQTT_URL="${EDGEWATCH_DEMO_MQTT_URL:-}"
if [ -z "$MQTT_URL" ]; then
  MQTT_PORT="$(free_port)"
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$MQTT_PORT" > "$STATE/mosquitto.conf"
  mosquitto -c "$STATE/mosquitto.conf" > "$STATE/mosquitto.log" 2>&1 &
  pids+=("$!")
  MQTT_URL="mqtt://127.0.0.1:$MQTT_PORT"
fi

HTTP_PORT="${EDGEWATCH_DEMO_HTTP_PORT:-9310}"
cat > "$STATE/config.yaml" <<YAML
# Written by scripts/demo.sh; edit scripts/demo.sh instead.
device: { id: demo }
cameras:
  shapes:
    url: rtsp://127.0.0.1:$RTSP_PORT/shapes
detect: { max_fps: 15 }
storage: { path: $STATE/edgewatch.db }
mqtt: { url: "$MQTT_URL" }
http: { listen: "127.0.0.1:$HTTP_PORT" }
YAML

echo "edgewatch demo: camera rtsp://127.0.0.1:$RTSP_PORT/shapes, broker $MQTT_URL"
echo "  watch detections:  mosquitto_sub -L '${MQTT_URL}/edgewatch/demo/#' -v"
echo "  status page:       http://127.0.0.1:$HTTP_PORT/"
echo "  stop:              Ctrl-C"
echo "  daemon log:        $STATE/edgewatch.log"
node bin/edgewatch.js run --config "$STATE/config.yaml" --log-format pretty > "$STATE/edgewatch.log" 2>&1 &
daemon="$!"
pids+=("$daemon")
node scripts/lib/demo-status.mjs "http://127.0.0.1:$HTTP_PORT" &
pids+=("$!")
# The daemon ending (e.g. a bad model) ends the demo; its last log lines say why.
status=0
wait "$daemon" || status=$?
if [ "$status" -ne 0 ]; then
  echo "edgewatch exited with status $status; last log lines:" >&2
  tail -n 20 "$STATE/edgewatch.log" >&2
fi
exit "$status"

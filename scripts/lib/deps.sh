# shellcheck shell=bash
# Installs what edgewatch needs and is missing, idempotently: Debian/Ubuntu packages,
# node modules (npm ci) and the compiled TypeScript. Sourced by scripts/demo.sh and
# scripts/test.sh. Works as root, or as a user with sudo for the apt step.

# What the daemon needs at run time (GStreamer with RTSP and software decoders, a broker
# for the demo, the compiler toolchain for the native node modules).
# shellcheck disable=SC2034 # used by the scripts that source this file
RUNTIME_PACKAGES=(
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 gir1.2-gstreamer-1.0
  python3 python3-gi python3-gst-1.0 mosquitto mosquitto-clients sqlite3
  libsystemd-dev build-essential
)
# What the tests need on top: linters, the model's Python toolchain (training smoke
# test, fixture models, the scene generator), the corrupt/real clips of opencv-doc,
# systemd tools, promtool (prometheus) to lint /metrics.
# shellcheck disable=SC2034
TEST_PACKAGES=(
  shellcheck python3-onnx python3-numpy python3-torch python3-pil python3-opencv
  opencv-doc systemd openssl prometheus
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "edgewatch: need root (or sudo) to run: $*" >&2
    return 1
  fi
}

# ensure_packages PKG... : apt-get installs only the packages not yet installed.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  echo "edgewatch: installing ${missing[*]}" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

check_node() {
  if ! command -v node >/dev/null 2>&1; then
    echo "edgewatch: Node.js 20 or newer is required (e.g. from NodeSource or your distribution)" >&2
    return 1
  fi
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if [ "$major" -lt 20 ]; then
    echo "edgewatch: Node.js $(node --version) is too old; 20 or newer is required" >&2
    return 1
  fi
}

# ensure_node_modules: npm ci when node_modules is missing or older than the lock file.
# ONNXRUNTIME_NODE_INSTALL=skip: onnxruntime-node's postinstall would download CUDA
# binaries for linux/x64 and fails offline; the variable is the package's own switch (an
# .npmrc key for it is an unknown project config to npm 11, and npm 12 drops those).
# package.json's allowScripts approves the two native builds and denies that download.
ensure_node_modules() {
  local stamp=node_modules/.package-lock.json
  if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
    echo "edgewatch: npm ci" >&2
    ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
  fi
}

ensure_build() {
  npm run --silent build
}

#!/usr/bin/env bash
# Builds onnxruntime with CUDA + TensorRT and its Node.js binding on a Jetson, patched so
# that TensorRT options (FP16, engine cache, ...) reach the execution provider, and lays
# it over edgewatch's npm onnxruntime-node. Why: the npm package is CPU-only on
# linux/arm64 and its binding forwards only deviceId to TensorRT (onnxruntime issues
# #26854, #18380). Step by step, with the support matrix: docs/jetson.md.
#
#   sudo deploy/jetson/build-onnxruntime.sh              detect JetPack, build, install
#   deploy/jetson/build-onnxruntime.sh --dry-run         print every action, change nothing
#   deploy/jetson/build-onnxruntime.sh --print-plan      print the matrix row for this board
#   sudo deploy/jetson/build-onnxruntime.sh --ort-tag v1.23.2   JetPack 6.1/6.2 fallback tag
#
# Expect hours, not minutes (Orin Nano 8 GB: several hours with swap; AGX Orin: about
# an hour or two). It resumes: a finished step is not repeated.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/jetson/lib/jetpack.sh disable=SC1091 # followed when given too (npm run shellcheck)
. "$SCRIPT_DIR/lib/jetpack.sh"
# shellcheck source=deploy/jetson/lib/binding.sh disable=SC1091
. "$SCRIPT_DIR/lib/binding.sh"
# One directory of binding patches per onnxruntime tag: the patched file differs between
# tags, so a patch only applies to the tag it was written against (docs/jetson.md).
PATCH_ROOT="$SCRIPT_DIR/patches"

usage() {
  cat <<'EOF'
usage: deploy/jetson/build-onnxruntime.sh [options]
  --dry-run           print every action without doing it
  --print-plan        print the detected JetPack and the matching build, then exit
  --jetpack X.Y       use this support-matrix row instead of detecting it
  --ort-tag TAG       build this onnxruntime tag instead of the row's (one with a patch in
                      deploy/jetson/patches/TAG/), e.g. v1.23.2 on JetPack 6.1/6.2 if
                      v1.30.0 does not build against TensorRT 10.3; built in package mode
  --tensorrt          also build the TensorRT provider on a row that builds CUDA only
                      (JetPack 7: needs libnvdla_compiler.so, which L4T R39 lacks)
  --src DIR           onnxruntime source checkout (default /usr/local/src/onnxruntime-TAG)
  --prefix DIR        where the built binding is kept (default /usr/local/lib/edgewatch/onnxruntime;
                      deploy/install.sh lays it over node_modules after every npm ci)
  --app DIR           the installed edgewatch (default /opt/edgewatch)
  --jobs N            parallel compile jobs (default: 1 below 12 GiB of RAM+swap, else 2)
  --no-swap-check     build even with less than 12 GiB of RAM+swap (likely to be OOM-killed)
  --verify            after installing, run 'edgewatch check --probe' as the edgewatch user
                      (builds and caches the TensorRT engine)
  -h, --help          this text
EOF
}

DRY_RUN=0
PRINT_PLAN=0
SRC=""
FORCE_TENSORRT=0
PREFIX=/usr/local/lib/edgewatch/onnxruntime
APP=/opt/edgewatch
JOBS=""
SWAP_CHECK=1
VERIFY=0
ORT_REPO="${EDGEWATCH_ORT_REPO:-https://github.com/microsoft/onnxruntime.git}"
CONFIG=/etc/edgewatch/config.yaml

while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --print-plan) PRINT_PLAN=1 ;;
    --jetpack) [ $# -ge 2 ] || { echo "build-onnxruntime.sh: --jetpack needs X.Y" >&2; exit 64; }
      export EDGEWATCH_JETPACK="$2"; shift ;;
    --ort-tag) [ $# -ge 2 ] || { echo "build-onnxruntime.sh: --ort-tag needs a tag, e.g. v1.23.2" >&2; exit 64; }
      export EDGEWATCH_ORT_TAG="$2"; shift ;;
    --tensorrt) FORCE_TENSORRT=1 ;;
    --src) [ $# -ge 2 ] || { echo "build-onnxruntime.sh: --src needs a directory" >&2; exit 64; }
      SRC="$2"; shift ;;
    --prefix) [ $# -ge 2 ] || { echo "build-onnxruntime.sh: --prefix needs a directory" >&2; exit 64; }
      PREFIX="$2"; shift ;;
    --app) [ $# -ge 2 ] || { echo "build-onnxruntime.sh: --app needs a directory" >&2; exit 64; }
      APP="$2"; shift ;;
    --jobs) [ $# -ge 2 ] || { echo "build-onnxruntime.sh: --jobs needs a number" >&2; exit 64; }
      JOBS="$2"; shift ;;
    --no-swap-check) SWAP_CHECK=0 ;;
    --verify) VERIFY=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "build-onnxruntime.sh: unknown option '$1'" >&2; usage >&2; exit 64 ;;
  esac
  shift
done

say() { echo "edgewatch-jetson: $*"; }
die() {
  echo "edgewatch-jetson: $*" >&2
  exit 1
}
act() {
  local desc="$1"
  shift
  [ "$1" = "--" ] && shift
  if [ "$DRY_RUN" -eq 1 ]; then
    echo "would: $desc  [$*]"
  else
    echo "do:    $desc"
    "$@"
  fi
}
# problem MESSAGE: fatal for a real run; a dry run lists it and goes on planning.
problem() {
  if [ "$DRY_RUN" -eq 1 ]; then echo "warn:  $*"; else die "$*"; fi
}

# version_ge A B: A >= B for dotted versions.
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

# --- plan --------------------------------------------------------------------
PLAN="$(jetson_build_plan)" || die "cannot choose a build (see above)"
L4T="" JETPACK="" ROW="" CUDA="" CUDNN="" TENSORRT="" ORT_TAG="" CUDA_ARCHS="" MODE="" PROVIDERS="" FALLBACK_TAG=""
while IFS='=' read -r key value; do
  case "$key" in
    L4T | JETPACK | ROW | CUDA | CUDNN | TENSORRT | ORT_TAG | CUDA_ARCHS | MODE | PROVIDERS | FALLBACK_TAG)
      printf -v "$key" '%s' "$value" ;;
  esac
done <<<"$PLAN"
USE_TENSORRT=0
case "$PROVIDERS" in *tensorrt*) USE_TENSORRT=1 ;; esac
[ "$FORCE_TENSORRT" -eq 0 ] || USE_TENSORRT=1
[ -n "$SRC" ] || SRC="/usr/local/src/onnxruntime-$ORT_TAG"

# The patches for this tag, in order; a tag without any cannot be built (not even planned):
# the patch is what makes TensorRT options reach the provider.
PATCH_DIR="$PATCH_ROOT/$ORT_TAG"
PATCHES=()
for f in "$PATCH_DIR"/*.patch; do
  [ -f "$f" ] && PATCHES+=("$f")
done
# shown as deploy/jetson/patches/<tag>/<file>
shown_patches() {
  local p out=()
  for p in "${PATCHES[@]}"; do out+=("deploy/jetson/${p#"$SCRIPT_DIR/"}"); done
  echo "${out[*]}"
}
if [ "${#PATCHES[@]}" -eq 0 ]; then
  known=""
  for d in "$PATCH_ROOT"/*/; do
    [ -d "$d" ] && known="$known $(basename "$d")"
  done
  die "no binding patch for onnxruntime $ORT_TAG: $PATCH_DIR/*.patch not found (tags with a patch:${known:- none}); choose one of those with --ort-tag, or write the patch (deploy/jetson/README.md#the-patch)"
fi

say "L4T $L4T, JetPack $JETPACK -> CUDA $CUDA, cuDNN $CUDNN, TensorRT $TENSORRT -> onnxruntime $ORT_TAG (CUDA archs $CUDA_ARCHS, $MODE mode)"
if [ "$PRINT_PLAN" -eq 1 ]; then
  printf '%s\n' "$PLAN"
  printf 'PATCHES=%s\n' "$(shown_patches)"
  exit 0
fi
say "binding patch for $ORT_TAG (chosen by the tag): $(shown_patches)"
if [ "$USE_TENSORRT" -eq 1 ]; then
  say "execution providers built: CUDA and TensorRT"
else
  # JetPack 7 (see lib/jetpack.sh): the TensorRT provider would be built for nothing, as it
  # cannot load without libnvdla_compiler.so; the CUDA provider runs.
  if nvdla="$(nvdla_compiler_lib)"; then
    say "JetPack $JETPACK: building the CUDA provider only; $nvdla is present, so TensorRT may load on this release (not verified by edgewatch): --tensorrt builds it too"
  else
    say "JetPack $JETPACK: building the CUDA provider only, no TensorRT: libnvdla_compiler.so is missing (L4T R39 ships none) and TensorRT cannot load without it. With providers [tensorrt, cuda, cpu] edgewatch logs 'tensorrt unavailable' once and runs on cuda"
  fi
fi
[ "$MODE" = binding ] || say "JetPack $ROW: onnxruntime $ORT_TAG replaces the whole onnxruntime-node package (its JavaScript must match its binding); not verified on a device"
[ "$FALLBACK_TAG" = - ] || [ "$FALLBACK_TAG" = "$ORT_TAG" ] ||
  say "if onnxruntime $ORT_TAG does not build against TensorRT $TENSORRT: run again with --ort-tag $FALLBACK_TAG (docs/jetson.md)"
[ "$DRY_RUN" -eq 1 ] && say "dry run: nothing is changed"
if [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root (sudo), or use --dry-run"
fi

LIBDIR=/usr/lib/aarch64-linux-gnu
CUDA_HOME=/usr/local/cuda

# --- prerequisites -------------------------------------------------------------
check_prerequisites() {
  local need_cmake=3.28
  [ "$MODE" = binding ] || need_cmake=3.26
  local tool
  for tool in git python3 node npm g++ make; do
    command -v "$tool" >/dev/null 2>&1 || problem "$tool not found; install it (apt-get install git python3 build-essential; Node.js 20: see docs/deploy.md)"
  done
  if ! command -v cmake >/dev/null 2>&1 || ! version_ge "$(cmake --version | sed -n 's/^cmake version //p')" "$need_cmake"; then
    problem "cmake >= $need_cmake needed (Ubuntu's is older): python3 -m pip install 'cmake>=$need_cmake' and put ~/.local/bin (or /usr/local/bin) first on PATH"
  fi
  [ -x "$CUDA_HOME/bin/nvcc" ] || problem "CUDA $CUDA not found at $CUDA_HOME: apt-get install nvidia-jetpack (or cuda-toolkit-*)"
  compgen -G "/usr/include/aarch64-linux-gnu/cudnn*.h" >/dev/null || compgen -G "/usr/include/cudnn*.h" >/dev/null ||
    problem "cuDNN headers not found: apt-get install nvidia-jetpack (or libcudnn*-dev)"
  [ "$USE_TENSORRT" -eq 1 ] || return 0
  [ -f /usr/include/aarch64-linux-gnu/NvInfer.h ] || [ -f /usr/include/NvInfer.h ] ||
    problem "TensorRT headers not found: apt-get install nvidia-jetpack (or libnvinfer-dev libnvonnxparsers-dev)"
  nvdla_compiler_lib >/dev/null ||
    problem "libnvdla_compiler.so not found: TensorRT's libnvinfer loads it on Jetson, so the TensorRT provider could not load (JetPack 6: apt-get install nvidia-l4t-dla-compiler; JetPack 7 ships none: build without --tensorrt)"
}

# RAM + swap decides the job count; below 12 GiB the CUDA kernels of onnxruntime are
# likely to be OOM-killed (nvcc needs several GiB per job on some files).
check_memory() {
  local mem swap total
  mem="$(awk '/^MemTotal:/ {print int($2/1024)}' /proc/meminfo)"
  swap="$(awk '/^SwapTotal:/ {print int($2/1024)}' /proc/meminfo)"
  total=$((mem + swap))
  say "memory: ${mem} MiB RAM + ${swap} MiB swap"
  if [ -z "$JOBS" ]; then
    JOBS=1
    [ "$total" -lt 12288 ] || JOBS=2
  fi
  if [ "$total" -lt 12288 ] && [ "$SWAP_CHECK" -eq 1 ]; then
    problem "less than 12 GiB of RAM+swap; add swap first (docs/jetson.md): fallocate -l 8G /swapfile && chmod 600 /swapfile && mkswap /swapfile && swapon /swapfile (or --no-swap-check)"
  fi
}

# --- source and patch -------------------------------------------------------------
fetch_source() {
  if [ -d "$SRC/.git" ]; then
    local have
    have="$(git -C "$SRC" describe --tags --exact-match 2>/dev/null || echo "not a tag")"
    [ "$have" = "$ORT_TAG" ] || die "$SRC holds onnxruntime $have, not $ORT_TAG; remove it or pass --src DIR"
    say "ok:    $SRC at $ORT_TAG (unchanged)"
    return
  fi
  act "clone onnxruntime $ORT_TAG into $SRC (with submodules)" -- \
    git clone --recursive --depth 1 --shallow-submodules --branch "$ORT_TAG" "$ORT_REPO" "$SRC"
}

apply_patches() {
  local patch name
  for patch in "${PATCHES[@]}"; do
    name="deploy/jetson/${patch#"$SCRIPT_DIR/"}"
    if [ "$DRY_RUN" -eq 1 ] && [ ! -d "$SRC/.git" ]; then
      echo "would: check and apply $name  [git apply --check; git apply]"
      continue
    fi
    if git -C "$SRC" apply --reverse --check "$patch" 2>/dev/null; then
      say "ok:    $name already applied (unchanged)"
      continue
    fi
    git -C "$SRC" apply --check "$patch" ||
      die "$name does not apply to $SRC (js/node/src/session_options_helper.cc is not the one of $ORT_TAG); see deploy/jetson/README.md#the-patch"
    act "apply $name" -- git -C "$SRC" apply "$patch"
  done
}

# --- the binding folder ------------------------------------------------------------
# Found after the build and checked against the JavaScript that loads it: lib/binding.sh.
explain_binding_folder() {
  echo "plan:  binding folder: found after the build as $SRC/$BINDING_GLOB (exactly one;" \
    "napi-v3 at v1.17.3, napi-v6 at v1.23+), and checked against the napi-v<N> folder that" \
    "$([ "$MODE" = binding ] && echo "$APP/node_modules/onnxruntime-node/dist/binding.js" || echo "$SRC/js/node/dist/binding.js ($ORT_TAG)")" \
    "loads; copied to $PREFIX/bin/napi-v<N>/linux/arm64"
}

# --- build ------------------------------------------------------------------
BUILD_DIR_REL=build/Linux/Release
stamp_value() { echo "$ORT_TAG $(cat "${PATCHES[@]}" | sha256sum | cut -d' ' -f1) $CUDA_ARCHS tensorrt=$USE_TENSORRT"; }

build() {
  local stamp="$SRC/$BUILD_DIR_REL/.edgewatch-build"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(stamp_value)" ] && built_binding_dir "$SRC" >/dev/null 2>&1; then
    say "ok:    onnxruntime $ORT_TAG already built (unchanged)"
    return
  fi
  # Low-memory flags: few parallel jobs, one nvcc thread, no tests, and no flash/
  # memory-efficient attention kernels (large CUDA files that a detector never uses).
  local args=(
    --config Release --update --build --parallel "$JOBS" --nvcc_threads 1
    --build_shared_lib --build_nodejs --skip_tests --allow_running_as_root
    --use_cuda --cuda_home "$CUDA_HOME" --cudnn_home "$LIBDIR"
  )
  [ "$USE_TENSORRT" -eq 0 ] || args+=(--use_tensorrt --tensorrt_home "$LIBDIR")
  args+=(
    --cmake_extra_defines "CMAKE_CUDA_ARCHITECTURES=$CUDA_ARCHS" onnxruntime_BUILD_UNIT_TESTS=OFF
    onnxruntime_USE_FLASH_ATTENTION=OFF onnxruntime_USE_MEMORY_EFFICIENT_ATTENTION=OFF
  )
  local what="CUDA + TensorRT"
  [ "$USE_TENSORRT" -eq 1 ] || what="CUDA (no TensorRT)"
  act "build onnxruntime $ORT_TAG with $what + Node.js binding ($JOBS jobs; hours)" -- \
    build_sh "${args[@]}"
  act "record the build stamp" -- write_file "$stamp" "$(stamp_value)"
}
# build_sh ARGS...: onnxruntime's build.sh in $SRC; on failure says what to try next.
build_sh() {
  env -C "$SRC" PATH="$CUDA_HOME/bin:$PATH" ./build.sh "$@" && return 0
  if [ "$FALLBACK_TAG" != - ] && [ "$FALLBACK_TAG" != "$ORT_TAG" ]; then
    die "onnxruntime $ORT_TAG failed to build; against TensorRT $TENSORRT the known-good tag is $FALLBACK_TAG: run again with --ort-tag $FALLBACK_TAG (docs/jetson.md)"
  fi
  die "onnxruntime $ORT_TAG failed to build (see the output above; an OOM kill shows as 'Killed': more swap or --jobs 1)"
}
write_file() { printf '%s\n' "$2" >"$1"; }

# --- install ------------------------------------------------------------------
# PREFIX mirrors the root of the onnxruntime-node package, so that laying it over
# node_modules/onnxruntime-node (here and in deploy/install.sh) puts every file in place.
install_prefix() {
  explain_binding_folder
  if [ "$DRY_RUN" -eq 1 ] && ! built_binding_dir "$SRC" >/dev/null 2>&1; then
    echo "would: copy the binding, libonnxruntime and the provider libraries into $PREFIX/bin/napi-v<N>/linux/arm64  [after the build]"
    [ "$MODE" = binding ] || echo "would: copy onnxruntime-node and onnxruntime-common $ORT_TAG (dist, package.json) into $PREFIX  [after the build]"
    return
  fi
  local napi out bin providers
  napi="$(binding_folder "$MODE" "$SRC" "$APP")" || die "cannot install the binding (see above)"
  out="$SRC/js/node/bin/$napi/linux/arm64" bin="$PREFIX/bin/$napi/linux/arm64"
  say "binding folder: bin/$napi (found in $SRC/js/node/bin)"
  act "clear $PREFIX" -- rm -rf "$PREFIX"
  act "copy the binding and libonnxruntime" -- copy_glob "$out" "$bin" 'onnxruntime_binding.node' 'libonnxruntime.so*'
  # The CUDA/TensorRT providers are shared libraries that libonnxruntime loads from its
  # own directory; cmake-js copies only libonnxruntime itself.
  providers=('libonnxruntime_providers_shared.so' 'libonnxruntime_providers_cuda.so')
  [ "$USE_TENSORRT" -eq 0 ] || providers+=('libonnxruntime_providers_tensorrt.so')
  act "copy the provider libraries (${providers[*]})" -- copy_glob "$SRC/$BUILD_DIR_REL" "$bin" "${providers[@]}"
  if [ "$MODE" = package ]; then
    # The JavaScript side must match an older binding: the whole package of that tag.
    act "copy onnxruntime-node $ORT_TAG (dist, package.json)" -- copy_tree "$SRC/js/node" "$PREFIX" dist package.json
    act "copy onnxruntime-common $ORT_TAG" -- copy_tree "$SRC/js/common" "$PREFIX/node_modules/onnxruntime-common" dist package.json
  fi
}
# copy_glob SRC_DIR DEST_DIR PATTERN...: copies matching files (symlinks resolved).
copy_glob() {
  local src="$1" dest="$2" pattern f found
  shift 2
  mkdir -p "$dest"
  for pattern in "$@"; do
    found=0
    for f in "$src"/$pattern; do
      [ -e "$f" ] || continue
      cp -L "$f" "$dest/"
      found=1
    done
    [ "$found" -eq 1 ] || die "$src/$pattern not found: did the build finish?"
  done
}
# copy_tree SRC DEST NAME...: copies the named entries of SRC into DEST.
copy_tree() {
  local src="$1" dest="$2" name
  shift 2
  mkdir -p "$dest"
  for name in "$@"; do cp -a "$src/$name" "$dest/"; done
}

overlay_app() {
  local dest="$APP/node_modules/onnxruntime-node"
  if [ ! -d "$dest" ] && [ "$DRY_RUN" -eq 0 ]; then
    say "no $dest yet: deploy/install.sh lays $PREFIX over it when it installs edgewatch"
    return
  fi
  act "lay $PREFIX over $dest" -- cp -a "$PREFIX/." "$dest/"
}

verify() {
  [ "$VERIFY" -eq 1 ] || {
    say "next: sudo -u edgewatch $APP/bin/edgewatch.js check --probe --config $CONFIG   (builds the TensorRT engine once)"
    return
  }
  say "building the TensorRT engine through 'edgewatch check --probe': expect several minutes the first time"
  act "edgewatch check --probe as the edgewatch user" -- \
    runuser -u edgewatch -- env HOME=/var/lib/edgewatch CUDA_CACHE_PATH=/var/lib/edgewatch/cuda-cache \
    node "$APP/bin/edgewatch.js" check --probe --config "$CONFIG"
}

check_prerequisites
check_memory
say "onnxruntime $ORT_TAG, $JOBS parallel jobs, source $SRC, binding kept in $PREFIX"
fetch_source
apply_patches
build
install_prefix
overlay_app
verify
say "done"

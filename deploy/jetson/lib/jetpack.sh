# shellcheck shell=bash
# Which JetPack this board runs, and which onnxruntime build goes with it. Sourced by
# build-onnxruntime.sh and by the tests (test/deploy/jetson.test.ts), which point
# EDGEWATCH_NV_TEGRA_RELEASE at a fake file; nothing here needs a Jetson.
#
# Support matrix (docs/jetson.md has the prose and what was checked for each row):
#   JetPack  L4T          CUDA  cuDNN  TensorRT  GPU arch     onnxruntime  how      providers
#   5.1.x    R35.2-R35.6  11.4  8.6    8.5.2     72 (Xavier), v1.17.3      package  cuda+tensorrt
#                                                87 (Orin)
#   6.0      R36.3        12.2  8.9    8.6.2     87 (Orin)    v1.17.3      package  cuda+tensorrt
#   6.1/6.2  R36.4        12.6  9.3    10.3      87 (Orin)    v1.30.0      binding  cuda+tensorrt
#                                                             (fallback v1.23.2, package)
#   7.x      R38, R39     13.x  9.x    10.x      87 (Orin),   v1.30.0      binding  cuda
#                                                110 (Thor)
# "binding": the tag equals the onnxruntime-node version in package.json (1.30.0); only the
#   native binding and its libraries replace the npm ones.
# "package": an older tag, because newer onnxruntime needs a newer CUDA/TensorRT than that
#   JetPack has, or the fallback tag chosen with --ort-tag. The JavaScript side of
#   onnxruntime-node must match its binding, so the whole onnxruntime-node and
#   onnxruntime-common packages of that tag replace the npm ones. edgewatch uses only
#   InferenceSession.create/run, which these versions share.
# Why no row builds v1.16.3: its Node.js binding has no TensorRT (nor CUDA) branch at all;
#   the branch came with upstream PR #16050, first released in v1.17. JetPack 5.1 builds
#   v1.17.3 instead (upstream tests 1.16 and 1.17 alike with TensorRT 8.6, not 8.5).
# Why JetPack 7 builds CUDA only: L4T R39 ships no libnvdla_compiler.so, which TensorRT's
#   libnvinfer loads on Jetson, so the TensorRT provider cannot load there (Frigate PR
#   #23582: CUDA EP verified on an AGX Orin with L4T R39.2, TensorRT EP not). The CUDA
#   provider needs only CUDA and cuDNN. build-onnxruntime.sh --tensorrt builds it anyway.

# l4t_version: prints the L4T release, e.g. 36.4.3, from /etc/nv_tegra_release
# ("# R36 (release), REVISION: 4.3, GCID: ...") or else the nvidia-l4t-core package version.
# EDGEWATCH_L4T_VERSION overrides both; EDGEWATCH_NV_TEGRA_RELEASE names another file.
l4t_version() {
  if [ -n "${EDGEWATCH_L4T_VERSION:-}" ]; then
    echo "$EDGEWATCH_L4T_VERSION"
    return 0
  fi
  local file="${EDGEWATCH_NV_TEGRA_RELEASE:-/etc/nv_tegra_release}" v=""
  if [ -r "$file" ]; then
    v="$(sed -n 's/^# R\([0-9][0-9]*\) (release), REVISION: \([0-9][0-9.]*\).*/\1.\2/p' "$file" | head -n 1)"
  fi
  if [ -z "$v" ] && [ -z "${EDGEWATCH_NV_TEGRA_RELEASE:-}" ] && command -v dpkg-query >/dev/null 2>&1; then
    v="$(dpkg-query -W -f='${Version}' nvidia-l4t-core 2>/dev/null | cut -d- -f1)"
  fi
  [ -n "$v" ] || return 1
  echo "$v"
}

# jetpack_for_l4t L4T: prints the JetPack release of an L4T release; fails for the
# releases edgewatch does not support (with the reason on stderr).
jetpack_for_l4t() {
  case "$1" in
    32.*)
      echo "L4T $1 is JetPack 4: Ubuntu 18.04's glibc is too old for Node.js 20; upgrade to JetPack 5.1 or 6" >&2
      return 1 ;;
    35.0.* | 35.1 | 35.1.*)
      echo "L4T $1 is JetPack 5.0.x (developer preview / 5.0.2); upgrade to JetPack 5.1 or later" >&2
      return 1 ;;
    35.2 | 35.2.*) echo 5.1 ;;
    35.3 | 35.3.*) echo 5.1.1 ;;
    35.4 | 35.4.*) echo 5.1.2 ;;
    35.5 | 35.5.*) echo 5.1.3 ;;
    35.6 | 35.6.0) echo 5.1.4 ;;
    35.6.*) echo 5.1.5 ;;
    36.0 | 36.0.* | 36.1 | 36.1.* | 36.2 | 36.2.*)
      echo "L4T $1 is a JetPack 6 developer preview; upgrade to JetPack 6.0 or later" >&2
      return 1 ;;
    36.3 | 36.3.*) echo 6.0 ;;
    36.4 | 36.4.0 | 36.4.1 | 36.4.2) echo 6.1 ;;
    36.4.3) echo 6.2 ;;
    36.4.*) echo 6.2.1 ;;
    # JetPack 7: L4T R38 (7.0/7.1, Jetson Thor) and R39 (7.2, Thor and Orin).
    38 | 38.*) echo 7 ;;
    39 | 39.*) echo 7.2 ;;
    *)
      echo "L4T $1 is not in edgewatch's support matrix (deploy/jetson/lib/jetpack.sh); pass --jetpack to choose a row" >&2
      return 1 ;;
  esac
}

# ort_build_for_jetpack JETPACK: prints one line
#   "<row> <cuda> <cudnn> <tensorrt> <onnxruntime tag> <cuda archs> <binding|package> <providers> <fallback tag|->"
# for a JetPack release (5.1, 5.1.2, 6.0, 6.2, 7.2, ...); fails for unknown ones.
# <providers> is what the build enables: cuda+tensorrt, or cuda alone.
ort_build_for_jetpack() {
  case "$1" in
    5.1 | 5.1.*) echo "5.1 11.4 8.6 8.5.2 v1.17.3 72;87 package cuda+tensorrt -" ;;
    6.0 | 6.0.*) echo "6.0 12.2 8.9 8.6.2 v1.17.3 87 package cuda+tensorrt -" ;;
    # v1.23.2: the fallback if v1.30.0 does not build against TensorRT 10.3 (docs/jetson.md).
    6.1 | 6.1.* | 6.2 | 6.2.*) echo "6.1+ 12.6 9.3 10.3 v1.30.0 87 binding cuda+tensorrt v1.23.2" ;;
    7 | 7.*) echo "7 13.x 9.x 10.x v1.30.0 87;110 binding cuda -" ;;
    *)
      echo "JetPack $1 is not in edgewatch's support matrix (5.1.x, 6.0, 6.1, 6.2, 7.x)" >&2
      return 1 ;;
  esac
}

# jetson_build_plan: detects the board and prints "KEY=value" lines for the build:
# L4T, JETPACK, ROW, CUDA, CUDNN, TENSORRT, ORT_TAG, CUDA_ARCHS, MODE, PROVIDERS,
# FALLBACK_TAG. JETPACK may be forced with EDGEWATCH_JETPACK (build-onnxruntime.sh
# --jetpack), the tag with EDGEWATCH_ORT_TAG (--ort-tag): any other tag than the row's
# own is built in package mode, since its JavaScript then differs from the npm package's.
jetson_build_plan() {
  local l4t="" jp row tag mode
  if [ -n "${EDGEWATCH_JETPACK:-}" ]; then
    jp="$EDGEWATCH_JETPACK"
    l4t="$(l4t_version 2>/dev/null || echo unknown)"
  else
    l4t="$(l4t_version)" || {
      echo "not a Jetson: no /etc/nv_tegra_release and no nvidia-l4t-core package (pass --jetpack X.Y to plan anyway)" >&2
      return 1
    }
    jp="$(jetpack_for_l4t "$l4t")" || return 1
  fi
  row="$(ort_build_for_jetpack "$jp")" || return 1
  # shellcheck disable=SC2086 # the row is space-separated on purpose
  set -- $row
  tag="$5" mode="$7"
  if [ -n "${EDGEWATCH_ORT_TAG:-}" ] && [ "$EDGEWATCH_ORT_TAG" != "$5" ]; then
    tag="$EDGEWATCH_ORT_TAG" mode=package
  fi
  printf 'L4T=%s\nJETPACK=%s\nROW=%s\nCUDA=%s\nCUDNN=%s\nTENSORRT=%s\nORT_TAG=%s\nCUDA_ARCHS=%s\nMODE=%s\nPROVIDERS=%s\nFALLBACK_TAG=%s\n' \
    "$l4t" "$jp" "$1" "$2" "$3" "$4" "$tag" "$6" "$mode" "$8" "$9"
}

# nvdla_compiler_lib: prints the path of libnvdla_compiler.so, which TensorRT's libnvinfer
# loads on Jetson, or fails. EDGEWATCH_TEGRA_LIB_DIRS (space-separated) replaces the
# directories searched (tests).
nvdla_compiler_lib() {
  local dir f
  for dir in ${EDGEWATCH_TEGRA_LIB_DIRS:-/usr/lib/aarch64-linux-gnu/nvidia /usr/lib/aarch64-linux-gnu/tegra /usr/lib/aarch64-linux-gnu}; do
    for f in "$dir"/libnvdla_compiler.so*; do
      [ -e "$f" ] && { echo "$f"; return 0; }
    done
  done
  return 1
}

# shellcheck shell=bash
# Which JetPack this board runs, and which onnxruntime build goes with it. Sourced by
# build-onnxruntime.sh and by the tests (test/deploy/jetson.test.ts), which point
# EDGEWATCH_NV_TEGRA_RELEASE at a fake file; nothing here needs a Jetson.
#
# Support matrix (docs/jetson.md has the prose):
#   JetPack  L4T          CUDA  cuDNN  TensorRT  GPU arch     onnxruntime  how
#   5.1.x    R35.2-R35.6  11.4  8.6    8.5.2     72 (Xavier), v1.16.3     package
#                                                87 (Orin)
#   6.0      R36.3        12.2  8.9    8.6.2     87 (Orin)    v1.17.3      package
#   6.1/6.2  R36.4        12.6  9.3    10.3      87 (Orin)    v1.30.0      binding
# "binding": the tag equals the onnxruntime-node version in package.json (1.30.0); only the
#   native binding and its libraries replace the npm ones.
# "package": an older tag, because newer onnxruntime needs a newer CUDA/TensorRT than that
#   JetPack has (JetPack 5: CUDA 11.4 and TensorRT 8.5; onnxruntime's releases after 1.16
#   target CUDA 11.8+/TensorRT 8.6+, and 1.18+ TensorRT 10). The JavaScript side of
#   onnxruntime-node must match its binding, so the whole onnxruntime-node and
#   onnxruntime-common packages of that tag replace the npm ones. Best effort: edgewatch
#   uses only InferenceSession.create/run, which these versions share.

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
    *)
      echo "L4T $1 is not in edgewatch's support matrix (deploy/jetson/lib/jetpack.sh); pass --jetpack to choose a row" >&2
      return 1 ;;
  esac
}

# ort_build_for_jetpack JETPACK: prints one line
#   "<row> <cuda> <cudnn> <tensorrt> <onnxruntime tag> <cuda archs> <binding|package>"
# for a JetPack release (5.1, 5.1.2, 6.0, 6.2, ...); fails for unknown ones.
ort_build_for_jetpack() {
  case "$1" in
    5.1 | 5.1.*) echo "5.1 11.4 8.6 8.5.2 v1.16.3 72;87 package" ;;
    6.0 | 6.0.*) echo "6.0 12.2 8.9 8.6.2 v1.17.3 87 package" ;;
    6.1 | 6.1.* | 6.2 | 6.2.*) echo "6.1+ 12.6 9.3 10.3 v1.30.0 87 binding" ;;
    *)
      echo "JetPack $1 is not in edgewatch's support matrix (5.1.x, 6.0, 6.1, 6.2)" >&2
      return 1 ;;
  esac
}

# jetson_build_plan: detects the board and prints "KEY=value" lines for the build:
# L4T, JETPACK, ROW, CUDA, CUDNN, TENSORRT, ORT_TAG, CUDA_ARCHS, MODE. JETPACK may be
# forced with EDGEWATCH_JETPACK (build-onnxruntime.sh --jetpack).
jetson_build_plan() {
  local l4t="" jp row
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
  printf 'L4T=%s\nJETPACK=%s\nROW=%s\nCUDA=%s\nCUDNN=%s\nTENSORRT=%s\nORT_TAG=%s\nCUDA_ARCHS=%s\nMODE=%s\n' \
    "$l4t" "$jp" "$1" "$2" "$3" "$4" "$5" "$6" "$7"
}

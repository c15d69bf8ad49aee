# shellcheck shell=bash
# Where the built Node.js binding is, and whether onnxruntime-node's JavaScript will load it.
# Sourced by build-onnxruntime.sh and by the tests (test/deploy/jetson.test.ts).
#
# The onnxruntime build writes the binding to js/node/bin/napi-v<N>/linux/arm64, where N
# comes from the tag's js/node/CMakeLists.txt (v1.17.3: napi-v3; v1.23.2, v1.30.0: napi-v6),
# and onnxruntime-node's JavaScript loads it from the napi-v<N> folder named in its
# dist/binding.js. A binding copied to another folder than the one the JavaScript names is
# never loaded, and a failing require takes the CPU fallback down with it. So the folder is
# found after the build, never assumed, and checked against the JavaScript that will run.

BINDING_GLOB="js/node/bin/napi-v*/linux/arm64/onnxruntime_binding.node"

# built_binding_dir SRC: the one folder of SRC holding a built binding. Fails when there is
# none; with several (a tree built at two tags), says so on stderr and fails.
built_binding_dir() {
  local src="$1" found=() f
  for f in "$src"/$BINDING_GLOB; do
    [ -f "$f" ] && found+=("${f%/onnxruntime_binding.node}")
  done
  if [ "${#found[@]}" -gt 1 ]; then
    echo "several built bindings: ${found[*]}; remove $src/js/node/bin and build again" >&2
    return 1
  fi
  [ "${#found[@]}" -eq 1 ] || return 1
  echo "${found[0]}"
}

# napi_folder_of FILE: the napi-v<N> folder a binding.js/binding.ts loads from, e.g. napi-v6.
napi_folder_of() { grep -o 'bin/napi-v[0-9][0-9]*' "$1" 2>/dev/null | head -n 1 | sed 's#^bin/##'; }

# binding_loader MODE SRC APP: the JavaScript file that will load the binding. Binding mode
# keeps the app's npm onnxruntime-node (or, before edgewatch is installed, the same version's
# source); package mode installs the tag's own, built into js/node/dist.
binding_loader() {
  local mode="$1" src="$2" app="$3" f candidates
  if [ "$mode" = binding ]; then
    candidates=("$app/node_modules/onnxruntime-node/dist/binding.js" "$src/js/node/dist/binding.js" "$src/js/node/lib/binding.ts")
  else
    candidates=("$src/js/node/dist/binding.js" "$src/js/node/lib/binding.ts")
  fi
  for f in "${candidates[@]}"; do
    [ -f "$f" ] && { echo "$f"; return 0; }
  done
  return 1
}

# binding_folder MODE SRC APP: prints the napi-v<N> folder of the built binding after checking
# that the JavaScript that will run loads from that folder; fails with the reason on stderr.
binding_folder() {
  local mode="$1" src="$2" app="$3" dir err napi loader want
  dir="$(built_binding_dir "$src" 2>/dev/null)" || {
    err="$(built_binding_dir "$src" 2>&1 >/dev/null)"
    echo "${err:-no built binding: $src/$BINDING_GLOB not found; did the build finish?}" >&2
    return 1
  }
  napi="${dir%/linux/arm64}"
  napi="${napi##*/}"
  if loader="$(binding_loader "$mode" "$src" "$app")"; then
    want="$(napi_folder_of "$loader")"
    if [ -n "$want" ] && [ "$want" != "$napi" ]; then
      echo "the build wrote the binding to bin/$napi, but $loader loads bin/$want: onnxruntime-node would not load it; is that onnxruntime-node of another version than the build? Reinstall edgewatch (deploy/install.sh), or build the tag of that version (--ort-tag)" >&2
      return 1
    fi
  fi
  echo "$napi"
}

#!/usr/bin/env bash
# Installs edgewatch on a Debian/Ubuntu/JetPack device, or removes it. Idempotent: a second
# run changes nothing and says so. Run from a source checkout (after `npm run build`) or
# from an unpacked `npm pack` tarball. Step by step: docs/deploy.md.
#
#   sudo deploy/install.sh                 install or upgrade, enable the unit
#   deploy/install.sh --dry-run            print every action, change nothing
#   deploy/install.sh --root DIR           install into DIR (packaging, tests): no apt,
#                                          no user, no systemctl (listed as skipped)
#   sudo deploy/install.sh --uninstall     remove app and unit; keep config and data
#   sudo deploy/install.sh --uninstall --purge   also remove config, data and the user
set -euo pipefail

usage() {
  cat <<'EOF'
usage: deploy/install.sh [options]
  --dry-run        print every action without doing it
  --root DIR       install into the tree under DIR instead of / (skips apt, user, systemctl)
  --source DIR     the built edgewatch to install (default: the directory above deploy/)
  --skip-npm       do not run `npm ci --omit=dev` in the app (also EDGEWATCH_SKIP_NPM=1)
  --skip-packages  do not apt-get install the Debian packages
  --no-enable      install the unit but do not enable it
  --uninstall      remove the app, the unit and the CLI link (keeps config and data)
  --purge          with --uninstall: also remove /etc/edgewatch, /var/lib/edgewatch and the user
  -h, --help       this text
EOF
}

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SOURCE="$(cd "$SCRIPT_DIR/.." && pwd)"
ROOT=""
DRY_RUN=0
SKIP_NPM="${EDGEWATCH_SKIP_NPM:-0}"
SKIP_PACKAGES=0
ENABLE=1
UNINSTALL=0
PURGE=0

while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --root)
      [ $# -ge 2 ] || { echo "install.sh: --root needs a directory" >&2; exit 64; }
      ROOT="$2"; shift ;;
    --root=*) ROOT="${1#--root=}" ;;
    --source)
      [ $# -ge 2 ] || { echo "install.sh: --source needs a directory" >&2; exit 64; }
      SOURCE="$2"; shift ;;
    --skip-npm) SKIP_NPM=1 ;;
    --skip-packages) SKIP_PACKAGES=1 ;;
    --no-enable) ENABLE=0 ;;
    --uninstall) UNINSTALL=1 ;;
    --purge) PURGE=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown option '$1'" >&2; usage >&2; exit 64 ;;
  esac
  shift
done

if [ "$PURGE" -eq 1 ] && [ "$UNINSTALL" -eq 0 ]; then
  echo "install.sh: --purge only goes with --uninstall" >&2
  exit 64
fi
if [ -n "$ROOT" ]; then
  mkdir_root_needed=0
  [ -d "$ROOT" ] || mkdir_root_needed=1
  if [ "$mkdir_root_needed" -eq 1 ] && [ "$DRY_RUN" -eq 0 ]; then mkdir -p "$ROOT"; fi
  if [ -d "$ROOT" ]; then ROOT="$(cd "$ROOT" && pwd)"; fi
fi

# Paths on the target system; with --root they live under DIR.
USER_NAME=edgewatch
APP_DIR=/opt/edgewatch
CONF_DIR=/etc/edgewatch
STATE_DIR=/var/lib/edgewatch
UNIT_FILE=/etc/systemd/system/edgewatch.service
CLI_LINK=/usr/local/bin/edgewatch
# Where deploy/jetson/build-onnxruntime.sh leaves the TensorRT-enabled onnxruntime
# binding; it survives uninstall (a build takes hours) and is laid over
# node_modules/onnxruntime-node after every npm ci.
JETSON_ORT_DIR=/usr/local/lib/edgewatch/onnxruntime

# Debian packages the daemon needs at run time (python3-gi with the GStreamer typelib runs
# each camera's pipeline: bin/edgewatch-gst-child.py), and to build its native modules
# (better-sqlite3, sd-notify: libsystemd-dev) when no prebuilt binary fits.
PACKAGES=(
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  python3 python3-gi gir1.2-gstreamer-1.0 build-essential libsystemd-dev ca-certificates
)

CHANGES=0
say() { echo "edgewatch: $*"; }
# act DESCRIPTION -- CMD...: runs CMD (or only prints it with --dry-run) and counts a change.
act() {
  local desc="$1"
  shift
  [ "$1" = "--" ] && shift
  CHANGES=$((CHANGES + 1))
  if [ "$DRY_RUN" -eq 1 ]; then
    echo "would: $desc  [$*]"
  else
    echo "do:    $desc"
    "$@"
  fi
}
unchanged() { echo "ok:    $* (unchanged)"; }
# skipped REASON DESCRIPTION: an action that --root (or an option) leaves to someone else.
skipped() { echo "skip:  $2 ($1)"; }
die() {
  echo "edgewatch: $*" >&2
  exit 1
}

has_systemd() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

check_node() {
  local how="install Node.js 20 or newer, e.g. from NodeSource (arm64 and x64): curl -fsSL https://deb.nodesource.com/setup_20.x | sudo -E bash - && sudo apt-get install -y nodejs"
  command -v node >/dev/null 2>&1 || die "Node.js not found; $how"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || die "Node.js $(node --version) is too old (20 or newer needed); $how"
  NODE_BIN="$(command -v node)"
  say "Node.js $(node --version) at $NODE_BIN"
}

# --- packages ---------------------------------------------------------------
ensure_packages() {
  if [ -n "$ROOT" ]; then
    skipped "--root" "apt-get install ${PACKAGES[*]}"
    return
  fi
  if [ "$SKIP_PACKAGES" -eq 1 ]; then
    skipped "--skip-packages" "apt-get install ${PACKAGES[*]}"
    return
  fi
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    unchanged "Debian packages"
    return
  fi
  act "apt-get update" -- env DEBIAN_FRONTEND=noninteractive apt-get update -q
  act "install ${missing[*]}" -- env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends "${missing[@]}"
}

# --- user -------------------------------------------------------------------
ensure_user() {
  if [ -n "$ROOT" ]; then
    skipped "--root" "useradd --system $USER_NAME; usermod -aG video[,render] $USER_NAME"
    return
  fi
  if getent passwd "$USER_NAME" >/dev/null; then
    unchanged "user $USER_NAME"
  else
    act "create system user $USER_NAME" -- useradd --system --user-group --home-dir "$STATE_DIR" \
      --no-create-home --shell /usr/sbin/nologin --comment "edgewatch daemon" "$USER_NAME"
  fi
  # video: cameras and Jetson GPU nodes; render: /dev/dri render nodes (VA-API), if the group exists.
  local g
  for g in video render; do
    getent group "$g" >/dev/null || continue
    if id -nG "$USER_NAME" 2>/dev/null | tr ' ' '\n' | grep -qx "$g"; then
      unchanged "$USER_NAME in group $g"
    else
      act "add $USER_NAME to group $g" -- usermod -aG "$g" "$USER_NAME"
    fi
  done
}

# The group files are owned by: edgewatch where it exists, otherwise (--root without the
# user on this machine) left as they are and listed.
owner_group() {
  if getent group "$USER_NAME" >/dev/null 2>&1; then echo "$USER_NAME"; fi
}

# --- files ------------------------------------------------------------------
# install_file SRC DEST MODE: copies when DEST is missing or differs (content or mode).
install_file() {
  local src="$1" dest="$2" mode="$3"
  if [ -f "$dest" ] && cmp -s "$src" "$dest" && [ "$(stat -c %a "$dest")" = "${mode#0}" ]; then
    return 0
  fi
  act "install ${dest#"$ROOT"}" -- install -D -m "$mode" "$src" "$dest"
}

# sync_tree SRC_DIR DEST_DIR: files of SRC into DEST (mode 0644, 0755 for executables),
# and removes files in DEST that SRC no longer has (an upgrade drops old modules).
sync_tree() {
  local src="$1" dest="$2" rel mode before="$CHANGES"
  while IFS= read -r -d '' rel; do
    rel="${rel#./}"
    mode=0644
    [ -x "$src/$rel" ] && mode=0755
    install_file "$src/$rel" "$dest/$rel" "$mode"
  done < <(cd "$src" && find . -type f -print0 | sort -z)
  if [ -d "$dest" ]; then
    while IFS= read -r -d '' rel; do
      rel="${rel#./}"
      [ -e "$src/$rel" ] || act "remove stale ${dest#"$ROOT"}/$rel" -- rm -f "$dest/$rel"
    done < <(cd "$dest" && find . -type f -print0 | sort -z)
  fi
  [ "$CHANGES" -ne "$before" ] || unchanged "${dest#"$ROOT"}/"
}

install_app() {
  local app="$ROOT$APP_DIR" f
  [ -f "$SOURCE/dist/cli/main.js" ] ||
    die "$SOURCE/dist is missing or not built; run 'npm run build' in $SOURCE first"
  for f in bin/edgewatch.js package.json package-lock.json models/csp-shapes.onnx models/csp-shapes.yaml \
    deploy/config.example.yaml deploy/edgewatch.service; do
    [ -f "$SOURCE/$f" ] || die "$SOURCE/$f is missing; is $SOURCE a complete edgewatch build?"
  done
  local before="$CHANGES"
  sync_tree "$SOURCE/bin" "$app/bin"
  sync_tree "$SOURCE/dist" "$app/dist"
  for f in package.json package-lock.json models/csp-shapes.onnx models/csp-shapes.yaml \
    deploy/config.example.yaml deploy/edgewatch.service; do
    install_file "$SOURCE/$f" "$app/$f" 0644
  done
  # This script too, so that /opt/edgewatch/deploy/install.sh --uninstall works without
  # the source (bash keeps reading a script that is being removed).
  install_file "$SCRIPT_DIR/install.sh" "$app/deploy/install.sh" 0755
  [ -f "$SOURCE/.npmrc" ] && install_file "$SOURCE/.npmrc" "$app/.npmrc" 0644
  for f in deploy.md jetson.md configuration.md; do
    [ -f "$SOURCE/docs/$f" ] && install_file "$SOURCE/docs/$f" "$app/docs/$f" 0644
  done
  [ "$CHANGES" -ne "$before" ] || unchanged "app files in $APP_DIR"
  APP_CHANGED=$((CHANGES - before))
}

# Small commands for act (functions, so --dry-run can print them like any other).
# onnxruntime-node's postinstall would download CUDA binaries (and fail offline): its own
# ONNXRUNTIME_NODE_INSTALL=skip turns it off; package.json's allowScripts denies it too,
# for the npm versions that enforce allowScripts.
npm_ci() { (cd "$1" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev --no-audit --no-fund); }
write_file() { printf '%s\n' "$2" >"$1"; }
make_link() { mkdir -p "$(dirname "$2")" && ln -sfn "$1" "$2"; }

# npm ci --omit=dev when the lock file or the Node.js ABI changed since the last run
# (a stamp in node_modules records both).
install_node_modules() {
  local app="$ROOT$APP_DIR"
  if [ "$SKIP_NPM" = "1" ]; then
    skipped "--skip-npm" "npm ci --omit=dev in $APP_DIR"
    return
  fi
  local want have=""
  want="$(sha256sum <"$SOURCE/package-lock.json" | cut -d' ' -f1) node-abi-$(node -p process.versions.modules)"
  [ -f "$app/node_modules/.edgewatch-stamp" ] && have="$(cat "$app/node_modules/.edgewatch-stamp")"
  if [ "$want" = "$have" ]; then
    unchanged "production node_modules"
    return
  fi
  act "npm ci --omit=dev in $APP_DIR" -- npm_ci "$app"
  act "record node_modules stamp" -- write_file "$app/node_modules/.edgewatch-stamp" "$want"
  NPM_RAN=1
}

# onnxruntime-node ships its native binaries for every platform (about 290 MB); an SD
# card only needs this machine's (linux/<arch>, about 25-45 MB). The binaries sit under
# bin/napi-v<N>/ (napi-v6 for 1.30.0; older releases, laid over by the Jetson build, use
# napi-v3), so every napi-v* folder is pruned, none is assumed.
prune_onnxruntime_platforms() {
  local ort="$ROOT$APP_DIR/node_modules/onnxruntime-node/bin" keep dir rel before="$CHANGES"
  [ -d "$ort" ] || return 0
  keep="linux/$(node -p process.arch)"
  while IFS= read -r -d '' dir; do
    rel="${dir#"$ort"/napi-v*/}"
    [ "$rel" = "$keep" ] || act "remove onnxruntime binaries for ${dir#"$ort"/}" -- rm -rf "$dir"
  done < <(find "$ort" -mindepth 3 -maxdepth 3 -type d -path "$ort/napi-v*/*/*" -print0 | sort -z)
  [ "$CHANGES" -ne "$before" ] || unchanged "onnxruntime-node binaries: $keep only"
}

# napi_folder_of FILE: the bin/napi-v<N> folder a binding.js loads from, e.g. napi-v6.
napi_folder_of() { grep -o 'bin/napi-v[0-9][0-9]*' "$1" 2>/dev/null | head -n 1 | sed 's#^bin/##'; }

# Lays the Jetson TensorRT onnxruntime build (if one exists) over the npm one, after
# checking that the JavaScript that will run loads the binding from the folder the build
# has it in: the build's own dist/ when it carries one (an older tag replaces the whole
# package), else the npm package's. A binding in another folder would never load.
overlay_jetson_onnxruntime() {
  local src="$ROOT$JETSON_ORT_DIR" dest="$ROOT$APP_DIR/node_modules/onnxruntime-node"
  [ -d "$src" ] || return 0
  if [ ! -d "$dest" ] && [ "$DRY_RUN" -eq 0 ]; then
    skipped "no node_modules" "overlay $JETSON_ORT_DIR onto onnxruntime-node"
    return
  fi
  local loader want have arch dir
  arch="$(node -p process.arch)"
  loader="$src/dist/binding.js"
  [ -f "$loader" ] || loader="$dest/dist/binding.js"
  want="$(napi_folder_of "$loader")"
  have=""
  for dir in "$src"/bin/napi-v*/linux/"$arch"; do
    [ -f "$dir/onnxruntime_binding.node" ] && have="$(basename "$(dirname "$(dirname "$dir")")")"
  done
  if [ -n "$want" ] && [ "$have" != "$want" ]; then
    die "$JETSON_ORT_DIR has its binding in bin/${have:-<none>}/linux/$arch, but ${loader#"$ROOT"} loads bin/$want: onnxruntime-node would fail to load (even on the CPU). Rebuild with deploy/jetson/build-onnxruntime.sh, or remove $JETSON_ORT_DIR for CPU only"
  fi
  local before="$CHANGES"
  sync_tree_overlay "$src" "$dest"
  [ "$CHANGES" -ne "$before" ] || unchanged "Jetson onnxruntime overlay (bin/$have)"
}

# Like sync_tree, without removing anything (the overlay replaces some files only).
sync_tree_overlay() {
  local src="$1" dest="$2" rel mode
  while IFS= read -r -d '' rel; do
    rel="${rel#./}"
    mode=0644
    [ -x "$src/$rel" ] && mode=0755
    install_file "$src/$rel" "$dest/$rel" "$mode"
  done < <(cd "$src" && find . -type f -print0 | sort -z)
}

install_cli_link() {
  local link="$ROOT$CLI_LINK" target="$APP_DIR/bin/edgewatch.js"
  if [ -L "$link" ] && [ "$(readlink "$link")" = "$target" ]; then
    unchanged "$CLI_LINK -> $target"
  else
    act "link $CLI_LINK -> $target" -- make_link "$target" "$link"
  fi
}

# ensure_dir DIR MODE OWNER GROUP: creates DIR, fixes mode and (when it exists) ownership.
ensure_dir() {
  local dir="$1" mode="$2" owner="$3" group="$4" shown="${1#"$ROOT"}"
  if [ ! -d "$dir" ]; then
    act "create $shown (mode $mode)" -- install -d -m "$mode" "$dir"
  elif [ "$(stat -c %a "$dir")" != "${mode#0}" ]; then
    act "chmod $mode $shown" -- chmod "$mode" "$dir"
  else
    unchanged "$shown"
  fi
  ensure_owner "$dir" "$owner" "$group"
}

ensure_owner() {
  local path="$1" owner="$2" group="$3" shown="${1#"$ROOT"}"
  if [ -z "$group" ]; then
    skipped "no $USER_NAME user/group on this machine" "chown $owner:$USER_NAME $shown"
    return
  fi
  if [ -e "$path" ] && [ "$(stat -c %U:%G "$path")" = "$owner:$group" ]; then return 0; fi
  act "chown $owner:$group $shown" -- chown "$owner:$group" "$path"
}

install_config() {
  local group conf="$ROOT$CONF_DIR/config.yaml"
  group="$(owner_group)"
  ensure_dir "$ROOT$CONF_DIR" 0750 root "$group"
  if [ -e "$conf" ]; then
    # Never overwritten: it is the user's file. The example beside the app shows new keys.
    echo "ok:    $CONF_DIR/config.yaml exists: kept, never overwritten (new keys: $APP_DIR/deploy/config.example.yaml)"
    return
  fi
  act "write $CONF_DIR/config.yaml from the example (mode 0640)" -- \
    install -m 0640 "$SOURCE/deploy/config.example.yaml" "$conf"
  ensure_owner "$conf" root "$group"
}

install_state_dir() {
  local group
  group="$(owner_group)"
  ensure_dir "$ROOT$STATE_DIR" 0750 "$USER_NAME" "$group"
  ensure_dir "$ROOT$STATE_DIR/trt" 0750 "$USER_NAME" "$group"
}

# The unit as shipped, with ExecStart pointing at this machine's node when it is not
# /usr/bin/node (NodeSource installs there; others may not).
render_unit() {
  local out="$1"
  if [ "$NODE_BIN" = /usr/bin/node ] || [ -n "$ROOT" ]; then
    cp "$SOURCE/deploy/edgewatch.service" "$out"
  else
    sed "s#^ExecStart=/usr/bin/node #ExecStart=$NODE_BIN #" "$SOURCE/deploy/edgewatch.service" >"$out"
  fi
}

install_unit() {
  local rendered dest="$ROOT$UNIT_FILE"
  rendered="$(mktemp)"
  render_unit "$rendered"
  UNIT_CHANGED=0
  if [ -f "$dest" ] && cmp -s "$rendered" "$dest"; then
    unchanged "$UNIT_FILE"
  else
    act "install $UNIT_FILE" -- install -D -m 0644 "$rendered" "$dest"
    UNIT_CHANGED=1
  fi
  rm -f "$rendered"
  if [ -n "$ROOT" ]; then
    skipped "--root" "systemctl daemon-reload; systemctl enable edgewatch.service"
    return
  fi
  if ! has_systemd; then
    skipped "systemd is not running here" "systemctl daemon-reload; systemctl enable edgewatch.service"
    return
  fi
  [ "$UNIT_CHANGED" -eq 0 ] || act "systemctl daemon-reload" -- systemctl daemon-reload
  if [ "$ENABLE" -eq 0 ]; then
    skipped "--no-enable" "systemctl enable edgewatch.service"
  elif systemctl is-enabled --quiet edgewatch.service 2>/dev/null; then
    unchanged "edgewatch.service enabled"
  else
    act "systemctl enable edgewatch.service" -- systemctl enable edgewatch.service
  fi
  # An upgrade takes effect now if the daemon runs; a first install waits for the config.
  if [ $((APP_CHANGED + UNIT_CHANGED + NPM_RAN)) -gt 0 ] && systemctl is-active --quiet edgewatch.service; then
    act "restart the running daemon (upgrade)" -- systemctl try-restart edgewatch.service
  fi
}

# --- uninstall --------------------------------------------------------------
remove_path() {
  local path="$1" shown="${1#"$ROOT"}"
  if [ -e "$path" ] || [ -L "$path" ]; then
    act "remove $shown" -- rm -rf "$path"
  else
    unchanged "$shown already absent"
  fi
}

uninstall() {
  if [ -n "$ROOT" ]; then
    skipped "--root" "systemctl disable --now edgewatch.service; systemctl daemon-reload"
  elif has_systemd; then
    if systemctl is-enabled --quiet edgewatch.service 2>/dev/null ||
      systemctl is-active --quiet edgewatch.service 2>/dev/null; then
      act "systemctl disable --now edgewatch.service" -- systemctl disable --now edgewatch.service
    fi
  fi
  local had_unit=0
  [ -e "$ROOT$UNIT_FILE" ] && had_unit=1
  remove_path "$ROOT$UNIT_FILE"
  if [ "$had_unit" -eq 1 ] && [ -z "$ROOT" ] && has_systemd; then
    act "systemctl daemon-reload" -- systemctl daemon-reload
  fi
  remove_path "$ROOT$CLI_LINK"
  remove_path "$ROOT$APP_DIR"
  if [ "$PURGE" -eq 1 ]; then
    remove_path "$ROOT$CONF_DIR"
    remove_path "$ROOT$STATE_DIR"
    if [ -n "$ROOT" ]; then
      skipped "--root" "userdel $USER_NAME"
    elif getent passwd "$USER_NAME" >/dev/null; then
      act "remove user $USER_NAME" -- userdel "$USER_NAME"
    fi
  else
    say "kept $CONF_DIR (config) and $STATE_DIR (database, TensorRT engines); --purge removes them"
  fi
  if [ -d "$ROOT$JETSON_ORT_DIR" ]; then
    say "kept $JETSON_ORT_DIR (Jetson onnxruntime build); remove it by hand if unwanted"
  fi
}

# --- main -------------------------------------------------------------------
main() {
  if [ -z "$ROOT" ] && [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
    die "run as root (sudo deploy/install.sh), or use --dry-run / --root DIR"
  fi
  [ "$DRY_RUN" -eq 0 ] || say "dry run: nothing is changed"
  [ -z "$ROOT" ] || say "target tree: $ROOT (--root)"
  if [ "$UNINSTALL" -eq 1 ]; then
    uninstall
  else
    NODE_BIN=/usr/bin/node
    check_node
    APP_CHANGED=0
    UNIT_CHANGED=0
    NPM_RAN=0
    ensure_packages
    ensure_user
    install_app
    install_node_modules
    prune_onnxruntime_platforms
    overlay_jetson_onnxruntime
    install_cli_link
    install_config
    install_state_dir
    install_unit
  fi
  if [ "$DRY_RUN" -eq 1 ]; then
    say "$CHANGES actions planned (dry run)"
  elif [ "$CHANGES" -eq 0 ] && [ "$UNINSTALL" -eq 1 ]; then
    say "nothing to do: already removed"
  elif [ "$CHANGES" -eq 0 ]; then
    say "nothing to do: everything is installed and unchanged"
  else
    say "$CHANGES changes made"
  fi
  if [ "$UNINSTALL" -eq 0 ] && [ "$DRY_RUN" -eq 0 ] && [ -z "$ROOT" ]; then
    say "next: edit $CONF_DIR/config.yaml, run 'edgewatch check', then 'systemctl start edgewatch'"
  fi
}

main

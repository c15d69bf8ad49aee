#!/usr/bin/env bash
# Runs a command the way deploy/edgewatch.service runs the daemon, as far as that can be
# done without systemd as PID 1 (root needed, for the mount namespace):
#   ProtectSystem=strict (/ read-only), StateDirectory (STATE_DIR at /var/lib/edgewatch,
#   writable), PrivateTmp, ProtectHome, ProtectKernelTunables/ProtectControlGroups (/proc/sys
#   and /sys read-only), ProtectProc=invisible (a /proc with hidepid), PrivateMounts,
#   User= (nobody), CapabilityBoundingSet= and AmbientCapabilities= (empty),
#   NoNewPrivileges, UMask, the unit's Environment= (and nothing else), and
#   SystemCallFilter/SystemCallErrorNumber/SystemCallArchitectures/RestrictAddressFamilies
#   through seccomp_exec.py.
# Not here (they need systemd's cgroup BPF or its own namespaces): DevicePolicy/DeviceAllow,
# IPAddressDeny/IPAddressAllow, RestrictNamespaces, LockPersonality, RestrictRealtime,
# RestrictSUIDSGID, ProtectClock, ProtectHostname, ProtectKernelModules/Logs, RemoveIPC,
# WatchdogSec (the notify protocol is tested with a socket of our own).
#
# usage: run-as-unit.sh UNIT_FILE STATE_DIR -- COMMAND [ARG...]
#   extra environment for the command: SANDBOX_ENV="NAME=value NAME=value"
set -euo pipefail

unit="$1"
state="$2"
shift 3
here="$(cd "$(dirname "$0")" && pwd)"

if [ -z "${EDGEWATCH_IN_SANDBOX:-}" ]; then
  exec env EDGEWATCH_IN_SANDBOX=1 unshare --mount --propagation private -- "$0" "$unit" "$state" -- "$@"
fi

uid=65534
gid=65534
chown -R "$uid:$gid" "$state"
mount -t tmpfs -o mode=0755 tmpfs /var/lib
mkdir /var/lib/edgewatch
mount --bind "$state" /var/lib/edgewatch
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
for d in /home /root /run/user; do
  if [ -d "$d" ]; then mount -t tmpfs -o mode=0755 tmpfs "$d"; fi
done
mount -t proc -o hidepid=invisible proc /proc
mount --bind /proc/sys /proc/sys
mount -o remount,bind,ro /proc/sys
mount -o remount,bind,ro /sys
mount -o remount,bind,ro /

value() { sed -n "s/^$1=//p" "$unit" | tail -n 1; }
umask "$(value UMask)"
env_args=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)
while IFS= read -r line; do env_args+=("$line"); done < <(sed -n 's/^Environment=//p' "$unit")
# shellcheck disable=SC2206 # word splitting of NAME=value pairs is intended
env_args+=(${SANDBOX_ENV:-})
groups=""
if getent group video >/dev/null; then groups="--groups=$(getent group video | cut -d: -f3)"; fi
# shellcheck disable=SC2086 # $groups is one option or none
exec setpriv --reuid="$uid" --regid="$gid" ${groups:---clear-groups} --inh-caps=-all --bounding-set=-all \
  --no-new-privs -- env -i "${env_args[@]}" /usr/bin/python3 "$here/seccomp_exec.py" "$unit" -- "$@"

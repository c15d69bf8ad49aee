#!/usr/bin/python3
"""Applies a unit's SystemCallFilter=, SystemCallErrorNumber=, SystemCallArchitectures=
native and RestrictAddressFamilies= as a seccomp filter (libseccomp through ctypes), the
way systemd would, then execs the command: for running the daemon under its unit's
system call rules on a machine where systemd is not PID 1.

usage: seccomp_exec.py UNIT_FILE -- COMMAND [ARG...]

The groups (@system-service, ~@privileged...) are expanded by this machine's
`systemd-analyze syscall-filter`, so they are the installed systemd's own lists. Needs
no_new_privs (setpriv --no-new-privs) when not root. Covered: allow and deny lists in
order, the errno action, native architecture only, socket() families.
"""
import ctypes
import errno
import os
import socket
import subprocess
import sys

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_EQ = 4


def scmp_act_errno(n):
    return 0x00050000 | (n & 0xFFFF)


class ScmpArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


def unit_values(path, key):
    out = []
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line.startswith(key + "="):
            out.append(line[len(key) + 1 :])
    return out


def groups():
    """Every group of this systemd, name -> members (calls and @subgroups)."""
    text = subprocess.run(
        ["systemd-analyze", "syscall-filter", "--no-pager"], check=True, capture_output=True, text=True
    ).stdout
    table, current = {}, None
    for raw in text.splitlines():
        if raw.startswith("@"):
            current = raw.strip()
            table[current] = []
        elif current and raw.strip() and not raw.strip().startswith("#"):
            table[current].append(raw.strip())
    return table


def expand(name, table, seen=None):
    seen = seen if seen is not None else set()
    if not name.startswith("@"):
        return {name}
    if name in seen:
        return set()
    seen.add(name)
    out = set()
    for m in table.get(name, []):
        out |= expand(m, table, seen)
    return out


def allowed_calls(unit):
    table = groups()
    allow = None
    for value in unit_values(unit, "SystemCallFilter"):
        deny = value.startswith("~")
        names = set()
        for item in value.lstrip("~").split():
            names |= expand(item, table)
        if allow is None:
            # The first line decides: an allow list, or everything but a deny list (not used here).
            if deny:
                raise SystemExit("seccomp_exec.py: a unit starting with a deny list is not supported")
            allow = names
        elif deny:
            allow -= names
        else:
            allow |= names
    return allow


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        raise SystemExit(__doc__)
    unit, command = sys.argv[1], sys.argv[3:]
    allow = allowed_calls(unit)
    err = unit_values(unit, "SystemCallErrorNumber")
    action = scmp_act_errno(getattr(errno, err[0]) if err else errno.EPERM)
    families = []
    for value in unit_values(unit, "RestrictAddressFamilies"):
        families += [getattr(socket, f) for f in value.split()]

    lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(ScmpArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    ctx = lib.seccomp_init(action)  # native architecture only, as SystemCallArchitectures=native
    if not ctx:
        raise SystemExit("seccomp_init failed")
    socket_nr = lib.seccomp_syscall_resolve_name(b"socket")
    for name in sorted(allow):
        nr = lib.seccomp_syscall_resolve_name(name.encode())
        if nr < 0 or (families and nr == socket_nr):
            continue  # not a call of this architecture; socket() gets its family rules below
        if lib.seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 0, None) != 0:
            raise SystemExit("seccomp_rule_add failed for " + name)
    if families and "socket" in allow:
        for fam in families:
            cmp = (ScmpArgCmp * 1)(ScmpArgCmp(0, SCMP_CMP_EQ, fam, 0))
            lib.seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, socket_nr, 1, cmp)
    if lib.seccomp_load(ctx) != 0:
        raise SystemExit("seccomp_load failed (no_new_privs set?): " + os.strerror(ctypes.get_errno()))
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()

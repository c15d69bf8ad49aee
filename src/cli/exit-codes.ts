// Exit codes follow sysexits(3) where one fits, so systemd and scripts can tell
// "fix your config" from "something broke at run time".
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 64,
  CONFIG: 78,
} as const

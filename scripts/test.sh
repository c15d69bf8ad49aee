#!/usr/bin/env bash
# The test command: installs what is missing, runs `npm run check` (types, lint, format,
# linters) and the whole test suite, and ends with one line `N passed, N failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/deps.sh
. scripts/lib/deps.sh

check_node
ensure_packages "${RUNTIME_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
# Debian ships Chromium as a .deb (the status-page test drives it); Ubuntu only as a snap.
ensure_packages chromium || echo "edgewatch: no chromium package here; the status-page browser test will be skipped" >&2
ensure_node_modules
ensure_build

npm run --silent check

rm -rf .tap/test-results
status=0
npx tap --reporter=terse "$@" || status=$?
node scripts/lib/count-tap.mjs .tap/test-results "$status"
exit "$status"

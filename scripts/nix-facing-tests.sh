#!/usr/bin/env bash
# Prints the Nix-facing test files, one per line (absolute paths): those that make stores through
# the helpers, and those that run a Nix command themselves. Used by .ci/fresh-machine and
# scripts/test-nix.sh, so that both prove the same set.
set -euo pipefail
cd "$(dirname "$0")/.."
{
  node scripts/node24.mjs --experimental-vm-modules node_modules/jest/bin/jest.js --listTests \
    --findRelatedTests __tests__/helpers/nix-store.ts __tests__/helpers/throwaway-nix.ts
  grep -rlE --include="*.test.ts" "'nix(-[a-z]+)?'" "$PWD/__tests__"
} | sort -u

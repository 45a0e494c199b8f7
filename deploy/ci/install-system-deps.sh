#!/usr/bin/env bash
# Installs the system tools the tests need: promtool and prometheus (Debian's `prometheus` package) for
# tests/deploy; redis-server, redis-cli (`redis-server`, `redis-tools`) and openssl (test certificates) for the
# worker and security tests. Idempotent: does nothing when all are already on PATH.
# Never starts a service: while installing, a policy-rc.d that refuses every start is in place.
set -euo pipefail

tools=(promtool prometheus redis-server redis-cli openssl)
declare -A package_of=([promtool]=prometheus [prometheus]=prometheus [redis-server]=redis-server [redis-cli]=redis-tools [openssl]=openssl)
missing=()
packages=()
for tool in "${tools[@]}"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        missing+=("$tool")
        case " ${packages[*]} " in *" ${package_of[$tool]} "*) ;; *) packages+=("${package_of[$tool]}") ;; esac
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-system-deps: promtool, prometheus, redis-server, redis-cli and openssl present ($(command -v prometheus))"
    exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: MISSING ${missing[*]}." >&2
    echo "install-system-deps: cannot install them here (needs root and apt-get)." >&2
    echo "install-system-deps: install Debian's ${packages[*]} package(s) (or put ${missing[*]} on PATH);" >&2
    echo "install-system-deps: the tests that need them will fail until then." >&2
    exit 0
fi

# Debian's postinsts would start prometheus.service and redis-server.service; policy-rc.d exit 101 forbids it.
# Only add (and later remove) our own policy file, never touch one that is already there.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# installed by claim-edit deploy/ci/install-system-deps.sh while installing\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    own_policy=1
fi
cleanup() {
    if [ "$own_policy" -eq 1 ]; then rm -f "$policy"; fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
echo "install-system-deps: installing ${packages[*]} (missing: ${missing[*]})"
apt-get update -qq
# No recommends: they pull prometheus-node-exporter, another service we do not want.
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

for tool in "${tools[@]}"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "install-system-deps: $tool still missing after installing ${packages[*]}" >&2
        exit 1
    fi
done
echo "install-system-deps: installed ${packages[*]} ($(prometheus --version 2>&1 | head -n 1); $(redis-server --version | cut -d ' ' -f 3))"

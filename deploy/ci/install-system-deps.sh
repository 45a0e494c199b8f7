#!/usr/bin/env bash
# Installs the system tools the deploy tests need (promtool and prometheus, from Debian's
# `prometheus` package). Idempotent: does nothing when both are already on PATH.
# Never starts a service: while installing, a policy-rc.d that refuses every start is in place.
set -euo pipefail

missing=()
for tool in promtool prometheus; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-system-deps: promtool and prometheus present ($(command -v prometheus))"
    exit 0
fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: MISSING ${missing[*]}." >&2
    echo "install-system-deps: cannot install them here (needs root and apt-get)." >&2
    echo "install-system-deps: install Debian's 'prometheus' package (or put promtool and prometheus on PATH);" >&2
    echo "install-system-deps: the tests in tests/deploy that need them will fail until then." >&2
    exit 0
fi

# Debian's postinst would start prometheus.service; policy-rc.d exit 101 forbids it.
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
echo "install-system-deps: installing prometheus (missing: ${missing[*]})"
apt-get update -qq
# No recommends: they pull prometheus-node-exporter, another service we do not want.
apt-get install -y -qq --no-install-recommends prometheus >/dev/null

for tool in promtool prometheus; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "install-system-deps: $tool still missing after installing prometheus" >&2
        exit 1
    fi
done
echo "install-system-deps: installed $(prometheus --version 2>&1 | head -n 1)"

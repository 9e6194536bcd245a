#!/usr/bin/env bash
# Installs what the tests need from Debian's packages (as root). Idempotent and quiet.
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v skopeo >/dev/null || need+=(skopeo)
command -v umoci >/dev/null || need+=(umoci)
# zstd frames among the fuzzer's seeds (test/fuzz/targets.ts).
command -v zstd >/dev/null || need+=(zstd)
command -v chromium >/dev/null || need+=(chromium)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v openssl >/dev/null || need+=(openssl)
# Real Docker (20.10) as the reference for --format (test/harness/docker.ts starts a private dockerd).
command -v dockerd >/dev/null || need+=(docker.io)
command -v ip >/dev/null || need+=(iproute2)
# WASI demo images are compiled from C (scripts/build-wasi-demos.ts).
command -v clang >/dev/null || need+=(clang)
command -v wasm-ld >/dev/null || need+=(lld)
[ -d /usr/include/wasm32-wasi ] || need+=(wasi-libc)
ls /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a >/dev/null 2>&1 || need+=(libclang-rt-14-dev-wasm32)
[ -d /usr/share/gocode/src/github.com/containers/image ] || need+=(golang-github-containers-image-dev)
[ -d /usr/share/gocode/src/github.com/opencontainers/image-spec ] || need+=(golang-github-opencontainers-image-spec-dev)
# The tar reader is checked against Go's archive/tar on Go's own test archives (test/unit/tar-go-testdata.test.ts).
[ -x /usr/lib/go-1.19/bin/go ] || need+=(golang-1.19-go)
[ -d /usr/share/go-1.19/src/archive/tar/testdata ] || need+=(golang-1.19-src)
# The Debian fixture (test/harness/debian.ts) is an i386 rootfs made by mmdebstrap plus a small apt repository (dpkg-scanpackages).
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v arch-test >/dev/null || need+=(arch-test)
command -v dpkg-scanpackages >/dev/null || need+=(dpkg-dev)
# busybox-static:i386 is fetched with `apt-get download` by the fixture builder: it needs the i386 lists.
if ! dpkg --print-foreign-architectures | grep -qx i386; then
  $SUDO dpkg --add-architecture i386
  refresh=1
fi
if [ "${#need[@]}" -gt 0 ] || [ "${refresh:-0}" = 1 ] || ! apt-cache show busybox-static:i386 >/dev/null 2>&1; then
  # A mirror mid-sync can fail one index file: that must not stop the run if the rest is there.
  $SUDO apt-get update -qq || echo "apt-get update reported errors; continuing with the lists that loaded" >&2
fi
if [ "${#need[@]}" -gt 0 ]; then
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
for tool in docker-registry skopeo umoci chromium htpasswd openssl dockerd clang wasm-ld mmdebstrap dpkg-scanpackages; do
  command -v "$tool" >/dev/null || { echo "ci-deps: $tool is still missing" >&2; exit 1; }
done
echo "ci-deps: docker-registry, skopeo, umoci, chromium, dockerd and friends are installed"

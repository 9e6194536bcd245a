#!/usr/bin/env bash
# Builds the lab's i386 kernel for v86 from Debian's linux-source-6.1 and the config kept in the repo
# (scripts/kernel/layerlab-i386.defconfig: ../shared/reference/kernel-min.defconfig plus what real
# linux/386 images need). Output: public/v86/bzImage and public/v86/kernel.json (versions and digests).
# The config is built into the kernel (IKCONFIG), so a test can check the kernel against it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="${KERNEL_WORK:-/tmp/layerlab-kernel}"
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
need=()
for p in linux-source-6.1 bc flex bison libelf-dev gcc make xz-utils; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
version="$(dpkg-query -W -f='${Version}' linux-source-6.1)"
mkdir -p "$work"
src="$work/linux-source-6.1"
if [ ! -d "$src" ]; then
  tar -C "$work" -xf /usr/src/linux-source-6.1.tar.xz
fi
# Same inputs, same kernel: the build stamp `uname -v` shows is the source package's date, not now.
export KBUILD_BUILD_TIMESTAMP="$(date -u -d "@$(stat -c %Y /usr/src/linux-source-6.1.tar.xz)")"
export KBUILD_BUILD_USER=layerlab KBUILD_BUILD_HOST=layerlab KBUILD_BUILD_VERSION=1
cp "$here/kernel/layerlab-i386.defconfig" "$src/arch/x86/configs/layerlab_defconfig"
make -C "$src" -s ARCH=i386 layerlab_defconfig
make -C "$src" -s ARCH=i386 -j"$(nproc)" bzImage
mkdir -p "$root/public/v86"
cp "$src/arch/x86/boot/bzImage" "$root/public/v86/bzImage"
make -C "$src" -s ARCH=i386 savedefconfig
cat > "$root/public/v86/kernel.json" <<JSON
{
  "source": "Debian linux-source-6.1 $version",
  "config": "scripts/kernel/layerlab-i386.defconfig",
  "config_sha256": "$(sha256sum "$here/kernel/layerlab-i386.defconfig" | cut -d' ' -f1)",
  "bzImage_sha256": "$(sha256sum "$root/public/v86/bzImage" | cut -d' ' -f1)",
  "licence": "GPL-2.0 (see /usr/share/doc/linux-source-6.1/copyright)"
}
JSON
if ! diff -q "$src/defconfig" "$here/kernel/layerlab-i386.defconfig" >/dev/null; then
  echo "note: savedefconfig differs from the repo's defconfig (options Kconfig dropped or reordered):" >&2
  diff "$here/kernel/layerlab-i386.defconfig" "$src/defconfig" >&2 || true
fi
ls -l "$root/public/v86/bzImage"

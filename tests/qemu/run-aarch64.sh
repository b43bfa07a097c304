#!/bin/sh
# tests/qemu/run-aarch64.sh - boot the aarch64 build in a VM (make test-aarch64).
#
#   run-aarch64.sh ROCKET INIT WORKDIR
#
# Takes Debian's arm64 kernel (downloaded with apt, not installed), packs an
# initramfs of INIT (tests/qemu/init.c) as /init and ROCKET as /rocket, boots
# it under qemu-system-aarch64 (-M virt, TCG) and passes when the VM's
# console says "aarch64: N passed, 0 failed". Prints that line unprefixed so
# tests/run.sh-style summaries can add it up.
set -eu
rocket=$1
init=$2
work=$3
mkdir -p "$work"
kernel=$work/vmlinuz

if [ ! -s "$kernel" ]; then
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
		apt-get update
	fi
	# linux-image-arm64 is the metapackage; its dependency names the kernel.
	pkg=$(apt-cache depends linux-image-arm64:arm64 |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	case $pkg in *:arm64) ;; *) pkg=$pkg:arm64 ;; esac
	rm -rf "$work/kpkg" "$work"/linux-image-*.deb
	(cd "$work" && apt-get download "$pkg")
	dpkg-deb -x "$work"/linux-image-*.deb "$work/kpkg"
	cp "$work"/kpkg/boot/vmlinuz-* "$kernel"
	rm -rf "$work/kpkg"
fi

root=$work/root
rm -rf "$root"
mkdir -p "$root/proc" "$root/dev"
mknod "$root/dev/console" c 5 1 # the kernel opens it for /init's stdio
cp "$init" "$root/init"
cp "$rocket" "$root/rocket"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/initramfs.cpio"

# -cpu max: every ARMv8 feature TCG has (LSE atomics included).
timeout "${QEMU_TIMEOUT:-300}" qemu-system-aarch64 -M virt -cpu max -smp 2 -m 512 \
	-nographic -nic none -no-reboot -kernel "$kernel" -initrd "$work/initramfs.cpio" \
	-append "console=ttyAMA0 rdinit=/init panic=-1 quiet" </dev/null |
	tee "$work/console.log" || true

tr -d '\r' <"$work/console.log" | grep -E '^aarch64: [0-9]+ passed, [0-9]+ failed' |
	tail -n 1 | sed 's/^aarch64: //' >"$work/summary" || true
if [ -s "$work/summary" ]; then
	cat "$work/summary"
else
	echo "0 passed, 1 failed"
fi
grep -qE '^[1-9][0-9]* passed, 0 failed$' "$work/summary"

#!/bin/sh
# On the GPU machine, in the repo root with .gpu/ carried: unpack, then run the WebGPU measurement.
set -eu
# The GL/Vulkan loaders (libglvnd) go to /, as the device notes advise; X client libraries, which the NVIDIA ICD
# may link, go beside them in /opt/xlibs and are used only through LD_LIBRARY_PATH.
for f in .gpu/deb/*.deb; do
  case "$f" in *libx*|*libbsd*|*libmd0*) dpkg -x "$f" /opt/xlibs ;; *) dpkg -x "$f" / ;; esac
done
ldconfig
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}:/opt/xlibs/usr/lib/x86_64-linux-gnu"
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd"; fi
egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
if [ -f "$egl" ]; then export __EGL_VENDOR_LIBRARY_FILENAMES="$egl"; fi
ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d 2>/dev/null || true
xz -dc .gpu/node.xz > /tmp/node && chmod +x /tmp/node
xz -dc .gpu/webgpu/dist/linux-x64/dawn.node.xz > .gpu/webgpu/dist/linux-x64/dawn.node
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
/tmp/node .gpu/bench.mjs "$PWD/.gpu" "${1:-256}"

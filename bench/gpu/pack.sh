#!/bin/sh
# Packs what bench/gpu/webgpu-node.mjs needs on a bare GPU machine into .gpu/ (git-ignored through
# .git/info/exclude): the bundled script, both feature models, the WASM binaries, dawn.node from the `webgpu` npm package,
# this machine's node binary (xz), and the Vulkan loader's Debian packages. Run from the repo root.
set -eu
rm -rf .gpu && mkdir -p .gpu/model .gpu/wasm .gpu/webgpu .gpu/deb
npx esbuild bench/gpu/webgpu-node.mjs --bundle --platform=node --format=esm --outfile=.gpu/bench.mjs \
  --external:node-fetch --external:string_decoder --log-level=warning \
  --banner:js="import { createRequire } from 'module'; import { fileURLToPath as __f } from 'url'; import { dirname as __d } from 'path'; const require = createRequire(import.meta.url); const __filename = __f(import.meta.url); const __dirname = __d(__filename);"
for m in inception-v3 mobilenet-v2; do mkdir -p .gpu/model/$m && cp public/models/$m/model.json public/models/$m/*.bin .gpu/model/$m/; done
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm .gpu/wasm/
(cd /tmp && rm -rf simage-webgpu && mkdir simage-webgpu && cd simage-webgpu && npm pack webgpu@0.6.2 >/dev/null && tar xzf webgpu-*.tgz)
cp /tmp/simage-webgpu/package/index.js /tmp/simage-webgpu/package/package.json .gpu/webgpu/
mkdir -p .gpu/webgpu/dist/linux-x64
xz -T2 -c /tmp/simage-webgpu/package/dist/linux-x64/dawn.node > .gpu/webgpu/dist/linux-x64/dawn.node.xz
xz -T2 -6 -c "$(readlink -f "$(command -v node)")" > .gpu/node.xz
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
mkdir -p /tmp/amd64/partial
apt-get $o update -qq >/dev/null
(cd .gpu/deb && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 libx11-6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0 libxext6 >/dev/null)
du -sh .gpu

#!/usr/bin/env bash
# Packs what the real-GPU run (scripts/gpu/real-gpu-bench.sh) needs on a GPU machine that has
# no node_modules and reaches no registry, into .gpu/ (ignored by git through
# .git/info/exclude), and checks that it fits what a device call carries: 64 MiB, the
# working tree that travels included. docs/performance.md ("A real GPU") says how to call it.
#
# .gpu/ holds, compressed with xz:
#   real-gpu.mjs        scripts/real-gpu.ts and the engine, bundled by esbuild (TF.js inside)
#   webgpu/             the npm package webgpu (Dawn for Node), pinned, its linux-x64 build only
#   node                this machine's Node.js binary (the GPU image has Python, not Node)
#   deb/libvulkan1.deb  the Vulkan loader, for an image without one (device README)
# Variables: WEBGPU_VERSION (0.6.2), NODE_BIN (the node on PATH), LIMIT_MIB (64), NO_NODE=1
# (carry no Node: the GPU machine has its own).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

WEBGPU_VERSION="${WEBGPU_VERSION:-0.6.2}"
NODE_BIN="${NODE_BIN:-$(command -v node)}"
LIMIT_MIB="${LIMIT_MIB:-64}"
PACK=.gpu
say() { printf 'prepare-real-gpu: %s\n' "$*" >&2; }

command -v strip >/dev/null || { say "needs strip (binutils)"; exit 2; }
if [[ "$(uname -m)" != x86_64 ]]; then
  say "this machine is $(uname -m); the GPU machine is x86-64, so its Node and Dawn builds must be x86-64 ones"
  exit 2
fi
exclude=$(git rev-parse --git-path info/exclude)
grep -qxF "/$PACK/" "$exclude" 2>/dev/null || echo "/$PACK/" >>"$exclude"
rm -rf "$PACK" && mkdir -p "$PACK/webgpu/dist/linux-x64" "$PACK/deb"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

say "bundling scripts/real-gpu.ts"
# ESM with CommonJS's require and __dirname defined: TF.js's Node paths use them.
npx esbuild scripts/real-gpu.ts --bundle --platform=node --format=esm --target=node20 --minify \
  --legal-comments=none --log-level=warning --outfile="$tmp/real-gpu.mjs" --external:webgpu \
  "--banner:js=import{createRequire as __kdReq}from'node:module';import{fileURLToPath as __kdPath}from'node:url';import{dirname as __kdDir}from'node:path';const require=__kdReq(import.meta.url);const __filename=__kdPath(import.meta.url);const __dirname=__kdDir(__filename);"
xz -6 -c "$tmp/real-gpu.mjs" >"$PACK/real-gpu.mjs.xz"

say "fetching webgpu@$WEBGPU_VERSION (npm pack checks its integrity)"
(cd "$tmp" && npm pack --silent "webgpu@$WEBGPU_VERSION" >/dev/null)
tar -xzf "$tmp/webgpu-$WEBGPU_VERSION.tgz" -C "$tmp" package/index.js package/package.json package/LICENSE.md \
  package/dist/linux-x64/dawn.node
cp "$tmp/package/index.js" "$tmp/package/package.json" "$tmp/package/LICENSE.md" "$PACK/webgpu/"
# Symbols are of no use there, and the pack is tight: strip them (dawn.node 21.5 to 17.5 MB).
strip --strip-unneeded "$tmp/package/dist/linux-x64/dawn.node"
xz -6 -T2 -c "$tmp/package/dist/linux-x64/dawn.node" >"$PACK/webgpu/dist/linux-x64/dawn.node.xz"

if [[ "${NO_NODE:-0}" != 1 ]]; then
  say "packing $NODE_BIN ($("$NODE_BIN" --version))"
  # Debian's node carries its debug info (99 MB; 86 MB stripped).
  cp "$NODE_BIN" "$tmp/node" && strip --strip-all "$tmp/node"
  xz -6 -T2 -c "$tmp/node" >"$PACK/node.xz"
fi

say "downloading the Vulkan loader (libvulkan1, amd64)"
o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists="$tmp/lists")
mkdir -p "$tmp/lists/partial"
if apt-get "${o[@]}" update >/dev/null 2>&1 && (cd "$PACK/deb" && apt-get "${o[@]}" download libvulkan1 >/dev/null 2>&1); then
  mv "$PACK"/deb/libvulkan1_*.deb "$PACK/deb/libvulkan1.deb"
else
  say "no libvulkan1 package could be downloaded: the run will rely on the GPU image's loader"
fi

# What a device call carries: tracked files, untracked files git does not ignore, and .gpu.
tree=$( (git ls-files -z; git ls-files -z --others --exclude-standard) | xargs -0 stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
pack=$(find "$PACK" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
total=$((tree + pack))
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
say "working tree $(mib "$tree") + $PACK $(mib "$pack") = $(mib "$total") (limit $LIMIT_MIB MiB)"
if ((total > LIMIT_MIB * 1048576)); then
  say "too large to carry: leave Node out with NO_NODE=1 where the GPU machine has Node 20 or newer"
  exit 1
fi
say "ready: carry [\"$PACK\"] and run bash scripts/gpu/real-gpu-bench.sh"

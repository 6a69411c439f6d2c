#!/usr/bin/env bash
# The real-GPU run, on a GPU machine, from the repository root, with .gpu/ carried (made here by
# scripts/gpu/prepare-real-gpu.sh): the default preset's fast student step on WebGPU through
# Dawn over Vulkan (timed, dispatches and submits counted, 10 steps profiled per kernel), then
# the PyTorch twin's step on CUDA; one table of both in $OUT/real-gpu.md, every figure in
# $OUT/real-gpu.json. docs/performance.md ("A real GPU") says how to call it and what then.
#
# CARRIED_NODE=1 runs the carried Node even where the machine has one.
# Extra arguments go to scripts/real-gpu.ts (--batch, --timed, --count, --profile-steps,
# --torch-device, --size). A dry run here, on SwiftShader:
#   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json OUT=/tmp/rg \
#     bash scripts/gpu/real-gpu-bench.sh --size tiny --batch 4 --torch-device cpu
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

OUT="${OUT:-bench/real-gpu}"
PACK=.gpu
WORK="${WORK:-/tmp/kd-real-gpu}"
say() { printf 'real-gpu-bench: %s\n' "$*" >&2; }
# Python is on every GPU image here (xz may not be).
unxz_to() { python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; }

[[ -f "$PACK/real-gpu.mjs.xz" ]] || { say "no $PACK/real-gpu.mjs.xz: run scripts/gpu/prepare-real-gpu.sh here and carry $PACK"; exit 2; }
mkdir -p "$WORK/node_modules/webgpu/dist/linux-x64" "$OUT"
unxz_to "$PACK/real-gpu.mjs.xz" "$WORK/real-gpu.mjs"
cp "$PACK"/webgpu/*.js* "$PACK"/webgpu/*.md "$WORK/node_modules/webgpu/"
unxz_to "$PACK/webgpu/dist/linux-x64/dawn.node.xz" "$WORK/node_modules/webgpu/dist/linux-x64/dawn.node"

node=$(command -v node || true)
[[ "${CARRIED_NODE:-0}" == 1 ]] && node=""
if [[ -n "$node" ]] && "$node" -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
  say "Node $("$node" --version) of this machine"
elif [[ -f "$PACK/node.xz" ]]; then
  node="$WORK/node"
  unxz_to "$PACK/node.xz" "$node"
  chmod +x "$node"
  say "carried Node $("$node" --version)"
else
  say "no Node 20 or newer here and none carried (prepare without NO_NODE=1)"
  exit 2
fi

if ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
  if [[ -f "$PACK/deb/libvulkan1.deb" ]]; then
    say "no Vulkan loader here: unpacking the carried libvulkan1"
    dpkg -x "$PACK/deb/libvulkan1.deb" / && ldconfig
  else
    say "no Vulkan loader here and none carried: Dawn will find no adapter"
  fi
fi
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [[ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" && -f "$nvidia_icd" ]]; then
  export VK_DRIVER_FILES="$nvidia_icd"
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2 || true

"$node" "$WORK/real-gpu.mjs" --out "$OUT" "$@"
say "wrote $OUT/real-gpu.json and $OUT/real-gpu.md"

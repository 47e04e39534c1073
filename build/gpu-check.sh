#!/usr/bin/env bash
# The GPU figures of the GPUs work (README: GPUs), in one run on a machine with an NVIDIA GPU and a PyTorch
# install: doctor, Google's FIB-25 forward on CUDA vs CPU, forward timings by batch, the leak check, subvolume
# inference with K = 1 and auto, a whole FIB-25 run with 1 and 4 workers on one GPU, and one training benchmark.
# Carry a build without the bundled libtorch (README: Installing) and run from the repository root:
#   FFN=dist-nolibtorch/ffn bash build/gpu-check.sh
set -uo pipefail
FFN=${FFN:-dist-nolibtorch/ffn}
SHARED=${SHARED:-../shared}
OUT=${OUT:-/tmp/ffn-gpu-check}
PY=${PY:-python3}
export FFN_LIBTORCH=${FFN_LIBTORCH:-$($PY -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')}
mkdir -p "$OUT"
step() { echo "== $*"; local t0=$SECONDS; "$@"; echo "   (exit $?, $((SECONDS - t0)) s)"; }

step "$FFN" doctor --python "" || true
"$FFN" doctor --json --python "" > "$OUT/doctor.json" || { echo "ffn cannot run this libtorch ($FFN_LIBTORCH); see README: GPUs"; exit 2; }
step "$FFN" model import "$SHARED/data/google-fib25/model.ckpt-27465036" --out "$OUT" --name fib25
for d in cuda:0 cpu; do
  step "$FFN" model forward "$OUT/fib25.pkl" --input "$SHARED/testvectors/forward_input_1x2x33x33x33.npy" --output "$OUT/y-${d/:/}.npy" --device "$d"
done
$PY -c "
import numpy as np, sys
g, c, e = (np.load(sys.argv[i]) for i in (1, 2, 3))
print('forward max |cuda - cpu| = %.3g, max |cuda - expected| = %.3g' % (abs(g - c).max(), abs(g - e).max()))
" "$OUT/y-cuda0.npy" "$OUT/y-cpu.npy" "$SHARED/testvectors/forward_expected_google_fib25.npy"
step "$FFN" bench forward --device cuda:0 --batch 1,8,32,64
step "$FFN" bench memory --device cuda:0 --steps 1000
step "$FFN" bench infer --device cuda:0 --batch-canvases 1
step "$FFN" bench infer --device cuda:0 --batch-canvases auto
for w in 1 4; do
  step "$FFN" run --input "$SHARED/data/fib25/training_sample1.h5:raw" --model "$OUT/fib25.pkl" --output "$OUT/run-$w" \
    --devices cuda:0 --workers-per-device "$w" --block-shape 0,128,128 --report false --force
done
step "$FFN" bench train --device cuda:0

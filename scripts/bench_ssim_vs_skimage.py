#!/usr/bin/python3
"""Times qviz's CPU SSIM (`qviz bench --filter ssim_cpu_1080p`) against scikit-image on the same
images, in one run, and prints the speed ratio and the difference of the two results.

The images are the benchmark's own: a 1920x1080 RGB gradient plus noise from std::mt19937(2)
(numpy's RandomState(2) gives the same raw 32-bit draws) and its 3-bit nearest quantization,
made here with the same float32 arithmetic as core/quant/uniform.cpp. scikit-image runs with the
parameters of docs/numeric-contracts.md: gaussian_weights=True, sigma=1.5, truncate=3.5 (11 taps),
use_sample_covariance=False, data_range=255, channel_axis=-1.

usage: scripts/bench_ssim_vs_skimage.py [--qviz build/bin/qviz] [--rounds 3] [--threads N]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from skimage.metrics import structural_similarity


def bench_images(w=1920, h=1080, ch=3, seed=2, bits=3):
    rs = np.random.RandomState(seed)
    noise = rs.randint(0, 2**32, size=h * w * ch, dtype=np.uint32).reshape(h, w, ch) % 32
    x = np.arange(w, dtype=np.int64)[None, :, None]
    y = np.arange(h, dtype=np.int64)[:, None, None]
    c = np.arange(ch, dtype=np.int64)[None, None, :]
    a = ((x * 255 // w + y * 127 // h + c * 40 + noise.astype(np.int64)) & 255).astype(np.uint8)
    levels = (1 << bits) - 1
    scale = np.float32(levels / 255.0)
    inv = np.float32(255.0 / levels)
    code = np.minimum(np.rint(a.astype(np.float32) * scale), np.float32(levels))
    b = np.minimum(np.rint(code * inv), np.float32(255)).astype(np.uint8)
    return a, b


def skimage_ssim(a, b):
    return structural_similarity(a, b, gaussian_weights=True, sigma=1.5, truncate=3.5,
                                 use_sample_covariance=False, data_range=255, channel_axis=-1)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qviz", default=os.path.join(here, "..", "build", "bin", "qviz"))
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of both (the best of each is kept)")
    ap.add_argument("--threads", type=int, default=0, help="QVIZ_THREADS for qviz (0: all cores)")
    args = ap.parse_args()

    a, b = bench_images()
    env = dict(os.environ)
    if args.threads > 0:
        env["QVIZ_THREADS"] = str(args.threads)
    sk_times, qv_times = [], []
    sk_value = qv_value = None
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "bench.json")
        for _ in range(max(1, args.rounds)):
            t0 = time.perf_counter()
            sk_value = skimage_ssim(a, b)
            sk_times.append((time.perf_counter() - t0) * 1e3)
            subprocess.run([args.qviz, "bench", "--filter", "ssim_cpu_1080p", "--json", out], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            with open(out) as f:
                doc = json.load(f)
            r = [r for r in doc["results"] if r["name"] == "ssim_cpu_1080p"][0]
            qv_times.append(r["ms"])
            qv_value = r["ssim"]
    sk, qv = min(sk_times), min(qv_times)
    diff = abs(qv_value - sk_value)
    print(f"cpu: {doc['cpu']} ({doc['threads']} threads for qviz)")
    print(f"scikit-image {__import__('skimage').__version__}: {sk:9.1f} ms  (rounds: {', '.join(f'{t:.1f}' for t in sk_times)})")
    print(f"qviz ssim_cpu_1080p:   {qv:9.2f} ms  (medians per round: {', '.join(f'{t:.2f}' for t in qv_times)})")
    print(f"speed-up: {sk / qv:.1f}x   SSIM qviz {qv_value:.9f}, scikit-image {sk_value:.9f}, |difference| {diff:.2e}")
    return 0 if diff <= 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())

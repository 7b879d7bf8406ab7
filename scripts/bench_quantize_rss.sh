#!/usr/bin/env bash
# Peak resident memory of `qviz quantize-tensor` on a large float32 .npy (default 1 GiB), the
# figure behind README "Trust and limits" (at most 2x the input plus 300 MiB). Needs python3 and
# GNU time (/usr/bin/time). Usage: scripts/bench_quantize_rss.sh [MiB] [format] [build/bin/qviz]
set -euo pipefail
mib=${1:-1024}
format=${2:-nf4}
qviz=${3:-build/bin/qviz}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/t.npy" "$mib" <<'PY'
import random, struct, sys
path, mib = sys.argv[1], int(sys.argv[2])
n = mib * 1024 * 1024 // 4
h = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d,), }" % n
while (10 + len(h) + 1) % 64:
    h += ' '
h += '\n'
random.seed(1)
blk = struct.pack('<1024f', *[random.uniform(-1, 1) for _ in range(1024)]) * 64
with open(path, 'wb') as f:
    f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h.encode())
    for _ in range(n // 65536):
        f.write(blk)
PY
/usr/bin/time -f '%M' -o "$work/rss" "$qviz" quantize-tensor "$work/t.npy" --format "$format" --backend cpu --out-dir "$work/q" >/dev/null
rss_mib=$(( $(cat "$work/rss") / 1024 ))
echo "quantize-tensor $format on $mib MiB float32: peak RSS $rss_mib MiB (bound: $(( 2 * mib + 300 )) MiB)"

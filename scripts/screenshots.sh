#!/usr/bin/env bash
# Regenerates the README's screenshots with the app itself (`qviz --panel NAME --screenshot`).
# Needs a built tree (scripts/dev.sh build). Without a display the frames are drawn offscreen
# on a headless EGL context.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
qviz=${QVIZ_BIN:-$here/build/bin/qviz}
out=$here/docs/images
mkdir -p "$out"
shot() { local name=$1; shift; "$qviz" --no-settings --size 1600x1000 "$@" --screenshot "$out/$name.png"; echo "wrote docs/images/$name.png"; }
shot panel_image --panel image --bits 3
shot panel_levels --panel levels
shot panel_error_curve --panel error-curve --bits 3
shot panel_histogram --panel histogram --bits 3
shot panel_number_line --panel number-line
shot panel_weights --panel weights --weights-format q4_k --weights-source heavy
shot panel_equal_bits --panel equal-bits
shot panel_memory --panel memory
shot panel_compare --panel compare --bits 3
shot panel_qlora --panel qlora --lora-steps 300
shot panel_concepts --panel concepts
shot presenter --presenter --bits 2
shot panel_shaders --panel shaders --rounding user --bits 3
# A workshop folder with a typo in the user file: the located error and the magenta fallback.
ws=$(mktemp -d)/workshop
"$qviz" workshop init "$ws" > /dev/null
sed -i 's/return pow(code \/ steps, u_gamma);/retrun pow(code \/ steps, u_gamma);/' "$ws/user/quantizer.glsl"
shot panel_shaders_error --panel shaders --rounding user --bits 3 --shader-dir "$ws"
rm -rf "$(dirname "$ws")"
"$qviz" render "$here/assets/images/astronaut.png" --bits 8,4,2,1 --labels --out "$out/levels_astronaut.png"
echo "wrote docs/images/levels_astronaut.png"

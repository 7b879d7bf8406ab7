#!/usr/bin/env bash
# QuantizationViz developer entry point: installs missing Debian packages (idempotent),
# configures and builds, then runs the explorer, the tests or the benchmarks.
#   scripts/dev.sh run  [qviz args]   install, build, open the explorer (default image)
#   scripts/dev.sh test               install, build, run every test through CTest
#   scripts/dev.sh bench [args]       install, build, run `qviz bench`
#   scripts/dev.sh deps [PKG...] | build   only install (the project's packages and any PKG named)
#                                           / only build
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QVIZ_BUILD_DIR:-$here/build}
jobs=${QVIZ_JOBS:-$(nproc)}

packages=(build-essential cmake ninja-build pkg-config git
  libglfw3-dev libimgui-dev libstb-dev python3-glad catch2 zlib1g-dev
  libegl-dev libgl-dev libgles-dev libegl-mesa0 libgl1-mesa-dri libglx-mesa0
  xvfb xauth x11-utils fonts-dejavu-core libeigen3-dev libcli11-dev nlohmann-json3-dev)

# Installs what is missing of the project's packages and of any named in the arguments.
deps() {
  local missing=()
  for p in "${packages[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "qviz: installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {
  cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
  cmake --build "$build" -j "$jobs"
}

run_gui() {
  if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    echo "qviz: no display found; starting the explorer under Xvfb (set DISPLAY to use yours)" >&2
    exec xvfb-run -a -s "-screen 0 1600x1000x24" "$build/bin/qviz" "$@"
  fi
  exec "$build/bin/qviz" "$@"
}

cmd=${1:-run}; shift || true
case "$cmd" in
  deps)  deps "$@" ;;
  build) deps; build "$@" ;;
  run)   deps; build; run_gui "$@" ;;
  test)  deps; build; cd "$build" && ctest --output-on-failure -j "$jobs" --timeout 900 "$@" ;;
  bench) deps; build; "$build/bin/qviz" bench "$@" ;;
  *) echo "usage: scripts/dev.sh run|test|bench|deps|build" >&2; exit 2 ;;
esac

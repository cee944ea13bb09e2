#!/usr/bin/env bash
# Installs the Debian 12 packages Annotrace needs to build and test, and only those missing.
# Idempotent and non-interactive; runs as root, or through sudo otherwise.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libinsighttoolkit5-dev libfftw3-dev libdcmtk-dev dcmtk libgdcm-dev
  nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev libssl-dev
  dcm2niix dicom3tools python3-pydicom python3-nibabel python3-numpy python3-pil python3-cryptography
  # The workstation (module/Widgets, module/App): Qt6, VTK (rendering only; its Qt module is
  # Qt5's and is never linked), and Xvfb with Mesa's llvmpipe for the tests that render.
  qt6-base-dev qt6-base-dev-tools libqt6opengl6-dev libqt6openglwidgets6 libgl-dev
  libvtk9-dev xvfb xauth libgl1-mesa-dri
)
# Not libgdcm-tools: GDCM's CMake config then prints "imported target gdcmdump references the
# file ... does not exist" at configure time, which is harmless (no target uses the tools).

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

if ((EUID == 0)); then
  as_root=()
elif command -v sudo >/dev/null; then
  as_root=(sudo)
else
  echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  "${missing[@]}"

#!/usr/bin/env bash
# Installs what Visage needs outside git, idempotently:
#   - Debian packages (TurboJPEG for JPEG; PostgreSQL and Chromium for the tests with --test),
#   - ONNX Runtime's native library and the face models, fetched with `npm pack` and checked
#     against pinned SHA-256 sums, into $VISAGE_CACHE (default ~/.cache/visage).
# Prints the cache directory's state; exits non-zero with a clear message when a part is missing.
set -euo pipefail

CACHE="${VISAGE_CACHE:-$HOME/.cache/visage}"
WITH_TEST=0; QUIET=0
for a in "$@"; do
  case "$a" in
    --test) WITH_TEST=1 ;;
    --quiet) QUIET=1 ;;
    *) echo "usage: scripts/setup.sh [--test] [--quiet]" >&2; exit 2 ;;
  esac
done
say() { [ "$QUIET" = 1 ] || echo "setup: $*" >&2; }
die() { echo "setup: error: $*" >&2; exit 1; }

ORT_PKG="onnxruntime-node@1.30.0"
ORT_TGZ_SHA="6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75"
ORT_LIB_SHA="ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23"
MODELS_PKG="faceplugin-face-recognition-js@0.0.1"
MODELS_TGZ_SHA="7ea06031d9a3f83753254fcff60506a07b81b46fc84d4ee024cd041f260ec1ba"
declare -A MODEL_SHA=(
  [fr_detect.onnx]=6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854
  [fr_landmark.onnx]=f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258
  [fr_feature.onnx]=87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581
  [fr_liveness.onnx]=afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d
  [fr_eye.onnx]=1afcea006abc1ccac3c517022abde0aa092bed74ff3c9fe6878483ef9e6e38de
  [fr_pose.onnx]=72d032ec941b7153bf8d3f2c03a4c165453cc7e63d479041ec7c6ef087e5839d
)

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

# --- Debian packages -------------------------------------------------------------------------
need_apt=()
pkgs=(libturbojpeg0 libpng16-16 libwebp7)
[ "$WITH_TEST" = 1 ] && pkgs+=(postgresql chromium)
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || need_apt+=("$p"); done
if [ "${#need_apt[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || die "missing Debian packages: ${need_apt[*]} (no apt-get here: install them by hand)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  say "installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq >/dev/null || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null \
    || die "apt-get install ${need_apt[*]} failed"
fi

# --- ONNX Runtime and models from npm ----------------------------------------------------------
fetch() { # fetch PKG TGZ_SHA -> path of a verified tarball in $tmp
  command -v npm >/dev/null || die "npm is needed to fetch $1 (install Node.js/npm)"
  say "fetching $1 with npm pack"
  local out; out=$(cd "$tmp" && npm pack --silent "$1" 2>/dev/null | tail -n1) || die "npm pack $1 failed"
  [ -f "$tmp/$out" ] || die "npm pack $1 produced no tarball"
  sha_ok "$tmp/$out" "$2" || die "$1: tarball SHA-256 does not match the pinned sum"
  echo "$tmp/$out"
}

mkdir -p "$CACHE"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

ORT_DIR="$CACHE/onnxruntime-1.30.0"
if ! sha_ok "$ORT_DIR/libonnxruntime.so.1" "$ORT_LIB_SHA"; then
  tgz=$(fetch "$ORT_PKG" "$ORT_TGZ_SHA")
  tar -xzf "$tgz" -C "$tmp" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
  mkdir -p "$ORT_DIR"
  install -m 0644 "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$ORT_DIR/libonnxruntime.so.1"
  sha_ok "$ORT_DIR/libonnxruntime.so.1" "$ORT_LIB_SHA" || die "libonnxruntime.so.1 SHA-256 mismatch"
fi

MODEL_DIR="$CACHE/models-faceplugin-0.0.1"
models_ok=1
for m in "${!MODEL_SHA[@]}"; do sha_ok "$MODEL_DIR/$m" "${MODEL_SHA[$m]}" || models_ok=0; done
if [ "$models_ok" = 0 ]; then
  tgz=$(fetch "$MODELS_PKG" "$MODELS_TGZ_SHA")
  tar -xzf "$tgz" -C "$tmp" package/model package/LICENSE
  mkdir -p "$MODEL_DIR"
  for m in "${!MODEL_SHA[@]}"; do
    install -m 0644 "$tmp/package/model/$m" "$MODEL_DIR/$m"
    sha_ok "$MODEL_DIR/$m" "${MODEL_SHA[$m]}" || die "$m SHA-256 mismatch"
  done
  install -m 0644 "$tmp/package/LICENSE" "$MODEL_DIR/LICENSE"
fi

say "ready: $CACHE (onnxruntime 1.30.0, models faceplugin 0.0.1)"

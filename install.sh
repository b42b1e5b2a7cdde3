#!/bin/sh
# Installs the gptimg binary for this machine from a release:
#   curl -fsSL https://github.com/gptimg/gptimg/releases/latest/download/install.sh | sh
#   curl -fsSL .../install.sh | sh -s -- --prefix /usr/local/bin
# Downloads SHA256SUMS and the binary for this platform (Linux x64/arm64 with glibc or musl,
# macOS x64/arm64), refuses to install when the binary's checksum does not match, installs it as
# DIR/gptimg (default ~/.local/bin) and says how to put DIR on PATH.
# GPTIMG_DOWNLOAD_URL: where the release files are (default: the latest release).
set -eu

base="${GPTIMG_DOWNLOAD_URL:-https://github.com/gptimg/gptimg/releases/latest/download}"
prefix="${HOME}/.local/bin"

say() { printf '%s\n' "$*" >&2; }
die() { say "gptimg install: $*"; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    -h|--help) say "usage: install.sh [--prefix DIR]   (default DIR: ~/.local/bin; GPTIMG_DOWNLOAD_URL sets where releases are)"; exit 0 ;;
    *) die "unknown argument $1; usage: install.sh [--prefix DIR]" ;;
  esac
done

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  MINGW*|MSYS*|CYGWIN*) die "on Windows use install.ps1 (PowerShell) or npm i -g gptimg" ;;
  *) die "no gptimg binary for $(uname -s); build from source: https://github.com/gptimg/gptimg#build-from-source" ;;
esac
case "$(uname -m)" in
  x86_64|amd64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) die "no gptimg binary for $(uname -m); build from source: https://github.com/gptimg/gptimg#build-from-source" ;;
esac
# A shell running under Rosetta on Apple silicon reports x86_64: take the native binary.
if [ "$os" = darwin ] && [ "$arch" = x64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = 1 ]; then
  arch=arm64
fi
target="$os-$arch"
# musl libc (Alpine and the like): its dynamic loader is /lib/ld-musl-<arch>.so.1
if [ "$os" = linux ] && ls /lib/ld-musl-* >/dev/null 2>&1; then
  target="$target-musl"
fi

if command -v curl >/dev/null 2>&1; then
  fetch() { curl -fsSL --retry 2 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget -q -O "$2" "$1"; }
else
  die "needs curl or wget"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
  die "needs sha256sum or shasum to check the download"
fi

tmp="$(mktemp -d 2>/dev/null || mktemp -d -t gptimg)"
trap 'rm -rf "$tmp"' EXIT INT TERM

fetch "$base/SHA256SUMS" "$tmp/SHA256SUMS" || die "could not download $base/SHA256SUMS"
# The line for this target: "<sha256>  gptimg-<version>-<target>"
line="$(grep -E "^[0-9a-f]{64}  gptimg-[^ ]+-$target\$" "$tmp/SHA256SUMS" | head -n 1 || true)"
[ -n "$line" ] || die "the release at $base has no binary for $target"
expected="${line%% *}"
file="${line##* }"

say "downloading $file"
fetch "$base/$file" "$tmp/$file" || die "could not download $base/$file"
actual="$(sha256 "$tmp/$file")"
if [ "$actual" != "$expected" ]; then
  die "checksum mismatch for $file: expected $expected from SHA256SUMS, got $actual; nothing was installed"
fi

mkdir -p "$prefix" || die "cannot create $prefix"
chmod 0755 "$tmp/$file"
mv -f "$tmp/$file" "$prefix/gptimg" || die "cannot write $prefix/gptimg"
say "installed $("$prefix/gptimg" --version 2>/dev/null || echo gptimg) to $prefix/gptimg"

case ":${PATH}:" in
  *":$prefix:"*) say "run: gptimg login" ;;
  *)
    say "$prefix is not on your PATH; add it, e.g.:"
    say "  echo 'export PATH=\"$prefix:\$PATH\"' >> ~/.profile && export PATH=\"$prefix:\$PATH\""
    ;;
esac

#!/usr/bin/env bash
# Fetches the charting library the HTML report embeds (uPlot, MIT) from npm
# at a pinned version, checks the package's checksum, and writes the files
# pkg/report/render/chartlib/ embeds. The files are committed: building drill
# needs no network; run this (make chartlib) only to change the version.
set -euo pipefail
VERSION=1.6.32
# sha256 of uplot-$VERSION.tgz as the registry serves it.
SHA256=4b8a8191e425658e3ea8c8c1314b0fc679c861ee3a1af2b20c7b16ba50b5133d
dest="$(cd "$(dirname "$0")/.." && pwd)/pkg/report/render/chartlib"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "uplot@$VERSION" >/dev/null)
tgz="$tmp/uplot-$VERSION.tgz"
echo "$SHA256  $tgz" | sha256sum -c --quiet -
tar -xzf "$tgz" -C "$tmp"
cp "$tmp/package/dist/uPlot.iife.min.js" "$tmp/package/dist/uPlot.min.css" "$tmp/package/LICENSE" "$dest/"
{
  echo "uplot $VERSION (npm package sha256 $SHA256)"
  (cd "$dest" && sha256sum uPlot.iife.min.js uPlot.min.css LICENSE)
} > "$dest/VERSION"
echo "chart library: uplot $VERSION in $dest"

#!/usr/bin/env bash
# Copy the front-end assets pinned in package.json from the npm registry into static/vendor.
# The copies are committed, so running the app never needs npm or any other host.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version=$(python3 -c 'import json; print(json.load(open("package.json"))["dependencies"]["bootstrap"])')
(cd "$work" && npm pack --silent "bootstrap@$version" >/dev/null && tar xzf "bootstrap-$version.tgz")
dest=static/vendor/bootstrap
# CSS only: no page uses Bootstrap's JavaScript components.
rm -rf "$dest" && mkdir -p "$dest/css"
cp "$work/package/dist/css/bootstrap.min.css" "$work/package/dist/css/bootstrap.min.css.map" "$dest/css/"
cp "$work/package/LICENSE" "$dest/LICENSE"
echo "$version" > "$dest/VERSION"
echo "bootstrap $version -> $dest"

#!/usr/bin/env bash
# Copy the front-end assets pinned in package.json from the npm registry into static/vendor.
# The copies are committed, so running the app never needs npm or any other host.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version_of() {
  python3 -c 'import json, sys; print(json.load(open("package.json"))["dependencies"][sys.argv[1]])' "$1"
}
unpack() {  # unpack NAME into $work/NAME, at the version package.json pins
  local name=$1 version
  version=$(version_of "$name")
  mkdir -p "$work/$name"
  (cd "$work/$name" && npm pack --silent "$name@$version" >/dev/null && tar xzf "$name-$version.tgz")
  echo "$version"
}

version=$(unpack bootstrap)
dest=static/vendor/bootstrap
# CSS only: no page uses Bootstrap's JavaScript components.
rm -rf "$dest" && mkdir -p "$dest/css"
cp "$work/bootstrap/package/dist/css/bootstrap.min.css" "$work/bootstrap/package/dist/css/bootstrap.min.css.map" "$dest/css/"
cp "$work/bootstrap/package/LICENSE" "$dest/LICENSE"
echo "$version" > "$dest/VERSION"
echo "bootstrap $version -> $dest"

# ALTCHA, the join page's proof of work (sessions/proof_of_work.py): the "external" build,
# which injects no <style> and carries no worker inline (the strict CSP allows neither), and
# the one worker the server's algorithm needs (PBKDF2), loaded from our own origin. No CSS:
# the widget is invisible; the join page says what happens in its own words.
version=$(unpack altcha)
dest=static/vendor/altcha
rm -rf "$dest" && mkdir -p "$dest/workers"
cp "$work/altcha/package/dist/external/altcha.min.js" "$dest/altcha.min.js"
cp "$work/altcha/package/dist/workers/pbkdf2.js" "$dest/workers/pbkdf2.js"
cp "$work/altcha/package/LICENSE.txt" "$dest/LICENSE"
echo "$version" > "$dest/VERSION"
echo "altcha $version -> $dest"

# Workbox: the production builds of the four modules the participant pages' service worker
# imports (sessions/views/offline.py lists them in the order they depend on each other).
dest=static/vendor/workbox
rm -rf "$dest" && mkdir -p "$dest"
for name in workbox-core workbox-routing workbox-strategies workbox-precaching; do
  version=$(unpack "$name")
  cp "$work/$name/package/build/$name.prod.js" "$work/$name/package/build/$name.prod.js.map" "$dest/"
  echo "$name $version" >> "$dest/VERSION"
  echo "$name $version -> $dest"
done
cp "$work/workbox-core/package/LICENSE" "$dest/LICENSE"

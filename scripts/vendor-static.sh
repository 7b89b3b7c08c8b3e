#!/usr/bin/env bash
# Copy the front-end assets pinned in package.json from the npm registry into static/vendor.
# The copies are committed, so running the app never needs npm or any other host.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pinned() { python3 -c 'import json, sys; print(json.load(open("package.json"))["dependencies"][sys.argv[1]])' "$1"; }

version=$(pinned bootstrap)
(cd "$work" && npm pack --silent "bootstrap@$version" >/dev/null && mkdir bootstrap && tar xzf "bootstrap-$version.tgz" -C bootstrap)
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
version=$(pinned altcha)
(cd "$work" && npm pack --silent "altcha@$version" >/dev/null && mkdir altcha && tar xzf "altcha-$version.tgz" -C altcha)
dest=static/vendor/altcha
rm -rf "$dest" && mkdir -p "$dest/workers"
cp "$work/altcha/package/dist/external/altcha.min.js" "$dest/altcha.min.js"
cp "$work/altcha/package/dist/workers/pbkdf2.js" "$dest/workers/pbkdf2.js"
cp "$work/altcha/package/LICENSE.txt" "$dest/LICENSE"
echo "$version" > "$dest/VERSION"
echo "altcha $version -> $dest"

#!/usr/bin/env bash
# Fetch the front-end assets we vendor, from the npm registry, into lockstep/static/vendor/.
# Run by hand when upgrading; the files are committed so nothing is fetched at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
HTMX_VERSION=2.0.4
CHARTJS_VERSION=4.4.7
out=lockstep/static/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "htmx.org@$HTMX_VERSION" "chart.js@$CHARTJS_VERSION" >/dev/null)
tar -xzf "$tmp/htmx.org-$HTMX_VERSION.tgz" -C "$tmp" package/dist/htmx.min.js package/LICENSE
cp "$tmp/package/dist/htmx.min.js" "$out/htmx.min.js"
cp "$tmp/package/LICENSE" "$out/htmx.LICENSE"
rm -rf "$tmp/package"
tar -xzf "$tmp/chart.js-$CHARTJS_VERSION.tgz" -C "$tmp" package/dist/chart.umd.js package/LICENSE.md
cp "$tmp/package/dist/chart.umd.js" "$out/chart.umd.js"
cp "$tmp/package/LICENSE.md" "$out/chart.js.LICENSE.md"
cat > "$out/VERSIONS.md" <<TXT
# Vendored front-end assets

| file | package | version | licence |
|---|---|---|---|
| htmx.min.js | htmx.org | $HTMX_VERSION | 0BSD (htmx.LICENSE) |
| chart.umd.js | chart.js | $CHARTJS_VERSION | MIT (chart.js.LICENSE.md) |

Fetched from the npm registry by \`scripts/vendor-assets.sh\`.
TXT
echo "vendored htmx $HTMX_VERSION and Chart.js $CHARTJS_VERSION into $out"

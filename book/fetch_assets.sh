#!/usr/bin/env bash
# Fetch the JavaScript the static book needs to render ipywidgets and math with no network:
# require.js, @jupyter-widgets/html-manager's embed-amd.js (+ the fonts it loads) and MathJax 3
# (tex-mml-chtml.js + CHTML fonts + the TeX extensions it autoloads).
#
# Pinned versions, pinned sha256 of each npm tarball; output goes to the gitignored
# book/widget_assets/vendor/. Idempotent: exits at once when the pinned set is already there.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
vendor="$here/widget_assets/vendor"

# name@version  sha256-of-tarball
packages=(
  "@jupyter-widgets/html-manager@1.0.15 2b9d65cb7913e1c7d671757a10008b32c9c2448d4429513371e55c07d6107638"
  "requirejs@2.3.7 31f3330c978fb28684622fe71165dc946432cf0210b2ea8a1ca0233e70f2737d"
  "mathjax@3.2.2 1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09"
)
stamp="$vendor/.fetched"
want="$(printf '%s\n' "${packages[@]}")"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0  # already fetched, same pins
fi

command -v npm >/dev/null || { echo "fetch_assets: npm not found (install Node.js 20)" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

for entry in "${packages[@]}"; do
  spec="${entry% *}"
  sha="${entry#* }"
  file="$(cd "$tmp" && npm pack --silent "$spec" | tail -n 1)"
  echo "$sha  $tmp/$file" | sha256sum --check --quiet - \
    || { echo "fetch_assets: sha256 mismatch for $spec" >&2; exit 1; }
  name="${spec%@*}"          # strip the version
  mkdir -p "$tmp/x/${name##*/}"
  tar xzf "$tmp/$file" -C "$tmp/x/${name##*/}" --strip-components=1
done

rm -rf "$vendor"
mkdir -p "$vendor/html-manager" "$vendor/mathjax/output/chtml" "$vendor/mathjax/input/tex"

# ipywidgets manager: embed-amd.js plus the font files webpack loads next to it.
src="$tmp/x/html-manager/dist"
cp "$src/embed-amd.js" "$vendor/html-manager/"
cp "$src"/*.{eot,svg,ttf,woff,woff2} "$vendor/html-manager/"

cp "$tmp/x/requirejs/require.js" "$vendor/"

# MathJax: the combined component, its CHTML fonts, autoloaded TeX extensions, menu/a11y parts.
mj="$tmp/x/mathjax/es5"
cp "$mj/tex-mml-chtml.js" "$vendor/mathjax/"
cp -r "$mj/output/chtml/fonts" "$vendor/mathjax/output/chtml/"
cp -r "$mj/input/tex/extensions" "$vendor/mathjax/input/tex/"
cp -r "$mj/a11y" "$mj/ui" "$mj/adaptors" "$vendor/mathjax/"

printf '%s\n' "$want" >"$stamp"
echo "fetch_assets: vendored $(du -sh "$vendor" | cut -f1) into ${vendor#"$PWD"/}"

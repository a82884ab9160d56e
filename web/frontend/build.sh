#!/usr/bin/env bash
# Rebuilds web/static from GOV.UK Frontend and napflow.scss (npm ci once, then Dart Sass).
# The built files are committed: `make run` and CI never run npm.
set -euo pipefail
cd "$(dirname "$0")"
static=../static
[ -d node_modules/govuk-frontend ] || npm ci --no-audit --no-fund
npx sass --no-source-map --no-error-css --style=compressed --load-path=node_modules \
# The brand stays out: no @font-face (GDS Transport), and no url() at all, so the CSS asks
# for nothing napflow does not serve (no crown, no crest, no font files, no CDN).
if grep -q -e '@font-face' -e 'url(' "$static/napflow.css"; then
  echo "build.sh: napflow.css has an @font-face or a url(); see napflow.scss" >&2
  exit 1
fi
dist=node_modules/govuk-frontend/dist/govuk
# Without its source map comment: the map is not shipped, so nothing asks for it.
sed '/^\/\/# sourceMappingURL=/d; s|//# sourceMappingURL=[^ ]*$||' \
    "$dist/govuk-frontend.min.js" > "$static/govuk-frontend.min.js"
# The npm package carries no licence file: this copy is the repository's LICENSE.txt
# (github.com/alphagov/govuk-frontend), which MIT asks to ship beside the code.
cp LICENSE-govuk-frontend.txt "$static/govuk-frontend-LICENSE.txt"
version=$(node -p 'require("govuk-frontend/package.json").version')
echo "built $static/napflow.css and copied govuk-frontend $version's JavaScript and licence"

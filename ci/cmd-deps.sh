#!/usr/bin/env bash
# what: install the Debian packages the project needs (as root)
set -euo pipefail
exec bash "$(dirname "$0")/deps.sh" "$@"

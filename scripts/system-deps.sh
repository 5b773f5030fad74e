#!/usr/bin/env bash
# System packages the tests and the local runner need, installed by `make install`.
# Filled in by the running-code work (bubblewrap); a no-op until then.
set -euo pipefail
exit 0

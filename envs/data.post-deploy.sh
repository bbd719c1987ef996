#!/usr/bin/env bash
# Runs inside the new data environment: add the tasktransfer library.
exec bash envs/install-library.sh

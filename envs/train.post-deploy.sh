#!/usr/bin/env bash
# Runs inside the new train environment: add the tasktransfer library.
exec bash envs/install-library.sh

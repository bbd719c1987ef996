#!/usr/bin/env bash
# Runs inside the new analysis environment: add the tasktransfer library.
exec bash envs/install-library.sh

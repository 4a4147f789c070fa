#!/bin/bash
# scenario_scale_coop.sh - scenario_scale.sh with the cooperative-sticky rebalance protocol
# (kafka.properties partition.assignment.strategy), which customsd supports through
# incremental assign/unassign: a rebalance moves only some partitions while the others
# keep flowing, so batches in flight meet partial revocations.
CHAOS_SCALE_COOP=1 exec bash "$(dirname "$0")/scenario_scale.sh"

#!/bin/sh
# Writes the run, compare and prioritize results the report tests read, from the default demo
# scenario at a small size (seconds, not minutes).
# usage: make_reports.sh CESIM SOURCE_DIR OUT_DIR
set -eu
cesim=$1
source_dir=$2
out=$3
scenario="$source_dir/scenarios/burger_contest.yaml"
small="--population 5000 --quiet --force"
mkdir -p "$out"
"$cesim" run "$scenario" $small -r 3 --out "$out/run"
"$cesim" compare "$scenario" $small -r 3 --out "$out/compare"
"$cesim" prioritize "$scenario" $small -r 2 --out "$out/prioritize"
"$cesim" sensitivity "$source_dir/scenarios/sweeps/contest_design.yaml" --method morris \
  --trajectories 2 --population 3000 --quiet --force --out "$out/sensitivity"
"$cesim" calibrate "$source_dir/scenarios/sweeps/bass_fit.yaml" \
  --observed "$source_dir/scenarios/calibration/bass_observed.csv" --particles 10 --initial 20 \
  --rounds 1 --population 2000 --quiet --force --out "$out/calibrate"
echo "reports written to $out"

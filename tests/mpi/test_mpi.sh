#!/usr/bin/env bash
# cesim under mpirun: the runs are spread over ranks and rank 0 writes, so every table must equal
# a single process's byte for byte; a bad input must end the whole job, not hang it.
#   test_mpi.sh CESIM SOURCE_DIR SCRATCH_DIR
set -euo pipefail
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND" >&2' ERR

cesim=$1
src=$2
scratch=$3

# Registered only when CMake found MPI, so a missing mpirun is a broken setup, not a skip.
if ! mpirun=$(command -v mpirun); then
  echo "FAIL: mpirun not found on PATH, but cesim was built with MPI" >&2
  exit 1
fi
# Containers run tests as root, which Open MPI refuses without these.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Two ranks even on a machine with fewer cores; the limit turns a hang into a failure.
mpi=(timeout 240 "$mpirun" --oversubscribe -np 2)

rm -rf "$scratch"
mkdir -p "$scratch"
cd "$scratch"

# same SINGLE_DIR MPI_DIR FILE...: each file byte-identical in both folders.
same() {
  local single=$1 ranks=$2
  shift 2
  for f in "$@"; do
    if ! cmp "$single/$f" "$ranks/$f"; then
      echo "FAIL: $f differs between one process ($single) and 2 ranks ($ranks)" >&2
      exit 1
    fi
    echo "  same: $f"
  done
}

# ranks DIR K: the manifest records K ranks.
ranks() {
  if ! grep -q "\"ranks\": $2," "$1/manifest.json"; then
    echo "FAIL: $1/manifest.json does not say \"ranks\": $2" >&2
    grep '"ranks"' "$1/manifest.json" >&2 || true
    exit 1
  fi
  echo "  manifest: \"ranks\": $2"
}

sweep_file=$src/scenarios/sweeps/bass_fit.yaml
observed=$src/scenarios/calibration/bass_observed.csv
contest=$src/scenarios/burger_contest.yaml

echo "sweep $sweep_file (25 points): results.csv, summary.csv"
sweep=(sweep "$sweep_file" --population 2000 -q)
"$cesim" "${sweep[@]}" --out sweep-1
"${mpi[@]}" "$cesim" "${sweep[@]}" --out sweep-2
same sweep-1 sweep-2 results.csv summary.csv design.csv
ranks sweep-1 1
ranks sweep-2 2

echo "sweep resumed under mpirun after 10 of 25 points"
cp -r sweep-1 sweep-resumed
rm sweep-resumed/summary.csv sweep-resumed/manifest.json
head -n 10 sweep-1/points.done >sweep-resumed/points.done
"${mpi[@]}" "$cesim" "${sweep[@]}" --out sweep-resumed --resume
same sweep-1 sweep-resumed results.csv summary.csv

echo "compare $contest with its variants: comparison.csv, runs.csv, bands.csv, comparison.json"
compare=(compare "$contest" -r 3 --population 3000 --no-report -q)
"$cesim" "${compare[@]}" --out compare-1
"${mpi[@]}" "$cesim" "${compare[@]}" --out compare-2
same compare-1 compare-2 comparison.csv runs.csv bands.csv comparison.json
ranks compare-2 2

echo "run $contest -r 4: timeseries.csv, summary.json"
run=(run "$contest" -r 4 --population 3000 --no-report -q)
"$cesim" "${run[@]}" --out run-1
"${mpi[@]}" "$cesim" "${run[@]}" --out run-2
same run-1 run-2 timeseries.csv summary.json
ranks run-2 2

echo "calibrate $sweep_file: evaluations.csv, posterior.csv, fit.csv, calibration.json"
calibrate=(calibrate "$sweep_file" --observed "$observed" --particles 20 --initial 40 --rounds 1
  --population 2000 --no-report -q)
"$cesim" "${calibrate[@]}" --out calibrate-1
"${mpi[@]}" "$cesim" "${calibrate[@]}" --out calibrate-2
same calibrate-1 calibrate-2 evaluations.csv posterior.csv fit.csv calibration.json
ranks calibrate-2 2

echo "an input error under mpirun (a scenario given as the sweep) ends the job with exit 3"
status=0
timeout 60 "$mpirun" --oversubscribe -np 2 "$cesim" calibrate "$contest" --observed "$observed" \
  --out never 2>error.txt || status=$?
if [[ $status -eq 124 ]]; then
  echo "FAIL: mpirun still running after 60 s: the worker rank was not released" >&2
  exit 1
fi
if [[ $status -ne 3 ]]; then
  echo "FAIL: expected exit 3 (invalid input), got $status" >&2
  cat error.txt >&2
  exit 1
fi
if ! grep -q "this is a scenario file, not a sweep" error.txt; then
  echo "FAIL: the error does not say what is wrong:" >&2
  cat error.txt >&2
  exit 1
fi
if [[ -e never ]]; then
  echo "FAIL: a results folder was written despite the error" >&2
  exit 1
fi
echo "  exit 3, \"this is a scenario file, not a sweep\", nothing written"

echo "a worker that reads another version of the scenario stops the job instead of mixing versions"
# MPMD: rank 0 and rank 1 start in different folders whose sc/ differ by one comment line, as if
# the file were edited while the command ran; rank 1 must refuse the jobs it is handed.
mkdir -p edited/rank0 edited/rank1
cp -r "$src/scenarios" edited/rank0/sc
cp -r "$src/scenarios" edited/rank1/sc
echo "# edited after the command started" >>edited/rank1/sc/burger_contest.yaml
status=0
# Enough jobs (16 replications of 57,000 customers) that rank 1 asks for one before rank 0 is done.
timeout 120 "$mpirun" --oversubscribe -np 1 --wdir "$scratch/edited/rank0" \
  "$cesim" run sc/burger_contest.yaml -r 16 --no-report -q --out "$scratch/edited/out" : \
  -np 1 --wdir "$scratch/edited/rank1" \
  "$cesim" run sc/burger_contest.yaml -r 16 --no-report -q --out "$scratch/edited/out" \
  2>error.txt || status=$?
if [[ $status -ne 3 ]]; then
  echo "FAIL: expected exit 3 (invalid input), got $status" >&2
  cat error.txt >&2
  exit 1
fi
if ! grep -q "rank 1, job [0-9]*: sc/burger_contest.yaml: changed since the command started" \
  error.txt; then
  echo "FAIL: the error does not name the rank, the job and the changed file:" >&2
  cat error.txt >&2
  exit 1
fi
if [[ -e edited/out ]]; then
  echo "FAIL: a results folder was written despite the error" >&2
  exit 1
fi
echo "  exit 3, \"rank 1, job N: sc/burger_contest.yaml: changed since the command started\""

echo "all outputs of 2 ranks equal those of one process"

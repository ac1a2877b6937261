#pragma once
/// A binary wire format for shipping run results and "how to load a scenario" between processes
/// (MPI ranks). Layout: a 16-byte header (magic "CESW", uint16 version, uint16 message kind,
/// uint64 payload length), then the payload; all integers little-endian and fixed-width, doubles
/// as their IEEE-754 bits (NaN payloads survive), lengths as uint64, bools as one byte.
/// Decoding throws std::runtime_error on truncated, malformed or wrong-kind input and never
/// allocates more than the message could hold.
#include <string>
#include <string_view>

#include "cesim/io/scenario_loader.hpp"
#include "cesim/sim/results.hpp"

namespace cesim::analysis {

/// How to load a scenario again in another process: the file and the load options
/// (key-path overrides in order, persona folders). io::load_scenario(recipe.file, recipe.options).
struct scenario_recipe {
  std::string file;
  io::load_options options;
  /// The input files as the coordinator loaded them, with their hashes: a worker that loads
  /// the recipe checks its files against these, so a file edited while the command runs stops
  /// it instead of mixing results of two versions.
  std::vector<input_file> inputs;
};

std::string encode(const run_result& r);
run_result decode_run_result(std::string_view bytes);

std::string encode(const scenario_recipe& r);
scenario_recipe decode_recipe(std::string_view bytes);

}  // namespace cesim::analysis

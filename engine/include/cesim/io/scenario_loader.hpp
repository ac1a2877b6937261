#pragma once
/// Loading and validating scenario and persona files.
#include <optional>
#include <string>
#include <vector>

#include "cesim/config/scenario.hpp"
#include "cesim/error.hpp"

namespace cesim::io {

struct load_options {
  /// Applied to the document before validation, in order.
  std::vector<override_spec> overrides;
  /// Extra persona library folders, searched after the scenario's own `personas/` folders and
  /// before CESIM_PERSONA_PATH and the built-in library.
  std::vector<std::string> persona_dirs;
};

/// Loads, validates and converts a scenario. Throws input_error listing every problem found.
scenario load_scenario(const std::string& path, const load_options& options = {});

/// The scenario with one of its variants applied after `options.overrides`, checked like any
/// override (`--set`): an unknown key or an out-of-range value names the variant.
scenario load_variant(const std::string& path, const load_options& options, const variant& v);

/// Loads one persona file on its own (channel affinities are resolved later).
persona load_persona_file(const std::string& path);

/// What `cesim validate` prints for one file.
struct validation_report {
  std::string file;
  std::string kind;     ///< "scenario", "persona" or "unknown"
  std::string summary;  ///< one line when valid
  std::vector<diagnostic> problems;
  std::optional<scenario> loaded;  ///< the scenario, when the file is a valid one
};
validation_report validate_file(const std::string& path, const load_options& options = {});

/// The folders searched for a persona named in a scenario, in order.
std::vector<std::string> persona_search_path(const std::string& scenario_path,
                                             const load_options& options);

}  // namespace cesim::io

#pragma once
/// The one parameter table: every tunable number of the model is declared here once, with its
/// YAML key, default, valid range, unit and source. Loading, validation, `cesim params`,
/// docs/model.md and the tests all read from it.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace cesim {

/// How a value written per week becomes a value per simulation step (time.step).
enum class time_scaling : std::uint8_t {
  none,             ///< dimensionless or already per step
  per_week,         ///< a probability or relaxation rate per week: 1 - (1 - x)^(weeks per step)
  logit_per_week,   ///< a logit whose logistic is a weekly probability, converted at run time
  amount_per_week,  ///< an amount earned per week: x * weeks per step
};

struct param_spec {
  std::string_view key;  ///< YAML key path; `[]` stands for any list element
  double default_value;  ///< NaN: required, no default
  double min;            ///< inclusive
  double max;            ///< inclusive
  std::string_view unit;
  std::string_view description;
  std::string_view source;  ///< citation, or "tunable: ..." for a documented starting guess
  bool integer = false;
  time_scaling scaling = time_scaling::none;
};

/// All parameters in documentation order.
std::span<const param_spec> parameter_table();

/// The spec for a key. An unknown key is a programming error (std::logic_error).
const param_spec& param(std::string_view key);
const param_spec* find_param(std::string_view key);

/// "[0, 1]" or "[1, 4294967295]" as shown in messages and docs.
std::string format_range(const param_spec& spec);
/// The default as text ("0.25", "required").
std::string format_default(const param_spec& spec);
/// A number printed the shortest way that reads back to the same double.
std::string format_number(double value);

}  // namespace cesim

#include "cesim/error.hpp"

#include <fmt/format.h>

namespace cesim {
namespace {

std::string join_messages(const std::vector<diagnostic>& problems) {
  std::string text;
  for (const auto& p : problems) {
    if (!text.empty()) text += '\n';
    text += p.to_string();
  }
  return text;
}

}  // namespace

std::string diagnostic::to_string() const {
  std::string text = where.file_name();
  if (where.line > 0) text += fmt::format(":{}:{}", where.line, where.column);
  text += ": ";
  if (!path.empty()) text += path + ": ";
  text += message;
  return text;
}

void diagnostics::error(const source_mark& where, std::string path, std::string message) {
  if (list_.size() < max_listed) {
    list_.push_back(diagnostic{where, std::move(path), std::move(message)});
  } else {
    ++unlisted_;
  }
}

void diagnostics::append(const diagnostics& other) {
  for (const auto& d : other.list_) error(d.where, d.path, d.message);
  unlisted_ += other.unlisted_;
}

void diagnostics::throw_if_any() const {
  if (list_.empty()) return;
  if (unlisted_ == 0) throw input_error(list_);
  auto listed = list_;
  source_mark file = list_.back().where;
  file.line = 0;
  file.column = 0;
  listed.push_back(diagnostic{
      file, "",
      fmt::format("{} more problems not listed (the first {} are); fix these and run again",
                  unlisted_, max_listed)});
  throw input_error(listed);
}

input_error::input_error(std::vector<diagnostic> problems)
    : std::runtime_error(join_messages(problems)), problems_(std::move(problems)) {}

input_error::input_error(const source_mark& where, std::string path, std::string message)
    : input_error(std::vector<diagnostic>{diagnostic{where, std::move(path), std::move(message)}}) {
}

}  // namespace cesim

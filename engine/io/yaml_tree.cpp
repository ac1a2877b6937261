#include "cesim/io/yaml_tree.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace cesim::io {

ynode ynode::make_null(source_mark mark) {
  ynode n;
  n.mark_ = std::move(mark);
  return n;
}

ynode ynode::make_scalar(std::string text, bool quoted, source_mark mark) {
  ynode n;
  n.kind_ = kind::scalar;
  n.text_ = std::move(text);
  n.quoted_ = quoted;
  n.mark_ = std::move(mark);
  return n;
}

ynode ynode::make_sequence(source_mark mark) {
  ynode n;
  n.kind_ = kind::sequence;
  n.mark_ = std::move(mark);
  return n;
}

ynode ynode::make_map(source_mark mark) {
  ynode n;
  n.kind_ = kind::map;
  n.mark_ = std::move(mark);
  return n;
}

const ynode* ynode::find(std::string_view key) const {
  for (const auto& e : entries_)
    if (e.key == key) return &e.value;
  return nullptr;
}

ynode* ynode::find(std::string_view key) {
  for (auto& e : entries_)
    if (e.key == key) return &e.value;
  return nullptr;
}

ynode& ynode::set(std::string key, ynode value, source_mark key_mark) {
  if (kind_ != kind::map) {
    // Overrides may turn a null placeholder (`campaigns:` with nothing after it) into a map.
    kind_ = kind::map;
    text_.clear();
    items_.clear();
  }
  for (auto& e : entries_) {
    if (e.key == key) {
      e.value = std::move(value);
      return e.value;
    }
  }
  entries_.push_back(entry{std::move(key), std::move(key_mark), std::move(value)});
  return entries_.back().value;
}

bool ynode::erase(std::string_view key) {
  auto it =
      std::find_if(entries_.begin(), entries_.end(), [&](const entry& e) { return e.key == key; });
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

void ynode::remark(const source_mark& mark) {
  mark_ = mark;
  for (auto& i : items_) i.remark(mark);
  for (auto& e : entries_) {
    e.key_mark = mark;
    e.value.remark(mark);
  }
}

std::size_t ynode::subtree_size() const {
  std::size_t n = 1;
  for (const auto& i : items_) n += i.subtree_size();
  for (const auto& e : entries_) n += e.value.subtree_size();
  return n;
}

std::string_view ynode::type_name() const {
  switch (kind_) {
    case kind::null:
      return "null";
    case kind::scalar:
      return "scalar";
    case kind::sequence:
      return "list";
    case kind::map:
      return "map";
  }
  return "?";
}

std::string ynode::to_flow() const {
  switch (kind_) {
    case kind::null:
      return "null";
    case kind::scalar:
      return quoted_ ? fmt::format("\"{}\"", text_) : text_;
    case kind::sequence: {
      std::string s = "[";
      for (std::size_t i = 0; i < items_.size(); ++i) s += (i ? ", " : "") + items_[i].to_flow();
      return s + "]";
    }
    case kind::map: {
      std::string s = "{";
      for (std::size_t i = 0; i < entries_.size(); ++i)
        s += (i ? ", " : "") + entries_[i].key + ": " + entries_[i].value.to_flow();
      return s + "}";
    }
  }
  return {};
}

namespace {

/// Thrown from inside the event handler; converted to input_error by the caller.
struct build_failure {
  source_mark where;
  std::string message;
};

source_mark to_mark(const std::shared_ptr<const std::string>& file, const YAML::Mark& m) {
  // yaml-cpp counts from 0; editors and users count from 1.
  return source_mark{file, m.line + 1, m.column + 1};
}

/// Builds ynode trees from yaml-cpp events with an explicit stack, enforcing the limits.
class tree_builder final : public YAML::EventHandler {
 public:
  tree_builder(std::shared_ptr<const std::string> file, const yaml_limits& limits)
      : file_(std::move(file)), limits_(limits) {}

  ynode take_root() { return std::move(root_); }
  [[nodiscard]] bool has_root() const { return has_root_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1)
      throw build_failure{to_mark(file_, mark),
                          "a file may hold only one YAML document (found a second '---')"};
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    add(ynode::make_null(to_mark(file_, mark)), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end())
      throw build_failure{to_mark(file_, mark), "alias refers to an unknown anchor"};
    expansion copy;
    measure(it->second, copy);
    count(copy, mark);
    add(it->second, 0);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (value.size() > limits_.max_scalar_bytes)
      throw build_failure{to_mark(file_, mark),
                          fmt::format("a text value of {} bytes exceeds the limit of {} bytes",
                                      value.size(), limits_.max_scalar_bytes)};
    // "?" marks a plain scalar, "!" a quoted one; "!!str" forces a string. Other tags are
    // application-specific and meaningless here, so they are refused rather than ignored.
    bool quoted = false;
    if (tag == "!" || tag == "tag:yaml.org,2002:str") {
      quoted = true;
    } else if (!tag.empty() && tag != "?") {
      throw build_failure{to_mark(file_, mark), fmt::format("unsupported YAML tag '{}'", tag)};
    }
    count(expansion{1, value.size()}, mark);
    add(ynode::make_scalar(value, quoted, to_mark(file_, mark)), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    check_collection_tag(tag, mark);
    open(ynode::make_sequence(to_mark(file_, mark)), anchor, mark);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    check_collection_tag(tag, mark);
    open(ynode::make_map(to_mark(file_, mark)), anchor, mark);
  }
  void OnMapEnd() override {
    apply_merge_keys(stack_.back().node);
    close();
  }

 private:
  struct frame {
    ynode node;
    YAML::anchor_t anchor = 0;
    bool have_key = false;
    std::string key;
    source_mark key_mark;
    /// A map's keys so far, so that finding a duplicate stays linear in the map's size.
    std::unordered_map<std::string, int> key_lines;
  };

  /// What a node adds to the document: nodes, and bytes of key and scalar text.
  struct expansion {
    std::size_t nodes = 0;
    std::size_t bytes = 0;
  };

  static void measure(const ynode& node, expansion& total) {
    ++total.nodes;
    total.bytes += node.text().size();
    for (const auto& item : node.items()) measure(item, total);
    for (const auto& e : node.entries()) {
      total.bytes += e.key.size();
      measure(e.value, total);
    }
  }

  void check_collection_tag(const std::string& tag, const YAML::Mark& mark) const {
    if (!tag.empty() && tag != "?" && tag != "!" && tag != "tag:yaml.org,2002:map" &&
        tag != "tag:yaml.org,2002:seq")
      throw build_failure{to_mark(file_, mark), fmt::format("unsupported YAML tag '{}'", tag)};
  }

  void count(const expansion& added, const YAML::Mark& mark) {
    nodes_ += added.nodes;
    bytes_ += added.bytes;
    if (nodes_ > limits_.max_nodes)
      throw build_failure{to_mark(file_, mark),
                          fmt::format("document expands to more than {} nodes (aliases that repeat "
                                      "aliases grow exponentially); refusing to expand further",
                                      limits_.max_nodes)};
    if (bytes_ > limits_.max_expanded_bytes)
      throw build_failure{
          to_mark(file_, mark),
          fmt::format("document expands to more than {} bytes of text (each alias repeats the text "
                      "of its anchor); refusing to expand further",
                      limits_.max_expanded_bytes)};
  }

  void open(ynode node, YAML::anchor_t anchor, const YAML::Mark& mark) {
    if (stack_.size() >= limits_.max_depth)
      throw build_failure{to_mark(file_, mark),
                          fmt::format("nesting deeper than {} levels", limits_.max_depth)};
    count(expansion{1, 0}, mark);
    stack_.push_back(frame{std::move(node), anchor, false, {}, {}, {}});
  }

  void close() {
    frame f = std::move(stack_.back());
    stack_.pop_back();
    add(std::move(f.node), f.anchor);
  }

  void add(ynode node, YAML::anchor_t anchor) {
    if (anchor != 0) anchors_[anchor] = node;
    if (stack_.empty()) {
      root_ = std::move(node);
      has_root_ = true;
      return;
    }
    frame& parent = stack_.back();
    if (parent.node.is_sequence()) {
      parent.node.push_back(std::move(node));
      return;
    }
    if (!parent.have_key) {
      if (!node.is_scalar())
        throw build_failure{node.mark(), "map keys must be plain text, not a list or map"};
      parent.key = node.text();
      parent.key_mark = node.mark();
      parent.have_key = true;
      return;
    }
    parent.have_key = false;
    // Merge keys are kept aside and resolved when the map closes: explicit keys win.
    if (parent.key != "<<") {
      const auto [first, added] = parent.key_lines.emplace(parent.key, parent.key_mark.line);
      if (!added)
        throw build_failure{
            parent.key_mark,
            fmt::format("duplicate key '{}' (first given at line {})", parent.key, first->second)};
    }
    parent.node.entries().push_back(
        ynode::entry{std::move(parent.key), parent.key_mark, std::move(node)});
  }

  /// Adds the entries of `source` whose keys are not `taken` yet (a set: merging many large
  /// maps, as aliases allow, stays linear in their size).
  static void merge_into(const ynode& source, std::unordered_set<std::string>& taken,
                         std::vector<ynode::entry>& merged) {
    if (!source.is_map())
      throw build_failure{source.mark(), "a merge key '<<' needs a map or a list of maps"};
    for (const auto& e : source.entries())
      if (taken.insert(e.key).second) merged.push_back(e);
  }

  static void apply_merge_keys(ynode& map) {
    std::vector<ynode> sources;
    auto& entries = map.entries();
    for (auto it = entries.begin(); it != entries.end();) {
      if (it->key == "<<") {
        sources.push_back(std::move(it->value));
        it = entries.erase(it);
      } else {
        ++it;
      }
    }
    if (sources.empty()) return;
    std::unordered_set<std::string> taken;
    for (const auto& e : entries) taken.insert(e.key);
    std::vector<ynode::entry> merged;
    for (const auto& s : sources) {
      if (s.is_sequence()) {
        for (const auto& item : s.items()) merge_into(item, taken, merged);
      } else {
        merge_into(s, taken, merged);
      }
    }
    for (auto& m : merged) entries.push_back(std::move(m));
  }

  std::shared_ptr<const std::string> file_;
  const yaml_limits& limits_;
  std::vector<frame> stack_;
  std::map<YAML::anchor_t, ynode> anchors_;
  ynode root_;
  bool has_root_ = false;
  int documents_ = 0;
  std::size_t nodes_ = 0;
  std::size_t bytes_ = 0;
};

std::string strip_digit_groups(std::string_view text) {
  std::string s;
  s.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool between_digits = text[i] == '_' && i > 0 && i + 1 < text.size() &&
                                std::isdigit(static_cast<unsigned char>(text[i - 1])) &&
                                std::isdigit(static_cast<unsigned char>(text[i + 1]));
    if (!between_digits) s += text[i];
  }
  return s;
}

}  // namespace

ynode parse_yaml(std::string_view text, const std::string& file_name, const yaml_limits& limits) {
  auto file = std::make_shared<const std::string>(file_name);
  if (text.size() > limits.max_file_bytes)
    throw input_error(
        source_mark{file, 0, 0}, "",
        fmt::format("file is {} bytes, larger than the limit of {} bytes for YAML input",
                    text.size(), limits.max_file_bytes));
  std::istringstream in{std::string(text)};
  tree_builder builder(file, limits);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const build_failure& f) {
    throw input_error(f.where, "", f.message);
  } catch (const YAML::DeepRecursion& e) {
    throw input_error(to_mark(file, e.mark), "",
                      fmt::format("nesting deeper than {} levels", e.depth()));
  } catch (const YAML::Exception& e) {
    throw input_error(to_mark(file, e.mark), "", fmt::format("malformed YAML: {}", e.msg));
  }
  if (!builder.has_root()) return ynode::make_null(source_mark{file, 1, 1});
  return builder.take_root();
}

ynode load_yaml_file(const std::string& path, const yaml_limits& limits) {
  auto file = std::make_shared<const std::string>(path);
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    throw input_error(source_mark{file, 0, 0}, "",
                      fmt::format("cannot open file: {}", std::strerror(errno)));
  if (S_ISDIR(info.st_mode))
    throw input_error(source_mark{file, 0, 0}, "", "is a directory, not a YAML file");
  if (static_cast<std::uintmax_t>(info.st_size) > limits.max_file_bytes)
    throw input_error(
        source_mark{file, 0, 0}, "",
        fmt::format("file is {} bytes, larger than the limit of {} bytes for YAML input",
                    info.st_size, limits.max_file_bytes));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw input_error(source_mark{file, 0, 0}, "",
                      fmt::format("cannot open file: {}", std::strerror(errno)));
  // Read up to the limit, not to the end: a device such as /dev/zero (size 0 to stat) never
  // ends.
  std::string text;
  std::array<char, 1 << 16> chunk{};
  while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > limits.max_file_bytes)
      throw input_error(source_mark{file, 0, 0}, "",
                        fmt::format("file is larger than the limit of {} bytes for YAML input",
                                    limits.max_file_bytes));
  }
  if (in.bad())
    throw input_error(source_mark{file, 0, 0}, "",
                      fmt::format("cannot read file: {}", std::strerror(errno)));
  return parse_yaml(text, path, limits);
}

bool scalar_to_double(const ynode& node, double& out) {
  if (!node.is_scalar()) return false;
  const std::string s = strip_digit_groups(node.text());
  if (s.empty()) return false;
  if (s == ".nan" || s == ".NaN" || s == ".NAN") {
    out = std::nan("");
    return true;
  }
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf" || s == "+.Inf" || s == "+.INF") {
    out = HUGE_VAL;
    return true;
  }
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") {
    out = -HUGE_VAL;
    return true;
  }
  const char* first = s.data();
  const char* last = s.data() + s.size();
  if (*first == '+') ++first;
  auto [ptr, ec] = std::from_chars(first, last, out);
  if (ec == std::errc::result_out_of_range) {
    out = (*first == '-') ? -HUGE_VAL : HUGE_VAL;
    return ptr == last;
  }
  return ec == std::errc() && ptr == last;
}

bool scalar_to_int64(const ynode& node, std::int64_t& out) {
  if (!node.is_scalar()) return false;
  const std::string s = strip_digit_groups(node.text());
  if (s.empty()) return false;
  const char* first = s.data();
  if (*first == '+') ++first;
  auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), out);
  if (ec == std::errc() && ptr == s.data() + s.size()) return true;
  // Accept integral floating notation such as 1e6 for sizes.
  double d = 0;
  if (scalar_to_double(node, d) && std::isfinite(d) && std::floor(d) == d &&
      std::fabs(d) < 9.0e18) {
    out = static_cast<std::int64_t>(d);
    return true;
  }
  return false;
}

bool scalar_to_uint64(const ynode& node, std::uint64_t& out) {
  if (!node.is_scalar()) return false;
  const std::string s = strip_digit_groups(node.text());
  if (s.empty() || s[0] == '-') return false;
  const char* first = s.data();
  if (*first == '+') ++first;
  auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool scalar_to_bool(const ynode& node, bool& out) {
  if (!node.is_scalar() || node.quoted()) return false;
  const std::string& s = node.text();
  if (s == "true" || s == "True" || s == "TRUE") {
    out = true;
    return true;
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    out = false;
    return true;
  }
  return false;
}

namespace {

struct path_step {
  std::string key;
  bool is_index = false;
  std::size_t index = 0;
};

std::vector<path_step> split_path(std::string_view path, const source_mark& origin) {
  std::vector<path_step> steps;
  std::size_t i = 0;
  auto bad = [&](std::string_view why) {
    throw input_error(origin, std::string(path), fmt::format("not a valid key path: {}", why));
  };
  while (i < path.size()) {
    if (path[i] == '[') {
      const auto close = path.find(']', i);
      if (close == std::string_view::npos) bad("'[' without ']'");
      std::size_t index = 0;
      auto digits = path.substr(i + 1, close - i - 1);
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
      if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size())
        bad("index must be a number");
      steps.push_back(path_step{{}, true, index});
      i = close + 1;
      if (i < path.size() && path[i] == '.') ++i;
      continue;
    }
    auto end = path.find_first_of(".[", i);
    if (end == std::string_view::npos) end = path.size();
    if (end == i) bad("empty key");
    steps.push_back(path_step{std::string(path.substr(i, end - i)), false, 0});
    i = end;
    if (i < path.size() && path[i] == '.') {
      ++i;
      if (i == path.size()) bad("ends with '.'");
    }
  }
  if (steps.empty()) bad("empty");
  return steps;
}

std::string element_name(const ynode& item) {
  if (const ynode* n = item.find("name"); n != nullptr && n->is_scalar()) return n->text();
  return {};
}

}  // namespace

void set_path(ynode& root, std::string_view path, ynode value, const source_mark& origin) {
  const auto steps = split_path(path, origin);
  ynode* node = &root;
  std::string walked;
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const auto& step = steps[s];
    const bool last = s + 1 == steps.size();
    if (node->is_sequence()) {
      ynode* next = nullptr;
      if (step.is_index) {
        if (step.index >= node->items().size())
          throw input_error(origin, std::string(path),
                            fmt::format("'{}' has {} elements; index {} does not exist", walked,
                                        node->items().size(), step.index));
        next = &node->items()[step.index];
        walked += fmt::format("[{}]", step.index);
      } else {
        std::string known;
        for (auto& item : node->items()) {
          const auto name = element_name(item);
          if (name == step.key) next = &item;
          if (!name.empty()) known += (known.empty() ? "" : ", ") + name;
        }
        if (next == nullptr)
          throw input_error(origin, std::string(path),
                            fmt::format("'{}' has no element named '{}' (known: {})", walked,
                                        step.key, known.empty() ? "none" : known));
        walked += "." + step.key;
      }
      if (last) {
        *next = std::move(value);
        return;
      }
      node = next;
      continue;
    }
    if (step.is_index)
      throw input_error(origin, std::string(path),
                        fmt::format("'{}' is a {}, not a list", walked, node->type_name()));
    if (!node->is_map() && !node->is_null())
      throw input_error(
          origin, std::string(path),
          fmt::format("'{}' is a {} and has no key '{}'", walked, node->type_name(), step.key));
    walked += (walked.empty() ? "" : ".") + step.key;
    if (last) {
      node->set(step.key, std::move(value), origin);
      return;
    }
    ynode* next = node->is_map() ? node->find(step.key) : nullptr;
    if (next == nullptr) next = &node->set(step.key, ynode::make_map(origin), origin);
    node = next;
  }
}

ynode parse_override_value(std::string_view value, const source_mark& origin) {
  const std::string label = origin.file_name();
  ynode parsed = parse_yaml(value, label);
  // Every node of an override points at the override itself, not at a line of a temporary text.
  parsed.remark(origin);
  return parsed;
}

}  // namespace cesim::io

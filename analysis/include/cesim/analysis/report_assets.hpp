#pragma once
/// Vega, Vega-Lite and Vega-Embed (minified, versions pinned in report/package-lock.json),
/// compiled into the binary so that reports open offline. Each source is safe to place
/// inside an HTML <script> element: it contains no `</script` in any case (written as
/// `<\/script`). The scripts contain non-ASCII characters (UTF-8): the page must declare
/// <meta charset="utf-8">. The implementation is generated at build time by
/// cmake/report_assets.cmake.
#include <span>
#include <string>
#include <string_view>

namespace cesim::analysis {

struct script_asset {
  std::string_view name;     ///< "vega", "vega-lite", "vega-embed"
  std::string_view version;  ///< e.g. "6.4.0", as installed by npm
  /// The whole minified script (the chunks concatenated).
  std::string source() const;
  /// The script in consecutive pieces of at most 16000 bytes each, for writing it out
  /// without building the whole string.
  std::span<const std::string_view> chunks;
};

/// In load order: vega, vega-lite, vega-embed.
std::span<const script_asset> report_scripts();

}  // namespace cesim::analysis

#pragma once
/// SHA-256 (FIPS 180-4), to identify input files in run manifests.
#include <string>
#include <string_view>

namespace cesim {

std::string sha256_hex(std::string_view data);
/// Hash of a file's bytes; empty string if it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace cesim

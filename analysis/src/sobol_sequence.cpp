#include "cesim/analysis/sobol_sequence.hpp"

#include <array>
#include <bit>
#include <limits>
#include <stdexcept>
#include <string>

namespace cesim::analysis {

namespace {

/// Bits per coordinate: 64, so every index up to 2^64 - 1 has its own point. Doubles keep the
/// top 53 bits, which is exact for the first 2^53 points.
constexpr unsigned bits = 64;

/// One dimension of new-joe-kuo-6.21201: degree s of the primitive polynomial, its interior
/// coefficients a (bit s-2 is the coefficient of x^(s-1), bit 0 that of x), and the initial
/// direction integers m_1..m_s (m_k odd and below 2^k).
struct joe_kuo_row {
  unsigned s;
  unsigned a;
  std::array<std::uint16_t, 9> m;
};

// Dimensions 2..64 of S. Joe and F. Y. Kuo, "Constructing Sobol sequences with better
// two-dimensional projections", SIAM J. Sci. Comput. 30 (2008) 2635-2654; the data file
// new-joe-kuo-6.21201 from https://web.maths.unsw.edu.au/~fkuo/sobol/ (rows d = 2..64).
// clang-format off
constexpr std::array<joe_kuo_row, 63> joe_kuo{{
    {1, 0, {1}},                                 // d = 2
    {2, 1, {1, 3}},                              // d = 3
    {3, 1, {1, 3, 1}},                           // d = 4
    {3, 2, {1, 1, 1}},                           // d = 5
    {4, 1, {1, 1, 3, 3}},                        // d = 6
    {4, 4, {1, 3, 5, 13}},                       // d = 7
    {5, 2, {1, 1, 5, 5, 17}},                    // d = 8
    {5, 4, {1, 1, 5, 5, 5}},                     // d = 9
    {5, 7, {1, 1, 7, 11, 19}},                   // d = 10
    {5, 11, {1, 1, 5, 1, 1}},                    // d = 11
    {5, 13, {1, 1, 1, 3, 11}},                   // d = 12
    {5, 14, {1, 3, 5, 5, 31}},                   // d = 13
    {6, 1, {1, 3, 3, 9, 7, 49}},                 // d = 14
    {6, 13, {1, 1, 1, 15, 21, 21}},              // d = 15
    {6, 16, {1, 3, 1, 13, 27, 49}},              // d = 16
    {6, 19, {1, 1, 1, 15, 7, 5}},                // d = 17
    {6, 22, {1, 3, 1, 15, 13, 25}},              // d = 18
    {6, 25, {1, 1, 5, 5, 19, 61}},               // d = 19
    {7, 1, {1, 3, 7, 11, 23, 15, 103}},          // d = 20
    {7, 4, {1, 3, 7, 13, 13, 15, 69}},           // d = 21
    {7, 7, {1, 1, 3, 13, 7, 35, 63}},            // d = 22
    {7, 8, {1, 3, 5, 9, 1, 25, 53}},             // d = 23
    {7, 14, {1, 3, 1, 13, 9, 35, 107}},          // d = 24
    {7, 19, {1, 3, 1, 5, 27, 61, 31}},           // d = 25
    {7, 21, {1, 1, 5, 11, 19, 41, 61}},          // d = 26
    {7, 28, {1, 3, 5, 3, 3, 13, 69}},            // d = 27
    {7, 31, {1, 1, 7, 13, 1, 19, 1}},            // d = 28
    {7, 32, {1, 3, 7, 5, 13, 19, 59}},           // d = 29
    {7, 37, {1, 1, 3, 9, 25, 29, 41}},           // d = 30
    {7, 41, {1, 3, 5, 13, 23, 1, 55}},           // d = 31
    {7, 42, {1, 3, 7, 3, 13, 59, 17}},           // d = 32
    {7, 50, {1, 3, 1, 3, 5, 53, 69}},            // d = 33
    {7, 55, {1, 1, 5, 5, 23, 33, 13}},           // d = 34
    {7, 56, {1, 1, 7, 7, 1, 61, 123}},           // d = 35
    {7, 59, {1, 1, 7, 9, 13, 61, 49}},           // d = 36
    {7, 62, {1, 3, 3, 5, 3, 55, 33}},            // d = 37
    {8, 14, {1, 3, 1, 15, 31, 13, 49, 245}},     // d = 38
    {8, 21, {1, 3, 5, 15, 31, 59, 63, 97}},      // d = 39
    {8, 22, {1, 3, 1, 11, 11, 11, 77, 249}},     // d = 40
    {8, 38, {1, 3, 1, 11, 27, 43, 71, 9}},       // d = 41
    {8, 47, {1, 1, 7, 15, 21, 11, 81, 45}},      // d = 42
    {8, 49, {1, 3, 7, 3, 25, 31, 65, 79}},       // d = 43
    {8, 50, {1, 3, 1, 1, 19, 11, 3, 205}},       // d = 44
    {8, 52, {1, 1, 5, 9, 19, 21, 29, 157}},      // d = 45
    {8, 56, {1, 3, 7, 11, 1, 33, 89, 185}},      // d = 46
    {8, 67, {1, 3, 3, 3, 15, 9, 79, 71}},        // d = 47
    {8, 70, {1, 3, 7, 11, 15, 39, 119, 27}},     // d = 48
    {8, 84, {1, 1, 3, 1, 11, 31, 97, 225}},      // d = 49
    {8, 97, {1, 1, 1, 3, 23, 43, 57, 177}},      // d = 50
    {8, 103, {1, 3, 7, 7, 17, 17, 37, 71}},      // d = 51
    {8, 115, {1, 3, 1, 5, 27, 63, 123, 213}},    // d = 52
    {8, 122, {1, 1, 3, 5, 11, 43, 53, 133}},     // d = 53
    {9, 8, {1, 3, 5, 5, 29, 17, 47, 173, 479}},  // d = 54
    {9, 13, {1, 3, 3, 11, 3, 1, 109, 9, 69}},    // d = 55
    {9, 16, {1, 1, 1, 5, 17, 39, 23, 5, 343}},   // d = 56
    {9, 22, {1, 3, 1, 5, 25, 15, 31, 103, 499}}, // d = 57
    {9, 25, {1, 1, 1, 11, 11, 17, 63, 105, 183}},// d = 58
    {9, 44, {1, 1, 5, 11, 9, 29, 97, 231, 363}}, // d = 59
    {9, 47, {1, 1, 5, 15, 19, 45, 41, 7, 383}},  // d = 60
    {9, 52, {1, 3, 7, 7, 31, 19, 83, 137, 221}}, // d = 61
    {9, 55, {1, 1, 1, 3, 23, 15, 111, 223, 83}}, // d = 62
    {9, 59, {1, 1, 5, 13, 31, 15, 55, 25, 161}}, // d = 63
    {9, 62, {1, 1, 3, 13, 25, 47, 39, 87, 257}}, // d = 64
}};
// clang-format on

using direction_table = std::array<std::array<std::uint64_t, bits>, joe_kuo.size() + 1>;

/// v[j][k] = direction number k+1 of dimension j+1 as a 64-bit binary fraction.
direction_table make_directions() {
  direction_table v{};
  // Dimension 1 has the identity generator matrix: the van der Corput sequence.
  for (unsigned k = 0; k < bits; ++k) v[0][k] = std::uint64_t{1} << (bits - 1 - k);
  for (std::size_t j = 1; j < v.size(); ++j) {
    const joe_kuo_row& row = joe_kuo[j - 1];
    auto& vj = v[j];
    for (unsigned k = 0; k < row.s; ++k) vj[k] = std::uint64_t{row.m[k]} << (bits - 1 - k);
    // Bratley & Fox (1988) recurrence m_k = 2 a_1 m_(k-1) ^ ... ^ 2^s m_(k-s) ^ m_(k-s), written
    // for the left-aligned V_k = m_k / 2^k.
    for (unsigned k = row.s; k < bits; ++k) {
      std::uint64_t x = vj[k - row.s] ^ (vj[k - row.s] >> row.s);
      for (unsigned i = 1; i < row.s; ++i)
        if ((row.a >> (row.s - 1 - i)) & 1u) x ^= vj[k - i];
      vj[k] = x;
    }
  }
  return v;
}

const direction_table& directions() {
  static const direction_table table = make_directions();
  return table;
}

}  // namespace

std::size_t sobol_max_dimensions() {
  return joe_kuo.size() + 1;
}

std::vector<double> sobol_points(std::size_t n, std::size_t d, std::uint64_t skip) {
  if (d == 0 || d > sobol_max_dimensions())
    throw std::invalid_argument("sobol_points: dimensions must be 1.." +
                                std::to_string(sobol_max_dimensions()) + ", not " +
                                std::to_string(d));
  if (n > std::numeric_limits<std::uint64_t>::max() - skip)
    throw std::invalid_argument("sobol_points: skip + n must not exceed 2^64 - 1");
  std::vector<double> points(n * d);
  if (n == 0) return points;
  const direction_table& v = directions();

  // Point i is the XOR of the direction numbers selected by the bits of gray(i) = i ^ (i >> 1);
  // the first one is computed so, the rest by the Gray-code update, which flips one bit.
  std::vector<std::uint64_t> x(d, 0);
  const std::uint64_t gray = skip ^ (skip >> 1);
  for (std::size_t j = 0; j < d; ++j)
    for (unsigned k = 0; k < bits; ++k)
      if ((gray >> k) & 1u) x[j] ^= v[j][k];

  for (std::size_t i = 0;; ++i) {
    for (std::size_t j = 0; j < d; ++j)
      points[i * d + j] = static_cast<double>(x[j] >> (bits - 53)) * 0x1p-53;
    if (i + 1 == n) break;
    // gray(m) ^ gray(m + 1) is the lowest zero bit of m.
    const auto c = static_cast<unsigned>(std::countr_one(skip + i));
    for (std::size_t j = 0; j < d; ++j) x[j] ^= v[j][c];
  }
  return points;
}

}  // namespace cesim::analysis

#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "cesim/config/parameters.hpp"

using namespace cesim;

TEST_CASE("every parameter is declared once, with a default inside its range, a unit and a source",
          "[params]") {
  std::set<std::string_view> keys;
  for (const auto& p : parameter_table()) {
    INFO(p.key);
    CHECK(keys.insert(p.key).second);
    CHECK(p.min <= p.max);
    if (!std::isnan(p.default_value)) {
      CHECK(p.default_value >= p.min);
      CHECK(p.default_value <= p.max);
      if (p.integer) CHECK(p.default_value == std::floor(p.default_value));
    }
    CHECK_FALSE(p.unit.empty());
    CHECK_FALSE(p.description.empty());
    CHECK_FALSE(p.source.empty());
  }
  CHECK(keys.size() > 40);
}

TEST_CASE("published defaults match their sources", "[params]") {
  CHECK(param("traits.loss_aversion").default_value == 2.25);  // Tversky & Kahneman 1992
  CHECK(param("loyalty.weights.satisfaction").default_value +
            param("loyalty.weights.trust").default_value +
            param("loyalty.weights.empowerment").default_value ==
        Approx(1.0));
  CHECK(param("experience.delight_threshold").default_value == 0.2);
  CHECK(param("experience.negativity_bias").default_value == 2.0);
}

TEST_CASE("unknown parameter keys are programming errors", "[params]") {
  CHECK_THROWS_AS(param("no.such.key"), std::logic_error);
  CHECK(find_param("no.such.key") == nullptr);
}

TEST_CASE("numbers and ranges print for people", "[params]") {
  CHECK(format_number(0.1) == "0.1");
  CHECK(format_number(52) == "52");
  CHECK(format_number(2.25) == "2.25");
  CHECK(format_range(param("touchpoints[].reach")) == "[0, 1]");
  CHECK(format_range(param("traits.margin")) == "[0, inf]");
  CHECK(format_default(param("segments[].share")) == "required");
}

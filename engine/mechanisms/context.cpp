#include "cesim/mechanisms/context.hpp"

#include <algorithm>
#include <cstring>

namespace cesim {

compiled_model::compiled_model(const scenario& s)
    : sc(&s),
      personas(s.personas.size()),
      segments(s.segments.size()),
      touchpoints(s.touchpoints.size()) {
  exposure_probability.resize(touchpoints * personas);
  for (std::size_t k = 0; k < touchpoints; ++k) {
    const auto& tp = s.touchpoints[k];
    if (tp.phase == purchase_phase::purchase) has_purchase_touchpoints = true;
    for (std::size_t p = 0; p < personas; ++p)
      exposure_probability[k * personas + p] =
          static_cast<float>(std::min(1.0, tp.reach * s.personas[p].channel_affinity[tp.channel]));
  }
  for (const auto& seg : s.segments)
    baselines.push_back(segment_baseline{static_cast<float>(seg.initial_satisfaction.mean()),
                                         static_cast<float>(seg.initial_trust.mean()),
                                         static_cast<float>(seg.initial_loyalty.mean()),
                                         static_cast<float>(seg.initial_attitude.mean())});
}

void impulse_outbox::resize(std::size_t n) {
  valence.assign(n, 0);
  origin.assign(n, 0);
  impact.assign(n, 0.0f);
}

void impulse_outbox::clear(agent_range r) {
  std::fill(valence.begin() + r.begin, valence.begin() + r.end, std::int8_t{0});
}

void block_tally::reset(std::size_t segment_count, std::size_t touchpoint_count) {
  segments.assign(segment_count, segment_tally{});
  touchpoints.assign(touchpoint_count, touchpoint_tally{});
}

}  // namespace cesim

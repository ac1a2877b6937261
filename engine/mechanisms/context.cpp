#include "cesim/mechanisms/context.hpp"

#include <algorithm>
#include <cstring>

#include "cesim/mechanisms/loyalty.hpp"
#include "cesim/util/huge_pages.hpp"

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
  for (const float p : exposure_probability) exposure_threshold.push_back(rng::gate_threshold(p));
  origin_names = {"organic", "churn"};
  for (const auto& tp : s.touchpoints) origin_names.push_back(tp.name);
  referral_campaign.assign(origin_names.size(), 0);
  for (std::size_t c = 0; c < s.campaigns.size(); ++c) {
    origin_names.push_back(s.campaigns[c].name);
    referral_campaign.push_back(s.campaigns[c].type == campaign_type::referral_program
                                    ? static_cast<std::uint16_t>(c + 1)
                                    : 0);
  }
  channels = s.channels.size();
  for (const auto& p : s.personas)
    for (std::size_t ch = 0; ch < channels; ++ch)
      affinity.push_back(static_cast<float>(p.channel_affinity[ch]));
  hop_slots = std::size_t{s.word_of_mouth.max_hops} + 1;
  promoter_mix = mechanisms::lowest_mix_reaching(8.5, s.loyalty.recommend_top_level);
  passive_mix = mechanisms::lowest_mix_reaching(6.5, s.loyalty.recommend_top_level);
  for (const auto& seg : s.segments)
    baselines.push_back(segment_baseline{static_cast<float>(seg.initial_satisfaction.mean()),
                                         static_cast<float>(seg.initial_trust.mean()),
                                         static_cast<float>(seg.initial_loyalty.mean()),
                                         static_cast<float>(seg.initial_attitude.mean())});
}

void impulse_outbox::resize(std::size_t n) {
  assign_on_huge_pages(valence, n, std::int8_t{0});
  assign_on_huge_pages(origin, n, std::uint16_t{0});
  assign_on_huge_pages(hops, n, std::uint8_t{0});
  assign_on_huge_pages(strength, n, 0.0f);
  assign_on_huge_pages(priority, n, 0.0f);
}

void reach_tracker::reset(std::size_t origins, std::uint32_t agents) {
  origins_ = origins;
  words_ = (std::size_t{agents} + 63) / 64;
  assign_on_huge_pages(bits_, origins * words_, std::uint64_t{0});
  assign_on_huge_pages(any_, words_, std::uint64_t{0});
}

void impulse_outbox::clear(agent_range r) {
  std::fill(valence.begin() + r.begin, valence.begin() + r.end, std::int8_t{0});
}

void block_tally::reset(std::size_t segment_count, std::size_t touchpoint_count,
                        std::size_t origin_count, std::size_t hop_slots) {
  segments.assign(segment_count, segment_tally{});
  touchpoints.assign(touchpoint_count, touchpoint_tally{});
  origin_reached.assign(origin_count, 0);
  hops.assign(origin_count * hop_slots, 0);
}

}  // namespace cesim

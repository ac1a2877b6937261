#include "cesim/mechanisms/metrics.hpp"

#include "cesim/mechanisms/loyalty.hpp"

namespace cesim::mechanisms {

void collect_metrics(const step_view& v, agent_range range, block_tally& tally) {
  const auto& st = v.state;
  for (std::uint32_t i = range.begin; i < range.end; ++i) {
    auto& t = tally.segments[v.people.segment[i]];
    ++t.population;
    switch (st.status[i]) {
      case customer_status::unaware:
        ++t.unaware;
        break;
      case customer_status::aware:
        ++t.prospects;
        break;
      case customer_status::customer:
        ++t.customers;
        break;
      case customer_status::lapsed:
        ++t.lapsed;
        break;
    }
    if (st.status[i] == customer_status::customer) {
      t.satisfaction_sum += st.satisfaction[i];
      t.trust_sum += st.trust[i];
      t.empowerment_sum += st.empowerment[i];
      t.loyalty_sum += st.loyalty[i];
      const int r = recommend_score(v.model, st.satisfaction[i], st.loyalty[i]);
      if (r >= 9) ++t.promoters;
      if (r <= 6) ++t.detractors;
    } else {
      t.attitude_sum += st.attitude[i];
    }
    if (v.outbox.valence[i] > 0) ++t.wom_positive;
    if (v.outbox.valence[i] < 0) ++t.wom_negative;
  }
}

}  // namespace cesim::mechanisms

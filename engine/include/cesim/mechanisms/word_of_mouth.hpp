#pragma once
#include "cesim/mechanisms/context.hpp"

namespace cesim::mechanisms {

/// Delivers the stories told last step: each customer pulls from its own contacts (or, in a
/// well-mixed population, from randomly met others), hears each teller with probability
/// talk_scale * talkativeness(teller) * tie strength, is moved by what it hears, becomes aware,
/// and passes on a story that reaches it for the first time with the forwarding probability.
void deliver_word_of_mouth(const step_view& v, agent_range range, block_tally& tally);

/// Pushed delivery, first half: for the tellers of `range` (agents with a story in the inbox),
/// the contacts that hear them this step, as (hearer << 32 | teller). The hearing draw is the
/// one pull delivery makes: the gate lane of the hearer's position in the teller's sorted row,
/// keyed by (teller, step), so both directions agree.
void push_hearings(const step_view& v, agent_range range, std::vector<std::uint64_t>& out);

/// Pushed delivery in full: every block's hearings (in parallel, `parts` is scratch with one
/// list per block), concatenated and sorted (`scratch` is working space). The (hearer, teller)
/// pairs are unique, so the sorted list is the same for any partition and thread count.
void collect_hearings(const step_view& v, std::vector<std::vector<std::uint64_t>>& parts,
                      std::vector<std::uint64_t>& out, std::vector<std::uint64_t>& scratch);

/// Unprompted talk at the end of a step: promoters recommend, detractors warn.
void organic_talk(const step_view& v, agent_range range, block_tally& tally);

}  // namespace cesim::mechanisms

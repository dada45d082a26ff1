// Every metric table of every layer follows the facility's rules, and the
// tables together name each metric and each family once: shoald prints them
// side by side and the control plane renders them as one exposition.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "crypto/verify_queue.h"
#include "dht/counters.h"
#include "engine/counters.h"
#include "hyperdht/hyperdht.h"
#include "persist/writer.h"
#include "store/record_store.h"

namespace {

std::vector<std::span<const base::metrics::def>> all_tables() {
    return {engine::metric_defs(engine::ctr{}), dht::metric_defs(dht::ctr{}),      dht::metric_defs(dht::rpc_ctr{}),
            dht::metric_defs(dht::hctr{}),      store::metric_defs(store::metric{}), crypto::metric_defs(crypto::verify_ctr{}),
            persist::metric_defs(persist::queue_metric{}), persist::metric_defs(persist::writer_metric{})};
}

TEST(MetricTables, EachTableFollowsTheRules) {
    for (auto t : all_tables()) EXPECT_EQ(base::metrics::check_table(t), "") << t[0].family;
}

TEST(MetricTables, NamesAndFamiliesAreUniqueAcrossLayers) {
    std::set<std::string> names;
    std::map<std::string, const void*> family_table;
    for (auto t : all_tables()) {
        for (const auto& d : t) {
            EXPECT_TRUE(names.insert(std::string(d.name)).second) << d.name << " is used by two layers";
            auto [it, fresh] = family_table.emplace(std::string(d.family), t.data());
            EXPECT_TRUE(fresh || it->second == t.data()) << d.family << " is declared by two layers";
        }
    }
}

}  // namespace

#include "hyperdht/client.h"

#include <memory>

#include "base/byte_writer.h"
#include "hyperdht/hyper_messages.h"

namespace dht {

namespace h = hyper;

namespace {

std::uint64_t cmd(h::command c) noexcept { return static_cast<std::uint64_t>(c); }

std::vector<std::byte> encode_uint(std::uint64_t v) {
    std::array<std::byte, 9> b;
    base::byte_writer w(b);
    ce::write_uint(w, v);
    return {b.begin(), b.begin() + static_cast<std::ptrdiff_t>(w.size())};
}

// The commit of a value put: the same bytes to every closest node that gave a token.
commit_fn commit_value(h::command c, const target& tgt, std::vector<std::byte> value) {
    auto v = std::make_shared<const std::vector<std::byte>>(std::move(value));
    return [c, tgt, v](const query_reply& r) -> std::optional<rpc_request> {
        if (!r.tok) return std::nullopt;
        rpc_request req;
        req.to = r.from;
        req.command = cmd(c);
        req.tgt = tgt;
        req.tok = r.tok;
        req.value = *v;
        return req;
    };
}

op_result summary(const query_result& r) {
    op_result o;
    o.ok = r.ok;
    o.error = r.error;
    o.replies = r.successes;
    o.stored = r.commits_ok;
    return o;
}

void collect_peers(const query_reply& r, std::vector<found_peer>& out) {
    if (!r.value) return;
    auto lr = h::decode_lookup_reply(*r.value);
    if (!lr) return;
    for (const auto& p : lr->peers) {
        found_peer f;
        f.pk = p.pk;
        for (std::size_t i = 0; i < p.relays.size(); ++i) f.relays.push_back(p.relays[i]);
        f.from = r.from;
        out.push_back(std::move(f));
    }
}

}  // namespace

target client::hash(std::span<const std::byte> b) noexcept { return target(crypto::blake2b_256(b).array()); }

void client::lookup(const target& topic, std::function<void(const lookup_result&)> done) {
    auto peers = std::make_shared<std::vector<found_peer>>();
    query_spec q;
    q.tgt = topic;
    q.command = cmd(h::command::lookup);
    q.on_reply = [peers](const query_reply& r) { collect_peers(r, *peers); };
    q.on_done = [peers, done = std::move(done)](const query_result& r) {
        lookup_result out;
        static_cast<op_result&>(out) = summary(r);
        out.peers = std::move(*peers);
        done(out);
    };
    _node.start_query(std::move(q));
}

void client::announce(const target& topic, const crypto::keypair& keys, std::vector<base::endpoint> relays,
                      std::function<void(const op_result&)> done) {
    query_spec q;
    q.tgt = topic;
    q.command = cmd(h::command::lookup);
    // The signature covers the storing node's id and the token it gave us.
    q.commit = [topic, keys, relays](const query_reply& r) -> std::optional<rpc_request> {
        if (!r.tok || !r.from_id) return std::nullopt;
        const auto peer = h::encode_peer(keys.pk, relays);
        const auto signable = h::announce_signable(h::ns().announce, topic, *r.from_id, *r.tok, peer, std::nullopt);
        const auto sig = crypto::sign(signable, keys.sk);
        rpc_request req;
        req.to = r.from;
        req.command = cmd(h::command::announce);
        req.tgt = topic;
        req.tok = r.tok;
        req.value = h::encode_announce(keys.pk, relays, std::nullopt, sig, 0);
        return req;
    };
    q.on_done = [done = std::move(done)](const query_result& r) { done(summary(r)); };
    _node.start_query(std::move(q));
}

// Unannounce: a LOOKUP; every node whose reply lists our key (or is full,
// 20 peers) gets a signed UNANNOUNCE. Done when the query and those are.
void client::unannounce(const target& topic, const crypto::keypair& keys, std::function<void(const op_result&)> done) {
    // The rpc layer holds this as a raw rpc_client* while UNANNOUNCEs are in
    // flight, and the query (whose lambdas also own it) may be gone by then:
    // it keeps itself alive until the last reply.
    struct state final : rpc_client {
        std::function<void(const op_result&)> done;
        op_result result;
        std::size_t pending = 0;
        bool query_done = false;
        std::shared_ptr<state> keep_alive;
        void maybe_finish() {
            if (!query_done || pending || !done) return;
            auto self = std::move(keep_alive);  // may be the last reference: released on return
            auto d = std::move(done);
            d(result);
        }
        void on_reply(std::uint64_t, const rpc_reply& r) noexcept override {
            if (r.res.error == 0) ++result.stored;
            --pending;
            maybe_finish();
        }
        void on_fail(std::uint64_t, rpc_fail, const rpc_request&) noexcept override {
            --pending;
            maybe_finish();
        }
    };
    auto st = std::make_shared<state>();
    st->done = std::move(done);
    query_spec q;
    q.tgt = topic;
    q.command = cmd(h::command::lookup);
    node* n = &_node;
    q.on_reply = [st, n, topic, keys](const query_reply& r) {
        if (!r.tok || !r.from_id || !r.value) return;
        auto lr = h::decode_lookup_reply(*r.value);
        if (!lr) return;
        bool listed = lr->peers.size() >= 20;
        for (const auto& p : lr->peers) listed = listed || p.pk == keys.pk;
        if (!listed) return;
        const auto peer = h::encode_peer(keys.pk, {});
        const auto signable = h::announce_signable(h::ns().unannounce, topic, *r.from_id, *r.tok, peer, std::nullopt);
        rpc_request req;
        req.to = r.from;
        req.command = cmd(h::command::unannounce);
        req.tgt = topic;
        req.tok = r.tok;
        req.value = h::encode_announce(keys.pk, {}, std::nullopt, crypto::sign(signable, keys.sk), 0);
        req.socket = n->request_socket();
        ++st->pending;
        st->keep_alive = st;
        n->request(std::move(req), st.get(), 0);
    };
    q.on_done = [st](const query_result& r) {
        st->result.ok = r.ok;
        st->result.error = r.error;
        st->result.replies = r.successes;
        st->query_done = true;
        st->maybe_finish();
    };
    _node.start_query(std::move(q));
}

void client::find_peer(const crypto::public_key& pk, std::function<void(const lookup_result&)> done) {
    auto peers = std::make_shared<std::vector<found_peer>>();
    query_spec q;
    q.tgt = hash(pk.bytes());
    q.command = cmd(h::command::find_peer);
    q.on_reply = [peers, pk](const query_reply& r) {
        if (!r.value) return;
        base::byte_reader rd(*r.value);
        auto p = h::read_peer(rd);
        if (!p || !(p->pk == pk)) return;
        found_peer f;
        f.pk = p->pk;
        for (std::size_t i = 0; i < p->relays.size(); ++i) f.relays.push_back(p->relays[i]);
        f.from = r.from;
        peers->push_back(std::move(f));
    };
    q.on_done = [peers, done = std::move(done)](const query_result& r) {
        lookup_result out;
        static_cast<op_result&>(out) = summary(r);
        out.peers = std::move(*peers);
        done(out);
    };
    _node.start_query(std::move(q));
}

void client::mutable_put(const crypto::keypair& keys, std::vector<std::byte> value, std::uint64_t seq,
                         std::function<void(const op_result&)> done) {
    const auto sig = crypto::sign(h::mutable_signable(seq, value), keys.sk);
    const target tgt = hash(keys.pk.bytes());
    query_spec q;
    q.tgt = tgt;
    q.command = cmd(h::command::mutable_get);
    q.value = encode_uint(0);
    q.commit = commit_value(h::command::mutable_put, tgt, h::encode_mutable_put(keys.pk, seq, value, sig));
    q.on_done = [done = std::move(done)](const query_result& r) { done(summary(r)); };
    _node.start_query(std::move(q));
}

void client::mutable_get(const crypto::public_key& pk, std::uint64_t min_seq,
                         std::function<void(const op_result&, const std::optional<mutable_value>&)> done) {
    auto best = std::make_shared<std::optional<mutable_value>>();
    query_spec q;
    q.tgt = hash(pk.bytes());
    q.command = cmd(h::command::mutable_get);
    q.value = encode_uint(min_seq);
    q.on_reply = [best, pk, min_seq](const query_reply& r) {
        if (!r.value) return;
        auto m = h::decode_mutable_get_response(*r.value);
        if (!m || m->seq < min_seq || (*best && m->seq <= (*best)->seq)) return;
        if (!crypto::verify(m->sig, h::mutable_signable(m->seq, m->value), pk)) return;
        *best = mutable_value{m->seq, {m->value.begin(), m->value.end()}, m->sig, r.from};
    };
    q.on_done = [best, done = std::move(done)](const query_result& r) { done(summary(r), *best); };
    _node.start_query(std::move(q));
}

void client::immutable_put(std::vector<std::byte> value, std::function<void(const op_result&, const target&)> done) {
    const target tgt = hash(value);
    query_spec q;
    q.tgt = tgt;
    q.command = cmd(h::command::immutable_get);
    q.commit = commit_value(h::command::immutable_put, tgt, std::move(value));
    q.on_done = [tgt, done = std::move(done)](const query_result& r) { done(summary(r), tgt); };
    _node.start_query(std::move(q));
}

void client::immutable_get(const target& hash_,
                           std::function<void(const op_result&, const std::optional<std::vector<std::byte>>&)> done) {
    auto found = std::make_shared<std::optional<std::vector<std::byte>>>();
    query_spec q;
    q.tgt = hash_;
    q.command = cmd(h::command::immutable_get);
    q.on_reply = [found, hash_](const query_reply& r) {
        if (*found || !r.value) return;
        if (hash(*r.value) == hash_) *found = *r.value;
    };
    q.on_done = [found, done = std::move(done)](const query_result& r) { done(summary(r), *found); };
    _node.start_query(std::move(q));
}

}  // namespace dht

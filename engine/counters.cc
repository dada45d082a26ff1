#include "engine/counters.h"

namespace engine {

const char* counter_name(ctr c) noexcept {
    switch (c) {
        case ctr::rx_datagrams: return "rx_datagrams";
        case ctr::rx_bytes: return "rx_bytes";
        case ctr::tx_datagrams: return "tx_datagrams";
        case ctr::tx_bytes: return "tx_bytes";
        case ctr::drop_oversize: return "drop_oversize";
        case ctr::drop_source_port0: return "drop_source_port0";
        case ctr::drop_unclassified: return "drop_unclassified";
        case ctr::drop_recv_invalid: return "drop_recv_invalid";
        case ctr::recv_no_buffers: return "recv_no_buffers";
        case ctr::recv_errors: return "recv_errors";
        case ctr::send_queue_full: return "send_queue_full";
        case ctr::send_errors: return "send_errors";
        case ctr::send_retries: return "send_retries";
        case ctr::ring_full: return "ring_full";
        case ctr::steered_software: return "steered_software";
        case ctr::messages_in: return "messages_in";
        case ctr::messages_out: return "messages_out";
        case ctr::timers_fired: return "timers_fired";
        case ctr::loop_iterations: return "loop_iterations";
        case ctr::wakeups: return "wakeups";
        case ctr::count_: break;
    }
    return "unknown";
}

}  // namespace engine

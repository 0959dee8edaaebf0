/* The layout's self-description, read by the test that checks C and C# agree field by field. */
#include "dvs_internal.h"

#define F(type, field) { #type, #field, (uint32_t)offsetof(type, field), (uint32_t)sizeof(((type *)0)->field) }
#define S(type) { #type, "(size)", 0u, (uint32_t)sizeof(type) }

_Static_assert(sizeof(dvs_message_t) == 64, "a message is 64 bytes");
_Static_assert(sizeof(dvs_segment_header_t) == 256, "header is 256 bytes");
_Static_assert(sizeof(dvs_dc_t) == 128, "dc is 128 bytes");
_Static_assert(sizeof(dvs_slot_t) == 256, "slot is 256 bytes");
_Static_assert(sizeof(dvs_ring_header_t) == 192, "ring header is 192 bytes");
_Static_assert(sizeof(dvs_cell_t) == 128, "cell is 128 bytes");
_Static_assert(sizeof(dvs_node_entry_t) == 64, "node entry is 64 bytes");
_Static_assert(sizeof(dvs_polled_t) == 80, "polled message is 80 bytes");

static const dvs_layout_field_t dvs_fields[] = {
    S(dvs_message_t), F(dvs_message_t, m_source), F(dvs_message_t, m_type), F(dvs_message_t, m_payload),
    S(dvs_segment_header_t),
    F(dvs_segment_header_t, magic), F(dvs_segment_header_t, layout_version), F(dvs_segment_header_t, header_size),
    F(dvs_segment_header_t, segment_size), F(dvs_segment_header_t, node_id), F(dvs_segment_header_t, max_dcs),
    F(dvs_segment_header_t, host_pid), F(dvs_segment_header_t, ring_capacity), F(dvs_segment_header_t, incarnation),
    F(dvs_segment_header_t, slot_size), F(dvs_segment_header_t, dc_size), F(dvs_segment_header_t, ring_header_size),
    F(dvs_segment_header_t, state), F(dvs_segment_header_t, dcs_offset), F(dvs_segment_header_t, host_start_time),
    F(dvs_segment_header_t, node_name), F(dvs_segment_header_t, cluster_name), F(dvs_segment_header_t, cell_size),
    F(dvs_segment_header_t, message_size), F(dvs_segment_header_t, outbound_offset),
    F(dvs_segment_header_t, proxy_offset), F(dvs_segment_header_t, nodes_offset),
    F(dvs_segment_header_t, counters_offset), F(dvs_segment_header_t, outbound_capacity),
    F(dvs_segment_header_t, proxy_pid), F(dvs_segment_header_t, build_info),
    S(dvs_dc_t),
    F(dvs_dc_t, dcid), F(dvs_dc_t, state), F(dvs_dc_t, nr_procs), F(dvs_dc_t, nr_tasks), F(dvs_dc_t, nr_sysprocs),
    F(dvs_dc_t, nr_slots), F(dvs_dc_t, nodes), F(dvs_dc_t, slots_offset), F(dvs_dc_t, rings_offset),
    F(dvs_dc_t, ring_stride), F(dvs_dc_t, notify_offset), F(dvs_dc_t, notify_words), F(dvs_dc_t, dir_version), F(dvs_dc_t, name),
    S(dvs_slot_t),
    F(dvs_slot_t, endpoint), F(dvs_slot_t, state), F(dvs_slot_t, owner_pid), F(dvs_slot_t, owner_node),
    F(dvs_slot_t, epoch), F(dvs_slot_t, flags), F(dvs_slot_t, owner_start_time), F(dvs_slot_t, name),
    F(dvs_slot_t, bind_count), F(dvs_slot_t, p_nr), F(dvs_slot_t, copies), F(dvs_slot_t, wake_seq), F(dvs_slot_t, sleeping),
    F(dvs_slot_t, notify_summary), F(dvs_slot_t, wake_pending), F(dvs_slot_t, hold), F(dvs_slot_t, hold_for), F(dvs_slot_t, reply_word), F(dvs_slot_t, sent), F(dvs_slot_t, received),
    F(dvs_slot_t, replies), F(dvs_slot_t, reply),
    S(dvs_ring_header_t),
    F(dvs_ring_header_t, tail), F(dvs_ring_header_t, head), F(dvs_ring_header_t, space_seq),
    F(dvs_ring_header_t, space_waiters), F(dvs_ring_header_t, full_count), F(dvs_ring_header_t, space_pending), F(dvs_ring_header_t, proxy_waiting),
    S(dvs_cell_t), F(dvs_cell_t, seq), F(dvs_cell_t, meta), F(dvs_cell_t, claim_pid), F(dvs_cell_t, aux),
    F(dvs_cell_t, claim_pos), F(dvs_cell_t, claim_start), F(dvs_cell_t, message),
    S(dvs_polled_t), F(dvs_polled_t, message), F(dvs_polled_t, meta), F(dvs_polled_t, aux),
    S(dvs_node_entry_t), F(dvs_node_entry_t, state), F(dvs_node_entry_t, node_id), F(dvs_node_entry_t, incarnation),
    F(dvs_node_entry_t, rtt_ns), F(dvs_node_entry_t, retransmissions), F(dvs_node_entry_t, name),
    S(dvs_counters_t), F(dvs_counters_t, values),
};

int dvs_layout_fields(const dvs_layout_field_t **fields_out)
{
    *fields_out = dvs_fields;
    return (int)(sizeof dvs_fields / sizeof dvs_fields[0]);
}

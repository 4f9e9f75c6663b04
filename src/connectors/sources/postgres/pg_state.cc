#include "connectors/sources/postgres/pg_state.h"

#include <fmt/format.h>

#include <charconv>

namespace sluice {

namespace {

constexpr int kStateVersion = kSqlStateVersion;

std::optional<PgCtidPosition> Position(const Json& blob) {
  auto it = blob.find("ctid");
  if (it == blob.end() || !it->is_string()) return std::nullopt;
  auto page = ParseCtidPage(it->get<std::string>());
  auto filenode = StateU64(blob, "relation_filenode");
  if (!page || !filenode || *filenode > UINT32_MAX) return std::nullopt;
  PgCtidPosition position{*page, static_cast<uint32_t>(*filenode)};
  if (auto done = blob.find("completed_filenodes"); done != blob.end()) {
    if (!done->is_array()) return std::nullopt;
    for (const auto& f : *done) {
      if (!f.is_number_unsigned() || f.get<uint64_t>() > UINT32_MAX) return std::nullopt;
      position.completed_filenodes.push_back(f.get<uint32_t>());
    }
  }
  return position;
}

void AddPosition(Json& j, const PgCtidPosition& position) {
  j["ctid"] = FormatCtid(position.page);
  j["relation_filenode"] = position.filenode;
  if (!position.completed_filenodes.empty()) j["completed_filenodes"] = position.completed_filenodes;
}

}  // namespace

std::string FormatCtid(uint32_t page) { return fmt::format("({},0)", page); }

std::optional<uint32_t> ParseCtidPage(std::string_view text) {
  if (text.size() < 5 || text.front() != '(' || text.back() != ')') return std::nullopt;
  const size_t comma = text.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  uint32_t page;
  auto r = std::from_chars(text.data() + 1, text.data() + comma, page);
  if (r.ec != std::errc() || r.ptr != text.data() + comma) return std::nullopt;
  uint32_t tuple;
  r = std::from_chars(text.data() + comma + 1, text.data() + text.size() - 1, tuple);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() - 1) return std::nullopt;
  // A position inside a page (saved by another tool) resumes at the start of that page.
  return page;
}

std::optional<PgCtidPosition> ParseFullRefreshPosition(const Json* blob) {
  if (!IsStateType(blob, "ctid")) return std::nullopt;
  return Position(*blob);
}

std::optional<PgXminState> ParseXminState(const Json* blob) {
  if (!IsStateType(blob, "xmin")) return std::nullopt;
  PgXminState s;
  s.raw = StateU64(*blob, "xmin_raw_value");
  if (!s.raw) {
    auto xid = StateU64(*blob, "xmin_xid_value");
    auto wraps = StateU64(*blob, "num_wraparound");
    if (xid && *xid <= UINT32_MAX) s.raw = (wraps.value_or(0) << 32) | *xid;
  }
  s.position = Position(*blob);
  if (s.position) {
    s.snapshot_raw = StateU64(*blob, "snapshot_xmin_raw_value");
    if (!s.snapshot_raw) s.position.reset();  // not ours: start the read over
  }
  return s;
}

Json CtidStateJson(const PgCtidPosition& position) {
  Json j = {{"version", kStateVersion}, {"state_type", "ctid"}};
  AddPosition(j, position);
  return j;
}

Json FullRefreshCompleteJson() { return {{"version", kStateVersion}, {"state_type", "ctid"}, {"complete", true}}; }

Json XminStateJson(const PgXminState& state) {
  Json j = {{"version", kStateVersion}, {"state_type", "xmin"}};
  if (state.raw) {
    j["xmin_xid_value"] = *state.raw & 0xFFFFFFFFu;
    j["xmin_raw_value"] = *state.raw;
    j["num_wraparound"] = *state.raw >> 32;
  }
  if (state.position && state.snapshot_raw) {
    AddPosition(j, *state.position);
    j["snapshot_xmin_raw_value"] = *state.snapshot_raw;
  }
  return j;
}

std::string XminFilterSql(std::optional<uint64_t> previous_raw, uint64_t current_xmax_raw) {
  if (!previous_raw) return "";
  const uint64_t previous_epoch = *previous_raw >> 32;
  const uint64_t previous_xid = *previous_raw & 0xFFFFFFFFu;
  const uint64_t current_epoch = current_xmax_raw >> 32;
  const uint64_t current_xid = current_xmax_raw & 0xFFFFFFFFu;
  if (current_epoch == previous_epoch) {
    // A raw xid at or above the snapshot's xmax cannot be of this epoch: it was written before
    // the last wraparound (and read back then), however large it looks.
    return fmt::format("(xmin::text::bigint >= {} AND xmin::text::bigint < {})", previous_xid, current_xid);
  }
  if (current_epoch == previous_epoch + 1) {
    return fmt::format("(xmin::text::bigint >= {} OR xmin::text::bigint < {})", previous_xid, current_xid);
  }
  return "";
}

}  // namespace sluice

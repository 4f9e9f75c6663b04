#include "connectors/kit/sql/sql_read.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "connectors/kit/sql/sql_state.h"

namespace sluice {

Status CheckpointSqlStream(StreamBatcher& out, const StreamDescriptor& stream, Json blob,
                           const std::function<StateMessage(Json)>* wrap) {
  if (wrap != nullptr && *wrap) return out.Checkpoint((*wrap)(std::move(blob)));
  StateMessage message;
  message.type = StateType::kStream;
  message.stream.descriptor = stream;
  message.stream.stream_state = std::move(blob);
  return out.Checkpoint(std::move(message));
}

Status ReadKeyChunks(const SqlDialect& dialect, SqlKeyChunkQuery query,
                     const std::function<Result<SqlKeyChunk>(const std::string& sql)>& read_chunk,
                     const std::function<Status(const std::vector<std::string>& last)>& on_chunk) {
  for (;;) {
    SLUICE_ASSIGN_OR_RETURN(SqlKeyChunk chunk, read_chunk(KeyChunkQuery(dialect, query)));
    if (chunk.rows < query.limit) return Status::Ok();
    if (chunk.last.size() != query.key.size()) {
      return Status::SystemError("a key chunk ended without its last key");
    }
    SLUICE_RETURN_IF_ERROR(on_chunk(chunk.last));
    query.after = std::move(chunk.last);
  }
}

namespace {

std::optional<__int128> ParseInteger(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text[0] == '-') {
    int64_t v;
    auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
    return v;
  }
  uint64_t v;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string IntegerText(__int128 v) {
  if (v < 0) return std::to_string(static_cast<int64_t>(v));
  return std::to_string(static_cast<uint64_t>(v));
}

std::optional<std::vector<std::string>> Strings(const Json& blob, const char* key) {
  auto it = blob.find(key);
  if (it == blob.end()) return std::nullopt;
  std::vector<std::string> out;
  if (!it->is_array()) return out;  // present but malformed: an empty key, rejected by the caller
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
    else if (v.is_number()) out.push_back(v.dump());
    else return std::vector<std::string>{};
  }
  return out;
}

}  // namespace

std::vector<std::vector<std::string>> SplitIntegerKeySpan(std::string_view min, std::string_view max, size_t parts,
                                                          uint64_t min_width) {
  std::vector<std::vector<std::string>> boundaries;
  const auto lo = ParseInteger(min), hi = ParseInteger(max);
  if (!lo || !hi || *lo > *hi) return boundaries;
  const __int128 span = *hi - *lo + 1;
  const __int128 most = span / std::max<uint64_t>(1, min_width);
  if (most < static_cast<__int128>(parts)) parts = static_cast<size_t>(most);
  if (parts < 2) return boundaries;
  for (size_t i = 1; i < parts; ++i) {
    // Range i holds (lo - 1 + span·i/parts, lo - 1 + span·(i+1)/parts]: the boundary is its upto.
    boundaries.push_back({IntegerText(*lo - 1 + span * static_cast<__int128>(i) / static_cast<__int128>(parts))});
  }
  return boundaries;
}

SqlKeyRanges::SqlKeyRanges(std::vector<std::string> columns, const std::vector<SqlKeyRange>& ranges)
    : columns_(std::move(columns)) {
  for (const auto& r : ranges) ranges_.push_back({r, std::nullopt, false});
}

std::unique_ptr<SqlKeyRanges> SqlKeyRanges::Parse(const Json* blob) {
  if (!IsStateType(blob, "primary_key")) return nullptr;
  auto list = blob->find("pk_ranges");
  if (list == blob->end() || !list->is_array() || list->empty()) return nullptr;
  auto columns = Strings(*blob, "pk_names");
  if (!columns || columns->empty()) return nullptr;
  std::unique_ptr<SqlKeyRanges> out(new SqlKeyRanges());
  out->columns_ = *columns;
  const size_t n = columns->size();
  for (const auto& item : *list) {
    if (!item.is_object()) return nullptr;
    Range r;
    r.bounds.after = Strings(item, "after");
    r.bounds.upto = Strings(item, "upto");
    r.last = Strings(item, "pk_vals");
    for (const auto* key : {&r.bounds.after, &r.bounds.upto, &r.last}) {
      if (*key && key->value().size() != n) return nullptr;
    }
    r.complete = item.value("complete", false);
    out->ranges_.push_back(std::move(r));
  }
  return out;
}

std::vector<size_t> SqlKeyRanges::Pending() const {
  std::lock_guard lock(mu_);
  std::vector<size_t> out;
  for (size_t i = 0; i < ranges_.size(); ++i) {
    if (!ranges_[i].complete) out.push_back(i);
  }
  return out;
}

std::optional<std::vector<std::string>> SqlKeyRanges::ResumeAfter(size_t r) const {
  std::lock_guard lock(mu_);
  return ranges_[r].last ? ranges_[r].last : ranges_[r].bounds.after;
}

std::optional<std::vector<std::string>> SqlKeyRanges::Upto(size_t r) const {
  std::lock_guard lock(mu_);
  return ranges_[r].bounds.upto;
}

void SqlKeyRanges::Advance(size_t r, std::vector<std::string> last) {
  std::lock_guard lock(mu_);
  ranges_[r].last = std::move(last);
}

void SqlKeyRanges::Complete(size_t r) {
  std::lock_guard lock(mu_);
  ranges_[r].complete = true;
}

Json SqlKeyRanges::ToJson() const {
  Json list = Json::array();
  {
    std::lock_guard lock(mu_);
    for (const Range& r : ranges_) {
      Json item = Json::object();
      if (r.bounds.after) item["after"] = *r.bounds.after;
      if (r.bounds.upto) item["upto"] = *r.bounds.upto;
      if (r.complete) {
        item["complete"] = true;
      } else if (r.last) {
        item["pk_vals"] = *r.last;
      }
      list.push_back(std::move(item));
    }
  }
  return Json{{"version", kSqlStateVersion}, {"state_type", "primary_key"}, {"pk_names", columns_},
              {"pk_ranges", std::move(list)}};
}

Status SqlKeyRanges::Checkpoint(const std::function<Status(Json blob)>& emit) {
  std::lock_guard lock(checkpoint_mu_);
  return emit(ToJson());
}

}  // namespace sluice

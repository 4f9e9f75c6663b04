#include "connectors/kit/cdc/cdc_streams.h"

#include <utility>

namespace sluice {

const Json& CdcSnapshotCompleteJson() {
  static const Json kDone = {{"version", 2}, {"state_type", "cdc"}, {"snapshot_complete", true}};
  return kDone;
}

bool IsCdcSnapshotComplete(const Json* blob) {
  return blob != nullptr && blob->is_object() && blob->value("snapshot_complete", false);
}

CdcStreams::CdcStreams(const ConfiguredCatalog& catalog, Emitter& out, BatchLimits limits)
    : catalog_(catalog), out_(out), limits_(limits) {}

Status CdcStreams::Start() {
  for (uint32_t i = 0; i < catalog_.streams.size(); ++i) {
    const ConfiguredStream& s = catalog_.streams[i];
    if (!s.schema) return Status::SystemError("catalog: stream '" + s.descriptor().ToString() + "' has no bound schema");
    batchers_.push_back(std::make_unique<StreamBatcher>(out_, i, s.schema, limits_));
    SLUICE_RETURN_IF_ERROR(batchers_.back()->Start());
  }
  return Status::Ok();
}

bool CdcStreams::HasIncremental() const {
  for (uint32_t i = 0; i < catalog_.streams.size(); ++i) {
    if (Incremental(i)) return true;
  }
  return false;
}

Status CdcStreams::FlushAll() {
  for (auto& b : batchers_) SLUICE_RETURN_IF_ERROR(b->Flush());
  return Status::Ok();
}

void CdcStreams::LoadBlobs(const CdcState& saved) {
  for (const auto& s : saved.streams) blobs_[s.descriptor.ToString()] = s.stream_state;
}

const Json* CdcStreams::Blob(uint32_t i) const {
  auto it = blobs_.find(catalog_.streams[i].descriptor().ToString());
  return it == blobs_.end() ? nullptr : &it->second;
}

StateMessage CdcStreams::GlobalState(Json position) const {
  CdcState s;
  s.position = std::move(position);
  for (uint32_t i = 0; i < catalog_.streams.size(); ++i) {
    if (!Incremental(i)) continue;
    if (const Json* blob = Blob(i)) s.streams.push_back({catalog_.streams[i].descriptor(), *blob});
  }
  return CdcStateMessage(s);
}

std::function<StateMessage(Json)> CdcStreams::SnapshotStateOf(uint32_t i, std::function<StateMessage()> global) {
  const std::string key = catalog_.streams[i].descriptor().ToString();
  const bool incremental = Incremental(i);
  return [this, key, incremental, global = std::move(global)](Json blob) {
    if (incremental) {
      if (blob.is_object() && blob.value("complete", false)) blob = CdcSnapshotCompleteJson();
      blobs_[key] = std::move(blob);
    }
    return global();
  };
}

Status CdcStreams::Finish(Status read, const Emitter& out) {
  if (!read.ok() && !read.cancelled() && out.cancelled()) read = Status::Cancelled();
  Status first = read;
  for (auto& b : batchers_) {
    Status f = b->Finish(read);
    if (first.ok() && !f.ok()) first = f;
  }
  return first;
}

}  // namespace sluice

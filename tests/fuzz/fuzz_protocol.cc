// The Airbyte protocol reader (JSON lines → typed batches): RECORD, STATE, LOG, TRACE … lines of
// a catalog with every column type, fed in two pieces split where the first byte says.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/catalog.h"
#include "protocol/codec.h"

namespace {

const sluice::ConfiguredCatalog& Catalog() {
  static const sluice::ConfiguredCatalog catalog = [] {
    auto c = sluice::ConfiguredCatalog::FromJson(sluice::Json::parse(R"({"streams":[
      {"stream":{"name":"users","json_schema":{"type":"object","properties":{
          "id":{"type":"integer"},"name":{"type":["null","string"]},"score":{"type":"number"},
          "big":{"type":"number","airbyte_type":"big_number"},"born":{"type":"string","format":"date"},
          "seen":{"type":"string","format":"date-time","airbyte_type":"timestamp_with_timezone"},
          "local":{"type":"string","format":"date-time","airbyte_type":"timestamp_without_timezone"},
          "at":{"type":"string","format":"time"},
          "blob":{"type":"string","contentEncoding":"base64"},"ok":{"type":"boolean"},
          "tags":{"type":"array","items":{"type":"string"}},"address":{"type":"object"}}},
        "supported_sync_modes":["full_refresh","incremental"]},
       "sync_mode":"incremental","destination_sync_mode":"append_dedup","primary_key":[["id"]]},
      {"stream":{"name":"users","namespace":"other","json_schema":{"type":"object","properties":{
          "id":{"type":"integer"}}},"supported_sync_modes":["full_refresh"]},
       "sync_mode":"full_refresh","destination_sync_mode":"append"}]})"));
    return std::move(c).value();
  }();
  return catalog;
}

struct Sink : sluice::MessageHandler {
  sluice::Status OnBatch(sluice::RecordBatch) override { return sluice::Status::Ok(); }
  sluice::Status OnState(sluice::StateMessage) override { return sluice::Status::Ok(); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view all(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t cut = all.empty() ? 0 : data[0] % (all.size() + 1);
  Sink sink;
  sluice::ProtocolReaderOptions options;
  options.skip_invalid_lines = (data[0] & 1) != 0;
  options.batch_rows = 3;
  sluice::ProtocolReader reader(Catalog(), sink, options);
  if (!reader.Feed(all.substr(0, cut)).ok()) return 0;
  if (!reader.Feed(all.substr(cut)).ok()) return 0;
  (void)reader.Finish();
  return 0;
}

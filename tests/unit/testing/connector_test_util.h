#pragma once
// Helpers any connector's unit tests may use (header-only, so a test binary still links only its
// own module): a temporary directory, an Emitter that keeps everything it gets, a catalog with
// every stream configured, and a stream's column types.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "connectors/sdk/source.h"
#include "protocol/codec.h"

namespace sluice::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sluice_file_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Path(const std::string& name) const { return (path_ / name).string(); }
  std::string Write(const std::string& name, const std::string& bytes) const {
    const std::string path = Path(name);
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

 private:
  std::filesystem::path path_;
};

class CollectingEmitter : public Emitter {
 public:
  Status Emit(RecordBatch batch) override {
    batches.push_back(std::move(batch));
    return Status::Ok();
  }
  Status EmitState(StateMessage state) override {
    states.push_back(std::move(state));
    return Status::Ok();
  }
  Status EmitStreamStatus(uint32_t stream, StreamStatus status) override {
    statuses.emplace_back(stream, status);
    return Status::Ok();
  }
  bool cancelled() const override { return false; }

  //! Every row of `stream` as its JSON record data.
  std::vector<Json> Rows(uint32_t stream = 0) const {
    std::vector<Json> rows;
    for (const auto& b : batches) {
      if (b.stream() != stream) continue;
      for (size_t r = 0; r < b.num_rows(); ++r) {
        std::string out;
        AppendRecordData(out, b, r);
        rows.push_back(Json::parse(out));
      }
    }
    return rows;
  }

  std::vector<RecordBatch> batches;
  std::vector<StateMessage> states;
  std::vector<std::pair<uint32_t, StreamStatus>> statuses;
};

//! Every discovered stream, full refresh | overwrite.
inline Result<ConfiguredCatalog> ConfigureAll(const Catalog& catalog) {
  Json streams = Json::array();
  for (const auto& s : catalog.streams) {
    streams.push_back(
        Json{{"stream", s.ToJson()}, {"sync_mode", "full_refresh"}, {"destination_sync_mode", "overwrite"}});
  }
  return ConfiguredCatalog::FromJson(Json{{"streams", streams}});
}

//! Whether `text` is a UUID v4 in its text form ("xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx",
//! lowercase): how every file destination writes _airbyte_raw_id.
inline bool IsUuidV4Text(const std::string& text) {
  static const std::regex kUuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  return std::regex_match(text, kUuid);
}

//! The type of each column of a discovered stream's schema, as "name:type".
inline std::vector<std::string> ColumnTypes(const AirbyteStream& stream) {
  std::vector<std::string> out;
  auto schema = Schema::FromJsonSchema(stream.json_schema);
  if (!schema.ok()) return {"bad schema: " + schema.status().message()};
  for (const auto& f : (*schema)->fields()) out.push_back(f.name + ":" + std::string(TypeName(f.type)));
  return out;
}

}  // namespace sluice::testing

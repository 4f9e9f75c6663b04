#pragma once
// Helpers for the source-file tests: a temporary directory, an Emitter that keeps everything,
// and Discover → configured catalog → Read in one call.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "connectors/sources/file/file_source.h"
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

//! Discovers, configures every stream, and reads.
inline Status DiscoverAndRead(const Json& config, CollectingEmitter& out, Catalog* discovered = nullptr) {
  auto source = MakeFileSource();
  SLUICE_ASSIGN_OR_RETURN(Catalog catalog, source->Discover(config));
  if (discovered) *discovered = catalog;
  SLUICE_ASSIGN_OR_RETURN(ConfiguredCatalog configured, ConfigureAll(catalog));
  return source->Read(config, configured, StateStore(), out);
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

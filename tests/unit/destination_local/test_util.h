#pragma once
// Helpers shared by the destination-local tests: a temporary folder, a catalog, small batches,
// and readers for what lands on disk.

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/json.h"
#include "protocol/catalog.h"
#include "protocol/record_batch.h"

namespace sluice::testing {

#define SLUICE_ASSERT_OK(expr)                         \
  do {                                                 \
    const ::sluice::Status _st = (expr);               \
    ASSERT_TRUE(_st.ok()) << _st.ToString();           \
  } while (0)

//! A fresh folder under $TMPDIR, removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sluice-local-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

//! users: id integer, name string, score number, seen timestamp_tz, doc json.
inline const char* kUsersSchema = R"({"type":"object","properties":{
    "id":{"type":"integer"},"name":{"type":["null","string"]},"score":{"type":"number"},
    "seen":{"type":"string","format":"date-time","airbyte_type":"timestamp_with_timezone"},
    "doc":{"type":"object"}}})";

//! One stream per entry of `streams`: {name, namespace ("" = none), destination sync mode}.
struct StreamSpec {
  std::string name;
  std::string namespace_;
  std::string mode = "append";
};

inline ConfiguredCatalog MakeCatalog(const std::vector<StreamSpec>& streams, int64_t generation_id = 0,
                                     int64_t sync_id = 0) {
  Json json = {{"streams", Json::array()}};
  for (const StreamSpec& s : streams) {
    Json stream = {{"name", s.name}, {"json_schema", Json::parse(kUsersSchema)}, {"supported_sync_modes", {"full_refresh"}}};
    if (!s.namespace_.empty()) stream["namespace"] = s.namespace_;
    Json configured = {{"stream", stream}, {"sync_mode", "full_refresh"}, {"destination_sync_mode", s.mode}};
    if (generation_id) configured["generation_id"] = generation_id;
    if (sync_id) configured["sync_id"] = sync_id;
    json["streams"].push_back(configured);
  }
  auto catalog = ConfiguredCatalog::FromJson(json);
  EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
  return std::move(catalog).value();
}

//! Rows: id = first_id + i; names exercise quoting, newlines, unicode; every 4th row is mostly null.
inline RecordBatch MakeUsersBatch(const ConfiguredCatalog& catalog, uint32_t stream, int64_t first_id, size_t rows,
                                  size_t name_padding = 0) {
  RecordBatch batch(catalog.streams[stream].schema, stream);
  batch.set_emitted_at_ms(1700000000123);
  static const char* kNames[] = {"plain", "with \"quotes\", comma", "multi\nline\r\ntext", "Zoë 😀 ünïcödé", ""};
  for (size_t i = 0; i < rows; ++i) {
    const int64_t id = first_id + static_cast<int64_t>(i);
    batch.column(0).AppendInt64(id);
    if (i % 4 == 3) {
      batch.AddChange("name", ChangeKind::kNulled, ChangeReason::kSourceSerializationError);
      batch.FinishRow();  // name, score, seen, doc null
      continue;
    }
    std::string name = kNames[i % 5];
    name.append(name_padding, 'x');
    batch.column(1).AppendBytes(name);
    batch.column(2).AppendDouble(static_cast<double>(id) + 0.5);
    batch.column(3).AppendInt64(1700000000000000 + id * 1000000);
    batch.column(4).AppendBytes(R"({"tags":["a","b"],"n":1})");
    batch.FinishRow();
  }
  return batch;
}

//! Sorted entry names of a folder (hidden ones included); none when missing.
inline std::vector<std::string> ListNames(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

//! Sorted names not starting with '.'.
inline std::vector<std::string> VisibleNames(const std::string& dir) {
  std::vector<std::string> names = ListNames(dir);
  names.erase(std::remove_if(names.begin(), names.end(), [](const std::string& n) { return n.starts_with("."); }),
              names.end());
  return names;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

//! Decompresses a whole gzip file; `ok` false when it is corrupt or truncated.
inline std::string ReadGzip(const std::string& path, bool* ok) {
  const std::string compressed = ReadFile(path);
  std::string out;
  z_stream z{};
  inflateInit2(&z, 15 + 16);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  char buf[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - z.avail_out);
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;
  }
  inflateEnd(&z);
  *ok = rc == Z_STREAM_END && z.avail_in == 0;
  return out;
}

inline std::vector<Json> ParseJsonLines(const std::string& text) {
  std::vector<Json> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(Json::parse(line));
  return lines;
}

//! A small RFC 4180 parser: rows of cells; `quoted` marks cells that were quoted.
struct CsvCell {
  std::string text;
  bool quoted = false;
};
inline std::vector<std::vector<CsvCell>> ParseCsv(const std::string& text, char delimiter = ',') {
  std::vector<std::vector<CsvCell>> rows;
  std::vector<CsvCell> row;
  CsvCell cell;
  size_t i = 0;
  bool at_cell_start = true;
  auto end_cell = [&] {
    row.push_back(cell);
    cell = {};
    at_cell_start = true;
  };
  while (i < text.size()) {
    const char c = text[i];
    if (at_cell_start && c == '"') {
      cell.quoted = true;
      ++i;
      for (;;) {
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            cell.text += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cell.text += text[i++];
      }
      at_cell_start = false;
      continue;
    }
    if (c == delimiter) {
      end_cell();
      ++i;
    } else if (c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      end_cell();
      rows.push_back(std::move(row));
      row.clear();
      i += c == '\r' ? 2 : 1;
    } else {
      cell.text += c;
      at_cell_start = false;
      ++i;
    }
  }
  if (!row.empty() || !at_cell_start) {
    end_cell();
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace sluice::testing

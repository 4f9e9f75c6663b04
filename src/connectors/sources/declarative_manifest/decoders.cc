#include "connectors/sources/declarative_manifest/decoders.h"
#include "connectors/sources/declarative_manifest/manifest_errors.h"

#include <expat.h>
#include <iconv.h>
#include <zip.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include <fmt/format.h>

#include "base/text.h"
#include "io/input_stream.h"

namespace sluice {
namespace {

const Json& NullJson() {
  static const Json kNull;
  return kNull;
}

//! A decompressed body may not exceed this (a gzip or zip bomb is an error, not an OOM).
constexpr size_t kMaxDecodedBytes = size_t{1} << 30;

std::string Excerpt(std::string_view text) {
  std::string s(text.substr(0, 120));
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text.size() > 120 ? s + "…" : s;
}

//! `text` with each byte that is not valid UTF-8 as '?' (a message may quote a binary body).
std::string Printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      out += '?';
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

bool IsUtf8Name(std::string_view encoding) {
  std::string e;
  for (char c : encoding) {
    if (c != '-' && c != '_') e += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return e.empty() || e == "utf8" || e == "u8";
}

//! iconv's name for a Python codec name ("latin-1" → "ISO-8859-1").
std::string IconvName(std::string_view encoding) {
  std::string e;
  for (char c : encoding) e += c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (e == "latin-1" || e == "latin1" || e == "l1" || e == "iso8859-1" || e == "iso-8859-1") return "ISO-8859-1";
  if (e == "utf-8-sig" || e == "utf8-sig") return "UTF-8";
  return e;
}

//! Index of the first byte that is not valid UTF-8 (base/text.h's rules), or npos.
size_t InvalidUtf8At(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

//! Text in `encoding` as UTF-8 (a UTF-8 byte-order mark dropped). Errors name the encoding.
class TextCodec {
 public:
  explicit TextCodec(std::string encoding) : encoding_(std::move(encoding)) {}
  //! Whether iconv knows the encoding (checked when the manifest is read).
  bool Known() const {
    if (IsUtf8Name(encoding_)) return true;
    iconv_t cd = iconv_open("UTF-8", IconvName(encoding_).c_str());
    if (cd == reinterpret_cast<iconv_t>(-1)) return false;
    iconv_close(cd);
    return true;
  }
  Result<std::string> ToUtf8(std::string_view bytes) const {
    std::string out;
    if (IsUtf8Name(encoding_) || IconvName(encoding_) == "UTF-8") {
      out.assign(bytes);
      if (out.starts_with("\xEF\xBB\xBF")) out.erase(0, 3);
      if (size_t bad = InvalidUtf8At(out); bad != std::string_view::npos) {
        return Status::SystemError(fmt::format("the body is not valid {} (byte {}); the decoder's `encoding` names the "
                                               "body's character set",
                                               encoding_.empty() ? "utf-8" : encoding_, bad));
      }
      return out;
    }
    iconv_t cd = iconv_open("UTF-8", IconvName(encoding_).c_str());
    if (cd == reinterpret_cast<iconv_t>(-1)) return Status::ConfigError(fmt::format("unknown encoding '{}'", encoding_));
    out.resize(bytes.size() * 4 + 16);
    char* in = const_cast<char*>(bytes.data());
    size_t in_left = bytes.size();
    char* o = out.data();
    size_t out_left = out.size();
    const size_t r = iconv(cd, &in, &in_left, &o, &out_left);
    const int err = errno;
    iconv_close(cd);
    if (r == static_cast<size_t>(-1)) {
      return Status::SystemError(fmt::format("the body is not valid {} (byte {}: {})", encoding_, bytes.size() - in_left,
                                             err == EINVAL ? "a truncated character" : "an invalid sequence"));
    }
    out.resize(out.size() - out_left);
    if (out.starts_with("\xEF\xBB\xBF")) out.erase(0, 3);
    return out;
  }
  const std::string& encoding() const { return encoding_; }

 private:
  std::string encoding_;
};

bool Blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

// ---- parsers ----

class JsonBodyParser final : public BodyParser {
 public:
  //! `split`: a top-level array is its items (the CDK's JsonParser); else the value is one document.
  JsonBodyParser(std::string encoding, bool split) : codec_(std::move(encoding)), split_(split) {}
  Status Parse(std::string_view bytes, std::vector<Json>& out) const override {
    SLUICE_ASSIGN_OR_RETURN(std::string text, codec_.ToUtf8(bytes));
    if (Blank(text)) {
      out.push_back(Json::object());
      return Status::Ok();
    }
    Json value;
    try {
      value = Json::parse(text);
    } catch (const std::exception& e) {
      return Status::SystemError(fmt::format("the body is not JSON ({}): {}", e.what(), Excerpt(text)));
    }
    if (split_ && value.is_array()) {
      for (Json& v : value) out.push_back(std::move(v));
    } else {
      out.push_back(std::move(value));
    }
    return Status::Ok();
  }

 private:
  TextCodec codec_;
  bool split_;
};

class JsonLinesParser final : public BodyParser {
 public:
  explicit JsonLinesParser(std::string encoding) : codec_(std::move(encoding)) {}
  Status Parse(std::string_view bytes, std::vector<Json>& out) const override {
    SLUICE_ASSIGN_OR_RETURN(std::string text, codec_.ToUtf8(bytes));
    size_t line_no = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      std::string_view line(text.data() + pos, end - pos);
      ++line_no;
      pos = end + 1;
      if (Blank(line)) continue;
      try {
        out.push_back(Json::parse(line));
      } catch (const std::exception& e) {
        return Status::SystemError(fmt::format("line {} is not JSON ({}): {}", line_no, e.what(), Excerpt(line)));
      }
    }
    return Status::Ok();
  }

 private:
  TextCodec codec_;
};

class LinesParser final : public BodyParser {  // IterableDecoder
 public:
  Status Parse(std::string_view bytes, std::vector<Json>& out) const override {
    SLUICE_ASSIGN_OR_RETURN(std::string text, TextCodec("utf-8").ToUtf8(bytes));
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      std::string line = text.substr(pos, end - pos);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      pos = end + 1;
      if (!line.empty()) out.push_back(Json{{"record", std::move(line)}});
    }
    return Status::Ok();
  }
};

class JsonItemsParser final : public BodyParser {
 public:
  JsonItemsParser(std::vector<std::string> path, std::string encoding) : path_(std::move(path)), codec_(std::move(encoding)) {}
  Status Parse(std::string_view bytes, std::vector<Json>& out) const override {
    SLUICE_ASSIGN_OR_RETURN(std::string text, codec_.ToUtf8(bytes));
    if (Blank(text)) return Status::Ok();
    Json value;
    try {
      value = Json::parse(text);
    } catch (const std::exception& e) {
      return Status::SystemError(fmt::format("the body is not JSON ({}): {}", e.what(), Excerpt(text)));
    }
    const Json* at = &value;
    for (const std::string& key : path_) {
      if (!at->is_object() || !at->contains(key)) return Status::Ok();  // ijson: no items
      at = &(*at)[key];
    }
    if (at->is_array()) {
      for (const Json& v : *at) out.push_back(v);
    }
    return Status::Ok();
  }

 private:
  std::vector<std::string> path_;
  TextCodec codec_;
};

//! Python's csv.DictReader over the excel dialect (quotechar '"', doubled quotes, newlines
//! inside quotes), after universal-newline translation as TextIOWrapper does.
class CsvBodyParser final : public BodyParser {
 public:
  CsvBodyParser(std::string encoding, char delimiter, std::vector<std::string> none)
      : codec_(std::move(encoding)), delimiter_(delimiter), none_(std::move(none)) {}
  Status Parse(std::string_view bytes, std::vector<Json>& out) const override {
    SLUICE_ASSIGN_OR_RETURN(std::string raw, codec_.ToUtf8(bytes));
    std::string text;
    text.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\r') {
        text += '\n';
        if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
      } else {
        text += raw[i];
      }
    }
    std::vector<std::string> header;
    bool have_header = false;
    std::vector<std::string> row;
    size_t pos = 0;
    size_t line = 1;
    while (pos < text.size()) {
      const size_t row_line = line;
      SLUICE_RETURN_IF_ERROR(ReadRow(text, pos, line, row).WithContext(fmt::format("CSV row at line {}", row_line)));
      if (row.empty()) continue;  // a blank line
      if (!have_header) {
        header = std::move(row);
        have_header = true;
        continue;
      }
      Json record = Json::object();
      for (size_t i = 0; i < header.size(); ++i) {
        if (i >= row.size()) {
          record[header[i]] = nullptr;  // DictReader's restval
        } else if (std::find(none_.begin(), none_.end(), row[i]) != none_.end()) {
          record[header[i]] = nullptr;
        } else {
          record[header[i]] = std::move(row[i]);
        }
      }
      out.push_back(std::move(record));  // cells beyond the header's are dropped
    }
    return Status::Ok();
  }

 private:
  //! One row from `pos` (past its newline); an empty row for a blank line.
  Status ReadRow(const std::string& text, size_t& pos, size_t& line, std::vector<std::string>& row) const {
    row.clear();
    if (text[pos] == '\n') {
      ++pos;
      ++line;
      return Status::Ok();
    }
    std::string field;
    bool quoted = false;       // inside quotes
    bool was_quoted = false;   // the field began with a quote
    while (pos < text.size()) {
      const char c = text[pos++];
      if (quoted) {
        if (c == '"') {
          if (pos < text.size() && text[pos] == '"') {
            field += '"';
            ++pos;
          } else {
            quoted = false;
          }
        } else {
          if (c == '\n') ++line;
          field += c;
        }
        continue;
      }
      if (c == '"' && field.empty() && !was_quoted) {
        quoted = was_quoted = true;
      } else if (c == delimiter_) {
        row.push_back(std::move(field));
        field.clear();
        was_quoted = false;
      } else if (c == '\n') {
        ++line;
        row.push_back(std::move(field));
        return Status::Ok();
      } else {
        field += c;
      }
    }
    if (quoted) return Status::SystemError("a quoted field is not closed before the end of the body");
    row.push_back(std::move(field));
    return Status::Ok();
  }

  TextCodec codec_;
  char delimiter_;
  std::vector<std::string> none_;
};

class XmlParser final : public BodyParser {
 public:
  Status Parse(std::string_view bytes, std::vector<Json>& out) const override {
    if (Blank(bytes)) {
      out.push_back(Json::object());
      return Status::Ok();
    }
    SLUICE_ASSIGN_OR_RETURN(Json doc, decoders_internal::XmlToJson(bytes));
    out.push_back(std::move(doc));
    return Status::Ok();
  }
};

class GzipParser final : public BodyParser {
 public:
  explicit GzipParser(std::unique_ptr<BodyParser> inner) : inner_(std::move(inner)) {}
  Status Parse(std::string_view bytes, std::vector<Json>& out) const override {
    SLUICE_ASSIGN_OR_RETURN(std::string plain, decoders_internal::Gunzip(bytes));
    return inner_->Parse(plain, out);
  }

 private:
  std::unique_ptr<BodyParser> inner_;
};

class ZipParser final : public BodyParser {
 public:
  explicit ZipParser(std::unique_ptr<BodyParser> inner) : inner_(std::move(inner)) {}
  Status Parse(std::string_view bytes, std::vector<Json>& out) const override {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (source == nullptr) {
      Status s = Status::SystemError(fmt::format("cannot read the zip archive: {}", zip_error_strerror(&error)));
      zip_error_fini(&error);
      return s;
    }
    zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
    if (archive == nullptr) {
      Status s = Status::SystemError(fmt::format("the body is not a zip archive ({} bytes): {}", bytes.size(),
                                                 zip_error_strerror(&error)));
      zip_source_free(source);
      zip_error_fini(&error);
      return s;
    }
    zip_error_fini(&error);
    Status result = ReadEntries(archive, out);
    zip_discard(archive);  // frees the source too
    return result;
  }

 private:
  Status ReadEntries(zip_t* archive, std::vector<Json>& out) const {
    const zip_int64_t n = zip_get_num_entries(archive, 0);
    size_t total = 0;
    for (zip_int64_t i = 0; i < n; ++i) {
      zip_stat_t st;
      zip_stat_init(&st);
      if (zip_stat_index(archive, static_cast<zip_uint64_t>(i), 0, &st) != 0) {
        return Status::SystemError(fmt::format("zip entry {}: {}", i, zip_strerror(archive)));
      }
      const std::string name = (st.valid & ZIP_STAT_NAME) ? st.name : fmt::format("#{}", i);
      if (name.ends_with("/")) continue;  // a directory
      if ((st.valid & ZIP_STAT_SIZE) && (total += st.size) > kMaxDecodedBytes) {
        return Status::SystemError(fmt::format("the zip archive unpacks to more than {} bytes", kMaxDecodedBytes));
      }
      zip_file_t* file = zip_fopen_index(archive, static_cast<zip_uint64_t>(i), 0);
      if (file == nullptr) return Status::SystemError(fmt::format("zip file {}: {}", name, zip_strerror(archive)));
      std::string content;
      char buffer[65536];
      zip_int64_t got;
      while ((got = zip_fread(file, buffer, sizeof buffer)) > 0) {
        content.append(buffer, static_cast<size_t>(got));
        if (content.size() > kMaxDecodedBytes) break;
      }
      const bool failed = got < 0;
      std::string why = failed ? zip_file_strerror(file) : "";
      zip_fclose(file);
      if (failed) return Status::SystemError(fmt::format("zip file {}: {}", name, why));
      if (content.size() > kMaxDecodedBytes) {
        return Status::SystemError(fmt::format("zip file {} unpacks to more than {} bytes", name, kMaxDecodedBytes));
      }
      SLUICE_RETURN_IF_ERROR(inner_->Parse(content, out).WithContext(fmt::format("zip file {}", name)));
    }
    return Status::Ok();
  }

  std::unique_ptr<BodyParser> inner_;
};

// ---- building ----

struct Built {
  std::unique_ptr<BodyParser> parser;
  bool documents = false;
  bool plain_json = false;
};

constexpr std::string_view kDecoders =
    "JsonDecoder, JsonlDecoder, CsvDecoder, XmlDecoder, GzipDecoder, GzipJsonDecoder, ZipfileDecoder, JsonItemsDecoder, "
    "IterableDecoder, CompositeRawDecoder";

Result<std::string> Encoding(ConfigReader& r) {
  std::string encoding = r.String("encoding", "utf-8");
  SLUICE_RETURN_IF_ERROR(r.status());
  if (!TextCodec(encoding).Known()) {
    return Status::ConfigError(fmt::format("manifest {}: unknown encoding '{}' (a Python codec name such as utf-8, latin-1, "
                                           "cp1252, utf-16)",
                                           r.PathOf("encoding"), encoding));
  }
  return encoding;
}

Result<char> Delimiter(ConfigReader& r) {
  std::string d = r.String("delimiter", ",");
  SLUICE_RETURN_IF_ERROR(r.status());
  // Python's unicode_escape for a delimiter written with a backslash ("\\t", "\\x01", "\\u0001").
  if (d.size() >= 2 && d[0] == '\\') {
    const char e = d[1];
    if (d.size() == 2 && (e == 't' || e == 'n' || e == 'r' || e == '\\')) {
      d = e == 't' ? "\t" : e == 'n' ? "\n" : e == 'r' ? "\r" : "\\";
    } else if ((e == 'x' && d.size() == 4) || (e == 'u' && d.size() == 6)) {
      const std::string hex = d.substr(2);
      if (hex.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos) {
        const unsigned long code = std::stoul(hex, nullptr, 16);
        if (code < 0x80) d = std::string(1, static_cast<char>(code));
      }
    }
  }
  if (d.size() != 1) {
    return Status::ConfigError(fmt::format("manifest {}: the delimiter must be one character (got '{}')", r.PathOf("delimiter"), d));
  }
  return d[0];
}

Result<Built> CsvOf(ConfigReader& r) {
  SLUICE_ASSIGN_OR_RETURN(std::string encoding, Encoding(r));
  SLUICE_ASSIGN_OR_RETURN(char delimiter, Delimiter(r));
  std::vector<std::string> none = r.StringList("set_values_to_none", {});
  SLUICE_RETURN_IF_ERROR(r.status());
  return Built{std::make_unique<CsvBodyParser>(encoding, delimiter, std::move(none)), true, false};
}

Result<Built> BuildParser(ConfigReader r, bool split);  // CompositeRawDecoder's parsers

//! A decoder component (also a GzipDecoder's / ZipfileDecoder's inner `decoder`). `top`: the
//! stream's own (a JsonDecoder there takes the read loop's JSON paths); `split`: inside a zip,
//! where a JSON file's top-level array is its items (the CDK's JsonParser), each a document.
Result<Built> BuildDecoder(ConfigReader r, bool top, bool split) {
  const std::string type = r.json().is_null() ? "JsonDecoder" : r.String("type", "JsonDecoder");
  SLUICE_RETURN_IF_ERROR(r.status());
  if (type == "JsonDecoder") return Built{std::make_unique<JsonBodyParser>("utf-8", split), false, top};
  if (type == "XmlDecoder") return Built{std::make_unique<XmlParser>(), false, false};
  if (type == "JsonlDecoder") return Built{std::make_unique<JsonLinesParser>("utf-8"), true, false};
  if (type == "IterableDecoder") return Built{std::make_unique<LinesParser>(), true, false};
  if (type == "CsvDecoder") return CsvOf(r);
  if (type == "JsonItemsDecoder") {
    const std::string path = r.String("items_path");
    SLUICE_ASSIGN_OR_RETURN(std::string encoding, Encoding(r));
    SLUICE_RETURN_IF_ERROR(r.status());
    std::vector<std::string> keys;
    size_t pos = 0;
    while (pos <= path.size()) {
      size_t dot = path.find('.', pos);
      if (dot == std::string::npos) dot = path.size();
      if (dot > pos) keys.push_back(path.substr(pos, dot - pos));
      pos = dot + 1;
    }
    if (keys.empty()) return Status::ConfigError(fmt::format("manifest {}: items_path must name an array", r.PathOf("items_path")));
    return Built{std::make_unique<JsonItemsParser>(std::move(keys), encoding), true, false};
  }
  if (type == "GzipJsonDecoder") {
    SLUICE_ASSIGN_OR_RETURN(std::string encoding, Encoding(r));
    return Built{std::make_unique<GzipParser>(std::make_unique<JsonBodyParser>(encoding, split)), false, false};
  }
  if (type == "GzipDecoder") {
    if (!r.Has("decoder")) return Status::ConfigError(fmt::format("manifest {}: GzipDecoder needs a `decoder`", r.PathOf("decoder")));
    SLUICE_ASSIGN_OR_RETURN(Built inner, BuildDecoder(r.Object("decoder"), false, split));
    return Built{std::make_unique<GzipParser>(std::move(inner.parser)), inner.documents, false};
  }
  if (type == "ZipfileDecoder") {
    const char* key = r.Has("decoder") ? "decoder" : "parser";
    if (!r.Has(key)) return Status::ConfigError(fmt::format("manifest {}: ZipfileDecoder needs a `decoder`", r.PathOf("decoder")));
    SLUICE_ASSIGN_OR_RETURN(Built inner, std::string(key) == "decoder" ? BuildDecoder(r.Object(key), false, true)
                                                                         : BuildParser(r.Object(key), true));
    return Built{std::make_unique<ZipParser>(std::move(inner.parser)), true, false};
  }
  if (type == "CompositeRawDecoder") {
    if (!r.Has("parser")) return Status::ConfigError(fmt::format("manifest {}: CompositeRawDecoder needs a `parser`", r.PathOf("parser")));
    return BuildParser(r.Object("parser"), split);
  }
  return UnsupportedComponent(r, "decoder", type, kDecoders);
}

Result<Built> BuildParser(ConfigReader r, bool split) {
  const std::string type = r.String("type");
  SLUICE_RETURN_IF_ERROR(r.status());
  if (type == "JsonParser") {
    SLUICE_ASSIGN_OR_RETURN(std::string encoding, Encoding(r));
    return Built{std::make_unique<JsonBodyParser>(encoding, split), false, false};
  }
  if (type == "JsonLineParser") {
    SLUICE_ASSIGN_OR_RETURN(std::string encoding, Encoding(r));
    return Built{std::make_unique<JsonLinesParser>(encoding), true, false};
  }
  if (type == "CsvParser") return CsvOf(r);
  if (type == "GzipParser") {
    if (!r.Has("inner_parser")) {
      return Status::ConfigError(fmt::format("manifest {}: GzipParser needs an `inner_parser`", r.PathOf("inner_parser")));
    }
    SLUICE_ASSIGN_OR_RETURN(Built inner, BuildParser(r.Object("inner_parser"), split));
    return Built{std::make_unique<GzipParser>(std::move(inner.parser)), inner.documents, false};
  }
  return UnsupportedComponent(r, "parser", type, "JsonParser, JsonLineParser, CsvParser, GzipParser");
}

// ---- XML ----

struct XmlFrame {
  Json item;         // null, or the object of attributes and children
  std::string text;  // the element's own character data
};

struct XmlState {
  std::vector<XmlFrame> stack;
  XML_Parser parser = nullptr;
  std::string error;
};

void PushData(Json& item, const std::string& key, Json data) {
  if (!item.is_object()) item = Json::object();
  auto it = item.find(key);
  if (it == item.end()) {
    item[key] = std::move(data);
  } else if (it->is_array()) {
    it->push_back(std::move(data));
  } else {
    Json pair = Json::array({std::move(*it), std::move(data)});
    *it = std::move(pair);
  }
}

std::string Strip(const std::string& s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

void XMLCALL OnStart(void* data, const XML_Char* name, const XML_Char** attrs) {
  auto* st = static_cast<XmlState*>(data);
  XmlFrame frame;
  for (size_t i = 0; attrs[i] != nullptr; i += 2) {
    if (!frame.item.is_object()) frame.item = Json::object();
    frame.item[std::string("@") + attrs[i]] = attrs[i + 1];
  }
  (void)name;
  st->stack.push_back(std::move(frame));
}

void XMLCALL OnEnd(void* data, const XML_Char* name) {
  auto* st = static_cast<XmlState*>(data);
  XmlFrame frame = std::move(st->stack.back());
  st->stack.pop_back();
  std::string text = Strip(frame.text);
  Json value;
  if (frame.item.is_null()) {
    if (!text.empty()) value = std::move(text);
  } else {
    if (!text.empty()) frame.item["#text"] = std::move(text);
    value = std::move(frame.item);
  }
  PushData(st->stack.back().item, name, std::move(value));
}

void XMLCALL OnText(void* data, const XML_Char* s, int len) {
  auto* st = static_cast<XmlState*>(data);
  if (st->stack.size() > 1) st->stack.back().text.append(s, static_cast<size_t>(len));
}

void XMLCALL OnEntityDecl(void* data, const XML_Char* name, int, const XML_Char*, int, const XML_Char*, const XML_Char*,
                          const XML_Char*, const XML_Char*) {
  auto* st = static_cast<XmlState*>(data);
  st->error = fmt::format("the XML declares an entity ('{}'): entity declarations are refused", name);
  XML_StopParser(st->parser, XML_FALSE);
}

}  // namespace

namespace decoders_internal {

Result<Json> XmlToJson(std::string_view xml) {
  if (xml.size() > static_cast<size_t>(INT32_MAX)) return Status::SystemError("the XML body is larger than 2 GiB");
  XmlState st;
  st.stack.push_back({Json(), ""});
  st.parser = XML_ParserCreate(nullptr);
  if (st.parser == nullptr) return Status::SystemError("cannot create an XML parser");
  XML_SetUserData(st.parser, &st);
  XML_SetElementHandler(st.parser, OnStart, OnEnd);
  XML_SetCharacterDataHandler(st.parser, OnText);
  XML_SetEntityDeclHandler(st.parser, OnEntityDecl);
  const XML_Status ok = XML_Parse(st.parser, xml.data(), static_cast<int>(xml.size()), XML_TRUE);
  std::string error;
  if (ok != XML_STATUS_OK) {
    error = !st.error.empty() ? st.error
                              : fmt::format("the body is not XML (line {}, column {}: {}): {}",
                                            XML_GetCurrentLineNumber(st.parser), XML_GetCurrentColumnNumber(st.parser),
                                            XML_ErrorString(XML_GetErrorCode(st.parser)), Excerpt(xml));
  }
  XML_ParserFree(st.parser);
  if (!error.empty()) return Status::SystemError(error);
  Json doc = std::move(st.stack.front().item);
  return doc.is_null() ? Json::object() : doc;
}

Result<std::string> Gunzip(std::string_view bytes) {
  if (bytes.size() < 2 || static_cast<unsigned char>(bytes[0]) != 0x1f || static_cast<unsigned char>(bytes[1]) != 0x8b) {
    return std::string(bytes);
  }
  // io's gzip stream: concatenated members as one, a truncated or corrupt member an error.
  std::unique_ptr<InputStream> in =
      MakeDecompressingStream(MakeStringInputStream(std::string(bytes), "the body"), Compression::kGzip);
  std::string out;
  char buffer[65536];
  while (true) {
    Result<size_t> n = in->Read(buffer, sizeof buffer);
    if (!n.ok()) return Status::SystemError(fmt::format("the body is not valid gzip ({})", n.status().message()));
    if (*n == 0) return out;
    out.append(buffer, *n);
    if (out.size() > kMaxDecodedBytes) {
      return Status::SystemError(fmt::format("the gzip body unpacks to more than {} bytes", kMaxDecodedBytes));
    }
  }
}

}  // namespace decoders_internal

Result<std::unique_ptr<ResponseDecoder>> ResponseDecoder::Make(const ConfigReader& r) {
  SLUICE_ASSIGN_OR_RETURN(Built built, BuildDecoder(r, true, false));
  std::unique_ptr<ResponseDecoder> d(new ResponseDecoder());
  d->type_ = r.json().is_object() ? r.json().value("type", "JsonDecoder") : "JsonDecoder";
  d->plain_json_ = built.plain_json;
  d->documents_ = built.documents;
  d->parser_ = std::move(built.parser);
  return d;
}

Result<Json> ResponseDecoder::DecodeResponse(const HttpResponse& response, std::string_view what, const std::string& url) const {
  Result<Json> decoded = Decode(response.body);
  if (decoded.ok()) return decoded;
  const std::string why = Printable(decoded.status().message());
  return Status::SystemError(fmt::format("{}{}{} answered a body its {} cannot read (HTTP {}, {} bytes): {}", what,
                                         what.empty() ? "" : ": ", url,
                                         type_, response.status, response.body.size(), why));
}

Result<std::unique_ptr<ResponseDecoder>> MakeRetrieverDecoder(const ConfigReader& retriever) {
  const Json& own = retriever.Raw("decoder");
  if (!own.is_null()) return ResponseDecoder::Make(ConfigReader(own, retriever.PathOf("decoder")));
  auto non_json = [](const Json& d) { return d.is_object() && d.value("type", "JsonDecoder") != "JsonDecoder"; };
  const Json& selector = retriever.Raw("record_selector");
  if (selector.is_object() && selector.contains("extractor") && selector["extractor"].is_object()) {
    const Json& extractor = selector["extractor"];
    if (extractor.contains("decoder") && non_json(extractor["decoder"])) {
      return ResponseDecoder::Make(ConfigReader(extractor["decoder"], retriever.PathOf("record_selector") + ".extractor.decoder"));
    }
  }
  const Json& paginator = retriever.Raw("paginator");
  if (paginator.is_object()) {
    if (paginator.contains("decoder") && non_json(paginator["decoder"])) {
      return ResponseDecoder::Make(ConfigReader(paginator["decoder"], retriever.PathOf("paginator") + ".decoder"));
    }
    const Json* strategy = paginator.contains("pagination_strategy") ? &paginator["pagination_strategy"] : nullptr;
    if (strategy != nullptr && strategy->is_object() && strategy->contains("decoder") && non_json((*strategy)["decoder"])) {
      return ResponseDecoder::Make(
          ConfigReader((*strategy)["decoder"], retriever.PathOf("paginator") + ".pagination_strategy.decoder"));
    }
  }
  return ResponseDecoder::Make(ConfigReader(NullJson(), retriever.PathOf("decoder")));
}

Result<Json> ResponseDecoder::Decode(std::string_view body) const {
  std::vector<Json> docs;
  SLUICE_RETURN_IF_ERROR(parser_->Parse(body, docs));
  if (documents_) {
    Json out = Json::array();
    for (Json& d : docs) out.push_back(std::move(d));
    return out;
  }
  if (docs.empty()) return Json::object();
  return std::move(docs.front());
}

}  // namespace sluice

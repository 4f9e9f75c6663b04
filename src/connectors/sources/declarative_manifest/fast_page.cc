#include "connectors/sources/declarative_manifest/fast_page.h"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "connectors/kit/json_rows.h"

namespace sluice {
namespace {

bool IdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool DictMethod(std::string_view name) {
  static constexpr std::string_view kMethods[] = {"get", "keys", "items", "values", "pop", "popitem", "copy",
                                                  "update", "setdefault", "clear", "fromkeys"};
  return std::find(std::begin(kMethods), std::end(kMethods), name) != std::end(kMethods);
}

void AddKey(ResponseReads& reads, std::string key) {
  if (std::find(reads.keys.begin(), reads.keys.end(), key) == reads.keys.end()) reads.keys.push_back(std::move(key));
}

// The `response` reads of one template block (the text between {{ and }}, or {% and %}).
void ScanBlock(std::string_view b, ResponseReads& reads) {
  static constexpr std::string_view kName = "response";
  for (size_t at = b.find(kName); at != std::string_view::npos; at = b.find(kName, at + 1)) {
    if (at > 0 && IdentChar(b[at - 1])) continue;
    size_t i = at + kName.size();
    if (i < b.size() && IdentChar(b[i])) continue;
    while (i < b.size() && b[i] == ' ') ++i;
    if (i < b.size() && b[i] == '.') {
      size_t j = i + 1;
      while (j < b.size() && IdentChar(b[j])) ++j;
      const std::string_view key = b.substr(i + 1, j - i - 1);
      if (key.empty() || DictMethod(key)) {
        reads.whole = true;
        return;
      }
      AddKey(reads, std::string(key));
      continue;
    }
    if (i < b.size() && b[i] == '[') {
      size_t j = i + 1;
      while (j < b.size() && b[j] == ' ') ++j;
      if (j < b.size() && (b[j] == '\'' || b[j] == '"')) {
        const size_t close = b.find(b[j], j + 1);
        if (close != std::string_view::npos) {
          const std::string_view key = b.substr(j + 1, close - j - 1);
          size_t k = close + 1;
          while (k < b.size() && b[k] == ' ') ++k;
          if (key.find('\\') == std::string_view::npos && k < b.size() && b[k] == ']') {
            AddKey(reads, std::string(key));
            continue;
          }
        }
      }
    }
    reads.whole = true;
    return;
  }
}

void ScanText(std::string_view s, ResponseReads& reads) {
  for (size_t open = s.find('{'); open != std::string_view::npos && !reads.whole; open = s.find('{', open + 1)) {
    if (open + 1 >= s.size() || (s[open + 1] != '{' && s[open + 1] != '%')) continue;
    const std::string_view close = s[open + 1] == '{' ? "}}" : "%}";
    size_t end = s.find(close, open + 2);
    if (end == std::string_view::npos) end = s.size();
    ScanBlock(s.substr(open + 2, end - open - 2), reads);
    open = end;
  }
}

// RecordSelector's DpathValues over simdjson's parse: a repeated key is read at its last value,
// as in nlohmann's object.
void DomValues(simdjson::dom::element value, const std::vector<std::string>& path, size_t from,
               std::vector<simdjson::dom::element>& out) {
  if (from == path.size()) {
    out.push_back(value);
    return;
  }
  const std::string& key = path[from];
  if (key == "*" || key == "**") {
    if (value.is_object()) {
      for (auto field : DomAs<simdjson::dom::object>(value)) DomValues(field.value, path, from + 1, out);
    } else if (value.is_array()) {
      for (simdjson::dom::element item : DomAs<simdjson::dom::array>(value)) DomValues(item, path, from + 1, out);
    }
    return;
  }
  if (value.is_object()) {
    simdjson::dom::element found;
    bool any = false;
    for (auto field : DomAs<simdjson::dom::object>(value)) {
      if (field.key == key) {
        found = field.value;
        any = true;
      }
    }
    if (any) DomValues(found, path, from + 1, out);
  } else if (value.is_array()) {
    size_t index = 0;
    auto r = std::from_chars(key.data(), key.data() + key.size(), index);
    simdjson::dom::array array = DomAs<simdjson::dom::array>(value);
    if (r.ec != std::errc() || r.ptr != key.data() + key.size() || index >= array.size()) return;
    simdjson::dom::element item;
    if (array.at(index).get(item)) return;
    DomValues(item, path, from + 1, out);
  }
}

}  // namespace

void ScanResponseReads(const Json& component, ResponseReads& reads) {
  if (reads.whole) return;
  if (component.is_string()) {
    ScanText(component.get_ref<const std::string&>(), reads);
  } else if (component.is_object() || component.is_array()) {
    for (const Json& child : component) ScanResponseReads(child, reads);
  }
}

bool FastPage::Parse(std::string& body) {
  lease_.reset();
  std::shared_ptr<Document> doc;
  for (const auto& d : documents_) {
    if (!d->leased.load(std::memory_order_acquire)) {
      doc = d;
      break;
    }
  }
  if (!doc) doc = documents_.emplace_back(std::make_shared<Document>());
  doc->leased.store(true, std::memory_order_relaxed);
  lease_ = std::shared_ptr<void>(nullptr, [doc](void*) { doc->leased.store(false, std::memory_order_release); });
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  if (doc->parser.parse(body.data(), body.size(), false).get(root_) == simdjson::SUCCESS) return true;
  lease_.reset();
  return false;
}

bool FastPage::Field(simdjson::dom::element record, std::string_view key, simdjson::dom::element& value) {
  bool found = false;
  for (auto field : DomAs<simdjson::dom::object>(record)) {
    if (field.key == key) {
      value = field.value;
      found = true;
    }
  }
  return found;
}

Json FastPage::Response(const ResponseReads& reads) const {
  if (reads.whole || (!reads.keys.empty() && !root_.is_object())) return DomToJson(root_);
  Json out = Json::object();
  if (reads.keys.empty()) return out;
  for (auto field : DomAs<simdjson::dom::object>(root_)) {
    if (std::find(reads.keys.begin(), reads.keys.end(), field.key) != reads.keys.end()) {
      out[std::string(field.key)] = DomToJson(field.value);
    }
  }
  return out;
}

std::vector<simdjson::dom::element> FastPage::Locate(const std::vector<std::string>& path) const {
  std::vector<simdjson::dom::element> found;
  DomValues(root_, path, 0, found);
  const bool wildcard = std::find(path.begin(), path.end(), "*") != path.end();
  std::vector<simdjson::dom::element> records;
  for (simdjson::dom::element v : found) {
    if (v.is_array()) {
      for (simdjson::dom::element item : DomAs<simdjson::dom::array>(v)) {
        if (item.is_object()) records.push_back(item);
      }
    } else if (v.is_object() && !(wildcard && DomAs<simdjson::dom::object>(v).size() == 0)) {
      records.push_back(v);
    }
  }
  return records;
}

}  // namespace sluice

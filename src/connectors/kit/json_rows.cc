#include "connectors/kit/json_rows.h"

#include <charconv>
#include <cmath>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/detail/conversions/to_chars.hpp>

#include "protocol/codec.h"
#include "protocol/json_column.h"

namespace sluice {

Status JsonRows::AppendText(StreamBatcher& out, std::string_view text, size_t readable) {
  simdjson::ondemand::document doc;
  simdjson::ondemand::object object;
  auto e = parser_.iterate(text.data(), text.size(), readable).get(doc);
  if (!e) e = doc.get_object().get(object);
  if (e) return Status::SystemError(fmt::format("a record could not be re-read: {}", simdjson::error_message(e)));
  SLUICE_RETURN_IF_ERROR(AppendJsonObjectRow(object, out.batch(), ChangeReason::kSourceSerializationError));
  return out.RowsFinished(1);
}

namespace {

// simdjson's DOM element seen as json_column.h's value view, its texts as DumpDomRecord writes
// them (so a value lands as the text path would land it).
struct DomValue {
  simdjson::dom::element e;
  std::string& scratch;

  simdjson::error_code Kind(JsonKind& kind) {
    using simdjson::dom::element_type;
    switch (e.type()) {
      case element_type::OBJECT: kind = JsonKind::kObject; break;
      case element_type::ARRAY: kind = JsonKind::kArray; break;
      case element_type::STRING: kind = JsonKind::kString; break;
      case element_type::INT64:
      case element_type::UINT64:
      case element_type::DOUBLE: kind = JsonKind::kNumber; break;
      case element_type::BOOL: kind = JsonKind::kBoolean; break;
      case element_type::NULL_VALUE: kind = JsonKind::kNull; break;
    }
    return simdjson::SUCCESS;
  }
  simdjson::error_code Bool(bool& out) { return e.get(out); }
  // An unsigned above INT64_MAX or a double is an error, as On-Demand's get_int64 on its text.
  simdjson::error_code Int64(int64_t& out) { return e.get(out); }
  simdjson::error_code Double(double& out) { return e.get(out); }
  simdjson::error_code String(std::string_view& out) { return e.get(out); }
  simdjson::error_code NumberText(std::string_view& out) { return JsonText(JsonKind::kNumber, out); }
  simdjson::error_code JsonText(JsonKind, std::string_view& out) {
    scratch.clear();
    DumpDomRecord(e, scratch);
    out = scratch;
    return simdjson::SUCCESS;
  }
};

// nlohmann's Json seen as json_column.h's value view, its texts as `dump()` (invalid UTF-8
// replaced) writes them — so a value lands as AppendJson's text would. A string that is not
// valid UTF-8 (the dump would replace bytes in it) is kBadText: the caller takes the text path.
struct NlohmannValue {
  static constexpr auto kBadText = simdjson::UTF8_ERROR;
  const Json& j;
  std::string& scratch;

  simdjson::error_code Kind(JsonKind& kind) {
    switch (j.type()) {
      case Json::value_t::object: kind = JsonKind::kObject; break;
      case Json::value_t::array: kind = JsonKind::kArray; break;
      case Json::value_t::string: kind = JsonKind::kString; break;
      case Json::value_t::boolean: kind = JsonKind::kBoolean; break;
      case Json::value_t::number_integer:
      case Json::value_t::number_unsigned: kind = JsonKind::kNumber; break;
      case Json::value_t::number_float:  // dump() writes NaN and infinities as null
        kind = std::isfinite(j.get<double>()) ? JsonKind::kNumber : JsonKind::kNull;
        break;
      default: kind = JsonKind::kNull; break;  // null, discarded, binary (dump: not JSON text)
    }
    if (j.is_binary()) return kBadText;
    return simdjson::SUCCESS;
  }
  simdjson::error_code Bool(bool& out) {
    out = j.get<bool>();
    return simdjson::SUCCESS;
  }
  simdjson::error_code Int64(int64_t& out) {
    if (j.is_number_integer() && !j.is_number_unsigned()) {
      out = j.get<int64_t>();
      return simdjson::SUCCESS;
    }
    if (j.is_number_unsigned() && j.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)) {
      out = static_cast<int64_t>(j.get<uint64_t>());
      return simdjson::SUCCESS;
    }
    return simdjson::INCORRECT_TYPE;
  }
  simdjson::error_code Double(double& out) {
    out = j.get<double>();
    return simdjson::SUCCESS;
  }
  simdjson::error_code String(std::string_view& out) {
    const std::string& text = j.get_ref<const std::string&>();
    if (!simdjson::validate_utf8(text.data(), text.size())) return kBadText;
    out = text;
    return simdjson::SUCCESS;
  }
  simdjson::error_code NumberText(std::string_view& out) { return JsonText(JsonKind::kNumber, out); }
  simdjson::error_code JsonText(JsonKind, std::string_view& out) {
    scratch = j.dump(-1, ' ', false, Json::error_handler_t::replace);
    out = scratch;
    return simdjson::SUCCESS;
  }
};

// Whether a record went straight into the batch, or must take the text path (row abandoned).
enum class RowPath { kAppended, kNeedsText };

// One record's fields into the current row of `batch` by name (typed by its schema), as
// AppendJsonObjectRow appends them from the record's text; Finish() ends the row.
class FieldsRow {
 public:
  explicit FieldsRow(RecordBatch& batch) : batch_(batch), schema_(batch.schema()), row_(batch.num_rows()) {}

  //! Appends the field `key` (a view of json_column.h; unknown keys are skipped). False, with
  //! the row abandoned, when a column's key comes a second time (nlohmann's dump keeps the last
  //! value, this walk the first) or the view refuses the value (kBadText): the text path then.
  template <typename View>
  bool Add(std::string_view key, View& view) {
    const int index = expected_ < schema_.num_fields() && schema_.field(expected_).name == key
                          ? static_cast<int>(expected_)
                          : schema_.IndexOf(key);
    if (index < 0) return true;  // a field the schema does not declare
    Column& col = batch_.column(static_cast<size_t>(index));
    bool fits;
    if (col.size() != row_ || AppendJsonValueAs(view, col, fits) != simdjson::SUCCESS) {
      batch_.AbandonRow();
      return false;
    }
    expected_ = static_cast<size_t>(index) + 1;
    if (!fits) {
      col.AppendNull();
      batch_.AddChange(schema_.field(static_cast<size_t>(index)).name, ChangeKind::kNulled,
                       ChangeReason::kSourceSerializationError);
    }
    return true;
  }
  RowPath Finish() {
    batch_.FinishRow();
    return RowPath::kAppended;
  }

 private:
  RecordBatch& batch_;
  const Schema& schema_;
  const size_t row_;
  size_t expected_ = 0;
};

RowPath AppendDomObjectRow(simdjson::dom::object object, RecordBatch& batch, std::string& scratch) {
  FieldsRow row(batch);
  for (auto field : object) {
    DomValue view{field.value, scratch};
    if (!row.Add(field.key, view)) return RowPath::kNeedsText;
  }
  return row.Finish();
}

// A Json object's keys are unique; a key or string value that is not valid UTF-8 takes the
// text path, where dump() replaces the bytes.
RowPath AppendNlohmannObjectRow(const Json& object, RecordBatch& batch, std::string& scratch) {
  FieldsRow row(batch);
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string& key = it.key();
    NlohmannValue view{*it, scratch};
    if (!simdjson::validate_utf8(key.data(), key.size())) {
      batch.AbandonRow();
      return RowPath::kNeedsText;
    }
    if (!row.Add(key, view)) return RowPath::kNeedsText;
  }
  return row.Finish();
}

}  // namespace

Status JsonRows::AppendDom(StreamBatcher& out, simdjson::dom::element record) {
  if (record.type() == simdjson::dom::element_type::OBJECT) {
    if (AppendDomObjectRow(DomAs<simdjson::dom::object>(record), out.batch(), scratch_) == RowPath::kAppended) {
      return out.RowsFinished(1);
    }
  }
  text_.clear();
  DumpDomRecord(record, text_);
  text_.reserve(text_.size() + simdjson::SIMDJSON_PADDING);
  return AppendText(out, text_, text_.capacity());
}

Status JsonRows::AppendJson(StreamBatcher& out, const Json& record) {
  if (record.is_object() && AppendNlohmannObjectRow(record, out.batch(), scratch_) == RowPath::kAppended) {
    return out.RowsFinished(1);
  }
  scratch_ = record.dump(-1, ' ', false, Json::error_handler_t::replace);
  scratch_.reserve(scratch_.size() + simdjson::SIMDJSON_PADDING);
  return AppendText(out, scratch_, scratch_.capacity());
}

JsonRowsPipe::JsonRowsPipe(StreamBatcher& out, size_t max_pending)
    : out_(out), max_pending_(max_pending < 1 ? 1 : max_pending), thread_([this] { Run(); }) {}

JsonRowsPipe::~JsonRowsPipe() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

Status JsonRowsPipe::Submit(std::vector<simdjson::dom::element>& records, std::shared_ptr<void> lease) {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return queue_.size() < max_pending_ || !error_.ok(); });
  if (!error_.ok()) return error_;
  Page page;
  if (!spare_.empty()) {
    page = std::move(spare_.back());
    spare_.pop_back();
  }
  page.records.swap(records);
  records.clear();
  page.lease = std::move(lease);
  queue_.push_back(std::move(page));
  lock.unlock();
  changed_.notify_all();
  return Status::Ok();
}

Status JsonRowsPipe::Drain() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return (queue_.empty() && !busy_) || !error_.ok(); });
  return error_;
}

void JsonRowsPipe::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    changed_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    Page page = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    changed_.notify_all();  // room for the next page
    Status st;
    for (simdjson::dom::element record : page.records) {
      st = rows_.AppendDom(out_, record);
      if (!st.ok()) break;
    }
    page.records.clear();
    page.lease.reset();  // the document may be reused
    lock.lock();
    busy_ = false;
    if (!st.ok() && error_.ok()) error_ = std::move(st);
    spare_.push_back(std::move(page));
    changed_.notify_all();
    if (!error_.ok()) queue_.clear();
  }
}

namespace {

template <typename T>
void DumpInteger(T v, std::string& out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

bool DumpDomAsJson(simdjson::dom::element value, std::string& out) {
  using simdjson::dom::element_type;
  switch (value.type()) {
    case element_type::OBJECT: {
      simdjson::dom::object object = DomAs<simdjson::dom::object>(value);
      // nlohmann keeps one entry per key: an object repeating a key is not written the same way.
      const bool few = object.size() <= 32;
      std::unordered_set<std::string_view> seen;
      out.push_back('{');
      size_t i = 0;
      for (auto it = object.begin(); it != object.end(); ++it, ++i) {
        const std::string_view key = it.key();
        if (few) {
          size_t j = 0;
          for (auto prev = object.begin(); j < i; ++prev, ++j) {
            if (prev.key_length() == key.size() && prev.key() == key) return false;
          }
        } else if (!seen.insert(key).second) {
          return false;
        }
        if (i > 0) out.push_back(',');
        AppendJsonString(out, key);
        out.push_back(':');
        if (!DumpDomAsJson(it.value(), out)) return false;
      }
      out.push_back('}');
      return true;
    }
    case element_type::ARRAY: {
      out.push_back('[');
      bool first = true;
      for (simdjson::dom::element item : DomAs<simdjson::dom::array>(value)) {
        if (!first) out.push_back(',');
        first = false;
        if (!DumpDomAsJson(item, out)) return false;
      }
      out.push_back(']');
      return true;
    }
    case element_type::STRING:  // nlohmann's escapes (valid UTF-8: simdjson checked it)
      AppendJsonString(out, DomAs<std::string_view>(value));
      return true;
    case element_type::INT64:
      DumpInteger(DomAs<int64_t>(value), out);
      return true;
    case element_type::UINT64:
      DumpInteger(DomAs<uint64_t>(value), out);
      return true;
    case element_type::DOUBLE: {
      // simdjson gives finite doubles only (1e400 is its error), as nlohmann's printer needs.
      char buf[64];
      char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, DomAs<double>(value));
      out.append(buf, end);
      return true;
    }
    case element_type::BOOL:
      out += DomAs<bool>(value) ? "true" : "false";
      return true;
    case element_type::NULL_VALUE:
      out += "null";
      return true;
  }
  return true;
}

void DumpDomRecord(simdjson::dom::element value, std::string& out) {
  const size_t begin = out.size();
  if (DumpDomAsJson(value, out)) return;
  out.resize(begin);
  out += DomToJson(value).dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json DomToJson(simdjson::dom::element value) {
  using simdjson::dom::element_type;
  switch (value.type()) {
    case element_type::OBJECT: {
      Json out = Json::object();
      for (auto field : DomAs<simdjson::dom::object>(value)) out[std::string(field.key)] = DomToJson(field.value);
      return out;
    }
    case element_type::ARRAY: {
      Json out = Json::array();
      for (simdjson::dom::element item : DomAs<simdjson::dom::array>(value)) out.push_back(DomToJson(item));
      return out;
    }
    case element_type::STRING:
      return Json(std::string(DomAs<std::string_view>(value)));
    case element_type::INT64: {
      const int64_t v = DomAs<int64_t>(value);
      return v >= 0 ? Json(static_cast<uint64_t>(v)) : Json(v);
    }
    case element_type::UINT64:
      return Json(DomAs<uint64_t>(value));
    case element_type::DOUBLE:
      return Json(DomAs<double>(value));
    case element_type::BOOL:
      return Json(DomAs<bool>(value));
    case element_type::NULL_VALUE:
      return Json(nullptr);
  }
  return Json();
}

}  // namespace sluice

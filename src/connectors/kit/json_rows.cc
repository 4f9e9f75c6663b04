#include "connectors/kit/json_rows.h"

#include <charconv>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/detail/conversions/to_chars.hpp>

#include "protocol/codec.h"

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

Status JsonRows::AppendJson(StreamBatcher& out, const Json& record) {
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
      text_.clear();
      DumpDomRecord(record, text_);
      text_.reserve(text_.size() + simdjson::SIMDJSON_PADDING);
      st = rows_.AppendText(out_, text_, text_.capacity());
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

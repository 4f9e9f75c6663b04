#include "connectors/sources/declarative_manifest/record_selector.h"
#include "connectors/sources/declarative_manifest/manifest_errors.h"

#include <cctype>
#include <set>

#include <fmt/format.h>

#include "connectors/kit/schema_inference.h"
#include "protocol/config_validator.h"

namespace sluice {
namespace {

void RemoveAt(Json& value, const std::vector<std::string>& path, size_t from) {
  if (from >= path.size() || !value.is_object()) {
    if (from < path.size() && value.is_array() && path[from] == "*") {
      for (Json& item : value) RemoveAt(item, path, from + 1);
    }
    return;
  }
  const std::string& key = path[from];
  if (from + 1 == path.size()) {
    if (key == "*") value = Json::object();
    else value.erase(key);
    return;
  }
  if (key == "*") {
    for (auto it = value.begin(); it != value.end(); ++it) RemoveAt(*it, path, from + 1);
  } else if (auto it = value.find(key); it != value.end()) {
    RemoveAt(*it, path, from + 1);
  }
}

Json Typed(const Json& v, const std::string& type) {
  if (type.empty()) return v;
  if (type == "string") return v.is_string() ? v : Json(ParamText(v));
  try {
    if (type == "integer") return v.is_string() ? Json(std::stoll(v.get<std::string>())) : Json(v.get<int64_t>());
    if (type == "number") return v.is_string() ? Json(std::stod(v.get<std::string>())) : Json(v.get<double>());
    if (type == "boolean") return v.is_string() ? Json(v == "True" || v == "true") : Json(v.get<bool>());
  } catch (const std::exception&) {
  }
  return v;
}

}  // namespace

void DpathValues(const Json& value, const std::vector<std::string>& path, size_t from, std::vector<const Json*>& out) {
  if (from == path.size()) {
    out.push_back(&value);
    return;
  }
  const std::string& key = path[from];
  if (key == "*" || key == "**") {
    if (value.is_object() || value.is_array()) {
      for (const Json& child : value) DpathValues(child, path, from + 1, out);
    }
    return;
  }
  if (value.is_object()) {
    if (auto it = value.find(key); it != value.end()) DpathValues(*it, path, from + 1, out);
  } else if (value.is_array()) {
    if (const Json* child = JsonAt(value, {key})) DpathValues(*child, path, from + 1, out);
  }
}


Result<std::unique_ptr<RecordSelector>> RecordSelector::Make(ConfigReader r, ConfigReader transformations,
                                                             BuildContext& ctx) {
  std::unique_ptr<RecordSelector> s(new RecordSelector(r, ctx));
  const std::string type = r.String("type", "RecordSelector");
  if (type != "RecordSelector") {
    return Status::ConfigError(fmt::format("manifest {}: unsupported record selector '{}'; supported: RecordSelector", r.PathOf("type"), type));
  }
  ConfigReader extractor = r.Object("extractor");
  const std::string et = extractor.String("type", "DpathExtractor");
  if (et == "HeaderRowsExtractor") {
    s->header_rows_ = true;
    s->normalize_names_ = extractor.Bool("normalize_names", false);
  } else if (et != "DpathExtractor") {
    return UnsupportedComponent(extractor, "extractor", et, "DpathExtractor, HeaderRowsExtractor (sluice's)");
  }
  // The extractor's `decoder` is read by the stream with the retriever's (decoders.h).
  s->extractor_parameters_ = &ParametersOf(extractor);
  s->extractor_where_ = extractor.PathOf("field_path");
  const Json& fp = extractor.Raw("field_path");
  if (fp.is_array()) {
    for (const Json& f : fp) s->field_path_.push_back(f);
  } else if (!fp.is_null()) {
    extractor.Fail("field_path", "expected a list of keys");
  }
  if (r.Has("record_filter")) {
    ConfigReader f = r.Object("record_filter");
    const std::string ft = f.String("type", "RecordFilter");
    if (ft != "RecordFilter") {
      return Status::ConfigError(fmt::format("manifest {}: unsupported record filter '{}'; supported: RecordFilter", f.PathOf("type"), ft));
    }
    s->condition_ = f.Raw("condition");
    s->filter_parameters_ = &ParametersOf(f);
    s->filter_where_ = f.PathOf("condition");
  }
  if (!transformations.json().is_null()) {
    if (!transformations.json().is_array()) {
      return Status::ConfigError(fmt::format("manifest {}: expected a list of transformations", transformations.path()));
    }
    for (size_t i = 0; i < transformations.json().size(); ++i) {
      ConfigReader t(transformations.json()[i], JsonPathIndex(transformations.path(), i));
      Transformation x;
      x.parameters = &ParametersOf(t);
      x.condition = t.Raw("condition");
      x.where = t.path();
      const std::string tt = t.String("type");
      if (tt == "AddFields") {
        for (ConfigReader f : t.Array("fields")) {
          AddedField a;
          a.path = f.StringList("path");
          a.value = f.Raw("value");
          a.value_type = f.String("value_type", "");
          a.where = f.PathOf("value");
          if (a.path.empty()) f.Fail("path", "is required");
          x.fields.push_back(std::move(a));
        }
      } else if (tt == "RemoveFields") {
        x.add = false;
        const Json& pointers = t.Raw("field_pointers");
        for (const Json& p : pointers) {
          std::vector<std::string> path;
          if (p.is_array()) {
            for (const Json& k : p) path.push_back(ParamText(k));
          } else {
            path.push_back(ParamText(p));
          }
          x.pointers.push_back(std::move(path));
        }
      } else {
        return UnsupportedComponent(t, "transformation", tt, "AddFields, RemoveFields");
      }
      SLUICE_RETURN_IF_ERROR(t.status());
      s->transformations_.push_back(std::move(x));
    }
  }
  SLUICE_RETURN_IF_ERROR(r.status());
  return s;
}

Result<std::vector<std::string>> RecordSelector::FieldPath(const Vars& in) {
  Vars vars = in;
  vars.parameters = extractor_parameters_;
  std::vector<std::string> path;
  for (size_t i = 0; i < field_path_.size(); ++i) {
    SLUICE_ASSIGN_OR_RETURN(std::string key, ctx_.interpolator->Text(field_path_[i], vars, fmt::format("{}[{}]", extractor_where_, i)));
    path.push_back(std::move(key));
  }
  return path;
}

void RecordSelector::Find(const Json& body, const std::vector<std::string>& path, std::vector<const Json*>& found) const {
  if (documents_ && body.is_array()) {
    for (const Json& document : body) DpathValues(document, path, 0, found);
  } else {
    DpathValues(body, path, 0, found);
  }
}

Result<std::vector<Json>> RecordSelector::Extract(const Json& body, const Vars& in) {
  SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> path, FieldPath(in));
  std::vector<const Json*> found;
  Find(body, path, found);
  std::vector<Json> records;
  if (header_rows_) {
    for (const Json* v : found) {
      if (!v->is_array()) continue;
      for (const Json& row : *v) {
        if (!row.is_array()) continue;
        if (!header_) {
          std::vector<std::string> cells;
          for (const Json& c : row) cells.push_back(c.is_string() ? c.get<std::string>() : c.is_null() ? "" : c.dump());
          header_ = HeaderFieldNames(cells, normalize_names_);
          continue;
        }
        Json record = Json::object();
        bool any = false;
        for (size_t i = 0; i < header_->size() && i < row.size(); ++i) {
          if ((*header_)[i].empty()) continue;
          record[(*header_)[i]] = row[i];
          any = any || !(row[i].is_null() || (row[i].is_string() && row[i].get_ref<const std::string&>().empty()));
        }
        if (any) records.push_back(std::move(record));  // blank rows are not records
      }
    }
    return records;
  }
  for (const Json* r : RecordsAt(found, path)) records.push_back(*r);
  return records;
}

std::vector<const Json*> RecordSelector::RecordsAt(const std::vector<const Json*>& found, const std::vector<std::string>& path) {
  const bool wildcard = std::find(path.begin(), path.end(), "*") != path.end();
  std::vector<const Json*> records;
  for (const Json* v : found) {
    if (v->is_array()) {
      for (const Json& item : *v) {
        if (item.is_object()) records.push_back(&item);
      }
    } else if (v->is_object() && !(wildcard && v->empty())) {
      records.push_back(v);
    }
  }
  return records;
}

Result<std::vector<const Json*>> RecordSelector::Locate(const Json& body, const Vars& in) {
  SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> path, FieldPath(in));
  std::vector<const Json*> found;
  Find(body, path, found);
  return RecordsAt(found, path);
}

Status RecordSelector::FilterAndTransform(std::vector<Json>& records, const Vars& in) {
  if (!condition_.is_null()) {
    Vars vars = in;
    vars.parameters = filter_parameters_;
    std::vector<Json> kept;
    kept.reserve(records.size());
    for (Json& record : records) {
      vars.record = &record;
      SLUICE_ASSIGN_OR_RETURN(bool keep, ctx_.interpolator->Condition(condition_, vars, filter_where_));
      if (keep) kept.push_back(std::move(record));
    }
    records = std::move(kept);
  }
  if (!transformations_.empty()) {
    for (Json& record : records) SLUICE_RETURN_IF_ERROR(Transform(record, in));
  }
  return Status::Ok();
}

Status RecordSelector::Transform(Json& record, const Vars& in) {
  for (const Transformation& t : transformations_) {
    Vars vars = in;
    vars.parameters = t.parameters;
    vars.record = &record;
    if (!t.condition.is_null()) {
      SLUICE_ASSIGN_OR_RETURN(bool apply, ctx_.interpolator->Condition(t.condition, vars, t.where + ".condition"));
      if (!apply) continue;
    }
    if (!t.add) {
      for (const auto& p : t.pointers) RemoveAt(record, p, 0);
      continue;
    }
    for (const AddedField& f : t.fields) {
      SLUICE_ASSIGN_OR_RETURN(Json value, ctx_.interpolator->Value(f.value, vars, f.where));
      Json* cur = &record;
      for (size_t i = 0; i + 1 < f.path.size(); ++i) {
        Json& next = (*cur)[f.path[i]];
        if (!next.is_object()) next = Json::object();
        cur = &next;
      }
      (*cur)[f.path.back()] = Typed(value, f.value_type);
    }
  }
  return Status::Ok();
}

}  // namespace sluice

#include "connectors/destinations/postgres/pg_normalization.h"

#include <fmt/format.h>

#include <unordered_set>

#include "connectors/destinations/postgres/pg_copy_encoder.h"
#include "connectors/destinations/postgres/pg_identifiers.h"
#include "connectors/destinations/postgres/pg_stream_plan.h"
#include "postgres/pg_connection.h"

namespace sluice {

namespace {

// The one non-null alternative of a nullable union ({"type": ["null", "object"]} keeps its
// keys; {"anyOf": [{"type": "null"}, X]} gives X), else the schema itself.
const Json& Unwrap(const Json& s) {
  if (!s.is_object()) return s;
  for (const char* key : {"oneOf", "anyOf"}) {
    auto it = s.find(key);
    if (it == s.end() || !it->is_array()) continue;
    const Json* only = nullptr;
    int non_null = 0;
    for (const Json& option : *it) {
      if (option.is_object() && option.value("type", Json()) == "null") continue;
      only = &option;
      ++non_null;
    }
    if (non_null == 1) return Unwrap(*only);
  }
  return s;
}

// "object" / "array" when the schema's (non-null) type is that, else "".
std::string Shape(const Json& s) {
  if (!s.is_object()) return "";
  auto it = s.find("type");
  if (it == s.end()) return "";
  std::string found;
  int non_null = 0;
  auto consider = [&](const Json& v) {
    if (!v.is_string() || v == "null") return;
    found = v.get<std::string>();
    ++non_null;
  };
  if (it->is_array()) {
    for (const Json& v : *it) consider(v);
  } else {
    consider(*it);
  }
  if (non_null != 1) return "";
  return found == "object" || found == "array" ? found : "";
}

bool HasProperties(const Json& s) {
  auto it = s.find("properties");
  return it != s.end() && it->is_object() && !it->empty();
}

struct Pending {
  std::string logical;  // the name before shortening and collision suffixes
  std::string sql_type;
  std::string expr;
  std::string fixed;  // a name that is already final (root top-level fields), else empty
};

class Planner {
 public:
  Planner(PgNormalization& n, std::set<std::string>& taken) : n_(n), taken_(taken) {}

  // Starts a table (its name resolved against `taken`), returns its index.
  size_t NewTable(const std::string& logical, int parent, std::string laterals) {
    std::string name = PgIdentifier(logical);
    for (int k = 2; !taken_.insert(name).second; ++k) name = PgIdentifier(fmt::format("{}_{}", logical, k));
    PgNormTable t;
    t.table = name;
    t.parent = parent;
    t.depth = parent < 0 ? 0 : n_.tables[static_cast<size_t>(parent)].depth + 1;
    t.laterals = std::move(laterals);
    t.hashid_column = PgIdentifier(fmt::format("_airbyte_{}_hashid", name));
    n_.tables.push_back(std::move(t));
    logical_.push_back(logical);
    pending_.emplace_back();
    return n_.tables.size() - 1;
  }

  // A value at jsonb expression `expr` with schema `schema`, named `name` in table `t`.
  void Value(size_t t, const std::string& name, const std::string& expr, const Json& raw_schema) {
    const Json& schema = Unwrap(raw_schema);
    const std::string shape = Shape(schema);
    if (shape == "object" && HasProperties(schema)) {
      for (const auto& [key, sub] : schema["properties"].items()) {
        Value(t, name.empty() ? key : name + "_" + key, fmt::format("({} -> {})", expr, QuoteLiteral(key)), sub);
      }
      return;
    }
    if (shape == "array") {
      Array(t, name.empty() ? "value" : name, expr, schema.contains("items") ? schema["items"] : Json());
      return;
    }
    const TypeId type = TypeFromJsonSchema(schema);
    pending_[t].push_back({name.empty() ? "value" : name, std::string(NormLeafType(type)), NormLeafExpr(expr, type), ""});
  }

  // An array at `expr` in table `t`: a child table `{t}_{name}` with a row per element.
  void Array(size_t t, const std::string& name, const std::string& expr, const Json& items) {
    const std::string alias = fmt::format("e{}", n_.tables.size());
    const std::string laterals = fmt::format(
        "{} CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof({}) = 'array' THEN {} END) WITH "
        "ORDINALITY AS {}(v, n)",
        n_.tables[t].laterals, expr, expr, alias);
    const size_t c = NewTable(logical_[t] + "_" + name, static_cast<int>(t), laterals);
    PgNormTable& child = n_.tables[c];
    const PgNormTable& parent = n_.tables[t];
    child.parent_hashid_column = parent.hashid_column;
    child.hashid_expr = fmt::format("md5({} || '-' || {}.n::text)", parent.hashid_expr, alias);
    const Json& element = Unwrap(items);
    const std::string element_expr = alias + ".v";
    if (Shape(element) == "object" && HasProperties(element)) {
      Value(c, "", element_expr, element);
    } else {
      Value(c, "value", element_expr, element.is_object() ? element : Json::object());
    }
  }

  // Gives table `t` its final column list.
  void Finish(size_t t, const std::vector<std::string>& airbyte_names) {
    PgNormTable& table = n_.tables[t];
    std::unordered_set<std::string> used(airbyte_names.begin(), airbyte_names.end());
    std::vector<Pending>& cols = pending_[t];
    std::vector<std::string> names(cols.size());
    for (size_t i = 0; i < cols.size(); ++i) {  // names already decided, and unchanged ones first
      if (!cols[i].fixed.empty()) {
        names[i] = cols[i].fixed;
        used.insert(names[i]);
      }
    }
    for (size_t i = 0; i < cols.size(); ++i) {
      if (!names[i].empty()) continue;
      std::string name = PgIdentifier(cols[i].logical);
      if (used.insert(name).second) names[i] = std::move(name);
    }
    for (size_t i = 0; i < cols.size(); ++i) {
      if (!names[i].empty()) continue;
      for (int k = 2;; ++k) {
        std::string name = PgIdentifier(fmt::format("{}_{}", cols[i].logical, k));
        if (used.insert(name).second) {
          names[i] = std::move(name);
          break;
        }
      }
    }
    std::vector<PgNormColumn> data;
    for (size_t i = 0; i < cols.size(); ++i) data.push_back({names[i], cols[i].sql_type, cols[i].expr});
    table.columns.insert(table.columns.end(), data.begin(), data.end());
  }

  std::vector<std::vector<Pending>>& pending() { return pending_; }

 private:
  PgNormalization& n_;
  std::set<std::string>& taken_;
  std::vector<std::string> logical_;
  std::vector<std::vector<Pending>> pending_;
};

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? std::string(sep) : std::string()) + parts[i];
  return out;
}

}  // namespace

std::string_view NormLeafType(TypeId type) {
  if (type == TypeId::kBinary) return "text";
  return PgTypeForField(type);
}

std::string NormLeafExpr(const std::string& v, TypeId type) {
  const std::string text = fmt::format("({} #>> '{{}}')", v);
  auto when_string = [&](const char* pattern, const char* cast) {
    return fmt::format("(CASE WHEN jsonb_typeof({0}) = 'string' AND {1} ~ '{2}' THEN {1}::{3} END)", v, text, pattern,
                       cast);
  };
  switch (type) {
    case TypeId::kBoolean: return fmt::format("(CASE WHEN jsonb_typeof({0}) = 'boolean' THEN ({0})::boolean END)", v);
    case TypeId::kInteger:
      return fmt::format("(CASE WHEN jsonb_typeof({0}) = 'number' AND {1} ~ '^-?[0-9]{{1,18}}$' THEN {1}::bigint END)",
                         v, text);
    case TypeId::kNumber:
      return fmt::format("(CASE WHEN jsonb_typeof({0}) = 'number' AND abs(({0})::numeric) < 1e300 THEN "
                         "({0})::double precision END)",
                         v);
    case TypeId::kDecimal: return fmt::format("(CASE WHEN jsonb_typeof({0}) = 'number' THEN ({0})::numeric END)", v);
    case TypeId::kDate: return when_string("^\\d{4}-\\d{2}-\\d{2}$", "date");
    case TypeId::kTimeNoTz: return when_string("^\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?$", "time");
    case TypeId::kTimeTz: return when_string("^\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}(:?\\d{2})?)?$", "timetz");
    case TypeId::kTimestampNoTz:
      return when_string("^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?)?$", "timestamp");
    case TypeId::kTimestampTz:
      return when_string("^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?)?(Z|[+-]\\d{2}(:?\\d{2})?)?$",
                         "timestamptz");
    case TypeId::kJson: return fmt::format("NULLIF({}, 'null'::jsonb)", v);
    default: return text;  // string, binary (base64 text)
  }
}

PgNormalization PlanNormalization(const Schema& schema, const std::vector<std::string>& columns,
                                  const std::string& root_table, const std::vector<int>& hash_key,
                                  std::set<std::string>& taken) {
  PgNormalization n;
  Planner planner(n, taken);
  taken.erase(root_table);  // the root keeps the final table's name (the caller checked it)
  const size_t root = planner.NewTable(root_table, -1, "");
  if (hash_key.empty()) {
    n.tables[root].hashid_expr = fmt::format("md5(s.{})", QuoteIdent(kColRawId));
  } else {
    std::vector<std::string> parts;
    for (int k : hash_key) parts.push_back("s." + QuoteIdent(columns[static_cast<size_t>(k)]));
    n.tables[root].hashid_expr = fmt::format("md5(jsonb_build_array({})::text)", Join(parts, ", "));
  }
  n.root_has_field.assign(schema.num_fields(), false);
  for (size_t i = 0; i < schema.num_fields(); ++i) {
    const Field& f = schema.field(i);
    const std::string stage = "s." + QuoteIdent(columns[i]);
    const Json& js = Unwrap(f.json_schema);
    const std::string shape = f.type == TypeId::kJson ? Shape(js) : "";
    if (shape == "object" && HasProperties(js)) {
      planner.Value(root, f.name, stage, js);
    } else if (shape == "array") {
      planner.Array(root, f.name, stage, js.contains("items") ? js["items"] : Json());
    } else {
      // A top-level value keeps its typed column as it is.
      planner.pending()[root].push_back({f.name, std::string(PgTypeForField(f.type)), stage, columns[i]});
      n.root_has_field[i] = true;
    }
  }
  const std::string ts = "timestamp with time zone";
  for (size_t t = 0; t < n.tables.size(); ++t) {
    PgNormTable& table = n.tables[t];
    std::vector<std::string> reserved = {kColRawId, kColExtractedAt, kColMeta, kColGenerationId, kColNormalizedAt,
                                         table.hashid_column};
    if (t > 0) {
      table.root_hashid_column = table.depth == 1 ? table.parent_hashid_column : n.tables[0].hashid_column;
      reserved.push_back(table.parent_hashid_column);
      reserved.push_back(table.root_hashid_column);
      table.columns.push_back({table.parent_hashid_column, "text", n.tables[static_cast<size_t>(table.parent)].hashid_expr});
    }
    planner.Finish(t, reserved);
    if (t > 0 && table.depth > 1) table.columns.push_back({table.root_hashid_column, "text", n.tables[0].hashid_expr});
    table.columns.push_back({table.hashid_column, "text", table.hashid_expr});
    table.columns.push_back({kColRawId, "character varying(36)", "s." + QuoteIdent(kColRawId)});
    table.columns.push_back({kColExtractedAt, ts, "s." + QuoteIdent(kColExtractedAt)});
    if (t == 0) table.columns.push_back({kColMeta, "jsonb", "s." + QuoteIdent(kColMeta)});
    table.columns.push_back({kColGenerationId, "bigint", "s." + QuoteIdent(kColGenerationId)});
    table.columns.push_back({kColNormalizedAt, ts, "now()"});
  }
  return n;
}

std::string NormInsertSql(const PgNormalization& n, size_t t, const std::string& stage, const std::string& target,
                          const std::string& only_live) {
  const PgNormTable& table = n.tables[t];
  std::vector<std::string> names, exprs;
  for (const PgNormColumn& c : table.columns) {
    names.push_back(QuoteIdent(c.name));
    exprs.push_back(c.expr);
  }
  std::string sql = fmt::format("INSERT INTO {} ({}) SELECT {} FROM {} AS s{}", target, Join(names, ", "),
                                Join(exprs, ", "), stage, table.laterals);
  if (!only_live.empty()) sql += fmt::format(" WHERE s.{} IS NULL", only_live);
  return sql;
}

std::string NormDeleteChildrenSql(const PgNormalization& n, size_t t, const std::string& stage,
                                  const std::string& target) {
  const PgNormTable& table = n.tables[t];
  return fmt::format("DELETE FROM {} AS c USING {} AS s WHERE c.{} = {}", target, stage,
                     QuoteIdent(table.root_hashid_column), n.tables[0].hashid_expr);
}

}  // namespace sluice

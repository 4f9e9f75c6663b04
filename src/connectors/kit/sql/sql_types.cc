#include "connectors/kit/sql/sql_types.h"

#include <cctype>

namespace sluice {

namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

//! "numeric(10,2)" → "numeric"; "character varying(255)" → "character varying".
std::string_view WithoutModifier(std::string_view name) {
  const size_t paren = name.find('(');
  if (paren == std::string_view::npos) return name;
  std::string_view base = name.substr(0, paren);
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  return base;
}

}  // namespace

SqlTypeTable::SqlTypeTable(std::vector<SqlTypeMapping> rows, SqlTypeMapping fallback)
    : rows_(std::move(rows)), fallback_(fallback) {}

const SqlTypeMapping& SqlTypeTable::Find(std::string_view type_name) const {
  const std::string_view base = WithoutModifier(type_name);
  for (const auto& row : rows_) {
    if (EqualsIgnoringCase(row.type_name, base)) return row;
  }
  return fallback_;
}

}  // namespace sluice

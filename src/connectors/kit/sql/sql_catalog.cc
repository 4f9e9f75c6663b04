#include "connectors/kit/sql/sql_catalog.h"

#include "connectors/kit/sql/sql_types.h"

namespace sluice {

SqlRelationKind SqlRelationKindFromLetter(char letter) {
  switch (letter) {
    case 'p': return SqlRelationKind::kPartitionedTable;
    case 'v': return SqlRelationKind::kView;
    case 'm': return SqlRelationKind::kMaterializedView;
    case 'f': return SqlRelationKind::kForeignTable;
    default: return SqlRelationKind::kTable;
  }
}

void SqlColumn::ApplyMapping(const SqlTypeMapping& mapping) {
  type = mapping.type;
  cursor_ok = mapping.cursor_ok;
  json_schema = JsonSchemaForType(type, nullable);
  if (!mapping.format.empty()) json_schema["format"] = std::string(mapping.format);
}

}  // namespace sluice

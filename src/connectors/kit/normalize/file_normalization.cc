#include "connectors/kit/normalize/file_normalization.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "base/time.h"

namespace sluice {

namespace {

// The top-level fields of a catalog key that names them (one-part paths only), else empty.
std::vector<int> HashKey(const ConfiguredStream& s, const Schema& schema) {
  const auto& pk = !s.primary_key.empty() ? s.primary_key : s.stream.source_defined_primary_key;
  std::vector<int> key;
  for (const FieldPath& path : pk) {
    if (path.size() != 1 || schema.IndexOf(path[0]) < 0) return {};
    const int k = schema.IndexOf(path[0]);
    if (!FlattenerHashesKeyType(schema.field(static_cast<size_t>(k)).type)) return {};
    key.push_back(k);
  }
  return key;
}

Field TextField(const std::string& name) {
  Field f;
  f.name = name;
  f.type = TypeId::kString;
  f.json_schema = JsonSchemaForType(TypeId::kString, true);
  return f;
}

// The columns of table `t` in a file: data, hash ids, _airbyte_normalized_at.
SchemaPtr TableSchema(const NormPlan& plan, size_t t, const Schema& stream) {
  const NormTable& table = plan.tables[t];
  std::vector<Field> fields;
  if (t > 0) fields.push_back(TextField(table.parent_hashid_column));
  for (const NormColumn& c : table.columns) {
    if (!c.leaf) {
      fields.push_back(stream.field(static_cast<size_t>(c.field)));
      fields.back().name = c.name;
      continue;
    }
    Field f;
    f.name = c.name;
    f.type = c.type;
    f.json_schema = JsonSchemaForType(c.type, true);
    fields.push_back(std::move(f));
  }
  if (t > 0 && table.depth > 1) fields.push_back(TextField(table.root_hashid_column));
  fields.push_back(TextField(table.hashid_column));
  Field at;
  at.name = kColNormalizedAt;
  at.type = TypeId::kTimestampTz;
  at.json_schema = JsonSchemaForType(TypeId::kTimestampTz, true);
  fields.push_back(std::move(at));
  return std::make_shared<const Schema>(std::move(fields));
}

// Appends row `row` of `from` to `to` (same type).
void CopyCell(const Column& from, size_t row, Column& to) {
  if (from.IsNull(row)) {
    to.AppendNull();
    return;
  }
  switch (from.type()) {
    case TypeId::kBoolean: to.AppendBool(from.Bool(row)); break;
    case TypeId::kNumber: to.AppendDouble(from.Double(row)); break;
    case TypeId::kDate: to.AppendInt32(from.Int32(row)); break;
    case TypeId::kInteger:
    case TypeId::kTimeNoTz:
    case TypeId::kTimeTz:
    case TypeId::kTimestampNoTz:
    case TypeId::kTimestampTz: to.AppendInt64(from.Int64(row)); break;
    default: to.AppendBytes(from.Bytes(row));
  }
}

// A leaf into a batch column of its type; text the type cannot hold is null.
void AppendLeaf(const NormLeaf& leaf, TypeId type, Column& to) {
  switch (leaf.kind) {
    case NormLeaf::kNull: to.AppendNull(); return;
    case NormLeaf::kBool: to.AppendBool(leaf.b); return;
    case NormLeaf::kInt: to.AppendInt64(leaf.i); return;
    case NormLeaf::kDouble: to.AppendDouble(leaf.d); return;
    case NormLeaf::kJson: to.AppendBytes(leaf.text); return;
    case NormLeaf::kText: break;
  }
  switch (type) {
    case TypeId::kDate:
      if (auto days = ParseDate(leaf.text)) return to.AppendInt32(static_cast<int32_t>(*days));
      break;
    case TypeId::kTimeNoTz:
    case TypeId::kTimeTz:
      if (auto micros = ParseTime(leaf.text)) return to.AppendInt64(*micros);
      break;
    case TypeId::kTimestampNoTz:
    case TypeId::kTimestampTz:
      if (auto micros = ParseTimestamp(leaf.text)) return to.AppendInt64(*micros);
      break;
    default: return to.AppendBytes(leaf.text);  // string, binary (base64 text), decimal text
  }
  to.AppendNull();
}

}  // namespace

Result<NormalizedFileStreams> ExpandNormalizedFileStreams(std::vector<FileStreamPlan> streams,
                                                          const ConfiguredCatalog& catalog) {
  if (streams.size() != catalog.streams.size()) return Status::SystemError("normalization: plans and catalog differ");
  NormalizedFileStreams out;
  std::map<std::string, std::set<std::string>> taken;  // per namespace: the stream names
  for (const FileStreamPlan& p : streams) taken[p.path.stream.namespace_.value_or("")].insert(p.path.stream.name);
  for (size_t i = 0; i < streams.size(); ++i) {
    FileStreamPlan& p = streams[i];
    if (!p.schema) return Status::SystemError(fmt::format("stream '{}': catalog not bound", p.name));
    std::vector<std::string> names;
    for (const Field& f : p.schema->fields()) names.push_back(f.name);
    auto plan = std::make_shared<NormPlan>(PlanNormalizedTables(
        *p.schema, names, p.path.stream.name, HashKey(catalog.streams[i], *p.schema),
        taken[p.path.stream.namespace_.value_or("")], [](const std::string& s) { return s; }));
    out.streams.push_back({out.tables.size(), plan, {}});
    for (size_t t = 0; t < plan->tables.size(); ++t) {
      FileStreamPlan table = p;
      table.schema = TableSchema(*plan, t, *p.schema);
      out.streams.back().schemas.push_back(table.schema);
      if (t > 0) {
        table.path.stream.name = plan->tables[t].name;
        table.name = table.path.stream.ToString();
      }
      out.tables.push_back(std::move(table));
    }
  }
  return out;
}

Result<std::unique_ptr<StreamWriter>> OpenNormalizedStream(
    const NormalizedFileStreams& n, uint32_t stream,
    const std::function<Result<std::unique_ptr<StreamWriter>>(size_t)>& open) {
  if (stream >= n.streams.size()) return Status::SystemError(fmt::format("Open: no stream {}", stream));
  const NormalizedFileStreams::Stream& s = n.streams[stream];
  std::vector<SchemaPtr> schemas;
  std::vector<std::unique_ptr<StreamWriter>> writers;
  for (size_t t = 0; t < s.plan->tables.size(); ++t) {
    SLUICE_ASSIGN_OR_RETURN(auto writer, open(s.first + t));
    schemas.push_back(s.schemas[t]);
    writers.push_back(std::move(writer));
  }
  return std::unique_ptr<StreamWriter>(
      std::make_unique<NormalizingStreamWriter>(s.plan, std::move(schemas), std::move(writers)));
}

NormalizingStreamWriter::NormalizingStreamWriter(std::shared_ptr<const NormPlan> plan, std::vector<SchemaPtr> schemas,
                                                 std::vector<std::unique_ptr<StreamWriter>> writers)
    : plan_(std::move(plan)), schemas_(std::move(schemas)), writers_(std::move(writers)), flattener_(*plan_) {
  for (const SchemaPtr& s : schemas_) batches_.emplace_back(s, 0);
}

NormalizingStreamWriter::~NormalizingStreamWriter() = default;

Status NormalizingStreamWriter::Write(const RecordBatch& batch) {
  normalized_at_micros_ = NowMicros();
  for (RecordBatch& b : batches_) {
    b.Clear();
    b.set_emitted_at_ms(batch.emitted_at_ms());
  }
  const auto& changes = batch.changes();
  size_t change = 0;
  char uuid[36];
  for (size_t row = 0; row < batch.num_rows(); ++row) {
    uuid_.Write(uuid);
    flattener_.Flatten(batch, row, std::string_view(uuid, sizeof(uuid)), [&](const NormRow& r) {
      const NormTable& table = plan_->tables[r.table];
      RecordBatch& out = batches_[r.table];
      size_t col = 0;
      if (r.table > 0) out.column(col++).AppendBytes(r.parent_hash);
      for (size_t c = 0; c < table.columns.size(); ++c, ++col) {
        const NormColumn& nc = table.columns[c];
        if (nc.leaf) {
          AppendLeaf(r.leaves[c], nc.type, out.column(col));
        } else {
          CopyCell(batch.column(static_cast<size_t>(nc.field)), row, out.column(col));
        }
      }
      if (r.table > 0 && table.depth > 1) out.column(col++).AppendBytes(r.root_hash);
      out.column(col++).AppendBytes(r.hash);
      out.column(col++).AppendInt64(normalized_at_micros_);
      if (r.table == 0) {  // the record's changes stay with its root row
        while (change < changes.size() && changes[change].row < row) ++change;
        for (size_t k = change; k < changes.size() && changes[k].row == row; ++k) {
          out.AddChange(changes[k].field, changes[k].change, changes[k].reason);
        }
      }
      out.FinishRow();
    });
  }
  for (size_t t = 0; t < writers_.size(); ++t) {
    if (batches_[t].num_rows() == 0) continue;
    SLUICE_RETURN_IF_ERROR(writers_[t]->Write(batches_[t]));
  }
  return Status::Ok();
}

Status NormalizingStreamWriter::Flush() {
  for (auto& w : writers_) SLUICE_RETURN_IF_ERROR(w->Flush());
  return Status::Ok();
}

Status NormalizingStreamWriter::Finish(StreamOutcome outcome) {
  Status first;
  for (auto& w : writers_) {
    Status st = w->Finish(outcome);
    if (first.ok() && !st.ok()) first = st;
  }
  return first;
}

}  // namespace sluice

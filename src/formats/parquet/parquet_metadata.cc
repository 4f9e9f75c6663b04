#include "formats/parquet/parquet_metadata.h"

#include "formats/parquet/thrift_compact.h"

namespace sluice::parquet {

using thrift::CompactReader;
using thrift::CompactWriter;
using thrift::CType;

namespace {

// ---- Writing --------------------------------------------------------------------------------

void WriteStatistics(CompactWriter& w, const Statistics& s) {
  if (s.max) w.FieldBinary(1, *s.max);
  if (s.min) w.FieldBinary(2, *s.min);
  if (s.null_count) w.FieldI64(3, *s.null_count);
  if (s.distinct_count) w.FieldI64(4, *s.distinct_count);
  if (s.max_value) w.FieldBinary(5, *s.max_value);
  if (s.min_value) w.FieldBinary(6, *s.min_value);
  w.StructEnd();
}

void WriteEmptyStructField(CompactWriter& w, int16_t id) {
  w.FieldStructBegin(id);
  w.StructEnd();
}

void WriteTimeUnit(CompactWriter& w, int16_t id, TimeUnit unit) {
  w.FieldStructBegin(id);
  WriteEmptyStructField(w, unit == TimeUnit::kMillis ? 1 : unit == TimeUnit::kMicros ? 2 : 3);
  w.StructEnd();
}

void WriteLogicalType(CompactWriter& w, const LogicalType& t) {
  using K = LogicalType::Kind;
  w.FieldStructBegin(10);
  switch (t.kind) {
    case K::kString: WriteEmptyStructField(w, 1); break;
    case K::kMap: WriteEmptyStructField(w, 2); break;
    case K::kList: WriteEmptyStructField(w, 3); break;
    case K::kEnum: WriteEmptyStructField(w, 4); break;
    case K::kDecimal:
      w.FieldStructBegin(5);
      w.FieldI32(1, t.scale);
      w.FieldI32(2, t.precision);
      w.StructEnd();
      break;
    case K::kDate: WriteEmptyStructField(w, 6); break;
    case K::kTime:
    case K::kTimestamp:
      w.FieldStructBegin(t.kind == K::kTime ? 7 : 8);
      w.FieldBool(1, t.adjusted_to_utc);
      WriteTimeUnit(w, 2, t.unit);
      w.StructEnd();
      break;
    case K::kInteger:
      w.FieldStructBegin(10);
      w.FieldI8(1, t.bit_width);
      w.FieldBool(2, t.is_signed);
      w.StructEnd();
      break;
    case K::kUnknown: WriteEmptyStructField(w, 11); break;
    case K::kJson: WriteEmptyStructField(w, 12); break;
    case K::kBson: WriteEmptyStructField(w, 13); break;
    case K::kUuid: WriteEmptyStructField(w, 14); break;
    case K::kFloat16: WriteEmptyStructField(w, 15); break;
    case K::kNone:
    case K::kOther: break;
  }
  w.StructEnd();
}

void WriteSchemaElement(CompactWriter& w, const SchemaElement& e) {
  w.StructBegin();
  if (e.type) w.FieldI32(1, static_cast<int32_t>(*e.type));
  if (e.type_length) w.FieldI32(2, *e.type_length);
  if (e.repetition) w.FieldI32(3, static_cast<int32_t>(*e.repetition));
  w.FieldBinary(4, e.name);
  if (e.num_children) w.FieldI32(5, *e.num_children);
  if (e.converted_type) w.FieldI32(6, static_cast<int32_t>(*e.converted_type));
  if (e.scale) w.FieldI32(7, *e.scale);
  if (e.precision) w.FieldI32(8, *e.precision);
  if (e.field_id) w.FieldI32(9, *e.field_id);
  if (e.logical.kind != LogicalType::Kind::kNone && e.logical.kind != LogicalType::Kind::kOther) {
    WriteLogicalType(w, e.logical);
  }
  w.StructEnd();
}

void WriteKeyValues(CompactWriter& w, int16_t id, const std::vector<std::pair<std::string, std::string>>& kv) {
  w.FieldListBegin(id, CType::kStruct, static_cast<uint32_t>(kv.size()));
  for (const auto& [key, value] : kv) {
    w.StructBegin();
    w.FieldBinary(1, key);
    w.FieldBinary(2, value);
    w.StructEnd();
  }
}

void WriteColumnMetaData(CompactWriter& w, const ColumnMetaData& m) {
  w.FieldI32(1, static_cast<int32_t>(m.type));
  w.FieldListBegin(2, CType::kI32, static_cast<uint32_t>(m.encodings.size()));
  for (Encoding e : m.encodings) w.ElementI32(static_cast<int32_t>(e));
  w.FieldListBegin(3, CType::kBinary, static_cast<uint32_t>(m.path_in_schema.size()));
  for (const auto& p : m.path_in_schema) w.ElementBinary(p);
  w.FieldI32(4, static_cast<int32_t>(m.codec));
  w.FieldI64(5, m.num_values);
  w.FieldI64(6, m.total_uncompressed_size);
  w.FieldI64(7, m.total_compressed_size);
  w.FieldI64(9, m.data_page_offset);
  if (m.dictionary_page_offset) w.FieldI64(11, *m.dictionary_page_offset);
  if (m.statistics) {
    w.FieldStructBegin(12);
    WriteStatistics(w, *m.statistics);
  }
  w.StructEnd();
}

// ---- Reading --------------------------------------------------------------------------------

// Iterates the fields of the struct the reader is at: `on_field(type, id)` must consume the
// value (or Skip it). Returns false when the input is malformed.
template <typename F>
bool ReadStruct(CompactReader& r, F&& on_field) {
  r.StructBegin();
  for (;;) {
    CType type;
    int16_t id;
    r.FieldBegin(type, id);
    if (!r.ok()) return false;
    if (type == CType::kStop) break;
    on_field(type, id);
    if (!r.ok()) return false;
  }
  r.StructEnd();
  return r.ok();
}

// Reads a list of `element` type, calling `on_element()` per element.
template <typename F>
void ReadList(CompactReader& r, CType field_type, CType expected, F&& on_element) {
  if (field_type != CType::kList && field_type != CType::kSet) {
    r.Skip(field_type);
    return;
  }
  CType element;
  uint32_t size;
  r.ListBegin(element, size);
  if (element != expected) {
    const CType each = (element == CType::kTrue || element == CType::kFalse) ? CType::kByte : element;
    for (uint32_t i = 0; i < size && r.ok(); ++i) r.Skip(each);
    return;
  }
  for (uint32_t i = 0; i < size && r.ok(); ++i) on_element();
}

bool IsInt(CType t) { return t == CType::kI32 || t == CType::kI64 || t == CType::kI16; }

// Reads an integer field, or skips a value of another type (leaving `out` unchanged).
template <typename T>
void ReadInt(CompactReader& r, CType type, T& out) {
  if (IsInt(type)) {
    out = static_cast<T>(r.I64());
  } else if (type == CType::kByte) {
    out = static_cast<T>(r.I8());
  } else {
    r.Skip(type);
  }
}

template <typename T>
void ReadOptInt(CompactReader& r, CType type, std::optional<T>& out) {
  T v{};
  if (IsInt(type) || type == CType::kByte) {
    ReadInt(r, type, v);
    out = v;
  } else {
    r.Skip(type);
  }
}

void ReadOptBinary(CompactReader& r, CType type, std::optional<std::string>& out) {
  if (type == CType::kBinary) {
    out = std::string(r.Binary());
  } else {
    r.Skip(type);
  }
}

bool ReadBool(CompactReader& r, CType type) {
  if (type == CType::kTrue || type == CType::kFalse) return r.BoolValue();
  r.Skip(type);
  return false;
}

void ReadStatistics(CompactReader& r, Statistics& s) {
  ReadStruct(r, [&](CType type, int16_t id) {
    switch (id) {
      case 1: ReadOptBinary(r, type, s.max); break;
      case 2: ReadOptBinary(r, type, s.min); break;
      case 3: ReadOptInt(r, type, s.null_count); break;
      case 4: ReadOptInt(r, type, s.distinct_count); break;
      case 5: ReadOptBinary(r, type, s.max_value); break;
      case 6: ReadOptBinary(r, type, s.min_value); break;
      default: r.Skip(type);
    }
  });
}

void ReadTimeUnit(CompactReader& r, CType type, TimeUnit& unit) {
  if (type != CType::kStruct) {
    r.Skip(type);
    return;
  }
  ReadStruct(r, [&](CType t, int16_t id) {
    if (id == 1) unit = TimeUnit::kMillis;
    if (id == 2) unit = TimeUnit::kMicros;
    if (id == 3) unit = TimeUnit::kNanos;
    r.Skip(t);
  });
}

void ReadLogicalType(CompactReader& r, LogicalType& lt) {
  using K = LogicalType::Kind;
  ReadStruct(r, [&](CType type, int16_t id) {
    if (type != CType::kStruct) {
      r.Skip(type);
      return;
    }
    switch (id) {
      case 1: lt.kind = K::kString; break;
      case 2: lt.kind = K::kMap; break;
      case 3: lt.kind = K::kList; break;
      case 4: lt.kind = K::kEnum; break;
      case 5:
        lt.kind = K::kDecimal;
        ReadStruct(r, [&](CType t, int16_t f) {
          if (f == 1) {
            ReadInt(r, t, lt.scale);
          } else if (f == 2) {
            ReadInt(r, t, lt.precision);
          } else {
            r.Skip(t);
          }
        });
        return;
      case 6: lt.kind = K::kDate; break;
      case 7:
      case 8:
        lt.kind = id == 7 ? K::kTime : K::kTimestamp;
        ReadStruct(r, [&](CType t, int16_t f) {
          if (f == 1) {
            lt.adjusted_to_utc = ReadBool(r, t);
          } else if (f == 2) {
            ReadTimeUnit(r, t, lt.unit);
          } else {
            r.Skip(t);
          }
        });
        return;
      case 10:
        lt.kind = K::kInteger;
        ReadStruct(r, [&](CType t, int16_t f) {
          if (f == 1) {
            ReadInt(r, t, lt.bit_width);
          } else if (f == 2) {
            lt.is_signed = ReadBool(r, t);
          } else {
            r.Skip(t);
          }
        });
        return;
      case 11: lt.kind = K::kUnknown; break;
      case 12: lt.kind = K::kJson; break;
      case 13: lt.kind = K::kBson; break;
      case 14: lt.kind = K::kUuid; break;
      case 15: lt.kind = K::kFloat16; break;
      default: lt.kind = K::kOther; break;
    }
    r.Skip(type);
  });
}

void ReadSchemaElement(CompactReader& r, SchemaElement& e) {
  ReadStruct(r, [&](CType type, int16_t id) {
    switch (id) {
      case 1: {
        std::optional<int32_t> v;
        ReadOptInt(r, type, v);
        if (v) e.type = static_cast<Type>(*v);
        break;
      }
      case 2: ReadOptInt(r, type, e.type_length); break;
      case 3: {
        std::optional<int32_t> v;
        ReadOptInt(r, type, v);
        if (v) e.repetition = static_cast<Repetition>(*v);
        break;
      }
      case 4:
        if (type == CType::kBinary) {
          e.name = std::string(r.Binary());
        } else {
          r.Skip(type);
        }
        break;
      case 5: ReadOptInt(r, type, e.num_children); break;
      case 6: {
        std::optional<int32_t> v;
        ReadOptInt(r, type, v);
        if (v) e.converted_type = static_cast<ConvertedType>(*v);
        break;
      }
      case 7: ReadOptInt(r, type, e.scale); break;
      case 8: ReadOptInt(r, type, e.precision); break;
      case 9: ReadOptInt(r, type, e.field_id); break;
      case 10:
        if (type == CType::kStruct) {
          ReadLogicalType(r, e.logical);
        } else {
          r.Skip(type);
        }
        break;
      default: r.Skip(type);
    }
  });
}

void ReadColumnMetaData(CompactReader& r, ColumnMetaData& m) {
  ReadStruct(r, [&](CType type, int16_t id) {
    switch (id) {
      case 1: {
        int32_t v = 0;
        ReadInt(r, type, v);
        m.type = static_cast<Type>(v);
        break;
      }
      case 2:
        ReadList(r, type, CType::kI32, [&] { m.encodings.push_back(static_cast<Encoding>(r.I32())); });
        break;
      case 3:
        ReadList(r, type, CType::kBinary, [&] { m.path_in_schema.emplace_back(r.Binary()); });
        break;
      case 4: {
        int32_t v = 0;
        ReadInt(r, type, v);
        m.codec = static_cast<Codec>(v);
        break;
      }
      case 5: ReadInt(r, type, m.num_values); break;
      case 6: ReadInt(r, type, m.total_uncompressed_size); break;
      case 7: ReadInt(r, type, m.total_compressed_size); break;
      case 9: ReadInt(r, type, m.data_page_offset); break;
      case 11: ReadOptInt(r, type, m.dictionary_page_offset); break;
      case 12:
        if (type == CType::kStruct) {
          m.statistics.emplace();
          ReadStatistics(r, *m.statistics);
        } else {
          r.Skip(type);
        }
        break;
      default: r.Skip(type);
    }
  });
}

void ReadColumnChunk(CompactReader& r, ColumnChunk& c) {
  ReadStruct(r, [&](CType type, int16_t id) {
    switch (id) {
      case 1: ReadOptBinary(r, type, c.file_path); break;
      case 2: ReadInt(r, type, c.file_offset); break;
      case 3:
        if (type == CType::kStruct) {
          c.meta_data.emplace();
          ReadColumnMetaData(r, *c.meta_data);
        } else {
          r.Skip(type);
        }
        break;
      default: r.Skip(type);
    }
  });
}

void ReadRowGroup(CompactReader& r, RowGroup& g) {
  ReadStruct(r, [&](CType type, int16_t id) {
    switch (id) {
      case 1:
        ReadList(r, type, CType::kStruct, [&] {
          g.columns.emplace_back();
          ReadColumnChunk(r, g.columns.back());
        });
        break;
      case 2: ReadInt(r, type, g.total_byte_size); break;
      case 3: ReadInt(r, type, g.num_rows); break;
      case 5: ReadOptInt(r, type, g.file_offset); break;
      case 6: ReadOptInt(r, type, g.total_compressed_size); break;
      case 7: ReadOptInt(r, type, g.ordinal); break;
      default: r.Skip(type);
    }
  });
}

void ReadKeyValue(CompactReader& r, std::vector<std::pair<std::string, std::string>>& out) {
  std::string key, value;
  ReadStruct(r, [&](CType type, int16_t id) {
    if (id == 1 && type == CType::kBinary) {
      key = std::string(r.Binary());
    } else if (id == 2 && type == CType::kBinary) {
      value = std::string(r.Binary());
    } else {
      r.Skip(type);
    }
  });
  out.emplace_back(std::move(key), std::move(value));
}

}  // namespace

void SerializeFileMetaData(const FileMetaData& meta, std::string& out) {
  CompactWriter w(out);
  w.StructBegin();
  w.FieldI32(1, meta.version);
  w.FieldListBegin(2, CType::kStruct, static_cast<uint32_t>(meta.schema.size()));
  for (const auto& e : meta.schema) WriteSchemaElement(w, e);
  w.FieldI64(3, meta.num_rows);
  w.FieldListBegin(4, CType::kStruct, static_cast<uint32_t>(meta.row_groups.size()));
  for (const auto& g : meta.row_groups) {
    w.StructBegin();
    w.FieldListBegin(1, CType::kStruct, static_cast<uint32_t>(g.columns.size()));
    for (const auto& c : g.columns) {
      w.StructBegin();
      if (c.file_path) w.FieldBinary(1, *c.file_path);
      w.FieldI64(2, c.file_offset);
      if (c.meta_data) {
        w.FieldStructBegin(3);
        WriteColumnMetaData(w, *c.meta_data);
      }
      w.StructEnd();
    }
    w.FieldI64(2, g.total_byte_size);
    w.FieldI64(3, g.num_rows);
    if (g.file_offset) w.FieldI64(5, *g.file_offset);
    if (g.total_compressed_size) w.FieldI64(6, *g.total_compressed_size);
    if (g.ordinal) w.FieldI32(7, *g.ordinal);  // i16: same varint encoding as i32
    w.StructEnd();
  }
  if (!meta.key_value_metadata.empty()) WriteKeyValues(w, 5, meta.key_value_metadata);
  if (meta.created_by) w.FieldBinary(6, *meta.created_by);
  if (meta.type_defined_column_orders) {
    uint32_t leaves = 0;
    for (const auto& e : meta.schema) leaves += e.type.has_value() ? 1 : 0;
    w.FieldListBegin(7, CType::kStruct, leaves);
    for (uint32_t i = 0; i < leaves; ++i) {
      w.StructBegin();
      WriteEmptyStructField(w, 1);  // TYPE_ORDER
      w.StructEnd();
    }
  }
  w.StructEnd();
}

void SerializePageHeader(const PageHeader& h, std::string& out) {
  CompactWriter w(out);
  w.StructBegin();
  w.FieldI32(1, static_cast<int32_t>(h.type));
  w.FieldI32(2, h.uncompressed_page_size);
  w.FieldI32(3, h.compressed_page_size);
  if (h.crc) w.FieldI32(4, *h.crc);
  if (h.data_page_header) {
    const DataPageHeader& d = *h.data_page_header;
    w.FieldStructBegin(5);
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, static_cast<int32_t>(d.encoding));
    w.FieldI32(3, static_cast<int32_t>(d.definition_level_encoding));
    w.FieldI32(4, static_cast<int32_t>(d.repetition_level_encoding));
    if (d.statistics) {
      w.FieldStructBegin(5);
      WriteStatistics(w, *d.statistics);
    }
    w.StructEnd();
  }
  if (h.dictionary_page_header) {
    const DictionaryPageHeader& d = *h.dictionary_page_header;
    w.FieldStructBegin(7);
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, static_cast<int32_t>(d.encoding));
    if (d.is_sorted) w.FieldBool(3, *d.is_sorted);
    w.StructEnd();
  }
  if (h.data_page_header_v2) {
    const DataPageHeaderV2& d = *h.data_page_header_v2;
    w.FieldStructBegin(8);
    w.FieldI32(1, d.num_values);
    w.FieldI32(2, d.num_nulls);
    w.FieldI32(3, d.num_rows);
    w.FieldI32(4, static_cast<int32_t>(d.encoding));
    w.FieldI32(5, d.definition_levels_byte_length);
    w.FieldI32(6, d.repetition_levels_byte_length);
    w.FieldBool(7, d.is_compressed);
    w.StructEnd();
  }
  w.StructEnd();
}

Status ParseFileMetaData(const uint8_t* data, size_t size, FileMetaData& out) {
  out = FileMetaData();
  CompactReader r(data, size);
  bool has_version = false, has_schema = false, has_rows = false, has_groups = false;
  ReadStruct(r, [&](CType type, int16_t id) {
    switch (id) {
      case 1:
        has_version = IsInt(type);
        ReadInt(r, type, out.version);
        break;
      case 2:
        has_schema = true;
        ReadList(r, type, CType::kStruct, [&] {
          out.schema.emplace_back();
          ReadSchemaElement(r, out.schema.back());
        });
        break;
      case 3:
        has_rows = IsInt(type);
        ReadInt(r, type, out.num_rows);
        break;
      case 4:
        has_groups = true;
        ReadList(r, type, CType::kStruct, [&] {
          out.row_groups.emplace_back();
          ReadRowGroup(r, out.row_groups.back());
        });
        break;
      case 5:
        ReadList(r, type, CType::kStruct, [&] { ReadKeyValue(r, out.key_value_metadata); });
        break;
      case 6: ReadOptBinary(r, type, out.created_by); break;
      case 8:
        out.encrypted = true;
        r.Skip(type);
        break;
      default: r.Skip(type);
    }
  });
  if (!r.ok()) return Status::ConfigError("malformed Parquet footer (FileMetaData)");
  if (!has_version || !has_schema || !has_rows || !has_groups) {
    return Status::ConfigError("malformed Parquet footer: a required FileMetaData field is missing");
  }
  return Status::Ok();
}

Status ParsePageHeader(const uint8_t* data, size_t size, PageHeader& out, size_t& header_size) {
  out = PageHeader();
  CompactReader r(data, size);
  bool has_type = false, has_sizes = false;
  ReadStruct(r, [&](CType type, int16_t id) {
    switch (id) {
      case 1: {
        int32_t v = -1;
        ReadInt(r, type, v);
        has_type = v >= 0;
        out.type = static_cast<PageType>(v);
        break;
      }
      case 2: ReadInt(r, type, out.uncompressed_page_size); break;
      case 3:
        has_sizes = IsInt(type);
        ReadInt(r, type, out.compressed_page_size);
        break;
      case 4: ReadOptInt(r, type, out.crc); break;
      case 5:
        if (type != CType::kStruct) {
          r.Skip(type);
          break;
        }
        out.data_page_header.emplace();
        ReadStruct(r, [&](CType t, int16_t f) {
          DataPageHeader& d = *out.data_page_header;
          int32_t v = 0;
          switch (f) {
            case 1: ReadInt(r, t, d.num_values); break;
            case 2:
              ReadInt(r, t, v);
              d.encoding = static_cast<Encoding>(v);
              break;
            case 3:
              ReadInt(r, t, v);
              d.definition_level_encoding = static_cast<Encoding>(v);
              break;
            case 4:
              ReadInt(r, t, v);
              d.repetition_level_encoding = static_cast<Encoding>(v);
              break;
            default: r.Skip(t);
          }
        });
        break;
      case 7:
        if (type != CType::kStruct) {
          r.Skip(type);
          break;
        }
        out.dictionary_page_header.emplace();
        ReadStruct(r, [&](CType t, int16_t f) {
          DictionaryPageHeader& d = *out.dictionary_page_header;
          int32_t v = 0;
          switch (f) {
            case 1: ReadInt(r, t, d.num_values); break;
            case 2:
              ReadInt(r, t, v);
              d.encoding = static_cast<Encoding>(v);
              break;
            case 3: d.is_sorted = ReadBool(r, t); break;
            default: r.Skip(t);
          }
        });
        break;
      case 8:
        if (type != CType::kStruct) {
          r.Skip(type);
          break;
        }
        out.data_page_header_v2.emplace();
        ReadStruct(r, [&](CType t, int16_t f) {
          DataPageHeaderV2& d = *out.data_page_header_v2;
          int32_t v = 0;
          switch (f) {
            case 1: ReadInt(r, t, d.num_values); break;
            case 2: ReadInt(r, t, d.num_nulls); break;
            case 3: ReadInt(r, t, d.num_rows); break;
            case 4:
              ReadInt(r, t, v);
              d.encoding = static_cast<Encoding>(v);
              break;
            case 5: ReadInt(r, t, d.definition_levels_byte_length); break;
            case 6: ReadInt(r, t, d.repetition_levels_byte_length); break;
            case 7: d.is_compressed = ReadBool(r, t); break;
            default: r.Skip(t);
          }
        });
        break;
      default: r.Skip(type);
    }
  });
  if (!r.ok()) return Status::ConfigError("malformed or truncated Parquet page header");
  if (!has_type || !has_sizes || out.compressed_page_size < 0 || out.uncompressed_page_size < 0) {
    return Status::ConfigError("malformed Parquet page header: a required field is missing");
  }
  header_size = r.position();
  return Status::Ok();
}

}  // namespace sluice::parquet

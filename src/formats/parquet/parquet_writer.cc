#include "formats/parquet/parquet_writer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "formats/parquet/page_compression.h"
#include "formats/parquet/parquet_metadata.h"
#include "formats/parquet/parquet_schema.h"
#include "formats/parquet/rle_encoding.h"

namespace sluice {

namespace pq = parquet;

namespace {

constexpr std::string_view kMagic = "PAR1";
constexpr size_t kMaxWrittenPageValues = 1 << 20;  // rows per page, whatever their size (all-null pages)
constexpr size_t kSliceRows = 1 << 16;      // a Write is cut into slices so row groups stay near their size
constexpr size_t kMaxStatBytes = 1024;      // longer string min/max are left out of the statistics
constexpr const char* kCreatedBy = "sluice version 0.1.0";

inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

inline uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

inline uint64_t HashBytes(const char* p, size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xff51afd7ed558ccdULL);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = Rotl(h ^ (w * 0x87c37b91114253d5ULL), 27) * 0x4cf5ad432745937fULL;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = Rotl(h ^ (w * 0x87c37b91114253d5ULL), 27) * 0x4cf5ad432745937fULL;
  }
  return Mix64(h);
}

template <size_t W>
inline uint64_t HashFixed(const void* p) {
  if constexpr (W == 4) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return Mix64(v + 0x9E3779B97F4A7C15ULL);
  } else if constexpr (W == 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return Mix64(v + 0x9E3779B97F4A7C15ULL);
  } else {
    return HashBytes(static_cast<const char*>(p), W);
  }
}

inline void AppendU32(std::string& out, uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);
  out.append(b, 4);
}

//! A column chunk's dictionary: its values PLAIN-encoded (the dictionary page's content) and an
//! open-addressing hash table from value to index. Slots hold (hash tag << 32 | index + 1).
class Dictionary {
 public:
  Dictionary() { Clear(); }

  void Clear() {
    slots_.assign(1024, 0);
    mask_ = slots_.size() - 1;
    hashes_.clear();
    offsets_.clear();
    plain_.clear();
  }
  size_t size() const { return hashes_.size(); }
  //! PLAIN-encoded values, in index order.
  const std::string& plain() const { return plain_; }

  //! The index of the W-byte value at `p`, adding it when new (`inserted`).
  template <size_t W>
  uint32_t InsertFixed(const void* p, bool& inserted) {
    return Insert(
        HashFixed<W>(p), [&](uint32_t index) { return std::memcmp(plain_.data() + index * W, p, W) == 0; },
        [&] { plain_.append(static_cast<const char*>(p), W); }, inserted);
  }
  //! Whether entry `index` (of a byte-array dictionary) is `v`.
  bool BytesEqual(uint32_t index, std::string_view v) const {
    const uint32_t at = offsets_[index];
    uint32_t len;
    std::memcpy(&len, plain_.data() + at, 4);
    return len == v.size() && std::memcmp(plain_.data() + at + 4, v.data(), v.size()) == 0;
  }
  uint32_t InsertFixedN(const void* p, size_t width, uint64_t hash, bool& inserted) {
    return Insert(
        hash, [&](uint32_t index) { return std::memcmp(plain_.data() + index * width, p, width) == 0; },
        [&] { plain_.append(static_cast<const char*>(p), width); }, inserted);
  }
  uint32_t InsertBytes(std::string_view v, bool& inserted) {
    return Insert(
        HashBytes(v.data(), v.size()), [&](uint32_t index) { return BytesEqual(index, v); },
        [&] {
          offsets_.push_back(static_cast<uint32_t>(plain_.size()));
          AppendU32(plain_, static_cast<uint32_t>(v.size()));
          plain_.append(v.data(), v.size());
        },
        inserted);
  }

 private:
  // Open addressing: finds the entry with `hash` for which `equal(index)` holds, or calls
  // `append()` to add the new entry's PLAIN value and gives it the next index.
  template <typename Equal, typename Append>
  uint32_t Insert(uint64_t hash, Equal&& equal, Append&& append, bool& inserted) {
    size_t pos = hash & mask_;
    const uint32_t tag = static_cast<uint32_t>(hash >> 32);
    for (;;) {
      const uint64_t s = slots_[pos];
      if (s == 0) break;
      if (static_cast<uint32_t>(s >> 32) == tag && equal(static_cast<uint32_t>(s) - 1)) {
        inserted = false;
        return static_cast<uint32_t>(s) - 1;
      }
      pos = (pos + 1) & mask_;
    }
    const uint32_t index = static_cast<uint32_t>(hashes_.size());
    append();
    return Add(pos, tag, hash, index, inserted);
  }
  uint32_t Add(size_t pos, uint32_t tag, uint64_t hash, uint32_t index, bool& inserted) {
    slots_[pos] = (static_cast<uint64_t>(tag) << 32) | (index + 1);
    hashes_.push_back(hash);
    inserted = true;
    if (hashes_.size() * 2 > slots_.size()) Grow();
    return index;
  }
  void Grow() {
    slots_.assign(slots_.size() * 2, 0);
    mask_ = slots_.size() - 1;
    for (size_t i = 0; i < hashes_.size(); ++i) {
      size_t pos = hashes_[i] & mask_;
      while (slots_[pos] != 0) pos = (pos + 1) & mask_;
      slots_[pos] = ((hashes_[i] >> 32) << 32) | (i + 1);
    }
  }

  std::vector<uint64_t> slots_;
  size_t mask_ = 0;
  std::vector<uint64_t> hashes_;   // per entry, for regrowing
  std::vector<uint32_t> offsets_;  // byte arrays: where each entry's length prefix is in plain_
  std::string plain_;
};

//! Scratch buffers shared by the column writers of one file (used one page at a time).
struct Scratch {
  std::string page;
  PodBuffer compressed;
  std::string header;
};

//! A column chunk's finished pages, in blocks that are reused from row group to row group (no
//! regrowing copies of a large buffer, no fresh pages to fault in).
class ChunkBuffer {
 public:
  void Append(std::string_view header, const PodBuffer& data) {
    const size_t n = header.size() + data.size();
    if (used_ == 0 || blocks_[used_ - 1].size() + n > std::max(kBlockBytes, blocks_[used_ - 1].capacity())) {
      if (used_ == blocks_.size()) blocks_.emplace_back().reserve(std::max(kBlockBytes, n));
      ++used_;
    }
    std::string& block = blocks_[used_ - 1];
    block.append(header);
    block.append(reinterpret_cast<const char*>(data.data()), data.size());
    size_ += n;
  }
  size_t size() const { return size_; }
  template <typename WriteFn>
  Status WriteTo(WriteFn&& write) const {
    for (size_t i = 0; i < used_; ++i) SLUICE_RETURN_IF_ERROR(write(blocks_[i]));
    return Status::Ok();
  }
  //! Empties the buffer; keeps the blocks for the next chunk.
  void Clear() {
    for (size_t i = 0; i < used_; ++i) blocks_[i].clear();
    used_ = 0;
    size_ = 0;
  }

 private:
  static constexpr size_t kBlockBytes = 4 << 20;
  std::vector<std::string> blocks_;
  size_t used_ = 0;
  size_t size_ = 0;
};


// Signed comparison of big-endian two's complement values of equal length.
int CompareSignedBytes(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return a.size() < b.size() ? -1 : a.size() > b.size();
  const uint8_t a0 = static_cast<uint8_t>(a[0]) ^ 0x80, b0 = static_cast<uint8_t>(b[0]) ^ 0x80;
  if (a0 != b0) return a0 < b0 ? -1 : 1;
  return std::memcmp(a.data() + 1, b.data() + 1, std::min(a.size(), b.size()) - 1);
}

int CompareUnsignedBytes(std::string_view a, std::string_view b) { return a.compare(b); }

}  // namespace

namespace {

// The codecs the writer offers: option name and footer value.
struct CodecInfo {
  std::string_view name;
  ParquetCodec codec;
  pq::Codec thrift;
};
constexpr CodecInfo kCodecs[] = {
    {"uncompressed", ParquetCodec::kUncompressed, pq::Codec::kUncompressed},
    {"snappy", ParquetCodec::kSnappy, pq::Codec::kSnappy},
    {"gzip", ParquetCodec::kGzip, pq::Codec::kGzip},
    {"zstd", ParquetCodec::kZstd, pq::Codec::kZstd},
};

const CodecInfo* FindCodec(ParquetCodec codec) {
  for (const CodecInfo& info : kCodecs) {
    if (info.codec == codec) return &info;
  }
  return nullptr;
}

pq::Codec ToCodec(ParquetCodec c) {
  const CodecInfo* info = FindCodec(c);
  return info != nullptr ? info->thrift : pq::Codec::kUncompressed;
}

}  // namespace

bool ParseParquetCodec(std::string_view name, ParquetCodec& out) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "none") lower = "uncompressed";
  for (const CodecInfo& info : kCodecs) {
    if (info.name == lower) {
      out = info.codec;
      return true;
    }
  }
  return false;
}

std::string_view ParquetCodecName(ParquetCodec codec) {
  const CodecInfo* info = FindCodec(codec);
  return info != nullptr ? info->name : "?";
}

// ---- ColumnWriter ---------------------------------------------------------------------------

//! Encodes one column: pages of the current chunk (compressed, in memory), its dictionary and
//! statistics; WriteChunk hands the chunk to the file at the end of a row group.
class ParquetWriter::ColumnWriter {
 public:
  ColumnWriter(pq::ColumnDescriptor desc, const ParquetWriterOptions& options, pq::PageCompressor& compressor,
               Scratch& scratch)
      : desc_(std::move(desc)), options_(options), compressor_(compressor), scratch_(scratch) {
    page_limit_ = static_cast<size_t>(std::max<int64_t>(options_.page_bytes, 1));
    dict_limit_ = static_cast<size_t>(std::max<int64_t>(options_.max_dictionary_bytes, 1));
    signed_bytes_ = desc_.kind == pq::ValueKind::kDecimalFixed;
    bytes_stats_ = desc_.type != TypeId::kJson;
    ResetChunk();
  }

  const pq::ColumnDescriptor& descriptor() const { return desc_; }

  //! Encodes rows [begin, end) of `c`.
  Status Append(const Column& c, size_t begin, size_t end) {
    const bool nulls = c.null_count() > 0;
    switch (desc_.kind) {
      case pq::ValueKind::kBool: return AppendBool(c, begin, end, nulls);
      case pq::ValueKind::kInt32:
        return AppendFixed<int32_t>(c, begin, end, nulls, [&](size_t r) { return c.Int32(r); });
      case pq::ValueKind::kInt64:
        return AppendFixed<int64_t>(c, begin, end, nulls, [&](size_t r) { return c.Int64(r); });
      case pq::ValueKind::kDouble:
        return AppendFixed<double>(c, begin, end, nulls, [&](size_t r) { return c.Double(r); });
      case pq::ValueKind::kBytes: return AppendBytes(c, begin, end, nulls);
      case pq::ValueKind::kUuid:
      case pq::ValueKind::kUuidBytes:
      case pq::ValueKind::kDecimalFixed: return AppendFixedBytes(c, begin, end, nulls);
    }
    return Status::SystemError("unknown value kind");
  }

  //! Encoded bytes held for the current chunk (compressed pages, the open page, the dictionary).
  uint64_t buffered_bytes() const {
    return chunk_.size() + page_plain_bytes_ + (dict_used_ || dict_mode_ ? dict_.plain().size() : 0);
  }

  //! Closes the chunk's last page and writes the chunk through `write`, starting at file
  //! offset `offset`; fills `out` and resets for the next row group.
  template <typename WriteFn>
  Status WriteChunk(uint64_t offset, WriteFn&& write, pq::ColumnChunk& out) {
    SLUICE_RETURN_IF_ERROR(FlushPage(true));
    pq::ColumnMetaData m;
    m.type = *desc_.element.type;
    m.path_in_schema = {desc_.name};
    m.codec = compressor_.codec();
    m.num_values = num_values_;
    int64_t uncompressed = total_uncompressed_, compressed = total_compressed_;
    const uint64_t start = offset;
    if (dict_used_) {
      SLUICE_RETURN_IF_ERROR(compressor_.Compress(dict_.plain(), scratch_.compressed));
      pq::PageHeader h;
      h.type = pq::PageType::kDictionaryPage;
      h.uncompressed_page_size = static_cast<int32_t>(dict_.plain().size());
      h.compressed_page_size = static_cast<int32_t>(scratch_.compressed.size());
      h.dictionary_page_header = pq::DictionaryPageHeader{static_cast<int32_t>(dict_.size()), pq::Encoding::kPlain, {}};
      scratch_.header.clear();
      pq::SerializePageHeader(h, scratch_.header);
      m.dictionary_page_offset = static_cast<int64_t>(offset);
      SLUICE_RETURN_IF_ERROR(write(scratch_.header));
      SLUICE_RETURN_IF_ERROR(
          write(std::string_view(reinterpret_cast<const char*>(scratch_.compressed.data()), scratch_.compressed.size())));
      offset += scratch_.header.size() + scratch_.compressed.size();
      uncompressed += static_cast<int64_t>(scratch_.header.size() + dict_.plain().size());
      compressed += static_cast<int64_t>(scratch_.header.size() + scratch_.compressed.size());
    }
    m.data_page_offset = static_cast<int64_t>(offset);
    SLUICE_RETURN_IF_ERROR(chunk_.WriteTo(write));
    m.total_uncompressed_size = uncompressed;
    m.total_compressed_size = compressed;
    if (dict_used_ || plain_used_) m.encodings.push_back(pq::Encoding::kPlain);
    m.encodings.push_back(pq::Encoding::kRle);
    if (dict_used_) m.encodings.push_back(pq::Encoding::kRleDictionary);
    m.statistics = ChunkStatistics();
    out.file_offset = static_cast<int64_t>(start);
    out.meta_data = std::move(m);
    ResetChunk();
    return Status::Ok();
  }

 private:
  Status NullInRequired() const {
    return Status::ConfigError(fmt::format("column '{}' is required (not nullable) but got a null value", desc_.name));
  }

  // Bookkeeping common to every value: definition level, counts, page roll-over.
  Status NoteNull() {
    if (!desc_.nullable) return NullInRequired();
    levels_.Put(0);
    ++null_count_;
    ++num_values_;
    if (++page_values_ >= kMaxWrittenPageValues) return FlushPage(false);
    return Status::Ok();
  }
  void NoteValue(size_t plain_bytes) {
    if (desc_.nullable) levels_.Put(1);
    ++num_values_;
    ++page_values_;
    ++page_nonnull_;
    page_plain_bytes_ += plain_bytes;
  }
  bool PageFull(bool inserted) const {
    return page_plain_bytes_ >= page_limit_ || page_values_ >= kMaxWrittenPageValues ||
           (inserted && dict_.plain().size() >= dict_limit_);
  }

  template <typename T, typename Get>
  Status AppendFixed(const Column& c, size_t begin, size_t end, bool nulls, Get get) {
    for (size_t r = begin; r < end; ++r) {
      if (nulls && c.IsNull(r)) {
        SLUICE_RETURN_IF_ERROR(NoteNull());
        continue;
      }
      const T v = get(r);
      bool inserted = false;
      if (dict_mode_) {
        // Runs of one value (constant columns) skip the hash table.
        if (!has_last_ || std::memcmp(&v, last_fixed_, sizeof(T)) != 0) {
          last_index_ = dict_.InsertFixed<sizeof(T)>(&v, inserted);
          std::memcpy(last_fixed_, &v, sizeof(T));
          has_last_ = true;
          if (inserted) UpdateStats(v);
        }
        indices_.push_back(last_index_);
      } else {
        std::memcpy(plain_.Extend(sizeof(T)), &v, sizeof(T));
        UpdateStats(v);
      }
      NoteValue(sizeof(T));
      if (PageFull(inserted)) SLUICE_RETURN_IF_ERROR(FlushPage(false));
    }
    return Status::Ok();
  }

  Status AppendBool(const Column& c, size_t begin, size_t end, bool nulls) {
    for (size_t r = begin; r < end; ++r) {
      if (nulls && c.IsNull(r)) {
        SLUICE_RETURN_IF_ERROR(NoteNull());
        continue;
      }
      const bool v = c.Bool(r);
      bools_.push_back(v ? 1 : 0);
      UpdateStats(static_cast<int64_t>(v));
      NoteValue(0);
      if (bools_.size() >= page_limit_ * 8 || page_values_ >= kMaxWrittenPageValues) SLUICE_RETURN_IF_ERROR(FlushPage(false));
    }
    return Status::Ok();
  }

  Status AppendBytes(const Column& c, size_t begin, size_t end, bool nulls) {
    for (size_t r = begin; r < end; ++r) {
      if (nulls && c.IsNull(r)) {
        SLUICE_RETURN_IF_ERROR(NoteNull());
        continue;
      }
      const std::string_view v = c.Bytes(r);
      bool inserted = false;
      if (dict_mode_) {
        if (!has_last_ || !dict_.BytesEqual(last_index_, v)) {
          last_index_ = dict_.InsertBytes(v, inserted);
          has_last_ = true;
          if (inserted) UpdateBytesStats(v);
        }
        indices_.push_back(last_index_);
      } else {
        uint8_t* out = plain_.Extend(4 + v.size());
        const uint32_t len = static_cast<uint32_t>(v.size());
        std::memcpy(out, &len, 4);
        std::memcpy(out + 4, v.data(), v.size());
        UpdateBytesStats(v);
      }
      NoteValue(4 + v.size());
      if (PageFull(inserted)) SLUICE_RETURN_IF_ERROR(FlushPage(false));
    }
    return Status::Ok();
  }

  Status AppendFixedBytes(const Column& c, size_t begin, size_t end, bool nulls) {
    const size_t width = static_cast<size_t>(desc_.fixed_length);
    uint8_t buf[16];
    for (size_t r = begin; r < end; ++r) {
      if (nulls && c.IsNull(r)) {
        SLUICE_RETURN_IF_ERROR(NoteNull());
        continue;
      }
      const std::string_view text = c.Bytes(r);
      if (desc_.kind == pq::ValueKind::kUuidBytes) {
        if (text.size() != 16) {
          return Status::ConfigError(
              fmt::format("column '{}': a UUID must be 16 bytes, got {}", desc_.name, text.size()));
        }
        std::memcpy(buf, text.data(), 16);
      } else if (desc_.kind == pq::ValueKind::kUuid) {
        if (!pq::ParseUuid(text, buf)) {
          return Status::ConfigError(fmt::format("column '{}': '{}' is not a UUID", desc_.name, text.substr(0, 80)));
        }
      } else {
        __int128 unscaled;
        if (!pq::ParseDecimal(text, desc_.precision, desc_.scale, unscaled)) {
          return Status::ConfigError(fmt::format("column '{}': '{}' does not fit DECIMAL({}, {})", desc_.name,
                                                 text.substr(0, 80), desc_.precision, desc_.scale));
        }
        for (size_t i = 0; i < width; ++i) {
          buf[width - 1 - i] = static_cast<uint8_t>(static_cast<unsigned __int128>(unscaled) >> (8 * i));
        }
      }
      const std::string_view bytes(reinterpret_cast<const char*>(buf), width);
      bool inserted = false;
      if (dict_mode_) {
        indices_.push_back(dict_.InsertFixedN(buf, width, HashBytes(bytes.data(), width), inserted));
        if (inserted) UpdateBytesStats(bytes);
      } else {
        std::memcpy(plain_.Extend(width), buf, width);
        UpdateBytesStats(bytes);
      }
      NoteValue(width);
      if (PageFull(inserted)) SLUICE_RETURN_IF_ERROR(FlushPage(false));
    }
    return Status::Ok();
  }

  void UpdateStats(int64_t v) {
    if (!has_minmax_) {
      min_i_ = max_i_ = v;
      has_minmax_ = true;
      return;
    }
    min_i_ = std::min(min_i_, v);
    max_i_ = std::max(max_i_, v);
  }
  void UpdateStats(int32_t v) { UpdateStats(static_cast<int64_t>(v)); }
  void UpdateStats(double v) {
    if (std::isnan(v)) return;  // NaN is left out of min/max (parquet.thrift ColumnOrder)
    if (!has_minmax_) {
      min_d_ = max_d_ = v;
      has_minmax_ = true;
      return;
    }
    if (v < min_d_) min_d_ = v;
    if (v > max_d_) max_d_ = v;
  }
  void UpdateBytesStats(std::string_view v) {
    if (!bytes_stats_) return;
    const auto cmp = signed_bytes_ ? CompareSignedBytes : CompareUnsignedBytes;
    // Most values differ from min and max in their first 8 bytes: compare those as one integer.
    const uint64_t key = OrderKey(v);
    if (!has_minmax_) {
      min_s_.assign(v);
      max_s_.assign(v);
      min_key_ = max_key_ = key;
      has_minmax_ = true;
      return;
    }
    if (key < min_key_ || (key == min_key_ && cmp(v, min_s_) < 0)) {
      min_s_.assign(v);
      min_key_ = key;
    }
    if (key > max_key_ || (key == max_key_ && cmp(v, max_s_) > 0)) {
      max_s_.assign(v);
      max_key_ = key;
    }
  }
  //! The first 8 bytes of `v` (zero-padded) as a big-endian integer, in the column's byte order:
  //! when two keys differ, the values compare the same way.
  uint64_t OrderKey(std::string_view v) const {
    uint8_t b[8] = {};
    if (v.size() >= 8) {
      std::memcpy(b, v.data(), 8);
    } else if (!v.empty()) {
      std::memcpy(b, v.data(), v.size());
    }
    if (signed_bytes_) b[0] ^= 0x80;  // equal-length two's complement: flip the sign bit
    uint64_t k;
    std::memcpy(&k, b, 8);
    return __builtin_bswap64(k);
  }

  pq::Statistics ChunkStatistics() const {
    pq::Statistics s;
    s.null_count = null_count_;
    if (!has_minmax_) return s;
    std::string lo, hi;
    auto fixed = [](auto v) {
      std::string b(sizeof(v), '\0');
      std::memcpy(b.data(), &v, sizeof(v));
      return b;
    };
    bool signed_order = true;  // the legacy min/max fields are defined for signed order only
    switch (desc_.kind) {
      case pq::ValueKind::kBool:
        lo.assign(1, static_cast<char>(min_i_));
        hi.assign(1, static_cast<char>(max_i_));
        break;
      case pq::ValueKind::kInt32:
        lo = fixed(static_cast<int32_t>(min_i_));
        hi = fixed(static_cast<int32_t>(max_i_));
        break;
      case pq::ValueKind::kInt64:
        // -infinity (INT64_MIN) is a timestamp DuckDB cannot show (its own is -INT64_MAX): such a
        // chunk gets no min/max rather than statistics that break parquet_metadata().
        if (min_i_ == INT64_MIN && (desc_.type == TypeId::kTimestampTz || desc_.type == TypeId::kTimestampNoTz)) return s;
        lo = fixed(min_i_);
        hi = fixed(max_i_);
        break;
      case pq::ValueKind::kDouble:
        // -0.0 / +0.0 rule of parquet.thrift: a zero min is written as -0.0, a zero max as +0.0.
        lo = fixed(min_d_ == 0.0 ? -0.0 : min_d_);
        hi = fixed(max_d_ == 0.0 ? 0.0 : max_d_);
        break;
      case pq::ValueKind::kBytes:
      case pq::ValueKind::kUuid:
      case pq::ValueKind::kUuidBytes:
      case pq::ValueKind::kDecimalFixed:
        if (min_s_.size() > kMaxStatBytes || max_s_.size() > kMaxStatBytes) return s;
        lo = min_s_;
        hi = max_s_;
        signed_order = false;
        break;
    }
    if (signed_order) {
      s.min = lo;
      s.max = hi;
    }
    s.min_value = std::move(lo);
    s.max_value = std::move(hi);
    return s;
  }

  //! Encodes, compresses and queues the open page. `end_of_chunk`: no fallback decision.
  Status FlushPage(bool end_of_chunk) {
    if (page_values_ == 0) return Status::Ok();
    std::string& page = scratch_.page;
    page.clear();
    if (desc_.nullable) {
      levels_.Finish();
      AppendU32(page, static_cast<uint32_t>(levels_buf_.size()));
      page += levels_buf_;
    }
    if (dict_mode_) {
      const int width = std::max(1, pq::BitWidth(dict_.size() > 0 ? dict_.size() - 1 : 0));
      page.push_back(static_cast<char>(width));
      pq::RleEncoder encoder;
      encoder.Begin(width, &page);
      for (uint32_t index : indices_) encoder.Put(index);
      encoder.Finish();
    } else if (desc_.kind == pq::ValueKind::kBool) {
      uint8_t byte = 0;
      for (size_t i = 0; i < bools_.size(); ++i) {
        byte |= static_cast<uint8_t>(bools_[i] << (i & 7));
        if ((i & 7) == 7) {
          page.push_back(static_cast<char>(byte));
          byte = 0;
        }
      }
      if ((bools_.size() & 7) != 0) page.push_back(static_cast<char>(byte));
    } else {
      page.append(reinterpret_cast<const char*>(plain_.data()), plain_.size());
    }
    SLUICE_RETURN_IF_ERROR(compressor_.Compress(page, scratch_.compressed));
    pq::PageHeader h;
    h.type = pq::PageType::kDataPage;
    h.uncompressed_page_size = static_cast<int32_t>(page.size());
    h.compressed_page_size = static_cast<int32_t>(scratch_.compressed.size());
    h.data_page_header = pq::DataPageHeader{static_cast<int32_t>(page_values_),
                                            dict_mode_ ? pq::Encoding::kRleDictionary : pq::Encoding::kPlain,
                                            pq::Encoding::kRle, pq::Encoding::kRle, {}};
    scratch_.header.clear();
    pq::SerializePageHeader(h, scratch_.header);
    chunk_.Append(scratch_.header, scratch_.compressed);
    total_uncompressed_ += static_cast<int64_t>(scratch_.header.size() + page.size());
    total_compressed_ += static_cast<int64_t>(scratch_.header.size() + scratch_.compressed.size());

    if (dict_mode_) {
      dict_used_ = true;
      // Fall back to PLAIN for the rest of the file when the dictionary is too big, or when the
      // first page shows nearly every value is distinct (ids, UUIDs): it would only cost time.
      const bool too_big = dict_.plain().size() >= dict_limit_;
      const bool distinct = first_page_ && page_nonnull_ >= 1024 && dict_.size() * 10 > page_nonnull_ * 8;
      if (!end_of_chunk && (too_big || distinct)) {
        dict_mode_ = false;
        dict_disabled_ = true;
      }
    } else {
      plain_used_ = true;
    }
    first_page_ = false;
    page_values_ = page_nonnull_ = page_plain_bytes_ = 0;
    has_last_ = false;  // the dictionary may be gone (fallback) or be reset (chunk end)
    plain_.Clear();
    indices_.clear();
    bools_.clear();
    StartLevels();
    return Status::Ok();
  }

  void StartLevels() {
    levels_buf_.clear();
    levels_.Begin(1, &levels_buf_);
  }

  void ResetChunk() {
    chunk_.Clear();
    dict_.Clear();
    has_last_ = false;
    dict_used_ = plain_used_ = false;
    dict_mode_ = options_.dictionary && desc_.kind != pq::ValueKind::kBool && !dict_disabled_;
    first_page_ = true;
    num_values_ = null_count_ = 0;
    total_uncompressed_ = total_compressed_ = 0;
    has_minmax_ = false;
    min_s_.clear();
    max_s_.clear();
    StartLevels();
  }

  pq::ColumnDescriptor desc_;
  const ParquetWriterOptions& options_;
  pq::PageCompressor& compressor_;
  Scratch& scratch_;
  size_t page_limit_ = 0;
  size_t dict_limit_ = 0;
  bool signed_bytes_ = false;  // decimals: min/max by value
  bool bytes_stats_ = true;    // JSON: no min/max (meaningless)

  // The open page.
  pq::RleEncoder levels_;
  std::string levels_buf_;
  PodBuffer plain_;               // PLAIN values
  std::vector<uint32_t> indices_;  // dictionary indices
  std::vector<uint8_t> bools_;
  size_t page_values_ = 0;  // including nulls
  size_t page_nonnull_ = 0;
  size_t page_plain_bytes_ = 0;

  // The chunk.
  ChunkBuffer chunk_;  // header + compressed data of each finished page
  Dictionary dict_;
  bool dict_mode_ = false;      // the open page is dictionary-encoded
  bool dict_used_ = false;      // some page of the chunk is: the dictionary page is written
  bool plain_used_ = false;
  bool dict_disabled_ = false;  // fell back once: PLAIN for the rest of the file
  bool first_page_ = true;
  bool has_last_ = false;       // last_fixed_ / last_index_ hold the previous value's entry
  uint8_t last_fixed_[8] = {};
  uint32_t last_index_ = 0;
  int64_t num_values_ = 0;
  int64_t null_count_ = 0;
  int64_t total_uncompressed_ = 0;
  int64_t total_compressed_ = 0;
  bool has_minmax_ = false;
  int64_t min_i_ = 0, max_i_ = 0;
  double min_d_ = 0, max_d_ = 0;
  std::string min_s_, max_s_;
  uint64_t min_key_ = 0, max_key_ = 0;  // OrderKey of min_s_ and max_s_
};

// ---- ParquetWriter --------------------------------------------------------------------------

struct ParquetWriter::State {
  State(SchemaPtr s, ParquetWriterOptions o, OutputStream* output)
      : schema(std::move(s)), options(std::move(o)), out(output), compressor(ToCodec(options.codec), options.compression_level) {}

  SchemaPtr schema;
  ParquetWriterOptions options;
  OutputStream* out;
  uint64_t offset = 0;
  pq::PageCompressor compressor;
  Scratch scratch;
  std::vector<std::unique_ptr<ColumnWriter>> columns;
  std::vector<const Column*> column_ptrs;
  std::vector<pq::RowGroup> row_groups;
  int64_t group_rows = 0;
  int64_t file_rows = 0;
  bool failed = false;
  bool closed = false;
};

ParquetWriter::~ParquetWriter() = default;

Result<std::unique_ptr<ParquetWriter>> ParquetWriter::Open(SchemaPtr schema, ParquetWriterOptions options,
                                                           OutputStream* out) {
  if (!schema || schema->num_fields() == 0) return Status::ConfigError("a Parquet file needs at least one column");
  std::set<std::string_view> names;
  for (const Field& f : schema->fields()) {
    if (!names.insert(f.name).second) {
      return Status::ConfigError(fmt::format("column name '{}' appears twice; Parquet column names must be unique", f.name));
    }
  }
  std::unique_ptr<ParquetWriter> w(new ParquetWriter());
  w->state_ = std::make_unique<State>(std::move(schema), std::move(options), out);
  State& s = *w->state_;
  for (const Field& f : s.schema->fields()) {
    s.columns.push_back(std::make_unique<ColumnWriter>(pq::DescribeColumn(f), s.options, s.compressor, s.scratch));
  }
  SLUICE_RETURN_IF_ERROR(w->WriteBytes(kMagic));
  return w;
}

Status ParquetWriter::WriteBytes(std::string_view data) {
  if (data.empty()) return Status::Ok();
  Status st = state_->out->Write(data);
  if (!st.ok()) {
    state_->failed = true;
    return st;
  }
  state_->offset += data.size();
  return Status::Ok();
}

Status ParquetWriter::Write(const RecordBatch& batch) {
  State& s = *state_;
  s.column_ptrs.clear();
  for (size_t i = 0; i < batch.num_columns(); ++i) s.column_ptrs.push_back(&batch.column(i));
  return Write(std::span<const Column* const>(s.column_ptrs.data(), s.column_ptrs.size()), batch.num_rows());
}

Status ParquetWriter::Write(std::span<const Column* const> columns, size_t num_rows) {
  State& s = *state_;
  if (s.failed || s.closed) return Status::SystemError("ParquetWriter: Write after an error or Close");
  if (columns.size() != s.columns.size()) {
    s.failed = true;
    return Status::SystemError(
        fmt::format("ParquetWriter: {} columns given for a schema of {}", columns.size(), s.columns.size()));
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    const Field& f = s.schema->field(i);
    if (columns[i]->type() != f.type || columns[i]->size() < num_rows) {
      s.failed = true;
      return Status::SystemError(fmt::format("ParquetWriter: column '{}' is {} with {} values; expected {} with {}",
                                             f.name, TypeName(columns[i]->type()), columns[i]->size(),
                                             TypeName(f.type), num_rows));
    }
  }
  for (size_t begin = 0; begin < num_rows;) {
    const size_t end = std::min(num_rows, begin + kSliceRows);
    for (size_t i = 0; i < columns.size(); ++i) {
      Status st = s.columns[i]->Append(*columns[i], begin, end);
      if (!st.ok()) {
        s.failed = true;
        return st;
      }
    }
    s.group_rows += static_cast<int64_t>(end - begin);
    rows_ += end - begin;
    begin = end;
    uint64_t buffered = 0;
    for (const auto& c : s.columns) buffered += c->buffered_bytes();
    if (buffered >= static_cast<uint64_t>(std::max<int64_t>(s.options.row_group_bytes, 1))) {
      SLUICE_RETURN_IF_ERROR(FlushRowGroup());
    }
  }
  return Status::Ok();
}

Status ParquetWriter::FlushRowGroup() {
  State& s = *state_;
  if (s.group_rows == 0) return Status::Ok();
  pq::RowGroup g;
  g.num_rows = s.group_rows;
  g.file_offset = static_cast<int64_t>(s.offset);
  const uint64_t start = s.offset;
  auto write = [this](std::string_view data) { return WriteBytes(data); };
  for (auto& c : s.columns) {
    pq::ColumnChunk chunk;
    Status st = c->WriteChunk(s.offset, write, chunk);
    if (!st.ok()) {
      s.failed = true;
      return st;
    }
    g.total_byte_size += chunk.meta_data->total_uncompressed_size;
    g.columns.push_back(std::move(chunk));
  }
  g.total_compressed_size = static_cast<int64_t>(s.offset - start);
  g.ordinal = static_cast<int16_t>(std::min<size_t>(s.row_groups.size(), INT16_MAX));
  s.row_groups.push_back(std::move(g));
  s.file_rows += s.group_rows;
  s.group_rows = 0;
  return Status::Ok();
}

Status ParquetWriter::Close() {
  State& s = *state_;
  if (s.closed) return Status::SystemError("ParquetWriter: Close called twice");
  if (s.failed) return Status::SystemError("ParquetWriter: Close after an error");
  SLUICE_RETURN_IF_ERROR(FlushRowGroup());
  s.closed = true;
  pq::FileMetaData meta;
  meta.version = 1;
  pq::SchemaElement root;
  root.name = "schema";
  root.num_children = static_cast<int32_t>(s.columns.size());
  meta.schema.push_back(std::move(root));
  for (const auto& c : s.columns) meta.schema.push_back(c->descriptor().element);
  meta.num_rows = s.file_rows;
  meta.row_groups = s.row_groups;
  meta.key_value_metadata = s.options.key_value_metadata;
  meta.created_by = kCreatedBy;
  meta.type_defined_column_orders = true;
  std::string footer;
  pq::SerializeFileMetaData(meta, footer);
  AppendU32(footer, static_cast<uint32_t>(footer.size()));
  footer += kMagic;
  return WriteBytes(footer);
}

uint64_t ParquetWriter::estimated_file_bytes() const {
  uint64_t n = state_->offset;
  for (const auto& c : state_->columns) n += c->buffered_bytes();
  return n;
}

int ParquetWriter::num_row_groups() const { return static_cast<int>(state_->row_groups.size()); }

}  // namespace sluice

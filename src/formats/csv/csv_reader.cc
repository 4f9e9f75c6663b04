#include "formats/csv/csv_reader.h"

#include <simdjson.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstring>
#include <unordered_set>

namespace sluice {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string CharLabel(char c) {
  switch (c) {
    case '\n': return "'\\n'";
    case '\r': return "'\\r'";
    case '\t': return "'\\t'";
    case '\0': return "none";
    default: return std::string("'") + c + "'";
  }
}

inline uint8_t U8(char c) { return static_cast<uint8_t>(c); }

// The first byte in [p, end) that is in `set` (4 splatted bytes, or `table` without SSE2), or
// end. REQUIRES: 15 readable bytes after `end` (the buffer's padding).
inline const char* FindSpecial(const char* p, const char* end, const char (&set)[4][16], const uint8_t* table) {
#if defined(__SSE2__)
  (void)table;
  const __m128i a = _mm_load_si128(reinterpret_cast<const __m128i*>(set[0]));
  const __m128i b = _mm_load_si128(reinterpret_cast<const __m128i*>(set[1]));
  const __m128i c = _mm_load_si128(reinterpret_cast<const __m128i*>(set[2]));
  const __m128i d = _mm_load_si128(reinterpret_cast<const __m128i*>(set[3]));
  while (p < end) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, a), _mm_cmpeq_epi8(v, b)),
                                     _mm_or_si128(_mm_cmpeq_epi8(v, c), _mm_cmpeq_epi8(v, d)));
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
    if (mask != 0) {
      const char* found = p + __builtin_ctz(mask);
      return found < end ? found : end;
    }
    p += 16;
  }
  return end;
#else
  (void)set;
  while (p < end && !table[U8(*p)]) ++p;
  return p;
#endif
}

// The offset of the first byte >= 0x80 in [from, end), or end.
size_t FirstNonAscii(const char* base, size_t from, size_t end) {
  size_t i = from;
#if defined(__SSE2__)
  for (; i + 64 <= end; i += 64) {
    const __m128i* v = reinterpret_cast<const __m128i*>(base + i);
    const __m128i any = _mm_or_si128(_mm_or_si128(_mm_loadu_si128(v), _mm_loadu_si128(v + 1)),
                                     _mm_or_si128(_mm_loadu_si128(v + 2), _mm_loadu_si128(v + 3)));
    if (_mm_movemask_epi8(any) != 0) break;
  }
#endif
  for (; i + 8 <= end; i += 8) {
    uint64_t word;
    std::memcpy(&word, base + i, 8);
    if (word & 0x8080808080808080ull) break;
  }
  while (i < end && !(U8(base[i]) & 0x80)) ++i;
  return i;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  const char* s = text.data();
  const size_t n = text.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    std::memcpy(&word, s + i, 8);
    if (word & 0x8080808080808080ull) return simdjson::validate_utf8(s + i, n - i);
  }
  for (; i < n; ++i) {
    if (U8(s[i]) & 0x80) return simdjson::validate_utf8(s + i, n - i);
  }
  return true;
}

Status CsvOptions::Validate() const {
  const std::string enc = Lower(encoding);
  if (enc != "utf-8" && enc != "utf8") {
    return Status::ConfigError("encoding '" + encoding + "' is not supported: files must be utf-8");
  }
  if (delimiter == '\n' || delimiter == '\r' || delimiter == '\0') {
    return Status::ConfigError("delimiter " + CharLabel(delimiter) + " is not allowed");
  }
  if (quote_char == '\n' || quote_char == '\r') {
    return Status::ConfigError("quote_char " + CharLabel(quote_char) + " is not allowed");
  }
  if (quote_char == delimiter) {
    return Status::ConfigError("quote_char and delimiter must differ (both are " + CharLabel(delimiter) + ")");
  }
  if (escape_char) {
    const char e = *escape_char;
    if (e == '\n' || e == '\r' || e == '\0') return Status::ConfigError("escape_char " + CharLabel(e) + " is not allowed");
    if (e == delimiter) {
      return Status::ConfigError("escape_char and delimiter must differ (both are " + CharLabel(e) + ")");
    }
  }
  if (chunk_bytes == 0) return Status::ConfigError("chunk_bytes must be positive");
  return Status::Ok();
}

CsvReader::CsvReader(std::unique_ptr<InputStream> input, CsvOptions options)
    : input_(std::move(input)), options_(std::move(options)) {
  // An escape character equal to the quote character is the doubled-quote convention.
  if (options_.escape_char && *options_.escape_char == options_.quote_char) {
    options_.escape_char.reset();
    options_.double_quote = true;
  }
  special_[U8(options_.delimiter)] = 1;
  special_[U8('\n')] = 1;
  special_[U8('\r')] = 1;
  if (options_.quote_char != '\0') quoted_special_[U8(options_.quote_char)] = 1;
  quoted_special_[U8('\n')] = 1;
  if (options_.escape_char) {
    special_[U8(*options_.escape_char)] = 1;
    quoted_special_[U8(*options_.escape_char)] = 1;
  }
  // Unused slots repeat '\n', which is in both sets anyway.
  const char escape = options_.escape_char ? *options_.escape_char : '\n';
  const char sets[2][4] = {{options_.delimiter, '\n', '\r', escape},
                           {options_.quote_char != '\0' ? options_.quote_char : '\n', '\n', '\n', escape}};
  for (int k = 0; k < 2; ++k) {
    for (int j = 0; j < 4; ++j) std::memset(scan_sets_[k][j], sets[k][j], 16);
  }
  only_empty_is_null_ = options_.null_values.size() == 1 && options_.null_values[0].empty();
  capacity_ = options_.chunk_bytes;
  buffer_.reset(new char[capacity_ + kPadding]());
}

CsvReader::~CsvReader() = default;

Result<std::unique_ptr<CsvReader>> CsvReader::Open(std::unique_ptr<InputStream> input, CsvOptions options) {
  SLUICE_RETURN_IF_ERROR(options.Validate().WithContext("file " + input->name()));
  std::unique_ptr<CsvReader> reader(new CsvReader(std::move(input), std::move(options)));
  SLUICE_RETURN_IF_ERROR(reader->Init());
  return reader;
}

Status CsvReader::ErrorAt(uint64_t line, std::string_view message) const {
  return Status::ConfigError("file " + input_->name() + " line " + std::to_string(line) + ": " + std::string(message));
}

bool CsvReader::IsListedNullValue(std::string_view cell) const {
  for (const auto& v : options_.null_values) {
    if (cell == v) return true;
  }
  return false;
}

Status CsvReader::Init() {
  while (end_ < 3 && !eof_) SLUICE_RETURN_IF_ERROR(Refill());
  if (end_ >= 3 && std::memcmp(buffer_.get(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
  for (uint64_t i = 0; i < options_.skip_rows_before_header; ++i) {
    bool done = false;
    SLUICE_RETURN_IF_ERROR(SkipLine(&done));
    if (done) break;
  }
  SLUICE_ASSIGN_OR_RETURN(const bool got, ReadRow());
  if (!got) return Status::Ok();  // empty input: no columns, no rows
  if (!options_.header) {
    for (size_t i = 0; i < cells_.size(); ++i) column_names_.push_back("f" + std::to_string(i));
    pending_row_ = true;
    return Status::Ok();
  }
  if (options_.validate_utf8 && !IsValidUtf8(std::string_view(row_begin_, static_cast<size_t>(row_end_ - row_begin_)))) {
    return ErrorAt(row_line_, "invalid UTF-8 in the header");
  }
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < cells_.size(); ++i) {
    std::string name(cells_[i]);
    if (name.empty()) name = "column_" + std::to_string(i + 1);
    if (!seen.insert(name).second) {
      for (int n = 2;; ++n) {
        std::string candidate = name + "_" + std::to_string(n);
        if (seen.insert(candidate).second) {
          name = std::move(candidate);
          break;
        }
      }
    }
    column_names_.push_back(std::move(name));
  }
  return Status::Ok();
}

Status CsvReader::Refill() {
  if (pos_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + pos_, end_ - pos_);
    ascii_end_ = ascii_end_ > pos_ ? ascii_end_ - pos_ : 0;
    bytes_consumed_ += pos_;
    end_ -= pos_;
    pos_ = 0;
  }
  if (end_ == capacity_) {
    // A single row larger than the buffer: grow it, within reason.
    if (capacity_ >= kMaxRowBytes) {
      return ErrorAt(line_, "a row is larger than " + std::to_string(kMaxRowBytes >> 20) +
                                " MiB (is a quote left open?)");
    }
    const size_t capacity = capacity_ * 2;
    std::unique_ptr<char[]> bigger(new char[capacity + kPadding]());
    std::memcpy(bigger.get(), buffer_.get(), end_);
    buffer_ = std::move(bigger);
    capacity_ = capacity;
  }
  while (end_ < capacity_ && !eof_) {
    SLUICE_ASSIGN_OR_RETURN(const size_t got, input_->Read(buffer_.get() + end_, capacity_ - end_));
    if (got == 0) eof_ = true;
    end_ += got;
  }
  return Status::Ok();
}

Status CsvReader::SkipLine(bool* done) {
  while (true) {
    const char* base = buffer_.get();
    const void* nl = std::memchr(base + pos_, '\n', end_ - pos_);
    if (nl != nullptr) {
      pos_ = static_cast<size_t>(static_cast<const char*>(nl) - base) + 1;
      ++line_;
      return Status::Ok();
    }
    if (eof_) {
      pos_ = end_;
      *done = true;
      return Status::Ok();
    }
    pos_ = end_;  // nothing in the skipped bytes matters
    SLUICE_RETURN_IF_ERROR(Refill());
  }
}

CsvReader::Parse CsvReader::Fail(std::string_view message) {
  error_ = ErrorAt(line_, message);
  return Parse::kError;
}

CsvReader::Parse CsvReader::ParseRow() {
  const char* const begin = buffer_.get() + pos_;
  const char* const end = buffer_.get() + end_;
  if (begin == end) return eof_ ? Parse::kEnd : Parse::kNeedMore;

  const char delimiter = options_.delimiter;
  const char quote = options_.quote_char;
  const bool quoting = quote != '\0';
  const int escape = options_.escape_char ? U8(*options_.escape_char) : -1;
  const char* p = begin;

  // A blank line is no row, except in a single-column file where it is an empty value.
  if ((*p == '\n' || *p == '\r') && column_names_.size() != 1) {
    if (*p == '\r') {
      if (p + 1 == end && !eof_) return Parse::kNeedMore;
      if (p + 1 < end && p[1] == '\n') ++p;
    }
    pos_ = static_cast<size_t>(p + 1 - buffer_.get());
    ++line_;
    return Parse::kBlank;
  }

  cells_.clear();
  scratch_.clear();
  scratch_cells_.clear();
  uint64_t lines = 0;  // line breaks consumed by this row, its terminator included

  // Ends a cell whose content was collected in scratch_ from `offset`.
  auto push_scratch_cell = [&](size_t offset) {
    scratch_cells_.emplace_back(cells_.size(), offset);
    cells_.emplace_back(begin, scratch_.size() - offset);  // placeholder, fixed once scratch_ settles
  };

  while (true) {
    // p is at the start of a field.
    if (p == end) {
      // After a delimiter at the very end of the input: an empty last field.
      if (!eof_) return Parse::kNeedMore;
      cells_.emplace_back(p, 0);
      break;
    }
    if (quoting && *p == quote) {
      ++p;
      const char* const content = p;
      const char* segment = p;
      size_t offset = 0;
      bool in_scratch = false;
      while (true) {
        p = FindSpecial(p, end, scan_sets_[1], quoted_special_);
        if (p == end) {
          if (!eof_) return Parse::kNeedMore;
          return Fail("unterminated quoted field");
        }
        const char c = *p;
        if (c == '\n') {
          ++lines;
          ++p;
          continue;
        }
        if (U8(c) == escape) {
          if (p + 1 == end) {
            if (!eof_) return Parse::kNeedMore;
            return Fail("unterminated quoted field");
          }
          if (!in_scratch) {
            offset = scratch_.size();
            in_scratch = true;
          }
          scratch_.append(segment, static_cast<size_t>(p - segment));
          if (p[1] == '\n') ++lines;
          scratch_.push_back(p[1]);
          p += 2;
          segment = p;
          continue;
        }
        // A quote: doubled (a literal quote) or closing.
        if (p + 1 == end && !eof_) return Parse::kNeedMore;
        if (options_.double_quote && p + 1 < end && p[1] == quote) {
          if (!in_scratch) {
            offset = scratch_.size();
            in_scratch = true;
          }
          scratch_.append(segment, static_cast<size_t>(p + 1 - segment));
          p += 2;
          segment = p;
          continue;
        }
        const char* const closing = p++;
        if (p < end && *p != delimiter && *p != '\n' && *p != '\r') {
          // Text after the closing quote is kept, as Python's csv module does: "ab"c → abc.
          const char* tail = p;
          while (p < end && !special_[U8(*p)]) ++p;
          if (p == end && !eof_) return Parse::kNeedMore;
          if (!in_scratch) {
            offset = scratch_.size();
            in_scratch = true;
          }
          scratch_.append(segment, static_cast<size_t>(closing - segment));
          scratch_.append(tail, static_cast<size_t>(p - tail));
          push_scratch_cell(offset);
        } else if (in_scratch) {
          scratch_.append(segment, static_cast<size_t>(closing - segment));
          push_scratch_cell(offset);
        } else {
          cells_.emplace_back(content, static_cast<size_t>(closing - content));
        }
        break;
      }
    } else {
      const char* const start = p;
      p = FindSpecial(p, end, scan_sets_[0], special_);
      if (p < end && U8(*p) == escape) {
        // Escapes outside quotes: collect the unescaped value in scratch_.
        const size_t offset = scratch_.size();
        const char* segment = start;
        while (p < end && U8(*p) == escape) {
          if (p + 1 == end && !eof_) return Parse::kNeedMore;
          scratch_.append(segment, static_cast<size_t>(p - segment));
          if (p + 1 == end) {  // a trailing escape at the end of input is kept
            scratch_.push_back(*p);
            ++p;
            segment = p;
            break;
          }
          if (p[1] == '\n') ++lines;
          scratch_.push_back(p[1]);
          p += 2;
          segment = p;
          while (p < end && !special_[U8(*p)]) ++p;
        }
        if (p == end && !eof_) return Parse::kNeedMore;
        scratch_.append(segment, static_cast<size_t>(p - segment));
        push_scratch_cell(offset);
      } else {
        cells_.emplace_back(start, static_cast<size_t>(p - start));
      }
    }
    // p is after the field: at a delimiter, a line break, or the end of the input.
    if (p == end) {
      if (!eof_) return Parse::kNeedMore;
      break;  // the last row lacks a line break
    }
    const char c = *p;
    if (c == delimiter) {
      ++p;
      continue;
    }
    if (c == '\n') {
      ++p;
      ++lines;
      break;
    }
    // '\r', alone or as "\r\n"
    if (p + 1 == end && !eof_) return Parse::kNeedMore;
    ++p;
    if (p < end && *p == '\n') ++p;
    ++lines;
    break;
  }

  for (const auto& [index, offset] : scratch_cells_) {
    cells_[index] = std::string_view(scratch_.data() + offset, cells_[index].size());
  }
  row_begin_ = begin;
  row_end_ = p;
  row_line_ = line_;
  line_ += lines;
  pos_ = static_cast<size_t>(p - buffer_.get());
  return Parse::kRow;
}

Result<bool> CsvReader::ReadRow() {
  while (true) {
    switch (ParseRow()) {
      case Parse::kError: return error_;
      case Parse::kRow: return true;
      case Parse::kEnd: return false;
      case Parse::kBlank: continue;
      case Parse::kNeedMore: SLUICE_RETURN_IF_ERROR(Refill()); continue;
    }
  }
}

std::string CsvReader::ColumnLabel(size_t i) const {
  if (i < column_names_.size()) return "'" + column_names_[i] + "'";
  return std::to_string(i + 1);
}

bool CsvReader::CheckRow(std::string* problem) {
  if (cells_.size() != column_names_.size()) {
    *problem = "expected " + std::to_string(column_names_.size()) + " fields, found " + std::to_string(cells_.size());
    return false;
  }
  if (!options_.validate_utf8) return true;
  // Rows inside the ASCII prefix of the buffer need no check; the prefix is extended in long
  // vectorised runs, so only rows near non-ASCII bytes are checked one by one.
  const char* base = buffer_.get();
  const size_t row_end = static_cast<size_t>(row_end_ - base);
  if (row_end <= ascii_end_) return true;
  ascii_end_ = FirstNonAscii(base, std::max(ascii_end_, static_cast<size_t>(row_begin_ - base)), end_);
  if (row_end <= ascii_end_) return true;
  if (!IsValidUtf8(std::string_view(row_begin_, static_cast<size_t>(row_end_ - row_begin_)))) {
    for (size_t i = 0; i < cells_.size(); ++i) {
      if (!IsValidUtf8(cells_[i])) {
        *problem = "invalid UTF-8 in column " + ColumnLabel(i);
        return false;
      }
    }
    // The raw bytes were invalid but every cell is valid (an escape split a sequence): the
    // values are fine.
  }
  return true;
}

Result<bool> CsvReader::Next() {
  while (true) {
    if (pending_row_) {
      pending_row_ = false;
    } else {
      SLUICE_ASSIGN_OR_RETURN(const bool got, ReadRow());
      if (!got) return false;
    }
    std::string problem;
    if (CheckRow(&problem)) {
      ++rows_read_;
      return true;
    }
    if (!options_.skip_malformed_rows) return ErrorAt(row_line_, problem);
    ++malformed_rows_;
    if (malformed_lines_.size() < kMaxNotedLines) malformed_lines_.push_back(row_line_);
  }
}

}  // namespace sluice

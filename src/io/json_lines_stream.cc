#include "io/json_lines_stream.h"

#include <vector>

namespace sluice {

namespace {

class JsonToLinesStream final : public InputStream {
 public:
  explicit JsonToLinesStream(std::unique_ptr<InputStream> inner) : inner_(std::move(inner)), in_(64 << 10) {}

  Result<size_t> Read(char* buf, size_t n) override {
    size_t out = 0;
    while (out < n) {
      if (queued_ > 0) {  // at most two bytes are ever queued
        buf[out++] = queue_[0];
        queue_[0] = queue_[1];
        --queued_;
        continue;
      }
      if (pos_ == end_) {
        if (eof_) break;
        SLUICE_ASSIGN_OR_RETURN(end_, inner_->Read(in_.data(), in_.size()));
        pos_ = 0;
        if (end_ == 0) {
          eof_ = true;
          EndValue();  // a last value without a terminator still ends its line
          continue;
        }
      }
      Step(in_[pos_++]);
    }
    return out;
  }

  const std::string& name() const override { return inner_->name(); }

 private:
  void Emit(char c) { queue_[queued_++] = c; }
  //! Ends the open top-level value's line, if one is open.
  void EndValue() {
    if (!open_value_) return;
    open_value_ = false;
    Emit('\n');
  }

  void Step(char c) {
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      Emit(c);
      return;
    }
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (!started_ && !space) {
      started_ = true;
      if (c == '[') {  // the document is an array: its elements are the records
        in_array_ = true;
        return;
      }
    }
    if (depth_ == 0) {
      if (space) return EndValue();
      if (in_array_ && (c == ',' || c == ']')) {
        if (c == ']') in_array_ = false;  // anything after it is read as a sequence of values
        return EndValue();
      }
      // A value starting right after a closed one ("}{"): the closed one's line ends first.
      if (closed_value_ && open_value_) EndValue();
      closed_value_ = false;
      open_value_ = true;
    }
    switch (c) {
      case '"': in_string_ = true; break;
      case '{':
      case '[': ++depth_; break;
      case '}':
      case ']':
        if (depth_ > 0 && --depth_ == 0) closed_value_ = true;
        break;
      case '\n':
      case '\r': c = ' '; break;
      default: break;
    }
    Emit(c);
  }

  std::unique_ptr<InputStream> inner_;
  std::vector<char> in_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  char queue_[2] = {0, 0};
  int queued_ = 0;
  bool started_ = false;
  bool in_array_ = false;      // inside the document's top-level array
  bool in_string_ = false;
  bool escaped_ = false;
  int64_t depth_ = 0;          // nesting inside the current record
  bool open_value_ = false;    // a record's line is open (a newline is owed when it ends)
  bool closed_value_ = false;  // the open record's outermost bracket has closed
};

}  // namespace

std::unique_ptr<InputStream> MakeJsonToLinesStream(std::unique_ptr<InputStream> inner) {
  return std::make_unique<JsonToLinesStream>(std::move(inner));
}

}  // namespace sluice

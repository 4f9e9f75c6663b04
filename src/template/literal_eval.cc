// LiteralEval (template.h): Python's ast.literal_eval over rendered text.

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

#include "template/template.h"

namespace sluice {
namespace {

class LiteralParser {
 public:
  explicit LiteralParser(std::string_view s) : s_(s) {}

  // The whole text as one literal (a top-level "a, b" is a tuple); nullopt when it is not one.
  std::optional<Json> ParseAll() {
    // ast.literal_eval strips leading spaces and tabs.
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t')) ++p_;
    std::optional<Json> first = Value();
    if (!first) return std::nullopt;
    SkipSpace();
    if (p_ < s_.size() && s_[p_] == ',') {
      Json tuple = Json::array({std::move(*first)});
      while (p_ < s_.size() && s_[p_] == ',') {
        ++p_;
        SkipSpace();
        if (p_ >= s_.size()) break;
        std::optional<Json> next = Value();
        if (!next) return std::nullopt;
        tuple.push_back(std::move(*next));
        SkipSpace();
      }
      first = std::move(tuple);
    }
    SkipSpace();
    if (p_ != s_.size()) return std::nullopt;
    return first;
  }

 private:
  void SkipSpace() {
    while (p_ < s_.size()) {
      const char c = s_[p_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        ++p_;
      } else if (c == '\\' && p_ + 1 < s_.size() && s_[p_ + 1] == '\n') {
        p_ += 2;
      } else if (c == '#') {
        while (p_ < s_.size() && s_[p_] != '\n') ++p_;
      } else {
        break;
      }
    }
  }

  std::optional<Json> Value() {
    SkipSpace();
    if (p_ >= s_.size()) return std::nullopt;
    const char c = s_[p_];
    if (c == '[' || c == '(' || c == '{') return Container();
    if (c == '\'' || c == '"') return Strings();
    if ((c == 'r' || c == 'R' || c == 'u' || c == 'U') && p_ + 1 < s_.size() && (s_[p_ + 1] == '\'' || s_[p_ + 1] == '"')) {
      return Strings();
    }
    if (c == '-' || c == '+' || c == '.' || std::isdigit(static_cast<unsigned char>(c))) return Number();
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = p_;
      while (p_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[p_])) || s_[p_] == '_')) ++p_;
      const std::string_view word = s_.substr(start, p_ - start);
      if (word == "True") return Json(true);
      if (word == "False") return Json(false);
      if (word == "None") return Json(nullptr);
    }
    return std::nullopt;
  }

  std::optional<Json> Container() {
    const char open = s_[p_++];
    const char close = open == '[' ? ']' : open == '(' ? ')' : '}';
    Json list = Json::array();
    Json dict = Json::object();
    bool is_dict = false, is_set = false, first = true, saw_comma = false;
    while (true) {
      SkipSpace();
      if (p_ >= s_.size()) return std::nullopt;
      if (s_[p_] == close) {
        ++p_;
        break;
      }
      if (!first && !saw_comma) return std::nullopt;
      std::optional<Json> item = Value();
      if (!item) return std::nullopt;
      SkipSpace();
      if (open == '{' && p_ < s_.size() && s_[p_] == ':') {
        if (is_set) return std::nullopt;
        is_dict = true;
        ++p_;
        std::optional<Json> value = Value();
        if (!value || !item->is_string()) return std::nullopt;  // JSON keys are strings
        dict[item->get<std::string>()] = std::move(*value);
      } else {
        if (is_dict) return std::nullopt;
        if (open == '{') is_set = true;
        list.push_back(std::move(*item));
      }
      SkipSpace();
      saw_comma = p_ < s_.size() && s_[p_] == ',';
      if (saw_comma) ++p_;
      first = false;
    }
    if (open == '(' && list.size() == 1 && !saw_comma) return list[0];  // (x) is just x
    if (open == '{' && !is_set) return dict;  // {} is an empty dict
    return list;
  }

  std::optional<Json> Strings() {
    std::string out;
    bool any = false;
    while (true) {
      SkipSpace();
      if (p_ >= s_.size()) break;
      bool raw = false;
      if (s_[p_] == 'r' || s_[p_] == 'R' || s_[p_] == 'u' || s_[p_] == 'U') {
        if (p_ + 1 >= s_.size() || (s_[p_ + 1] != '\'' && s_[p_ + 1] != '"')) break;
        raw = s_[p_] == 'r' || s_[p_] == 'R';
        ++p_;
      }
      if (s_[p_] != '\'' && s_[p_] != '"') break;
      const char q = s_[p_];
      const bool triple = s_.substr(p_, 3) == std::string(3, q);
      p_ += triple ? 3 : 1;
      while (true) {
        if (p_ >= s_.size()) return std::nullopt;
        if (triple ? s_.substr(p_, 3) == std::string(3, q) : s_[p_] == q) {
          p_ += triple ? 3 : 1;
          break;
        }
        const char c = s_[p_++];
        if (c == '\n' && !triple) return std::nullopt;
        if (c != '\\' || p_ >= s_.size()) {
          out += c;
          continue;
        }
        const char e = s_[p_++];
        if (raw) {
          out += '\\';
          out += e;
          continue;
        }
        switch (e) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case '0': out += '\0'; break;
          case '\\': out += '\\'; break;
          case '\'': out += '\''; break;
          case '"': out += '"'; break;
          case '\n': break;
          case 'x': case 'u': case 'U': {
            const size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            if (p_ + n > s_.size()) return std::nullopt;
            uint32_t cp = 0;
            auto r = std::from_chars(s_.data() + p_, s_.data() + p_ + n, cp, 16);
            if (r.ptr != s_.data() + p_ + n) return std::nullopt;
            p_ += n;
            if (cp < 0x80) out += char(cp);
            else if (cp < 0x800) { out += char(0xC0 | (cp >> 6)); out += char(0x80 | (cp & 0x3F)); }
            else if (cp < 0x10000) { out += char(0xE0 | (cp >> 12)); out += char(0x80 | ((cp >> 6) & 0x3F)); out += char(0x80 | (cp & 0x3F)); }
            else { out += char(0xF0 | (cp >> 18)); out += char(0x80 | ((cp >> 12) & 0x3F)); out += char(0x80 | ((cp >> 6) & 0x3F)); out += char(0x80 | (cp & 0x3F)); }
            break;
          }
          default: out += '\\'; out += e; break;
        }
      }
      any = true;
    }
    if (!any) return std::nullopt;
    return Json(out);
  }

  std::optional<Json> Number() {
    int sign = 1;
    while (p_ < s_.size() && (s_[p_] == '-' || s_[p_] == '+')) {
      if (s_[p_] == '-') sign = -sign;
      ++p_;
      SkipSpace();
    }
    const size_t start = p_;
    std::string digits;
    bool is_float = false;
    int base = 10;
    if (s_.substr(p_, 2) == "0x" || s_.substr(p_, 2) == "0X") base = 16;
    if (s_.substr(p_, 2) == "0o" || s_.substr(p_, 2) == "0O") base = 8;
    if (s_.substr(p_, 2) == "0b" || s_.substr(p_, 2) == "0B") base = 2;
    if (base != 10) {
      p_ += 2;
      while (p_ < s_.size() && (std::isxdigit(static_cast<unsigned char>(s_[p_])) || s_[p_] == '_')) {
        if (s_[p_] != '_') digits += s_[p_];
        ++p_;
      }
    } else {
      auto read_digits = [&] {
        bool any = false;
        while (p_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[p_])) || (any && s_[p_] == '_'))) {
          if (s_[p_] != '_') digits += s_[p_];
          any = true;
          ++p_;
        }
        return any;
      };
      const bool int_part = read_digits();
      if (p_ < s_.size() && s_[p_] == '.') {
        is_float = true;
        digits += '.';
        ++p_;
        read_digits();
      }
      if (!int_part && digits.size() <= 1) return std::nullopt;
      if (p_ < s_.size() && (s_[p_] == 'e' || s_[p_] == 'E')) {
        is_float = true;
        digits += 'e';
        ++p_;
        if (p_ < s_.size() && (s_[p_] == '+' || s_[p_] == '-')) digits += s_[p_++];
        if (!read_digits()) return std::nullopt;
      }
      if (p_ < s_.size() && (s_[p_] == 'j' || s_[p_] == 'J')) return std::nullopt;  // complex: stays text
      // Python rejects "0123" (but accepts "00").
      if (!is_float && digits.size() > 1 && digits[0] == '0' && digits.find_first_not_of('0') != std::string::npos) {
        return std::nullopt;
      }
    }
    if (p_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[p_])) || s_[p_] == '_')) return std::nullopt;
    if (digits.empty() || p_ == start) return std::nullopt;
    if (is_float) {
      const double v = std::strtod(digits.c_str(), nullptr);
      return Json(sign * v);
    }
    uint64_t u = 0;
    auto r = std::from_chars(digits.data(), digits.data() + digits.size(), u, base);
    if (r.ec != std::errc() || r.ptr != digits.data() + digits.size()) {
      overflow_ = true;
      return std::nullopt;
    }
    if (sign < 0) {
      if (u > uint64_t(std::numeric_limits<int64_t>::max()) + 1) {
        overflow_ = true;
        return std::nullopt;
      }
      return Json(static_cast<int64_t>(0 - u));
    }
    if (u <= uint64_t(std::numeric_limits<int64_t>::max())) return Json(static_cast<int64_t>(u));
    return Json(u);
  }

  std::string_view s_;
  size_t p_ = 0;
  bool overflow_ = false;
};

}  // namespace

Json LiteralEval(std::string_view text) {
  if (auto v = LiteralParser(text).ParseAll()) return *v;
  return Json(std::string(text));
}

}  // namespace sluice

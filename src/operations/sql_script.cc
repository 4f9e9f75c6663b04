#include "operations/sql_script.h"

#include <cctype>

#include <fmt/format.h>

namespace sluice {

namespace {

bool IdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The $tag$ starting at `i` (s[i] == '$'), or "" when it is not one ($1 parameters, a$b names).
std::string_view DollarTag(std::string_view s, size_t i) {
  if (i > 0 && IdentChar(s[i - 1])) return {};
  size_t j = i + 1;
  if (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) return {};
  while (j < s.size() && IdentChar(s[j])) ++j;
  if (j < s.size() && s[j] == '$') return s.substr(i, j - i + 1);
  return {};
}

}  // namespace

Result<std::vector<SqlStatement>> SplitSqlScript(std::string_view s) {
  std::vector<SqlStatement> out;
  int line = 1;
  std::string current;
  int start_line = 0;  // 0: no statement text yet
  auto flush = [&] {
    size_t end = current.size();
    while (end > 0 && std::isspace(static_cast<unsigned char>(current[end - 1]))) --end;
    current.resize(end);
    if (!current.empty()) out.push_back({std::move(current), start_line});
    current.clear();
    start_line = 0;
  };
  auto open_error = [&](std::string_view what, int at) {
    return Status::ConfigError(fmt::format("line {}: {} is not closed", at, what));
  };
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const char next = i + 1 < s.size() ? s[i + 1] : '\0';
    if (c == '-' && next == '-') {  // a line comment: kept inside a statement, dropped before one
      const size_t end = s.find('\n', i);
      const size_t stop = end == std::string_view::npos ? s.size() : end;
      if (start_line != 0) current.append(s.substr(i, stop - i));
      i = stop;
      continue;
    }
    if (c == '/' && next == '*') {
      const int opened = line;
      size_t j = i + 2;
      int depth = 1;
      while (j < s.size() && depth > 0) {
        if (s[j] == '\n') ++line;
        if (s[j] == '/' && j + 1 < s.size() && s[j + 1] == '*') {
          ++depth;
          j += 2;
        } else if (s[j] == '*' && j + 1 < s.size() && s[j + 1] == '/') {
          --depth;
          j += 2;
        } else {
          ++j;
        }
      }
      if (depth > 0) return open_error("a /* comment */", opened);
      if (start_line != 0) current.append(s.substr(i, j - i));
      i = j;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (c == '\n') ++line;
      if (start_line != 0) current += c;
      ++i;
      continue;
    }
    if (c == ';') {
      flush();
      ++i;
      continue;
    }
    if (start_line == 0) start_line = line;
    if (c == '\'' || c == '"') {
      const bool escapes = c == '\'' && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
                           (i < 2 || !IdentChar(s[i - 2]));
      const int opened = line;
      size_t j = i + 1;
      bool closed = false;
      while (j < s.size()) {
        if (s[j] == '\n') ++line;
        if (escapes && s[j] == '\\' && j + 1 < s.size()) {
          if (s[j + 1] == '\n') ++line;
          j += 2;
          continue;
        }
        if (s[j] == c) {
          if (j + 1 < s.size() && s[j + 1] == c) {  // '' or "" inside
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        }
        ++j;
      }
      if (!closed) return open_error(c == '\'' ? "a 'string'" : "a \"quoted identifier\"", opened);
      current.append(s.substr(i, j - i));
      i = j;
      continue;
    }
    if (c == '$') {
      const std::string_view tag = DollarTag(s, i);
      if (!tag.empty()) {
        const int opened = line;
        const size_t end = s.find(tag, i + tag.size());
        if (end == std::string_view::npos) return open_error(fmt::format("a {} body", tag), opened);
        const size_t stop = end + tag.size();
        for (size_t k = i; k < stop; ++k) line += s[k] == '\n';
        current.append(s.substr(i, stop - i));
        i = stop;
        continue;
      }
    }
    current += c;
    ++i;
  }
  flush();
  return out;
}

bool IsTransactionControl(std::string_view statement) {
  std::vector<std::string> words;
  std::string word;
  for (char c : statement) {
    if (IdentChar(c)) {
      word += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
      if (words.size() == 2) break;
    }
    if (!IdentChar(c) && c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
  }
  if (!word.empty() && words.size() < 2) words.push_back(std::move(word));
  if (words.empty()) return false;
  const std::string& w = words[0];
  const std::string second = words.size() > 1 ? words[1] : "";
  if (w == "BEGIN" || w == "COMMIT" || w == "END" || w == "ABORT") return true;
  if (w == "START") return second == "TRANSACTION";
  if (w == "ROLLBACK") return second != "TO";
  if (w == "PREPARE") return second == "TRANSACTION";
  return false;
}

}  // namespace sluice

#include "s3/xml.h"

#include <cctype>

#include <fmt/format.h>

namespace sluice {
namespace {

const std::string kEmpty;

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Parser {
 public:
  explicit Parser(std::string_view doc) : doc_(doc) {}

  Result<XmlElement> Document() {
    SLUICE_RETURN_IF_ERROR(SkipMisc());
    if (pos_ >= doc_.size() || doc_[pos_] != '<') return Error("expected a root element");
    XmlElement root;
    SLUICE_RETURN_IF_ERROR(Element(root, 0));
    return root;
  }

 private:
  Status Error(std::string_view what) const {
    return Status::SystemError(fmt::format("malformed XML from S3: {} at byte {}", what, pos_));
  }

  bool StartsWith(std::string_view s) const { return doc_.substr(pos_, s.size()) == s; }

  Status SkipPast(std::string_view terminator) {
    const size_t end = doc_.find(terminator, pos_);
    if (end == std::string_view::npos) return Error(fmt::format("unterminated construct (no '{}')", terminator));
    pos_ = end + terminator.size();
    return Status::Ok();
  }

  // Whitespace, <?...?>, <!--...-->, <!DOCTYPE ...> before or after the root.
  Status SkipMisc() {
    for (;;) {
      while (pos_ < doc_.size() && std::isspace(static_cast<unsigned char>(doc_[pos_]))) ++pos_;
      if (StartsWith("<?")) {
        SLUICE_RETURN_IF_ERROR(SkipPast("?>"));
      } else if (StartsWith("<!--")) {
        SLUICE_RETURN_IF_ERROR(SkipPast("-->"));
      } else if (StartsWith("<!")) {
        SLUICE_RETURN_IF_ERROR(SkipPast(">"));
      } else {
        return Status::Ok();
      }
    }
  }

  static std::string_view LocalName(std::string_view name) {
    const size_t colon = name.find(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
  }

  Status Text(std::string& out, size_t end) {
    while (pos_ < end) {
      const char c = doc_[pos_];
      if (c != '&') {
        out += c;
        ++pos_;
        continue;
      }
      const size_t semi = doc_.find(';', pos_);
      if (semi == std::string_view::npos || semi > end) return Error("unterminated entity");
      const std::string_view entity = doc_.substr(pos_ + 1, semi - pos_ - 1);
      if (entity == "amp") {
        out += '&';
      } else if (entity == "lt") {
        out += '<';
      } else if (entity == "gt") {
        out += '>';
      } else if (entity == "quot") {
        out += '"';
      } else if (entity == "apos") {
        out += '\'';
      } else if (entity.size() > 1 && entity[0] == '#') {
        uint32_t cp = 0;
        const bool hex = entity[1] == 'x' || entity[1] == 'X';
        for (size_t i = hex ? 2 : 1; i < entity.size(); ++i) {
          const char d = entity[i];
          int v;
          if (d >= '0' && d <= '9') {
            v = d - '0';
          } else if (hex && d >= 'a' && d <= 'f') {
            v = d - 'a' + 10;
          } else if (hex && d >= 'A' && d <= 'F') {
            v = d - 'A' + 10;
          } else {
            return Error("invalid character reference");
          }
          cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
          if (cp > 0x10FFFF) return Error("invalid character reference");
        }
        AppendUtf8(out, cp);
      } else {
        return Error(fmt::format("unknown entity '&{};'", entity));
      }
      pos_ = semi + 1;
    }
    return Status::Ok();
  }

  // REQUIRES: doc_[pos_] == '<' starting a start tag.
  Status Element(XmlElement& element, int depth) {
    if (depth > 64) return Error("elements nested too deeply");
    ++pos_;
    const size_t name_begin = pos_;
    while (pos_ < doc_.size() && !std::isspace(static_cast<unsigned char>(doc_[pos_])) && doc_[pos_] != '>' &&
           doc_[pos_] != '/') {
      ++pos_;
    }
    const std::string_view name = doc_.substr(name_begin, pos_ - name_begin);
    if (name.empty()) return Error("empty element name");
    element.name = std::string(LocalName(name));
    // Attributes: skipped, minding quoted values that may hold '>'.
    bool self_closing = false;
    for (;;) {
      if (pos_ >= doc_.size()) return Error("unterminated start tag");
      const char c = doc_[pos_];
      if (c == '"' || c == '\'') {
        const size_t close = doc_.find(c, pos_ + 1);
        if (close == std::string_view::npos) return Error("unterminated attribute value");
        pos_ = close + 1;
      } else if (c == '/' && pos_ + 1 < doc_.size() && doc_[pos_ + 1] == '>') {
        self_closing = true;
        pos_ += 2;
        break;
      } else if (c == '>') {
        ++pos_;
        break;
      } else {
        ++pos_;
      }
    }
    if (self_closing) return Status::Ok();

    for (;;) {
      const size_t lt = doc_.find('<', pos_);
      if (lt == std::string_view::npos) return Error(fmt::format("element <{}> is not closed", element.name));
      SLUICE_RETURN_IF_ERROR(Text(element.text, lt));
      if (StartsWith("</")) {
        const size_t gt = doc_.find('>', pos_);
        if (gt == std::string_view::npos) return Error("unterminated end tag");
        std::string_view end_name = doc_.substr(pos_ + 2, gt - pos_ - 2);
        while (!end_name.empty() && std::isspace(static_cast<unsigned char>(end_name.back()))) end_name.remove_suffix(1);
        if (LocalName(end_name) != element.name) {
          return Error(fmt::format("</{}> closes <{}>", end_name, element.name));
        }
        pos_ = gt + 1;
        return Status::Ok();
      }
      if (StartsWith("<!--")) {
        SLUICE_RETURN_IF_ERROR(SkipPast("-->"));
      } else if (StartsWith("<![CDATA[")) {
        const size_t begin = pos_ + 9;
        SLUICE_RETURN_IF_ERROR(SkipPast("]]>"));
        element.text.append(doc_.substr(begin, pos_ - 3 - begin));
      } else if (StartsWith("<?")) {
        SLUICE_RETURN_IF_ERROR(SkipPast("?>"));
      } else {
        element.children.emplace_back();
        SLUICE_RETURN_IF_ERROR(Element(element.children.back(), depth + 1));
      }
    }
  }

  std::string_view doc_;
  size_t pos_ = 0;
};

}  // namespace

const XmlElement* XmlElement::Child(std::string_view child_name) const {
  for (const XmlElement& c : children) {
    if (c.name == child_name) return &c;
  }
  return nullptr;
}

const std::string& XmlElement::ChildText(std::string_view child_name) const {
  const XmlElement* c = Child(child_name);
  return c ? c->text : kEmpty;
}

Result<XmlElement> ParseXml(std::string_view document) { return Parser(document).Document(); }

void AppendXmlEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace sluice

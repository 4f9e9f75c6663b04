// The Jinja2 subset (template.h): a lexer and recursive-descent parser producing an AST of
// statements and expressions, and a tree-walking evaluator over jinja::Value. Errors inside the
// evaluator are thrown as TemplateError and turned into a Status at Render's edge.

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <regex>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/text.h"
#include "base/time.h"
#include "template/jinja_value.h"
#include "template/py_datetime.h"
#include "template/template.h"

namespace sluice {

TemplateContext::Entry& TemplateContext::Slot(std::string name) {
  for (Entry& e : vars_) {
    if (e.name == name) {
      e = Entry{e.name};
      return e;
    }
  }
  vars_.push_back(Entry{std::move(name)});
  return vars_.back();
}

void TemplateContext::Set(std::string name, const Json* value) { Slot(std::move(name)).json = value; }

void TemplateContext::SetValue(std::string name, TemplateValue value) {
  Entry& e = Slot(std::move(name));
  e.owned = std::make_shared<const TemplateValue>(std::move(value));
  e.json = &e.owned->json;
}

void TemplateContext::SetFunction(std::string name, TemplateFunction function) {
  Slot(std::move(name)).function = std::make_shared<const TemplateFunction>(std::move(function));
}

const Json* TemplateContext::Find(std::string_view name) const {
  for (const Entry& e : vars_) {
    if (e.name == name) return e.json;
  }
  return nullptr;
}

const std::string* TemplateContext::FindText(std::string_view name) const {
  for (const Entry& e : vars_) {
    if (e.name == name) return e.owned && e.owned->text ? &*e.owned->text : nullptr;
  }
  return nullptr;
}

const TemplateFunction* TemplateContext::FindFunction(std::string_view name) const {
  for (const Entry& e : vars_) {
    if (e.name == name) return e.function.get();
  }
  return nullptr;
}

bool IsTemplate(std::string_view text) {
  return text.find("{{") != std::string_view::npos || text.find("{%") != std::string_view::npos ||
         text.find("{#") != std::string_view::npos;
}

namespace jinja {
namespace {

struct TemplateError {
  TemplateErrorKind kind;
  std::string message;
  int line = 0;       // 1-based line of the statement that failed (0: not known yet)
  std::string file;   // the macro file when the failing statement is in an added macro
};

[[noreturn]] void Fail(TemplateErrorKind kind, std::string message) { throw TemplateError{kind, std::move(message)}; }
[[noreturn]] void SyntaxError(std::string message) { Fail(TemplateErrorKind::kSyntax, std::move(message)); }
[[noreturn]] void TypeError(std::string message) { Fail(TemplateErrorKind::kType, std::move(message)); }
[[noreturn]] void UndefinedError(const Value& v) {
  Fail(TemplateErrorKind::kUndefined, v.s.empty() ? "a value is undefined" : v.s);
}

// ---------------------------------------------------------------- lexer

enum class Tok { kName, kInt, kFloat, kString, kOp, kEnd };

struct Token {
  Tok type;
  std::string text;  // name, operator, or the unescaped string
  int64_t i = 0;
  double f = 0;
};

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

//! Tokenizes the expression starting at src[pos] until `close` ("}}" or "%}") outside a string;
//! pos ends after the closing delimiter; `strip_after` tells whether it was "-}}" / "-%}".
std::vector<Token> Tokenize(std::string_view src, size_t& pos, std::string_view close, bool& strip_after) {
  std::vector<Token> out;
  static constexpr std::string_view kOps[] = {"**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<",
                                              ">",  "(",  ")",  "[",  "]",  "{",  "}", ".", ",", ":", "|", "="};
  while (true) {
    while (pos < src.size() && std::isspace(static_cast<unsigned char>(src[pos]))) ++pos;
    if (pos >= src.size()) SyntaxError(fmt::format("unexpected end of template, expected '{}'", close));
    if (src.substr(pos, close.size()) == close) {
      pos += close.size();
      strip_after = false;
      break;
    }
    if (src[pos] == '-' && src.substr(pos + 1, close.size()) == close) {
      pos += 1 + close.size();
      strip_after = true;
      break;
    }
    const char c = src[pos];
    if (IsNameStart(c)) {
      size_t start = pos;
      while (pos < src.size() && IsNameChar(src[pos])) ++pos;
      out.push_back({Tok::kName, std::string(src.substr(start, pos - start))});
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t start = pos;
      bool is_float = false;
      while (pos < src.size() && (std::isdigit(static_cast<unsigned char>(src[pos])) || src[pos] == '_')) ++pos;
      if (pos + 1 < src.size() && src[pos] == '.' && std::isdigit(static_cast<unsigned char>(src[pos + 1]))) {
        is_float = true;
        ++pos;
        while (pos < src.size() && (std::isdigit(static_cast<unsigned char>(src[pos])) || src[pos] == '_')) ++pos;
      }
      if (pos < src.size() && (src[pos] == 'e' || src[pos] == 'E')) {
        size_t p = pos + 1;
        if (p < src.size() && (src[p] == '+' || src[p] == '-')) ++p;
        if (p < src.size() && std::isdigit(static_cast<unsigned char>(src[p]))) {
          is_float = true;
          pos = p;
          while (pos < src.size() && std::isdigit(static_cast<unsigned char>(src[pos]))) ++pos;
        }
      }
      std::string digits;
      for (char d : src.substr(start, pos - start)) {
        if (d != '_') digits += d;
      }
      Token t{is_float ? Tok::kFloat : Tok::kInt, digits};
      if (is_float) {
        t.f = std::strtod(digits.c_str(), nullptr);
      } else {
        auto r = std::from_chars(digits.data(), digits.data() + digits.size(), t.i);
        if (r.ec != std::errc()) {
          t.type = Tok::kFloat;
          t.f = std::strtod(digits.c_str(), nullptr);
        }
      }
      out.push_back(std::move(t));
    } else if (c == '\'' || c == '"') {
      ++pos;
      std::string s;
      while (true) {
        if (pos >= src.size()) SyntaxError("unterminated string");
        char d = src[pos++];
        if (d == c) break;
        if (d == '\\' && pos < src.size()) {
          char e = src[pos++];
          switch (e) {
            case 'n': s += '\n'; break;
            case 't': s += '\t'; break;
            case 'r': s += '\r'; break;
            case '\\': s += '\\'; break;
            case '\'': s += '\''; break;
            case '"': s += '"'; break;
            case '0': s += '\0'; break;
            default: s += '\\'; s += e; break;  // Python keeps unknown escapes as written
          }
          continue;
        }
        s += d;
      }
      out.push_back({Tok::kString, std::move(s)});
    } else {
      bool matched = false;
      for (std::string_view op : kOps) {
        if (src.substr(pos, op.size()) == op) {
          out.push_back({Tok::kOp, std::string(op)});
          pos += op.size();
          matched = true;
          break;
        }
      }
      if (!matched) SyntaxError(fmt::format("unexpected character '{}'", c));
    }
  }
  out.push_back({Tok::kEnd, ""});
  return out;
}

// The filter and test names the evaluator knows; others fail at parse time, as in Jinja.
bool IsKnownFilter(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "default", "d", "string", "tojson", "length", "count", "list", "first", "last", "join", "map", "items", "sum",
      "min", "max", "unique", "sort", "reverse", "safe", "int", "float", "abs", "round", "lower", "upper",
      "capitalize", "title", "trim", "replace", "urlencode", "base64encode", "base64decode", "base64binascii_decode",
      "hash", "hmac", "regex_search"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

bool IsKnownTest(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "defined", "undefined", "none", "boolean", "true", "false", "number", "integer", "float", "string", "mapping",
      "sequence", "iterable", "lower", "upper", "even", "odd", "divisibleby", "eq", "equalto", "sameas", "ne", "lt",
      "lessthan", "gt", "greaterthan", "le", "ge", "in"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

// ---------------------------------------------------------------- AST

struct Node;
using NodePtr = std::unique_ptr<Node>;

enum class NodeType {
  kLiteral, kName, kList, kTuple, kDict, kAttr, kItem, kSlice, kCall, kFilter, kTest,
  kNeg, kPos, kNot, kBinary, kCompare, kAnd, kOr, kCond
};

struct Node {
  NodeType type;
  Value literal;
  std::string name;                 // name, attribute, filter, test, binary operator
  std::vector<NodePtr> children;    // operands / arguments (first is the subject)
  std::vector<std::pair<std::string, NodePtr>> kwargs;
  std::vector<std::string> ops;     // comparison chain
  bool negated = false;             // "is not"
};

NodePtr MakeNode(NodeType type) {
  auto n = std::make_unique<Node>();
  n->type = type;
  return n;
}

enum class StmtType { kText, kOutput, kIf, kFor, kSet, kSetBlock, kMacro };

struct Stmt {
  StmtType type;
  std::string text;  // text; macro: its name
  NodePtr expr;  // output / for iterable / set value
  std::vector<std::pair<NodePtr, std::vector<Stmt>>> branches;  // if: (condition or null for else, body)
  std::vector<std::string> targets;                             // for / set
  std::vector<Stmt> body, else_body;                            // for, set block, macro: body
  std::vector<std::pair<std::string, NodePtr>> params = {};     // macro: parameters and defaults
  int line = 0;                                                 // 1-based line of the tag
};

// ---------------------------------------------------------------- expression parser

class ExprParser {
 public:
  explicit ExprParser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  NodePtr ParseAll() {
    NodePtr n = ParseTupleOrExpr();
    if (Peek().type != Tok::kEnd) SyntaxError(fmt::format("unexpected '{}'", Peek().text));
    return n;
  }
  const Token& Peek(size_t ahead = 0) const { return t_[std::min(p_ + ahead, t_.size() - 1)]; }
  bool AtName(std::string_view n) const { return Peek().type == Tok::kName && Peek().text == n; }
  bool AtOp(std::string_view o) const { return Peek().type == Tok::kOp && Peek().text == o; }
  bool AtEnd() const { return Peek().type == Tok::kEnd; }
  Token Next() { return t_[std::min(p_++, t_.size() - 1)]; }
  void Expect(std::string_view op) {
    if (!AtOp(op)) SyntaxError(fmt::format("expected '{}', got '{}'", op, Peek().type == Tok::kEnd ? "end" : Peek().text));
    ++p_;
  }
  std::string ExpectName() {
    if (Peek().type != Tok::kName) SyntaxError("expected a name");
    return Next().text;
  }

  NodePtr ParseTupleOrExpr() {
    NodePtr first = ParseExpr();
    if (!AtOp(",")) return first;
    NodePtr tuple = MakeNode(NodeType::kTuple);
    tuple->children.push_back(std::move(first));
    while (AtOp(",")) {
      ++p_;
      if (Peek().type == Tok::kEnd) break;
      tuple->children.push_back(ParseExpr());
    }
    return tuple;
  }

  NodePtr ParseExpr() {
    NodePtr n = ParseOr();
    if (AtName("if")) {
      ++p_;
      NodePtr cond = MakeNode(NodeType::kCond);
      cond->children.push_back(ParseOr());
      cond->children.push_back(std::move(n));
      if (AtName("else")) {
        ++p_;
        cond->children.push_back(ParseExpr());
      }
      return cond;
    }
    return n;
  }

 private:
  NodePtr ParseOr() {
    NodePtr n = ParseAnd();
    while (AtName("or")) {
      ++p_;
      NodePtr o = MakeNode(NodeType::kOr);
      o->children.push_back(std::move(n));
      o->children.push_back(ParseAnd());
      n = std::move(o);
    }
    return n;
  }
  NodePtr ParseAnd() {
    NodePtr n = ParseNot();
    while (AtName("and")) {
      ++p_;
      NodePtr a = MakeNode(NodeType::kAnd);
      a->children.push_back(std::move(n));
      a->children.push_back(ParseNot());
      n = std::move(a);
    }
    return n;
  }
  NodePtr ParseNot() {
    if (AtName("not")) {
      ++p_;
      NodePtr n = MakeNode(NodeType::kNot);
      n->children.push_back(ParseNot());
      return n;
    }
    return ParseCompare();
  }
  NodePtr ParseCompare() {
    NodePtr first = ParseMath1();
    NodePtr cmp;
    while (true) {
      std::string op;
      if (Peek().type == Tok::kOp && (Peek().text == "==" || Peek().text == "!=" || Peek().text == "<" ||
                                      Peek().text == ">" || Peek().text == "<=" || Peek().text == ">=")) {
        op = Next().text;
      } else if (AtName("in")) {
        ++p_;
        op = "in";
      } else if (AtName("not") && Peek(1).type == Tok::kName && Peek(1).text == "in") {
        p_ += 2;
        op = "notin";
      } else {
        break;
      }
      if (!cmp) {
        cmp = MakeNode(NodeType::kCompare);
        cmp->children.push_back(std::move(first));
      }
      cmp->ops.push_back(op);
      cmp->children.push_back(ParseMath1());
    }
    return cmp ? std::move(cmp) : std::move(first);
  }
  NodePtr Binary(std::string op, NodePtr a, NodePtr b) {
    NodePtr n = MakeNode(NodeType::kBinary);
    n->name = std::move(op);
    n->children.push_back(std::move(a));
    n->children.push_back(std::move(b));
    return n;
  }
  NodePtr ParseMath1() {
    NodePtr n = ParseConcat();
    while (AtOp("+") || AtOp("-")) {
      std::string op = Next().text;
      n = Binary(op, std::move(n), ParseConcat());
    }
    return n;
  }
  NodePtr ParseConcat() {
    NodePtr n = ParseMath2();
    while (AtOp("~")) {
      ++p_;
      n = Binary("~", std::move(n), ParseMath2());
    }
    return n;
  }
  NodePtr ParseMath2() {
    NodePtr n = ParsePow();
    while (AtOp("*") || AtOp("/") || AtOp("//") || AtOp("%")) {
      std::string op = Next().text;
      n = Binary(op, std::move(n), ParsePow());
    }
    return n;
  }
  NodePtr ParsePow() {
    NodePtr n = ParseUnary(true);
    while (AtOp("**")) {
      ++p_;
      n = Binary("**", std::move(n), ParseUnary(true));
    }
    return n;
  }
  NodePtr ParseUnary(bool with_filter) {
    NodePtr n;
    if (AtOp("-") || AtOp("+")) {
      const bool neg = Next().text == "-";
      n = MakeNode(neg ? NodeType::kNeg : NodeType::kPos);
      n->children.push_back(ParseUnary(false));
    } else {
      n = ParsePostfix(ParsePrimary());
    }
    if (with_filter) n = ParseFilterExpr(std::move(n));
    return n;
  }
  NodePtr ParsePrimary() {
    Token t = Next();
    switch (t.type) {
      case Tok::kInt: { NodePtr n = MakeNode(NodeType::kLiteral); n->literal = Value::Int(t.i); return n; }
      case Tok::kFloat: { NodePtr n = MakeNode(NodeType::kLiteral); n->literal = Value::Float(t.f); return n; }
      case Tok::kString: {
        std::string s = t.text;
        while (Peek().type == Tok::kString) s += Next().text;  // adjacent literals concatenate
        NodePtr n = MakeNode(NodeType::kLiteral);
        n->literal = Value::Str(std::move(s));
        return n;
      }
      case Tok::kName: {
        NodePtr n = MakeNode(NodeType::kLiteral);
        if (t.text == "true" || t.text == "True") n->literal = Value::Bool(true);
        else if (t.text == "false" || t.text == "False") n->literal = Value::Bool(false);
        else if (t.text == "none" || t.text == "None") n->literal = Value::None();
        else {
          n->type = NodeType::kName;
          n->name = t.text;
        }
        return n;
      }
      case Tok::kOp:
        if (t.text == "(") {
          if (AtOp(")")) {
            ++p_;
            return MakeNode(NodeType::kTuple);
          }
          NodePtr n = ParseTupleOrExpr();
          Expect(")");
          return n;
        }
        if (t.text == "[") {
          NodePtr n = MakeNode(NodeType::kList);
          while (!AtOp("]")) {
            n->children.push_back(ParseExpr());
            if (!AtOp(",")) break;
            ++p_;
          }
          Expect("]");
          return n;
        }
        if (t.text == "{") {
          NodePtr n = MakeNode(NodeType::kDict);
          while (!AtOp("}")) {
            n->children.push_back(ParseExpr());
            Expect(":");
            n->children.push_back(ParseExpr());
            if (!AtOp(",")) break;
            ++p_;
          }
          Expect("}");
          return n;
        }
        SyntaxError(fmt::format("unexpected '{}'", t.text));
      case Tok::kEnd: SyntaxError("unexpected end of expression");
    }
    SyntaxError("unexpected token");
  }
  void ParseArgs(Node& call) {
    Expect("(");
    while (!AtOp(")")) {
      if (Peek().type == Tok::kName && Peek(1).type == Tok::kOp && Peek(1).text == "=") {
        std::string key = Next().text;
        ++p_;
        call.kwargs.emplace_back(std::move(key), ParseExpr());
      } else {
        call.children.push_back(ParseExpr());
      }
      if (!AtOp(",")) break;
      ++p_;
    }
    Expect(")");
  }
  NodePtr ParsePostfix(NodePtr n) {
    while (true) {
      if (AtOp(".")) {
        ++p_;
        NodePtr a = MakeNode(NodeType::kAttr);
        if (Peek().type == Tok::kInt) {
          a->type = NodeType::kItem;
          NodePtr k = MakeNode(NodeType::kLiteral);
          k->literal = Value::Int(Next().i);
          a->children.push_back(std::move(n));
          a->children.push_back(std::move(k));
        } else {
          a->name = ExpectName();
          a->children.push_back(std::move(n));
        }
        n = std::move(a);
      } else if (AtOp("[")) {
        ++p_;
        NodePtr lower, upper;
        bool slice = false;
        if (!AtOp(":")) lower = ParseExpr();
        if (AtOp(":")) {
          slice = true;
          ++p_;
          if (!AtOp("]")) upper = ParseExpr();
        }
        Expect("]");
        NodePtr item = MakeNode(slice ? NodeType::kSlice : NodeType::kItem);
        item->children.push_back(std::move(n));
        item->children.push_back(std::move(lower));
        if (slice) item->children.push_back(std::move(upper));
        n = std::move(item);
      } else if (AtOp("(")) {
        NodePtr call = MakeNode(NodeType::kCall);
        call->children.push_back(std::move(n));
        ParseArgs(*call);
        n = std::move(call);
      } else {
        return n;
      }
    }
  }
  NodePtr ParseFilterExpr(NodePtr n) {
    while (true) {
      if (AtOp("|")) {
        ++p_;
        NodePtr f = MakeNode(NodeType::kFilter);
        f->name = ExpectName();
        if (!IsKnownFilter(f->name)) SyntaxError(fmt::format("no filter named '{}'", f->name));
        f->children.push_back(std::move(n));
        if (AtOp("(")) ParseArgs(*f);
        n = std::move(f);
      } else if (AtName("is")) {
        ++p_;
        NodePtr t = MakeNode(NodeType::kTest);
        if (AtName("not")) {
          ++p_;
          t->negated = true;
        }
        t->name = ExpectName();
        if (!IsKnownTest(t->name)) SyntaxError(fmt::format("no test named '{}'", t->name));
        t->children.push_back(std::move(n));
        if (AtOp("(")) {
          ParseArgs(*t);
        } else if (Peek().type == Tok::kInt || Peek().type == Tok::kFloat || Peek().type == Tok::kString ||
                   (Peek().type == Tok::kName && Peek().text != "and" && Peek().text != "or" && Peek().text != "if" &&
                    Peek().text != "else" && Peek().text != "is" && Peek().text != "in" && Peek().text != "not")) {
          t->children.push_back(ParsePostfix(ParsePrimary()));  // `x is divisibleby 3`
        }
        n = std::move(t);
      } else {
        return n;
      }
    }
  }

  std::vector<Token> t_;
  size_t p_ = 0;
};

// ---------------------------------------------------------------- statement parser

struct Template {
  std::vector<Stmt> body;
};

class TemplateParser {
 public:
  explicit TemplateParser(std::string_view src) : src_(src) {}

  Template Parse() {
    Template t;
    std::string end_tag;
    try {
      t.body = ParseBody({}, end_tag);
      if (!end_tag.empty()) SyntaxError(fmt::format("unexpected '{{% {} %}}'", end_tag));
    } catch (TemplateError& e) {
      if (e.line == 0) e.line = LineAt(tag_start_);
      throw;
    }
    // keep_trailing_newline=False: one trailing newline of the template is dropped.
    if (!t.body.empty() && t.body.back().type == StmtType::kText) {
      std::string& s = t.body.back().text;
      if (!s.empty() && s.back() == '\n') s.pop_back();
      if (!s.empty() && s.back() == '\r') s.pop_back();
    }
    return t;
  }

 private:
  // Parses statements until one of `ends` (a block keyword) starts a tag; `found` gets it
  // ("" at the end of the text). The tag's tokens are left in `tag_`.
  std::vector<Stmt> ParseBody(const std::vector<std::string>& ends, std::string& found, int open_line = 0,
                              std::string_view block = {}) {
    std::vector<Stmt> out;
    while (pos_ < src_.size()) {
      const size_t open = FindOpen(pos_);
      tag_start_ = open;
      std::string text(src_.substr(pos_, open - pos_));
      pos_ = open;
      const bool strip_before = open + 2 < src_.size() && src_[open + 2] == '-';
      if (strip_before) {
        while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
      }
      if (strip_next_) {
        size_t k = 0;
        while (k < text.size() && std::isspace(static_cast<unsigned char>(text[k]))) ++k;
        text.erase(0, k);
        strip_next_ = false;
      }
      if (!text.empty()) out.push_back(Stmt{StmtType::kText, std::move(text), nullptr, {}, {}, {}, {}});
      if (open >= src_.size()) break;
      const std::string_view kind = src_.substr(open, 2);
      pos_ = open + 2 + (strip_before ? 1 : 0);
      if (kind == "{#") {
        const size_t close = src_.find("#}", pos_);
        if (close == std::string_view::npos) SyntaxError("unterminated comment");
        strip_next_ = close > 0 && src_[close - 1] == '-';
        pos_ = close + 2;
        continue;
      }
      bool strip_after = false;
      std::vector<Token> tokens = Tokenize(src_, pos_, kind == "{{" ? "}}" : "%}", strip_after);
      strip_next_ = strip_after;
      if (kind == "{{") {
        Stmt s{StmtType::kOutput, {}, ExprParser(std::move(tokens)).ParseAll(), {}, {}, {}, {}};
        s.line = LineAt(open);
        out.push_back(std::move(s));
        continue;
      }
      const int line = LineAt(open);
      if (tokens.empty() || tokens[0].type != Tok::kName) SyntaxError("expected a tag name after '{%'");
      const std::string tag = tokens[0].text;
      if (std::find(ends.begin(), ends.end(), tag) != ends.end()) {
        found = tag;
        tag_ = std::move(tokens);
        return out;
      }
      if (tag == "if") {
        out.push_back(ParseIf(std::move(tokens), line));
      } else if (tag == "for") {
        out.push_back(ParseFor(std::move(tokens), line));
      } else if (tag == "macro") {
        out.push_back(ParseMacro(std::move(tokens), line));
      } else if (tag == "set") {
        ExprParser p(std::move(tokens));
        p.Next();
        Stmt s{StmtType::kSet, {}, nullptr, {}, {}, {}, {}};
        s.line = line;
        s.targets.push_back(p.ExpectName());
        while (p.AtOp(",")) {
          p.Next();
          s.targets.push_back(p.ExpectName());
        }
        if (p.AtEnd() && s.targets.size() == 1) {  // {% set x %}…{% endset %}
          s.type = StmtType::kSetBlock;
          std::string end;
          s.body = ParseBody({"endset"}, end, line, "set");
        } else {
          p.Expect("=");
          s.expr = p.ParseAll();
        }
        out.push_back(std::move(s));
      } else {
        SyntaxError(fmt::format("unknown tag '{}'", tag));
      }
    }
    found.clear();
    if (!ends.empty()) {
      throw TemplateError{TemplateErrorKind::kSyntax,
                          fmt::format("'{{% {} %}}' is never closed by '{{% {} %}}'", block, ends.back()), open_line};
    }
    return out;
  }

  int LineAt(size_t offset) const {
    offset = std::min(offset, src_.size());
    return 1 + int(std::count(src_.begin(), src_.begin() + long(offset), '\n'));
  }

  // {% macro name(a, b=default) %}…{% endmacro %}
  Stmt ParseMacro(std::vector<Token> tokens, int line) {
    Stmt s{StmtType::kMacro, {}, nullptr, {}, {}, {}, {}};
    s.line = line;
    ExprParser p(std::move(tokens));
    p.Next();
    s.text = p.ExpectName();
    p.Expect("(");
    while (!p.AtOp(")")) {
      std::string name = p.ExpectName();
      NodePtr dflt;
      if (p.AtOp("=")) {
        p.Next();
        dflt = p.ParseExpr();
      }
      s.params.emplace_back(std::move(name), std::move(dflt));
      if (!p.AtOp(",")) break;
      p.Next();
    }
    p.Expect(")");
    if (!p.AtEnd()) SyntaxError("unexpected text after the macro's parameters");
    std::string end;
    s.body = ParseBody({"endmacro"}, end, line, "macro");
    return s;
  }

  Stmt ParseIf(std::vector<Token> tokens, int line) {
    Stmt s{StmtType::kIf, {}, nullptr, {}, {}, {}, {}};
    s.line = line;
    ExprParser p(std::move(tokens));
    p.Next();
    NodePtr cond = p.ParseAll();
    while (true) {
      std::string found;
      std::vector<Stmt> body = ParseBody({"elif", "else", "endif"}, found, line, "if");
      s.branches.emplace_back(std::move(cond), std::move(body));
      if (found == "endif") break;
      if (found == "elif") {
        ExprParser q(std::move(tag_));
        q.Next();
        cond = q.ParseAll();
      } else {  // else
        cond = nullptr;
        std::string end;
        std::vector<Stmt> else_body = ParseBody({"endif"}, end, line, "if");
        s.branches.emplace_back(nullptr, std::move(else_body));
        break;
      }
    }
    return s;
  }

  Stmt ParseFor(std::vector<Token> tokens, int line) {
    Stmt s{StmtType::kFor, {}, nullptr, {}, {}, {}, {}};
    s.line = line;
    ExprParser p(std::move(tokens));
    p.Next();
    s.targets.push_back(p.ExpectName());
    while (p.AtOp(",")) {
      p.Next();
      s.targets.push_back(p.ExpectName());
    }
    if (!p.AtName("in")) SyntaxError("expected 'in' in a for tag");
    p.Next();
    s.expr = p.ParseAll();
    std::string found;
    s.body = ParseBody({"else", "endfor"}, found, line, "for");
    if (found == "else") {
      std::string end;
      s.else_body = ParseBody({"endfor"}, end, line, "for");
    }
    return s;
  }

  size_t FindOpen(size_t from) const {
    size_t p = from;
    while (true) {
      p = src_.find('{', p);
      if (p == std::string_view::npos || p + 1 >= src_.size()) return src_.size();
      const char c = src_[p + 1];
      if (c == '{' || c == '%' || c == '#') return p;
      ++p;
    }
  }

  std::string_view src_;
  size_t pos_ = 0;
  bool strip_next_ = false;
  size_t tag_start_ = 0;
  std::vector<Token> tag_;
};

// ---------------------------------------------------------------- evaluator

struct Args {
  ValueList pos;
  std::vector<std::pair<std::string, Value>> kw;

  const Value* Get(size_t index, std::string_view name) const {
    if (index < pos.size()) return &pos[index];
    for (const auto& [k, v] : kw) {
      if (k == name) return &v;
    }
    return nullptr;
  }
};

std::string ExpectString(const Value& v, std::string_view what) {
  if (v.undefined()) UndefinedError(v);
  if (v.kind != Kind::kString) TypeError(fmt::format("{} expects a string, got {}", what, TypeName(v)));
  return v.s;
}

int64_t ExpectInt(const Value& v, std::string_view what) {
  if (v.undefined()) UndefinedError(v);
  if (v.kind != Kind::kInt && v.kind != Kind::kBool) TypeError(fmt::format("{} expects an integer, got {}", what, TypeName(v)));
  return v.AsInt();
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

Value Arithmetic(const std::string& op, const Value& a, const Value& b) {
  if (op == "~") return Value::Str(Str(a) + Str(b));
  if (a.undefined()) UndefinedError(a);
  if (b.undefined()) UndefinedError(b);
  auto bad = [&]() -> Value {
    TypeError(fmt::format("unsupported operand type(s) for {}: '{}' and '{}'", op, TypeName(a), TypeName(b)));
  };
  if (a.is_number() && b.is_number()) {
    const bool floats = a.kind == Kind::kFloat || b.kind == Kind::kFloat;
    if (op == "/") {
      if (b.AsDouble() == 0) TypeError("division by zero");
      return Value::Float(a.AsDouble() / b.AsDouble());
    }
    if (floats) {
      const double x = a.AsDouble(), y = b.AsDouble();
      if (op == "+") return Value::Float(x + y);
      if (op == "-") return Value::Float(x - y);
      if (op == "*") return Value::Float(x * y);
      if (op == "**") return Value::Float(std::pow(x, y));
      if (y == 0) TypeError("float division by zero");
      if (op == "//") return Value::Float(std::floor(x / y));
      if (op == "%") {
        double m = std::fmod(x, y);
        if (m != 0 && ((m < 0) != (y < 0))) m += y;
        return Value::Float(m);
      }
      return bad();
    }
    const int64_t x = a.AsInt(), y = b.AsInt();
    if (op == "+") return Value::Int(x + y);
    if (op == "-") return Value::Int(x - y);
    if (op == "*") return Value::Int(x * y);
    if (op == "**") {
      if (y < 0) return Value::Float(std::pow(double(x), double(y)));
      int64_t r = 1;
      for (int64_t k = 0; k < y; ++k) r *= x;
      return Value::Int(r);
    }
    if (y == 0) TypeError("integer division or modulo by zero");
    if (op == "//") return Value::Int(FloorDiv(x, y));
    if (op == "%") return Value::Int(x - FloorDiv(x, y) * y);
    return bad();
  }
  if (op == "+") {
    if (a.kind == Kind::kString && b.kind == Kind::kString) return Value::Str(a.s + b.s);
    if (a.is_list() && b.is_list()) {
      ValueList items = *Elements(a);
      for (Value& e : Elements(b).value_or(ValueList{})) items.push_back(std::move(e));
      return Value::List(std::move(items));
    }
    if ((a.kind == Kind::kDateTime || a.kind == Kind::kDate) && b.kind == Kind::kDuration) {
      Value r = a;
      r.i = AddDuration(a.i, {b.months, b.i});
      return r;
    }
    if (a.kind == Kind::kDuration && (b.kind == Kind::kDateTime || b.kind == Kind::kDate)) return Arithmetic(op, b, a);
    if (a.kind == Kind::kDuration && b.kind == Kind::kDuration) return Value::Duration(a.i + b.i, a.months + b.months);
  }
  if (op == "-") {
    if ((a.kind == Kind::kDateTime || a.kind == Kind::kDate) && b.kind == Kind::kDuration) {
      Value r = a;
      r.i = AddDuration(a.i, {b.months, b.i}, -1);
      return r;
    }
    if ((a.kind == Kind::kDateTime && b.kind == Kind::kDateTime) || (a.kind == Kind::kDate && b.kind == Kind::kDate)) {
      return Value::Duration(a.i - b.i);
    }
    if (a.kind == Kind::kDuration && b.kind == Kind::kDuration) return Value::Duration(a.i - b.i, a.months - b.months);
  }
  if (op == "*") {
    if (a.kind == Kind::kString && (b.kind == Kind::kInt || b.kind == Kind::kBool)) {
      std::string out;
      for (int64_t k = 0; k < b.AsInt(); ++k) out += a.s;
      return Value::Str(out);
    }
    if (b.kind == Kind::kString && a.kind == Kind::kInt) return Arithmetic(op, b, a);
    if (a.is_list() && b.kind == Kind::kInt) {
      ValueList items, base = *Elements(a);
      for (int64_t k = 0; k < b.i; ++k) items.insert(items.end(), base.begin(), base.end());
      return Value::List(std::move(items));
    }
    if (a.kind == Kind::kDuration && b.is_number()) {
      return Value::Duration(int64_t(std::llround(double(a.i) * b.AsDouble())), a.months * b.AsInt());
    }
  }
  return bad();
}

bool Contains(const Value& container, const Value& item) {
  if (container.undefined()) UndefinedError(container);
  if (container.kind == Kind::kString) {
    if (item.kind != Kind::kString) TypeError(fmt::format("'in <string>' requires string as left operand, not {}", TypeName(item)));
    return container.s.find(item.s) != std::string::npos;
  }
  if (container.is_dict()) return !Item(container, item).undefined();
  if (container.is_list()) {
    for (const Value& e : Elements(container).value_or(ValueList{})) {
      if (Equal(e, item)) return true;
    }
    return false;
  }
  TypeError(fmt::format("argument of type '{}' is not iterable", TypeName(container)));
}

bool Compare(const std::string& op, const Value& a, const Value& b) {
  if (op == "==") return Equal(a, b);
  if (op == "!=") return !Equal(a, b);
  if (op == "in") return Contains(b, a);
  if (op == "notin") return !Contains(b, a);
  if (a.undefined()) UndefinedError(a);
  if (b.undefined()) UndefinedError(b);
  std::optional<bool> lt = op == "<" || op == ">=" ? Less(a, b) : Less(b, a);
  if (!lt) TypeError(fmt::format("'{}' not supported between instances of '{}' and '{}'", op, TypeName(a), TypeName(b)));
  return op == "<" || op == ">" ? *lt : !*lt;
}

std::string Strip(std::string s, const std::string& chars, bool left, bool right) {
  auto is_strip = [&](char c) {
    return chars.empty() ? std::isspace(static_cast<unsigned char>(c)) != 0 : chars.find(c) != std::string::npos;
  };
  if (right) while (!s.empty() && is_strip(s.back())) s.pop_back();
  size_t k = 0;
  if (left) while (k < s.size() && is_strip(s[k])) ++k;
  return s.substr(k);
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to, int64_t count = -1) {
  if (from.empty()) return s;
  size_t p = 0;
  while (count != 0 && (p = s.find(from, p)) != std::string::npos) {
    s.replace(p, from.size(), to);
    p += to.size();
    if (count > 0) --count;
  }
  return s;
}

std::string Title(const std::string& s, bool only_first) {
  std::string out = s;
  bool start = true;
  for (size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    if (std::isalpha(c)) {
      out[i] = static_cast<char>(start ? std::toupper(c) : std::tolower(c));
      start = false;
    } else {
      if (!only_first) start = true;
    }
    if (only_first && i == 0 && !std::isalpha(c)) start = false;
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

ValueList Split(const std::string& s, const Value* sep, int64_t maxsplit) {
  ValueList out;
  if (sep == nullptr || sep->kind == Kind::kNone) {
    size_t i = 0;
    while (true) {
      while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
      if (i >= s.size()) break;
      if (maxsplit >= 0 && int64_t(out.size()) == maxsplit) {
        out.push_back(Value::Str(Strip(s.substr(i), "", false, true)));
        break;
      }
      size_t j = i;
      while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
      out.push_back(Value::Str(s.substr(i, j - i)));
      i = j;
    }
    return out;
  }
  const std::string d = ExpectString(*sep, "split()");
  if (d.empty()) TypeError("empty separator");
  size_t i = 0;
  while (true) {
    const size_t j = s.find(d, i);
    if (j == std::string::npos || (maxsplit >= 0 && int64_t(out.size()) == maxsplit)) {
      out.push_back(Value::Str(s.substr(i)));
      break;
    }
    out.push_back(Value::Str(s.substr(i, j - i)));
    i = j + d.size();
  }
  return out;
}

std::string Digest(const std::string& data, const std::string& algorithm) {
  const EVP_MD* md = EVP_get_digestbyname(algorithm.c_str());
  if (md == nullptr) TypeError(fmt::format("No hashing function named {}", algorithm));
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, md, nullptr);
  std::string hex;
  for (unsigned int k = 0; k < n; ++k) hex += fmt::format("{:02x}", out[k]);
  return hex;
}

Value ParseDatetimeValue(const Value& v, const Value* input_format) {
  if (v.kind == Kind::kDateTime) return v;
  if (v.kind == Kind::kDate) return Value::DateTime(v.i);
  if (v.kind == Kind::kInt || v.kind == Kind::kFloat) {
    return Value::DateTime(int64_t(std::llround(v.AsDouble() * kMicrosPerSecond)));
  }
  const std::string text = ExpectString(v, "a datetime");
  std::optional<int64_t> micros;
  if (input_format != nullptr && input_format->kind == Kind::kString) micros = ParseDatetime(text, input_format->s);
  else micros = ParseAnyDatetime(text);
  if (!micros) TypeError(fmt::format("cannot read '{}' as a datetime", text));
  return Value::DateTime(*micros);
}

// A {% macro %}: its statement (owned by a parsed template the engine keeps) and the file it
// came from ("" = the template being rendered).
struct Macro {
  const Stmt* def = nullptr;
  std::string file;
};
using MacroTable = std::map<std::string, Macro, std::less<>>;

// return(value) inside a macro: unwinds to the macro call, which gives the value.
struct MacroReturn {
  Value value;
};

class Evaluator {
 public:
  Evaluator(const TemplateContext& context, int64_t now, TemplateDialect dialect, const MacroTable* added)
      : context_(context), now_(now), dialect_(dialect), added_macros_(added) {}

  void Run(const std::vector<Stmt>& body, std::string& out) {
    for (const Stmt& s : body) {
      try {
        RunOne(s, out);
      } catch (TemplateError& e) {
        if (e.line == 0) {
          e.line = s.line;
          e.file = file_;
        }
        throw;
      }
    }
  }

  void RunOne(const Stmt& s, std::string& out) {
    {
      switch (s.type) {
        case StmtType::kText: out += s.text; break;
        case StmtType::kOutput: out += Str(Eval(*s.expr)); break;
        case StmtType::kIf:
          for (const auto& [cond, branch] : s.branches) {
            if (!cond || Truthy(Eval(*cond))) {
              Run(branch, out);
              break;
            }
          }
          break;
        case StmtType::kSet: Assign(s.targets, Eval(*s.expr)); break;
        case StmtType::kFor: RunFor(s, out); break;
        case StmtType::kSetBlock: {
          std::string text;
          Run(s.body, text);
          Assign(s.targets, Value::Str(std::move(text)));
          break;
        }
        case StmtType::kMacro: macros_[s.text] = Macro{&s, file_}; break;
      }
    }
  }

  Value Eval(const Node& n) {
    switch (n.type) {
      case NodeType::kLiteral: return n.literal;
      case NodeType::kName: return Lookup(n.name);
      case NodeType::kList:
      case NodeType::kTuple: {
        ValueList items;
        for (const NodePtr& c : n.children) items.push_back(Eval(*c));
        Value list = Value::List(std::move(items));
        list.tuple = n.type == NodeType::kTuple;
        return list;
      }
      case NodeType::kDict: {
        ValueDict items;
        for (size_t k = 0; k + 1 < n.children.size(); k += 2) {
          Value key = Eval(*n.children[k]);
          std::string name = key.kind == Kind::kString ? key.s : Str(key);
          Value value = Eval(*n.children[k + 1]);
          bool replaced = false;
          for (auto& [existing, v] : items) {
            if (existing == name) {
              v = value;
              replaced = true;
            }
          }
          if (!replaced) items.emplace_back(std::move(name), std::move(value));
        }
        return Value::Dict(std::move(items));
      }
      case NodeType::kAttr: return Attribute(Eval(*n.children[0]), n.name);
      case NodeType::kItem: {
        Value obj = Eval(*n.children[0]);
        if (obj.undefined()) UndefinedError(obj);
        Value key = Eval(*n.children[1]);
        Value v = Item(obj, key);
        if (v.undefined() && key.kind == Kind::kString && !obj.is_dict()) return Attribute(obj, key.s);
        return v;
      }
      case NodeType::kSlice: return Slice(n);
      case NodeType::kCall: return Call(n);
      case NodeType::kFilter: return Filter(n);
      case NodeType::kTest: {
        bool r = Test(n);
        return Value::Bool(n.negated ? !r : r);
      }
      case NodeType::kNeg: {
        Value v = Eval(*n.children[0]);
        if (v.undefined()) UndefinedError(v);
        if (v.kind == Kind::kFloat) return Value::Float(-v.f);
        if (v.kind == Kind::kInt || v.kind == Kind::kBool) return Value::Int(-v.AsInt());
        if (v.kind == Kind::kDuration) return Value::Duration(-v.i, -v.months);
        TypeError(fmt::format("bad operand type for unary -: '{}'", TypeName(v)));
      }
      case NodeType::kPos: {
        Value v = Eval(*n.children[0]);
        if (v.undefined()) UndefinedError(v);
        if (!v.is_number()) TypeError(fmt::format("bad operand type for unary +: '{}'", TypeName(v)));
        return v.kind == Kind::kBool ? Value::Int(v.AsInt()) : v;
      }
      case NodeType::kNot: return Value::Bool(!Truthy(Eval(*n.children[0])));
      case NodeType::kBinary: return Arithmetic(n.name, Eval(*n.children[0]), Eval(*n.children[1]));
      case NodeType::kCompare: {
        Value left = Eval(*n.children[0]);
        for (size_t k = 0; k < n.ops.size(); ++k) {
          Value right = Eval(*n.children[k + 1]);
          if (!Compare(n.ops[k], left, right)) return Value::Bool(false);
          left = std::move(right);
        }
        return Value::Bool(true);
      }
      case NodeType::kAnd: {
        Value a = Eval(*n.children[0]);
        return Truthy(a) ? Eval(*n.children[1]) : a;
      }
      case NodeType::kOr: {
        Value a = Eval(*n.children[0]);
        return Truthy(a) ? a : Eval(*n.children[1]);
      }
      case NodeType::kCond:
        if (Truthy(Eval(*n.children[0]))) return Eval(*n.children[1]);
        if (n.children.size() > 2) return Eval(*n.children[2]);
        return Value::Undefined("the inline if expression evaluated to false and no else section was defined");
    }
    TypeError("unknown expression");
  }

 private:
  Value Lookup(const std::string& name) {
    for (auto it = locals_.rbegin(); it != locals_.rend(); ++it) {
      if (it->first == name) return it->second;
    }
    if (const Json* v = context_.Find(name)) {
      Value value = Value::FromJson(*v);
      if (const std::string* text = context_.FindText(name)) value.text = std::make_shared<const std::string>(*text);
      return value;
    }
    return Value::Undefined(fmt::format("'{}' is undefined", name));
  }

  void Assign(const std::vector<std::string>& targets, const Value& v) {
    // Top-level names (outside loops and macros) are the template's: its macros see them.
    const bool top = loop_depth_ == 0 && depth_ == 0;
    if (targets.size() == 1) {
      locals_.emplace_back(targets[0], v);
      if (top) top_.emplace_back(targets[0], v);
      return;
    }
    std::optional<ValueList> items = Elements(v);
    if (!items || items->size() != targets.size()) {
      TypeError(fmt::format("cannot unpack {} into {} names", TypeName(v), targets.size()));
    }
    for (size_t k = 0; k < targets.size(); ++k) {
      locals_.emplace_back(targets[k], (*items)[k]);
      if (top) top_.emplace_back(targets[k], (*items)[k]);
    }
  }

  void RunFor(const Stmt& s, std::string& out) {
    Value iterable = Eval(*s.expr);
    std::optional<ValueList> items = Elements(iterable);
    if (!items) TypeError(fmt::format("'{}' object is not iterable", TypeName(iterable)));
    if (items->empty()) {
      Run(s.else_body, out);
      return;
    }
    const size_t mark = locals_.size();
    const int64_t n = int64_t(items->size());
    ++loop_depth_;
    for (int64_t k = 0; k < n; ++k) {
      locals_.resize(mark);
      locals_.emplace_back("loop", Value::Dict({{"index", Value::Int(k + 1)},
                                                {"index0", Value::Int(k)},
                                                {"revindex", Value::Int(n - k)},
                                                {"revindex0", Value::Int(n - k - 1)},
                                                {"first", Value::Bool(k == 0)},
                                                {"last", Value::Bool(k == n - 1)},
                                                {"length", Value::Int(n)}}));
      Assign(s.targets, (*items)[size_t(k)]);
      try {
        Run(s.body, out);
      } catch (...) {
        --loop_depth_;
        throw;
      }
    }
    --loop_depth_;
    locals_.resize(mark);
  }

  Value Attribute(const Value& obj, const std::string& name) {
    if (obj.undefined()) UndefinedError(obj);
    switch (obj.kind) {
      case Kind::kDateTime:
      case Kind::kDate: {
        const std::string t = PythonDatetimeText(obj.i, false);
        if (name == "year") return Value::Int(std::stoll(t.substr(0, 4)));
        if (name == "month") return Value::Int(std::stoll(t.substr(5, 2)));
        if (name == "day") return Value::Int(std::stoll(t.substr(8, 2)));
        if (obj.kind == Kind::kDateTime) {
          if (name == "hour") return Value::Int(std::stoll(t.substr(11, 2)));
          if (name == "minute") return Value::Int(std::stoll(t.substr(14, 2)));
          if (name == "second") return Value::Int(std::stoll(t.substr(17, 2)));
          if (name == "microsecond") return Value::Int(((obj.i % kMicrosPerSecond) + kMicrosPerSecond) % kMicrosPerSecond);
        }
        break;
      }
      case Kind::kDuration:
        if (name == "days") return Value::Int(FloorDiv(obj.i, kMicrosPerDay));
        if (name == "seconds") return Value::Int((obj.i - FloorDiv(obj.i, kMicrosPerDay) * kMicrosPerDay) / kMicrosPerSecond);
        if (name == "microseconds") return Value::Int(((obj.i % kMicrosPerSecond) + kMicrosPerSecond) % kMicrosPerSecond);
        break;
      default:
        if (obj.is_dict()) return Item(obj, Value::Str(name));
    }
    return Value::Undefined(fmt::format("'{}' object has no attribute '{}'", TypeName(obj), name));
  }

  Value Slice(const Node& n) {
    Value obj = Eval(*n.children[0]);
    if (obj.undefined()) UndefinedError(obj);
    std::optional<ValueList> items;
    int64_t size;
    if (obj.kind == Kind::kString) {
      size = int64_t(obj.s.size());
    } else {
      if (!obj.is_list()) TypeError(fmt::format("'{}' object is not subscriptable", TypeName(obj)));
      items = Elements(obj);
      size = int64_t(items->size());
    }
    auto bound = [&](const NodePtr& node, int64_t fallback) {
      if (!node) return fallback;
      Value v = Eval(*node);
      if (v.kind == Kind::kNone) return fallback;
      int64_t k = ExpectInt(v, "a slice");
      if (k < 0) k += size;
      return std::clamp<int64_t>(k, 0, size);
    };
    const int64_t lo = bound(n.children[1], 0), hi = std::max(lo, bound(n.children[2], size));
    if (obj.kind == Kind::kString) return Value::Str(obj.s.substr(size_t(lo), size_t(hi - lo)));
    return Value::List(ValueList(items->begin() + lo, items->begin() + hi));
  }

  Args EvalArgs(const Node& n, size_t skip) {
    Args a;
    for (size_t k = skip; k < n.children.size(); ++k) a.pos.push_back(Eval(*n.children[k]));
    for (const auto& [key, node] : n.kwargs) a.kw.emplace_back(key, Eval(*node));
    return a;
  }

  Value Call(const Node& n) {
    const Node& callee = *n.children[0];
    if (callee.type == NodeType::kAttr) {
      Value obj = Eval(*callee.children[0]);
      if (obj.undefined()) UndefinedError(obj);
      Args a = EvalArgs(n, 1);
      return Method(obj, callee.name, a);
    }
    if (callee.type == NodeType::kName) {
      for (auto it = locals_.rbegin(); it != locals_.rend(); ++it) {
        if (it->first == callee.name) TypeError(fmt::format("'{}' is not callable", callee.name));
      }
      Args a = EvalArgs(n, 1);
      if (const Macro* m = FindMacro(callee.name)) return CallMacro(*m, a);
      if (const TemplateFunction* f = context_.FindFunction(callee.name)) return CallHost(callee.name, *f, a);
      if (callee.name == "return") {
        Value v = a.pos.empty() ? Value::None() : a.pos[0];
        if (depth_ > 0) throw MacroReturn{std::move(v)};
        return v;
      }
      if (callee.name == "range" && dialect_ == TemplateDialect::kJinja) return Range(a);
      return Global(callee.name, a);
    }
    TypeError("this expression is not callable");
  }

  const Macro* FindMacro(std::string_view name) const {
    if (auto it = macros_.find(name); it != macros_.end()) return &it->second;
    if (added_macros_ != nullptr) {
      if (auto it = added_macros_->find(name); it != added_macros_->end()) return &it->second;
    }
    return nullptr;
  }

  // A macro runs in a scope of its own: its parameters (positional, then by keyword, then the
  // defaults; `varargs` and `kwargs` hold the rest) over the context's globals.
  Value CallMacro(const Macro& m, Args& a) {
    if (depth_ >= 64) TypeError(fmt::format("macro '{}': maximum recursion depth exceeded", m.def->text));
    std::vector<std::pair<std::string, Value>> saved = std::move(locals_);
    locals_.clear();
    if (m.file.empty()) locals_ = top_;  // the template's own macros see its top-level names
    const std::string saved_file = file_;
    file_ = m.file;
    ++depth_;
    struct Restore {
      Evaluator& e;
      std::vector<std::pair<std::string, Value>>& saved;
      const std::string& file;
      ~Restore() {
        e.locals_ = std::move(saved);
        e.file_ = file;
        --e.depth_;
      }
    } restore{*this, saved, saved_file};
    const auto& params = m.def->params;
    ValueDict extra_kw;
    for (auto& [k, v] : a.kw) {
      if (std::none_of(params.begin(), params.end(), [&](const auto& p) { return p.first == k; })) {
        extra_kw.emplace_back(k, v);
      }
    }
    for (size_t k = 0; k < params.size(); ++k) {
      const auto& [name, dflt] = params[k];
      const Value* given = a.Get(k, name);
      if (given != nullptr) locals_.emplace_back(name, *given);
      else if (dflt) locals_.emplace_back(name, Eval(*dflt));
      else locals_.emplace_back(name, Value::Undefined(fmt::format("'{}' is undefined", name)));
    }
    ValueList varargs;
    for (size_t k = params.size(); k < a.pos.size(); ++k) varargs.push_back(a.pos[k]);
    locals_.emplace_back("varargs", Value::List(std::move(varargs)));
    locals_.emplace_back("kwargs", Value::Dict(std::move(extra_kw)));
    std::string out;
    try {
      Run(m.def->body, out);
    } catch (MacroReturn& r) {
      return std::move(r.value);
    }
    return Value::Str(std::move(out));
  }

  Value CallHost(const std::string& name, const TemplateFunction& f, const Args& a) {
    TemplateArgs args;
    for (const Value& v : a.pos) args.push_back(ToJson(v));
    TemplateKwargs kwargs;
    for (const auto& [k, v] : a.kw) kwargs.emplace_back(k, ToJson(v));
    Result<TemplateValue> r = f(args, kwargs);
    if (!r.ok()) TypeError(r.status().message());
    (void)name;
    Value v = Value::CopyJson(r->json);
    if (r->text) v.text = std::make_shared<const std::string>(*r->text);
    return v;
  }

  // Jinja's range(stop) / range(start, stop[, step]), bounded.
  Value Range(const Args& a) {
    std::vector<int64_t> n;
    for (const Value& v : a.pos) n.push_back(ExpectInt(v, "range"));
    if (n.empty() || n.size() > 3) TypeError("range() expects 1 to 3 integers");
    const int64_t start = n.size() > 1 ? n[0] : 0, stop = n.size() > 1 ? n[1] : n[0], step = n.size() > 2 ? n[2] : 1;
    if (step == 0) TypeError("range() arg 3 must not be zero");
    ValueList items;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
      if (items.size() >= 100000) TypeError("range() is too big");
      items.push_back(Value::Int(i));
    }
    return Value::List(std::move(items));
  }

  Value Method(const Value& obj, const std::string& name, Args& a) {
    auto arg = [&](size_t k, std::string_view kw = {}) { return a.Get(k, kw); };
    if (obj.kind == Kind::kString) {
      const std::string& s = obj.s;
      if (name == "lower") return Value::Str(Lower(s));
      if (name == "upper") return Value::Str(Upper(s));
      if (name == "strip" || name == "lstrip" || name == "rstrip") {
        const Value* chars = arg(0);
        const std::string c = chars && chars->kind == Kind::kString ? chars->s : "";
        return Value::Str(Strip(s, c, name != "rstrip", name != "lstrip"));
      }
      if (name == "split") {
        const Value* m = arg(1, "maxsplit");
        return Value::List(Split(s, arg(0, "sep"), m ? ExpectInt(*m, "split()") : -1));
      }
      if (name == "replace") {
        const Value* count = arg(2);
        return Value::Str(ReplaceAll(s, ExpectString(*Need(arg(0), name), "replace()"),
                                     ExpectString(*Need(arg(1), name), "replace()"), count ? ExpectInt(*count, "replace()") : -1));
      }
      if (name == "startswith" || name == "endswith") {
        const Value* p = Need(arg(0), name);
        ValueList options = p->is_list() ? *Elements(*p) : ValueList{*p};
        for (const Value& o : options) {
          const std::string x = ExpectString(o, name);
          if (name == "startswith" ? s.starts_with(x) : s.ends_with(x)) return Value::Bool(true);
        }
        return Value::Bool(false);
      }
      if (name == "join") {
        std::optional<ValueList> items = Elements(*Need(arg(0), name));
        if (!items) TypeError("join() expects an iterable");
        std::string out;
        for (size_t k = 0; k < items->size(); ++k) {
          if (k > 0) out += s;
          out += ExpectString((*items)[k], "join()");
        }
        return Value::Str(out);
      }
      if (name == "title") return Value::Str(Title(s, false));
      if (name == "capitalize") return Value::Str(Title(Lower(s), true));
      if (name == "find") {
        const size_t p = s.find(ExpectString(*Need(arg(0), name), name));
        return Value::Int(p == std::string::npos ? -1 : int64_t(p));
      }
      if (name == "count") {
        const std::string x = ExpectString(*Need(arg(0), name), name);
        int64_t c = 0;
        for (size_t p = s.find(x); p != std::string::npos && !x.empty(); p = s.find(x, p + x.size())) ++c;
        return Value::Int(c);
      }
      if (name == "isdigit" || name == "isnumeric" || name == "isdecimal") {
        return Value::Bool(!s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }));
      }
      if (name == "isalpha") {
        return Value::Bool(!s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }));
      }
      if (name == "zfill") {
        const int64_t width = ExpectInt(*Need(arg(0), name), name);
        std::string out = s;
        const bool signed_ = !out.empty() && (out[0] == '-' || out[0] == '+');
        while (int64_t(out.size()) < width) out.insert(signed_ ? 1 : 0, 1, '0');
        return Value::Str(out);
      }
      if (name == "removeprefix") {
        const std::string x = ExpectString(*Need(arg(0), name), name);
        return Value::Str(s.starts_with(x) ? s.substr(x.size()) : s);
      }
      if (name == "removesuffix") {
        const std::string x = ExpectString(*Need(arg(0), name), name);
        return Value::Str(s.ends_with(x) ? s.substr(0, s.size() - x.size()) : s);
      }
      if (name == "splitlines") return Value::List(Split(ReplaceAll(s, "\r\n", "\n"), nullptr, -1));
    } else if (obj.is_dict()) {
      if (name == "get") {
        Value v = Item(obj, *Need(arg(0), name));
        if (!v.undefined()) return v;
        const Value* fallback = arg(1, "default");
        return fallback ? *fallback : Value::None();
      }
      if (name == "keys") return Value::List(*Elements(obj));
      if (name == "values" || name == "items") {
        ValueList out;
        for (auto& [k, v] : DictItems(obj)) {
          out.push_back(name == "values" ? v : Value::List({Value::Str(k), v}));
        }
        return Value::List(std::move(out));
      }
    } else if (obj.is_list()) {
      if (name == "index" || name == "count") {
        const Value* x = Need(arg(0), name);
        ValueList items = *Elements(obj);
        int64_t count = 0;
        for (size_t k = 0; k < items.size(); ++k) {
          if (Equal(items[k], *x)) {
            if (name == "index") return Value::Int(int64_t(k));
            ++count;
          }
        }
        if (name == "index") TypeError(fmt::format("{} is not in list", Repr(*x)));
        return Value::Int(count);
      }
    } else if (obj.kind == Kind::kDateTime || obj.kind == Kind::kDate) {
      if (name == "strftime") return Value::Str(FormatDatetime(obj.i, ExpectString(*Need(arg(0), name), name), obj.aware && obj.kind == Kind::kDateTime));
      if (name == "isoformat") {
        if (obj.kind == Kind::kDate) return Value::Str(PythonDatetimeText(obj.i, false).substr(0, 10));
        const Value* sep = arg(0, "sep");
        return Value::Str(PythonDatetimeText(obj.i, obj.aware, sep && sep->kind == Kind::kString && !sep->s.empty() ? sep->s[0] : 'T'));
      }
      if (name == "timestamp") return Value::Float(double(obj.i) / kMicrosPerSecond);
      if (name == "date") return Value::Date(FloorDiv(obj.i, kMicrosPerDay) * kMicrosPerDay);
      if (name == "astimezone") return obj;
      if (name == "replace") {
        Value out = obj;
        std::string t = PythonDatetimeText(obj.i, false);
        int64_t parts[7] = {std::stoll(t.substr(0, 4)), std::stoll(t.substr(5, 2)), std::stoll(t.substr(8, 2)),
                            obj.kind == Kind::kDateTime ? std::stoll(t.substr(11, 2)) : 0,
                            obj.kind == Kind::kDateTime ? std::stoll(t.substr(14, 2)) : 0,
                            obj.kind == Kind::kDateTime ? std::stoll(t.substr(17, 2)) : 0,
                            ((obj.i % kMicrosPerSecond) + kMicrosPerSecond) % kMicrosPerSecond};
        static constexpr const char* kNames[] = {"year", "month", "day", "hour", "minute", "second", "microsecond"};
        for (const auto& [k, v] : a.kw) {
          if (k == "tzinfo") {
            out.aware = v.kind != Kind::kNone;
            continue;
          }
          bool known = false;
          for (int p = 0; p < 7; ++p) {
            if (k == kNames[p]) {
              parts[p] = ExpectInt(v, "replace()");
              known = true;
            }
          }
          if (!known) TypeError(fmt::format("replace() got an unexpected keyword argument '{}'", k));
        }
        out.i = DaysFromCivil(parts[0], unsigned(parts[1]), unsigned(parts[2])) * kMicrosPerDay +
                ((parts[3] * 60 + parts[4]) * 60 + parts[5]) * kMicrosPerSecond + parts[6];
        return out;
      }
    } else if (obj.kind == Kind::kDuration) {
      if (name == "total_seconds") return Value::Float(double(obj.i) / kMicrosPerSecond);
    }
    TypeError(fmt::format("'{}' object has no method '{}'", TypeName(obj), name));
  }

  static const Value* Need(const Value* v, std::string_view what) {
    if (v == nullptr) TypeError(fmt::format("{}() is missing an argument", what));
    return v;
  }

  Value MinMax(Args& a, bool max, std::string_view what) {
    ValueList items;
    if (a.pos.size() == 1) {
      std::optional<ValueList> e = Elements(a.pos[0]);
      if (!e) TypeError(fmt::format("'{}' object is not iterable", TypeName(a.pos[0])));
      items = std::move(*e);
    } else {
      items = a.pos;
    }
    if (items.empty()) TypeError(fmt::format("{}() arg is an empty sequence", what));
    Value best = items[0];
    for (size_t k = 1; k < items.size(); ++k) {
      if (items[k].undefined()) UndefinedError(items[k]);
      std::optional<bool> lt = max ? Less(best, items[k]) : Less(items[k], best);
      if (!lt) TypeError(fmt::format("'<' not supported between instances of '{}' and '{}'", TypeName(best), TypeName(items[k])));
      if (*lt) best = items[k];
    }
    return best;
  }

  Value Global(const std::string& name, Args& a) {
    auto arg = [&](size_t k, std::string_view kw = {}) { return a.Get(k, kw); };
    if (name == "now_utc") return Value::DateTime(now_);
    if (name == "today_utc") return Value::Date(FloorDiv(now_, kMicrosPerDay) * kMicrosPerDay);
    if (name == "today_with_timezone") {
      const std::string tz = ExpectString(*Need(arg(0), name), name);
      if (tz != "UTC" && tz != "Etc/UTC") TypeError(fmt::format("today_with_timezone('{}'): only UTC is supported", tz));
      return Value::Date(FloorDiv(now_, kMicrosPerDay) * kMicrosPerDay);
    }
    if (name == "max" || name == "min") return MinMax(a, name == "max", name);
    if (name == "timestamp") {
      const Value* v = Need(arg(0), name);
      if (v->is_number()) return Value::Int(v->AsInt());
      return Value::Float(double(ParseDatetimeValue(*v, nullptr).i) / kMicrosPerSecond);
    }
    if (name == "str_to_datetime") return ParseDatetimeValue(Value::Str(ExpectString(*Need(arg(0), name), name)), nullptr);
    if (name == "day_delta") {
      const Value* days = Need(arg(0, "num_days"), name);
      if (!days->is_number()) TypeError("day_delta() expects a number of days");
      const Value* f = arg(1, "format");
      const int64_t t = now_ + int64_t(std::llround(days->AsDouble() * kMicrosPerDay));
      return Value::Str(FormatDatetime(t, f ? ExpectString(*f, name) : "%Y-%m-%dT%H:%M:%S.%f%z"));
    }
    if (name == "duration") {
      const std::string text = ExpectString(*Need(arg(0, "datestring"), name), name);
      std::optional<IsoDuration> d = ParseIsoDuration(text);
      if (!d) TypeError(fmt::format("duration('{}'): not an ISO 8601 duration", text));
      return Value::Duration(d->micros, d->months);
    }
    if (name == "format_datetime") {
      Value dt = ParseDatetimeValue(*Need(arg(0, "dt"), name), arg(2, "input_format"));
      return Value::Str(FormatDatetime(dt.i, ExpectString(*Need(arg(1, "format"), name), name)));
    }
    if (name == "dict") {
      ValueDict d;
      for (auto& [k, v] : a.kw) d.emplace_back(k, v);
      return Value::Dict(std::move(d));
    }
    // Jinja: calling an unknown name (range() too: Airbyte removes it) is an UndefinedError.
    UndefinedError(Value::Undefined(fmt::format("'{}' is undefined (not a known function)", name)));
  }

  Value Filter(const Node& n) {
    Value v = Eval(*n.children[0]);
    Args a = EvalArgs(n, 1);
    return ApplyFilter(n.name, v, a);
  }

  Value ApplyFilter(const std::string& name, const Value& v, Args& a) {
    auto arg = [&](size_t k, std::string_view kw = {}) { return a.Get(k, kw); };
    if (name == "default" || name == "d") {
      const Value* b = arg(1, "boolean");
      if (v.undefined() || (b && Truthy(*b) && !Truthy(v))) {
        const Value* d = arg(0, "default_value");
        return d ? *d : Value::Str("");
      }
      return v;
    }
    if (name == "string") {  // Airbyte's: JSON text in triple quotes for non-strings; Jinja's: str()
      if (v.kind == Kind::kString) return v;
      if (dialect_ == TemplateDialect::kJinja) return Value::Str(Str(v));
      return Value::Str("\"\"\"" + PyJsonDumps(ToJson(v), false) + "\"\"\"");
    }
    if (name == "tojson") {  // Jinja's htmlsafe_json_dumps: sorted keys, HTML characters escaped
      std::string out;
      for (char c : PyJsonDumps(ToJson(v), true)) {
        if (c == '<') out += "\\u003c";
        else if (c == '>') out += "\\u003e";
        else if (c == '&') out += "\\u0026";
        else if (c == '\'') out += "\\u0027";
        else out += c;
      }
      return Value::Str(out);
    }
    if (name == "length" || name == "count") {
      if (v.undefined()) return Value::Int(0);
      std::optional<int64_t> len = Length(v);
      if (!len) TypeError(fmt::format("object of type '{}' has no len()", TypeName(v)));
      return Value::Int(*len);
    }
    if (name == "list") {
      std::optional<ValueList> items = Elements(v);
      if (!items) TypeError(fmt::format("'{}' object is not iterable", TypeName(v)));
      return Value::List(std::move(*items));
    }
    if (name == "first" || name == "last") {
      std::optional<ValueList> items = Elements(v);
      if (!items) TypeError(fmt::format("'{}' object is not iterable", TypeName(v)));
      if (items->empty()) return Value::Undefined(fmt::format("no {} item, sequence was empty", name));
      return name == "first" ? items->front() : items->back();
    }
    if (name == "join") {
      std::optional<ValueList> items = Elements(v);
      if (!items) TypeError(fmt::format("'{}' object is not iterable", TypeName(v)));
      const Value* sep = arg(0, "d");
      const Value* attribute = arg(1, "attribute");
      std::string out;
      for (size_t k = 0; k < items->size(); ++k) {
        if (k > 0 && sep) out += Str(*sep);
        out += Str(attribute ? Item((*items)[k], *attribute) : (*items)[k]);
      }
      return Value::Str(out);
    }
    if (name == "map") {
      std::optional<ValueList> items = Elements(v);
      if (items && !a.pos.empty() && a.pos[0].kind == Kind::kString) {  // map('filter', args…)
        const std::string filter = a.pos[0].s;
        if (!IsKnownFilter(filter) || filter == "map") TypeError(fmt::format("no filter named '{}'", filter));
        Args rest{ValueList(a.pos.begin() + 1, a.pos.end()), a.kw};
        ValueList out;
        for (const Value& e : *items) out.push_back(ApplyFilter(filter, e, rest));
        return Value::List(std::move(out));
      }
      const Value* attribute = arg(0, "attribute");
      if (!items || !attribute) TypeError("map() supports map('filter') and map(attribute='name') over a list");
      ValueList out;
      for (const Value& e : *items) out.push_back(Item(e, *attribute));
      return Value::List(std::move(out));
    }
    if (name == "items") return Method(v, "items", a);
    if (name == "sum") {
      Value total = Value::Int(0);
      for (const Value& e : Elements(v).value_or(ValueList{})) total = Arithmetic("+", total, e);
      return total;
    }
    if (name == "min" || name == "max") {
      Args one;
      one.pos.push_back(v);
      return MinMax(one, name == "max", name);
    }
    if (name == "unique") {
      ValueList out;
      for (const Value& e : Elements(v).value_or(ValueList{})) {
        if (std::none_of(out.begin(), out.end(), [&](const Value& o) { return Equal(o, e); })) out.push_back(e);
      }
      return Value::List(std::move(out));
    }
    if (name == "sort") {
      ValueList out = Elements(v).value_or(ValueList{});
      const Value* reverse = arg(0, "reverse");
      std::stable_sort(out.begin(), out.end(), [](const Value& x, const Value& y) { return Less(x, y).value_or(false); });
      if (reverse && Truthy(*reverse)) std::reverse(out.begin(), out.end());
      return Value::List(std::move(out));
    }
    if (name == "reverse") {
      if (v.kind == Kind::kString) return Value::Str(std::string(v.s.rbegin(), v.s.rend()));
      ValueList out = Elements(v).value_or(ValueList{});
      std::reverse(out.begin(), out.end());
      return Value::List(std::move(out));
    }
    if (name == "safe") return v;
    if (name == "int") {
      const Value* d = arg(0, "default");
      const Value fallback = d ? *d : Value::Int(0);
      if (v.kind == Kind::kInt || v.kind == Kind::kBool) return Value::Int(v.AsInt());
      if (v.kind == Kind::kFloat) return Value::Int(int64_t(v.f));
      if (v.kind == Kind::kString) {
        const std::string t = Strip(v.s, "", true, true);
        int64_t i = 0;
        auto r = std::from_chars(t.data(), t.data() + t.size(), i);
        if (r.ec == std::errc() && r.ptr == t.data() + t.size()) return Value::Int(i);
        char* end = nullptr;
        const double f = std::strtod(t.c_str(), &end);
        if (!t.empty() && end == t.c_str() + t.size()) return Value::Int(int64_t(f));
      }
      return fallback;
    }
    if (name == "float") {
      const Value* d = arg(0, "default");
      if (v.is_number()) return Value::Float(v.AsDouble());
      if (v.kind == Kind::kString) {
        const std::string t = Strip(v.s, "", true, true);
        char* end = nullptr;
        const double f = std::strtod(t.c_str(), &end);
        if (!t.empty() && end == t.c_str() + t.size()) return Value::Float(f);
      }
      return d ? *d : Value::Float(0);
    }
    if (name == "abs") {
      if (v.kind == Kind::kFloat) return Value::Float(std::fabs(v.f));
      if (v.kind == Kind::kInt || v.kind == Kind::kBool) return Value::Int(std::llabs(v.AsInt()));
      TypeError(fmt::format("bad operand type for abs(): '{}'", TypeName(v)));
    }
    if (name == "round") {
      if (!v.is_number()) TypeError(fmt::format("round() expects a number, got {}", TypeName(v)));
      const Value* p = arg(0, "precision");
      const Value* m = arg(1, "method");
      const int64_t precision = p ? ExpectInt(*p, "round") : 0;
      const std::string method = m ? ExpectString(*m, "round") : "common";
      const double scale = std::pow(10.0, double(precision));
      const double x = v.AsDouble() * scale;
      // "common" is Python's round(): halves go to the even neighbour.
      double r = method == "ceil" ? std::ceil(x) : method == "floor" ? std::floor(x) : std::nearbyint(x);
      return Value::Float(r / scale);
    }
    // The string filters take str(value).
    if (v.undefined() && name != "lower" && name != "upper") UndefinedError(v);
    const std::string s = Str(v);
    if (name == "lower") return Value::Str(Lower(s));
    if (name == "upper") return Value::Str(Upper(s));
    if (name == "capitalize") return Value::Str(Title(Lower(s), true));
    if (name == "title") return Value::Str(Title(s, false));
    if (name == "trim") {
      const Value* chars = arg(0, "chars");
      return Value::Str(Strip(s, chars ? ExpectString(*chars, "trim") : "", true, true));
    }
    if (name == "replace") {
      const Value* count = arg(2, "count");
      return Value::Str(ReplaceAll(s, Str(*Need(arg(0), name)), Str(*Need(arg(1), name)), count ? ExpectInt(*count, "replace") : -1));
    }
    if (name == "urlencode") {
      static constexpr char kHex[] = "0123456789ABCDEF";
      std::string out;
      for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') out += char(c);
        else { out += '%'; out += kHex[c >> 4]; out += kHex[c & 15]; }
      }
      return Value::Str(out);
    }
    if (name == "base64encode") return Value::Str(Base64Encode(s));
    if (name == "base64decode" || name == "base64binascii_decode") {
      std::optional<std::string> d = Base64Decode(s);
      if (!d) TypeError("base64decode: the value is not base64");
      return Value::Str(*d);
    }
    if (name == "hash") {
      const Value* type = arg(0, "hash_type");
      const Value* salt = arg(1, "salt");
      std::string data = s;
      if (salt && Truthy(*salt)) data += Str(*salt);
      return Value::Str(Digest(data, type ? ExpectString(*type, "hash") : "md5"));
    }
    if (name == "hmac") {
      const std::string key = Str(*Need(arg(0, "key"), name));
      const Value* type = arg(1, "hash_type");
      if (type && Str(*type) != "sha256") TypeError(fmt::format("Hash type '{}' is not allowed. Allowed types: sha256", Str(*type)));
      unsigned char out[EVP_MAX_MD_SIZE];
      unsigned int n = 0;
      HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(s.data()), s.size(), out, &n);
      std::string hex;
      for (unsigned int k = 0; k < n; ++k) hex += fmt::format("{:02x}", out[k]);
      return Value::Str(hex);
    }
    if (name == "regex_search") {
      const std::string pattern = ExpectString(*Need(arg(0, "regex"), name), name);
      try {
        std::smatch m;
        std::regex re(pattern);
        if (std::regex_search(s, m, re) && m.size() > 1) return Value::Str(m[1].str());
      } catch (const std::regex_error& e) {
        TypeError(fmt::format("regex_search: bad regular expression '{}': {}", pattern, e.what()));
      }
      return Value::Str("");
    }
    TypeError(fmt::format("no filter named '{}'", name));
  }

  bool Test(const Node& n) {
    Value v = Eval(*n.children[0]);
    Args a = EvalArgs(n, 1);
    const std::string& name = n.name;
    auto other = [&]() -> const Value& { return *Need(a.Get(0, ""), name); };
    if (name == "defined") return !v.undefined();
    if (name == "undefined") return v.undefined();
    if (name == "none") return v.kind == Kind::kNone;
    if (name == "boolean") return v.kind == Kind::kBool;
    if (name == "true") return v.kind == Kind::kBool && v.b;
    if (name == "false") return v.kind == Kind::kBool && !v.b;
    if (name == "number") return v.is_number() && v.kind != Kind::kBool;
    if (name == "integer") return v.kind == Kind::kInt;
    if (name == "float") return v.kind == Kind::kFloat;
    if (name == "string") return v.kind == Kind::kString;
    if (name == "mapping") return v.is_dict();
    if (name == "sequence") return v.is_list() || v.is_dict() || v.kind == Kind::kString;
    if (name == "iterable") return Elements(v).has_value() && !v.undefined();
    if (name == "lower") return v.kind == Kind::kString && Lower(v.s) == v.s;
    if (name == "upper") return v.kind == Kind::kString && Upper(v.s) == v.s;
    if (name == "even") return ExpectInt(v, "even") % 2 == 0;
    if (name == "odd") return ExpectInt(v, "odd") % 2 != 0;
    if (name == "divisibleby") {
      const int64_t d = ExpectInt(other(), name);
      return d != 0 && ExpectInt(v, name) % d == 0;
    }
    if (name == "eq" || name == "equalto" || name == "sameas") return Equal(v, other());
    if (name == "ne") return !Equal(v, other());
    if (name == "lt" || name == "lessthan") return Compare("<", v, other());
    if (name == "gt" || name == "greaterthan") return Compare(">", v, other());
    if (name == "le") return Compare("<=", v, other());
    if (name == "ge") return Compare(">=", v, other());
    if (name == "in") return Contains(other(), v);
    TypeError(fmt::format("no test named '{}'", name));
  }

  const TemplateContext& context_;
  int64_t now_;
  TemplateDialect dialect_;
  const MacroTable* added_macros_;
  MacroTable macros_;  // defined by the template being rendered
  std::string file_;   // the macro file being run ("" = the template)
  int depth_ = 0;      // macro calls in progress
  int loop_depth_ = 0; // for loops in progress
  std::vector<std::pair<std::string, Value>> top_;  // the template's top-level names
  std::vector<std::pair<std::string, Value>> locals_;
};

class JinjaEngine final : public TemplateEngine {
 public:
  JinjaEngine(int64_t now, TemplateDialect dialect) : fixed_now_(now), dialect_(dialect) {}

  Result<std::string> Render(std::string_view text, const TemplateContext& context, TemplateErrorKind* kind) override {
    if (kind != nullptr) *kind = TemplateErrorKind::kNone;
    if (!IsTemplate(text)) {
      // Jinja drops one trailing newline of any template, plain text included.
      std::string out(text);
      if (!out.empty() && out.back() == '\n') out.pop_back();
      return out;
    }
    try {
      return Run(text, context);
    } catch (const TemplateError& error) {
      if (kind != nullptr) *kind = error.kind;
      const char* what = error.kind == TemplateErrorKind::kSyntax      ? "does not parse"
                         : error.kind == TemplateErrorKind::kUndefined ? "uses an undefined value"
                                                                       : "fails";
      return Status::ConfigError(fmt::format("template \"{}\" {}: {}", text, what, error.message));
    }
  }

  Result<std::string> RenderFile(std::string_view text, const std::string& file_name, const TemplateContext& context,
                                 TemplateErrorKind* kind) override {
    if (kind != nullptr) *kind = TemplateErrorKind::kNone;
    try {
      return Run(text, context);
    } catch (const TemplateError& error) {
      if (kind != nullptr) *kind = error.kind;
      return Status::ConfigError(fmt::format("{}:{}: {}", error.file.empty() ? file_name : error.file,
                                             std::max(error.line, 1), error.message));
    }
  }

  Status AddMacros(std::string_view text, const std::string& file_name) override {
    try {
      auto t = std::make_shared<Template>(TemplateParser(text).Parse());
      for (const Stmt& s : t->body) {
        if (s.type == StmtType::kMacro) added_macros_[s.text] = Macro{&s, file_name};
      }
      macro_files_.push_back(std::move(t));
      return Status::Ok();
    } catch (const TemplateError& error) {
      return Status::ConfigError(fmt::format("{}:{}: {}", file_name, std::max(error.line, 1), error.message));
    }
  }

 private:
  std::string Run(std::string_view text, const TemplateContext& context) {
    auto it = cache_.find(text);
    if (it == cache_.end()) {
      if (cache_.size() > 4096) cache_.clear();
      it = cache_.emplace(std::string(text), std::make_shared<Template>(TemplateParser(text).Parse())).first;
    }
    std::shared_ptr<Template> t = it->second;
    Evaluator e(context, fixed_now_ != 0 ? fixed_now_ : NowMicros(), dialect_, &added_macros_);
    std::string out;
    e.Run(t->body, out);
    return out;
  }

  int64_t fixed_now_;
  TemplateDialect dialect_;
  std::map<std::string, std::shared_ptr<Template>, std::less<>> cache_;
  MacroTable added_macros_;                                // by AddMacros
  std::vector<std::shared_ptr<Template>> macro_files_;     // own the added macros' statements
};

}  // namespace
}  // namespace jinja

std::unique_ptr<TemplateEngine> MakeJinjaEngine(int64_t now_micros, TemplateDialect dialect) {
  return std::make_unique<jinja::JinjaEngine>(now_micros, dialect);
}

std::string PythonStr(const Json& value) { return jinja::Str(jinja::Value::FromJson(value)); }

}  // namespace sluice

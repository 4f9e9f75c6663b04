#include "transform/jinja.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace sluice {

namespace {

// Internal errors travel as exceptions and become a Status at Render/AddMacros.
struct JinjaError : std::runtime_error {
  int line;
  JinjaError(int l, const std::string& m) : std::runtime_error(m), line(l) {}
};

[[noreturn]] void Fail(int line, const std::string& message) { throw JinjaError(line, message); }

std::string PyStr(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "None";
  if (j.is_boolean()) return j.get<bool>() ? "True" : "False";
  if (j.is_number_float()) {
    const double d = j.get<double>();
    if (std::floor(d) == d && std::abs(d) < 1e15) return fmt::format("{:.1f}", d);
    return fmt::format("{}", d);
  }
  if (j.is_number()) return j.dump();
  if (j.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < j.size(); ++i) {
      if (i) out += ", ";
      out += j[i].is_string() ? "'" + j[i].get<std::string>() + "'" : PyStr(j[i]);
    }
    return out + "]";
  }
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : j.items()) {
    if (!first) out += ", ";
    first = false;
    out += "'" + k + "': " + (v.is_string() ? "'" + v.get<std::string>() + "'" : PyStr(v));
  }
  return out + "}";
}

// ---- lexer ----------------------------------------------------------------------------------

enum class T { kName, kNumber, kString, kOp, kEnd };
struct Token {
  T type;
  std::string text;
  Json value;
};

std::vector<Token> Tokenize(std::string_view s, int line) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      out.push_back({T::kName, std::string(s.substr(i, j - i)), {}});
      i = j;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      bool is_float = false;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.' || s[j] == '_')) {
        if (s[j] == '.') {
          if (j + 1 >= s.size() || !std::isdigit(static_cast<unsigned char>(s[j + 1]))) break;
          is_float = true;
        }
        ++j;
      }
      std::string num(s.substr(i, j - i));
      num.erase(std::remove(num.begin(), num.end(), '_'), num.end());
      out.push_back({T::kNumber, num, is_float ? Json(std::stod(num)) : Json(std::stoll(num))});
      i = j;
      continue;
    }
    if (c == '\'' || c == '"') {
      std::string v;
      size_t j = i + 1;
      while (j < s.size() && s[j] != c) {
        if (s[j] == '\\' && j + 1 < s.size()) {
          const char e = s[++j];
          v += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        } else {
          v += s[j];
        }
        ++j;
      }
      if (j >= s.size()) Fail(line, "unterminated string");
      out.push_back({T::kString, v, Json(v)});
      i = j + 1;
      continue;
    }
    static const char* kOps[] = {"**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">",
                                 "(",  ")",  "[",  "]",  "{",  "}",  ",", ":", ".", "|", "="};
    bool matched = false;
    for (const char* op : kOps) {
      const size_t n = std::strlen(op);
      if (s.substr(i, n) == op) {
        out.push_back({T::kOp, op, {}});
        i += n;
        matched = true;
        break;
      }
    }
    if (!matched) Fail(line, fmt::format("unexpected character '{}'", c));
  }
  out.push_back({T::kEnd, "", {}});
  return out;
}

// ---- AST ------------------------------------------------------------------------------------

struct Expr {
  enum Kind { kLit, kName, kAttr, kIndex, kCall, kFilter, kTest, kUnary, kBinary, kAnd, kOr, kNot, kCond, kList, kDict };
  Kind kind;
  std::string s;  // name, attribute, operator, filter/test name
  Json lit;
  std::vector<std::unique_ptr<Expr>> kids;  // operands, call args
  std::vector<std::string> kw;              // kCall/kFilter: keyword names of the trailing kids
  bool negate = false;                      // kTest: "is not"
};
using ExprP = std::unique_ptr<Expr>;

ExprP Make(Expr::Kind k, std::string s = {}) {
  auto e = std::make_unique<Expr>();
  e->kind = k;
  e->s = std::move(s);
  return e;
}

class ExprParser {
 public:
  ExprParser(std::vector<Token> tokens, int line) : t_(std::move(tokens)), line_(line) {}
  ExprP Parse() { return Conditional(); }
  bool AtEnd() const { return t_[i_].type == T::kEnd; }
  const Token& Peek() const { return t_[i_]; }
  bool IsName(const char* n) const { return t_[i_].type == T::kName && t_[i_].text == n; }
  bool IsOp(const char* o) const { return t_[i_].type == T::kOp && t_[i_].text == o; }
  std::string Name() {
    if (t_[i_].type != T::kName) Fail(line_, fmt::format("expected a name, got '{}'", t_[i_].text));
    return t_[i_++].text;
  }
  void Expect(const char* op) {
    if (!IsOp(op)) Fail(line_, fmt::format("expected '{}', got '{}'", op, t_[i_].text));
    ++i_;
  }
  void ExpectEnd() {
    if (!AtEnd()) Fail(line_, fmt::format("unexpected '{}'", t_[i_].text));
  }

  ExprP Conditional() {
    ExprP e = Or();
    if (IsName("if")) {
      ++i_;
      ExprP cond = Or();
      ExprP other;
      if (IsName("else")) {
        ++i_;
        other = Conditional();
      } else {
        other = Make(Expr::kLit);
        other->lit = nullptr;
      }
      ExprP c = Make(Expr::kCond);
      c->kids.push_back(std::move(cond));
      c->kids.push_back(std::move(e));
      c->kids.push_back(std::move(other));
      return c;
    }
    return e;
  }
  ExprP Or() {
    ExprP e = And();
    while (IsName("or")) {
      ++i_;
      ExprP o = Make(Expr::kOr);
      o->kids.push_back(std::move(e));
      o->kids.push_back(And());
      e = std::move(o);
    }
    return e;
  }
  ExprP And() {
    ExprP e = Not();
    while (IsName("and")) {
      ++i_;
      ExprP a = Make(Expr::kAnd);
      a->kids.push_back(std::move(e));
      a->kids.push_back(Not());
      e = std::move(a);
    }
    return e;
  }
  ExprP Not() {
    if (IsName("not")) {
      ++i_;
      ExprP n = Make(Expr::kNot);
      n->kids.push_back(Not());
      return n;
    }
    return Compare();
  }
  ExprP Compare() {
    ExprP e = Concat();
    for (;;) {
      std::string op;
      if (IsOp("==") || IsOp("!=") || IsOp("<") || IsOp(">") || IsOp("<=") || IsOp(">=")) {
        op = t_[i_++].text;
      } else if (IsName("in")) {
        ++i_;
        op = "in";
      } else if (IsName("not") && t_[i_ + 1].type == T::kName && t_[i_ + 1].text == "in") {
        i_ += 2;
        op = "not in";
      } else if (IsName("is")) {
        ++i_;
        ExprP test = Make(Expr::kTest);
        if (IsName("not")) {
          ++i_;
          test->negate = true;
        }
        test->s = Name();
        test->kids.push_back(std::move(e));
        e = std::move(test);
        continue;
      } else {
        return e;
      }
      ExprP b = Make(Expr::kBinary, op);
      b->kids.push_back(std::move(e));
      b->kids.push_back(Concat());
      e = std::move(b);
    }
  }
  ExprP Concat() { return BinaryLevel({"~"}, [this] { return Additive(); }); }
  ExprP Additive() { return BinaryLevel({"+", "-"}, [this] { return Multiplicative(); }); }
  ExprP Multiplicative() { return BinaryLevel({"*", "/", "//", "%"}, [this] { return Unary(); }); }
  template <typename F>
  ExprP BinaryLevel(std::initializer_list<const char*> ops, F next) {
    ExprP e = next();
    for (;;) {
      bool found = false;
      for (const char* op : ops) {
        if (IsOp(op)) {
          ++i_;
          ExprP b = Make(Expr::kBinary, op);
          b->kids.push_back(std::move(e));
          b->kids.push_back(next());
          e = std::move(b);
          found = true;
          break;
        }
      }
      if (!found) return e;
    }
  }
  ExprP Unary() {
    if (IsOp("-")) {
      ++i_;
      ExprP u = Make(Expr::kUnary, "-");
      u->kids.push_back(Unary());
      return u;
    }
    return Power();
  }
  ExprP Power() {
    ExprP e = Postfix();
    if (IsOp("**")) {
      ++i_;
      ExprP b = Make(Expr::kBinary, "**");
      b->kids.push_back(std::move(e));
      b->kids.push_back(Unary());
      return b;
    }
    return e;
  }
  void Args(Expr& call) {
    // After '(' : positional, then keyword arguments, up to ')'.
    while (!IsOp(")")) {
      if (t_[i_].type == T::kName && t_[i_ + 1].type == T::kOp && t_[i_ + 1].text == "=") {
        call.kw.push_back(t_[i_].text);
        i_ += 2;
        call.kids.push_back(Conditional());
      } else {
        if (!call.kw.empty()) Fail(line_, "a positional argument follows a keyword argument");
        call.kids.push_back(Conditional());
      }
      if (!IsOp(",")) break;
      ++i_;
    }
    Expect(")");
  }
  ExprP Postfix() {
    ExprP e = Primary();
    for (;;) {
      if (IsOp(".")) {
        ++i_;
        ExprP a = Make(Expr::kAttr, Name());
        a->kids.push_back(std::move(e));
        e = std::move(a);
      } else if (IsOp("[")) {
        ++i_;
        ExprP x = Make(Expr::kIndex);
        x->kids.push_back(std::move(e));
        x->kids.push_back(Conditional());
        Expect("]");
        e = std::move(x);
      } else if (IsOp("(")) {
        ++i_;
        ExprP c = Make(Expr::kCall);
        c->kids.push_back(std::move(e));
        Args(*c);
        e = std::move(c);
      } else if (IsOp("|")) {
        ++i_;
        ExprP f = Make(Expr::kFilter, Name());
        f->kids.push_back(std::move(e));
        if (IsOp("(")) {
          ++i_;
          Args(*f);
        }
        e = std::move(f);
      } else {
        return e;
      }
    }
  }
  ExprP Primary() {
    const Token& tok = t_[i_];
    if (tok.type == T::kNumber || tok.type == T::kString) {
      ++i_;
      ExprP l = Make(Expr::kLit);
      l->lit = tok.value;
      // Adjacent string literals concatenate, as in Python.
      while (tok.type == T::kString && t_[i_].type == T::kString) l->lit = l->lit.get<std::string>() + t_[i_++].text;
      return l;
    }
    if (tok.type == T::kName) {
      ++i_;
      static const std::map<std::string, Json> kConst = {{"true", true},  {"True", true},  {"false", false},
                                                         {"False", false}, {"none", nullptr}, {"None", nullptr}};
      if (auto it = kConst.find(tok.text); it != kConst.end()) {
        ExprP l = Make(Expr::kLit);
        l->lit = it->second;
        return l;
      }
      return Make(Expr::kName, tok.text);
    }
    if (IsOp("(")) {
      ++i_;
      ExprP first = Conditional();
      if (IsOp(",")) {  // a tuple: a list
        ExprP list = Make(Expr::kList);
        list->kids.push_back(std::move(first));
        while (IsOp(",")) {
          ++i_;
          if (IsOp(")")) break;
          list->kids.push_back(Conditional());
        }
        Expect(")");
        return list;
      }
      Expect(")");
      return first;
    }
    if (IsOp("[")) {
      ++i_;
      ExprP list = Make(Expr::kList);
      while (!IsOp("]")) {
        list->kids.push_back(Conditional());
        if (!IsOp(",")) break;
        ++i_;
      }
      Expect("]");
      return list;
    }
    if (IsOp("{")) {
      ++i_;
      ExprP dict = Make(Expr::kDict);
      while (!IsOp("}")) {
        dict->kids.push_back(Conditional());
        Expect(":");
        dict->kids.push_back(Conditional());
        if (!IsOp(",")) break;
        ++i_;
      }
      Expect("}");
      return dict;
    }
    Fail(line_, fmt::format("unexpected '{}'", tok.text.empty() ? "end of expression" : tok.text));
  }

 private:
  std::vector<Token> t_;
  size_t i_ = 0;
  int line_;
};

// ---- template structure ---------------------------------------------------------------------

struct Node {
  enum Kind { kText, kOutput, kIf, kFor, kSet, kSetBlock, kMacro };
  Kind kind;
  int line = 0;
  std::string text;                  // kText
  std::vector<ExprP> exprs;          // kOutput: [expr]; kIf: conditions; kFor: [iterable]; kSet: [value]
  std::vector<std::vector<Node>> bodies;  // kIf: per condition + else; kFor: body, else; kMacro/kSetBlock: body
  std::vector<std::string> names;    // kFor: loop vars; kSet: target; kMacro: name then params
  std::vector<ExprP> defaults;       // kMacro: per param (null when none)
};

struct Piece {
  enum Kind { kText, kExpr, kTag } kind;
  std::string body;
  int line;
};

std::vector<Piece> Split(std::string_view s) {
  std::vector<Piece> out;
  size_t i = 0;
  int line = 1;
  bool strip_next = false;
  auto count_lines = [](std::string_view x) { return static_cast<int>(std::count(x.begin(), x.end(), '\n')); };
  while (i <= s.size()) {
    size_t open = std::string::npos;
    for (size_t k = i; k + 1 < s.size(); ++k) {
      if (s[k] == '{' && (s[k + 1] == '{' || s[k + 1] == '%' || s[k + 1] == '#')) {
        open = k;
        break;
      }
    }
    std::string text(s.substr(i, open == std::string::npos ? std::string::npos : open - i));
    if (strip_next) text.erase(0, text.find_first_not_of(" \t\r\n") == std::string::npos ? text.size()
                                                                                           : text.find_first_not_of(" \t\r\n"));
    const bool strip_before = open != std::string::npos && open + 2 < s.size() && s[open + 2] == '-';
    if (strip_before) {
      const size_t last = text.find_last_not_of(" \t\r\n");
      text.erase(last == std::string::npos ? 0 : last + 1);
    }
    const int text_line = line;
    line += count_lines(s.substr(i, open == std::string::npos ? std::string::npos : open - i));
    if (!text.empty()) out.push_back({Piece::kText, text, text_line});
    if (open == std::string::npos) break;
    const char kind = s[open + 1];
    const std::string close = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
    const size_t end = s.find(close, open + 2);
    if (end == std::string::npos) Fail(line, fmt::format("'{{{}' is never closed", kind));
    size_t body_start = open + 2 + (strip_before ? 1 : 0);
    size_t body_end = end;
    strip_next = body_end > body_start && s[body_end - 1] == '-';
    if (strip_next) --body_end;
    if (kind != '#') {
      out.push_back({kind == '{' ? Piece::kExpr : Piece::kTag, std::string(s.substr(body_start, body_end - body_start)),
                     line});
    }
    line += count_lines(s.substr(open, end + 2 - open));
    i = end + 2;
  }
  return out;
}

class TemplateParser {
 public:
  explicit TemplateParser(std::vector<Piece> pieces) : p_(std::move(pieces)) {}

  std::vector<Node> ParseAll() {
    std::string end;
    auto nodes = Body({}, end);
    if (!end.empty()) Fail(line_, fmt::format("unexpected '{{% {} %}}'", end));
    return nodes;
  }

 private:
  static std::string FirstWord(const std::string& body) {
    size_t a = body.find_first_not_of(" \t\r\n");
    if (a == std::string::npos) return "";
    size_t b = a;
    while (b < body.size() && (std::isalnum(static_cast<unsigned char>(body[b])) || body[b] == '_')) ++b;
    return body.substr(a, b - a);
  }
  static std::string Rest(const std::string& body) {
    size_t a = body.find_first_not_of(" \t\r\n");
    while (a < body.size() && (std::isalnum(static_cast<unsigned char>(body[a])) || body[a] == '_')) ++a;
    return a >= body.size() ? "" : body.substr(a);
  }
  ExprP ParseExpr(const std::string& text, int line) {
    ExprParser parser(Tokenize(text, line), line);
    ExprP e = parser.Parse();
    parser.ExpectEnd();
    return e;
  }

  // Parses nodes until a tag whose first word is in `stops`; `stopped` gets that tag's body.
  std::vector<Node> Body(const std::vector<std::string>& stops, std::string& stopped) {
    std::vector<Node> nodes;
    while (i_ < p_.size()) {
      const Piece& piece = p_[i_++];
      line_ = piece.line;
      if (piece.kind == Piece::kText) {
        Node n{Node::kText, piece.line, piece.body, {}, {}, {}, {}};
        nodes.push_back(std::move(n));
        continue;
      }
      if (piece.kind == Piece::kExpr) {
        Node n{Node::kOutput, piece.line, {}, {}, {}, {}, {}};
        n.exprs.push_back(ParseExpr(piece.body, piece.line));
        nodes.push_back(std::move(n));
        continue;
      }
      const std::string word = FirstWord(piece.body);
      if (std::find(stops.begin(), stops.end(), word) != stops.end()) {
        stopped = piece.body;
        return nodes;
      }
      const std::string rest = Rest(piece.body);
      Node n{Node::kText, piece.line, {}, {}, {}, {}, {}};
      if (word == "if") {
        n.kind = Node::kIf;
        n.exprs.push_back(ParseExpr(rest, piece.line));
        for (;;) {
          std::string tag;
          n.bodies.push_back(Body({"elif", "else", "endif"}, tag));
          const std::string w = FirstWord(tag);
          if (w == "elif") {
            n.exprs.push_back(ParseExpr(Rest(tag), line_));
          } else if (w == "else") {
            std::string end;
            n.bodies.push_back(Body({"endif"}, end));
            if (end.empty()) Fail(piece.line, "'{% if %}' is never closed by '{% endif %}'");
            break;
          } else if (w == "endif") {
            break;
          } else {
            Fail(piece.line, "'{% if %}' is never closed by '{% endif %}'");
          }
        }
      } else if (word == "for") {
        n.kind = Node::kFor;
        ExprParser parser(Tokenize(rest, piece.line), piece.line);
        n.names.push_back(parser.Name());
        while (parser.IsOp(",")) {
          parser.Expect(",");
          n.names.push_back(parser.Name());
        }
        if (!parser.IsName("in")) Fail(piece.line, "expected 'in' in '{% for %}'");
        parser.Name();
        n.exprs.push_back(parser.Parse());
        parser.ExpectEnd();
        std::string tag;
        n.bodies.push_back(Body({"else", "endfor"}, tag));
        if (FirstWord(tag) == "else") {
          std::string end;
          n.bodies.push_back(Body({"endfor"}, end));
          if (end.empty()) Fail(piece.line, "'{% for %}' is never closed by '{% endfor %}'");
        } else if (tag.empty()) {
          Fail(piece.line, "'{% for %}' is never closed by '{% endfor %}'");
        }
      } else if (word == "set") {
        const size_t eq = rest.find('=');
        if (eq == std::string::npos || (eq + 1 < rest.size() && rest[eq + 1] == '=')) {
          n.kind = Node::kSetBlock;
          ExprParser parser(Tokenize(rest, piece.line), piece.line);
          n.names.push_back(parser.Name());
          std::string end;
          n.bodies.push_back(Body({"endset"}, end));
          if (end.empty()) Fail(piece.line, "'{% set %}' is never closed by '{% endset %}'");
        } else {
          n.kind = Node::kSet;
          ExprParser parser(Tokenize(rest.substr(0, eq), piece.line), piece.line);
          n.names.push_back(parser.Name());
          while (parser.IsOp(",")) {
            parser.Expect(",");
            n.names.push_back(parser.Name());
          }
          parser.ExpectEnd();
          n.exprs.push_back(ParseExpr(rest.substr(eq + 1), piece.line));
        }
      } else if (word == "macro") {
        n.kind = Node::kMacro;
        ExprParser parser(Tokenize(rest, piece.line), piece.line);
        n.names.push_back(parser.Name());
        parser.Expect("(");
        while (!parser.IsOp(")")) {
          n.names.push_back(parser.Name());
          if (parser.IsOp("=")) {
            parser.Expect("=");
            n.defaults.push_back(parser.Conditional());
          } else {
            n.defaults.push_back(nullptr);
          }
          if (!parser.IsOp(",")) break;
          parser.Expect(",");
        }
        parser.Expect(")");
        parser.ExpectEnd();
        std::string end;
        n.bodies.push_back(Body({"endmacro"}, end));
        if (end.empty()) Fail(piece.line, "'{% macro %}' is never closed by '{% endmacro %}'");
      } else if (word == "do") {
        n.kind = Node::kSet;  // evaluated for its effect, bound to nothing
        n.names.push_back("");
        n.exprs.push_back(ParseExpr(rest, piece.line));
      } else {
        Fail(piece.line, fmt::format("unknown tag '{{% {} %}}'", word));
      }
      nodes.push_back(std::move(n));
    }
    return nodes;
  }

  std::vector<Piece> p_;
  size_t i_ = 0;
  int line_ = 1;
};

}  // namespace

// ---- values ---------------------------------------------------------------------------------

std::string JinjaValue::Str() const {
  if (text) return *text;
  if (undefined) return "";
  if (fn) return "<function>";
  return PyStr(json);
}

bool JinjaValue::Truthy() const {
  if (undefined || fn) return !undefined;
  if (json.is_null()) return false;
  if (json.is_boolean()) return json.get<bool>();
  if (json.is_number_integer()) return json.get<int64_t>() != 0;
  if (json.is_number()) return json.get<double>() != 0;
  if (json.is_string() || json.is_array() || json.is_object()) return !json.empty();
  return true;
}

// ---- evaluation -----------------------------------------------------------------------------

struct Macro {
  std::shared_ptr<std::vector<Node>> owner;  // keeps the parsed file alive
  const Node* node;
};

struct JinjaEngine::Impl {
  std::map<std::string, JinjaValue> globals;
  std::vector<std::shared_ptr<std::vector<Node>>> files;
  std::string file;  // the file being rendered, for messages

  using Scope = std::map<std::string, JinjaValue>;

  JinjaValue Lookup(const std::vector<Scope>& scopes, const std::string& name) {
    for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
      if (auto f = it->find(name); f != it->end()) return f->second;
    }
    if (auto g = globals.find(name); g != globals.end()) return g->second;
    return JinjaValue::Undefined();
  }

  JinjaValue MakeMacro(std::shared_ptr<std::vector<Node>> owner, const Node& node, const std::string& file_name) {
    return JinjaValue::Function([this, owner, &node, file_name](const JinjaArgs& args,
                                                                const JinjaKwargs& kwargs) -> Result<JinjaValue> {
      std::vector<Scope> scopes(1);
      const size_t params = node.names.size() - 1;
      if (args.size() > params) {
        return Status::ConfigError(fmt::format("macro '{}' takes {} argument(s), {} given", node.names[0], params,
                                               args.size()));
      }
      for (size_t i = 0; i < params; ++i) {
        const std::string& p = node.names[i + 1];
        if (i < args.size()) {
          scopes[0][p] = args[i];
          continue;
        }
        auto kw = std::find_if(kwargs.begin(), kwargs.end(), [&](const auto& kv) { return kv.first == p; });
        if (kw != kwargs.end()) {
          scopes[0][p] = kw->second;
        } else if (node.defaults[i]) {
          scopes[0][p] = Eval(*node.defaults[i], scopes, node.line);
        } else {
          scopes[0][p] = JinjaValue::Undefined();
        }
      }
      const std::string saved = file;
      file = file_name;
      std::string out;
      RenderNodes(node.bodies[0], scopes, out);
      file = saved;
      return JinjaValue(Json(out));
    });
  }

  static double Num(const JinjaValue& v, int line) {
    if (!v.json.is_number() && !v.json.is_boolean()) Fail(line, fmt::format("'{}' is not a number", v.Str()));
    return v.json.is_boolean() ? (v.json.get<bool>() ? 1 : 0) : v.json.get<double>();
  }
  static bool BothInt(const JinjaValue& a, const JinjaValue& b) {
    return a.json.is_number_integer() && b.json.is_number_integer();
  }

  static bool Equal(const JinjaValue& a, const JinjaValue& b) {
    if (a.json.is_number() && b.json.is_number()) return a.json.get<double>() == b.json.get<double>();
    if (a.text || b.text) return a.Str() == b.Str();
    return a.undefined == b.undefined && a.json == b.json;
  }
  static int Compare(const JinjaValue& a, const JinjaValue& b, int line) {
    if (a.json.is_number() && b.json.is_number()) {
      const double x = a.json.get<double>(), y = b.json.get<double>();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    if (a.json.is_string() && b.json.is_string()) return a.json.get<std::string>().compare(b.json.get<std::string>());
    Fail(line, fmt::format("cannot compare '{}' and '{}'", a.Str(), b.Str()));
  }

  JinjaValue Binary(const std::string& op, const JinjaValue& a, const JinjaValue& b, int line) {
    if (op == "~") return Json(a.Str() + b.Str());
    if (op == "==") return Json(Equal(a, b));
    if (op == "!=") return Json(!Equal(a, b));
    if (op == "<") return Json(Compare(a, b, line) < 0);
    if (op == ">") return Json(Compare(a, b, line) > 0);
    if (op == "<=") return Json(Compare(a, b, line) <= 0);
    if (op == ">=") return Json(Compare(a, b, line) >= 0);
    if (op == "in" || op == "not in") {
      bool found = false;
      if (b.json.is_string()) {
        found = b.json.get<std::string>().find(a.Str()) != std::string::npos;
      } else if (b.json.is_array()) {
        for (const Json& x : b.json) found = found || Equal(JinjaValue(x), a);
      } else if (b.json.is_object()) {
        found = a.json.is_string() && b.json.contains(a.json.get<std::string>());
      } else {
        Fail(line, fmt::format("'in' needs a string, list or dict, got '{}'", b.Str()));
      }
      return Json(op == "in" ? found : !found);
    }
    if (op == "+") {
      if (a.json.is_string() && b.json.is_string()) return Json(a.json.get<std::string>() + b.json.get<std::string>());
      if (a.json.is_array() && b.json.is_array()) {
        Json out = a.json;
        for (const Json& x : b.json) out.push_back(x);
        return out;
      }
      if (BothInt(a, b)) return Json(a.json.get<int64_t>() + b.json.get<int64_t>());
      return Json(Num(a, line) + Num(b, line));
    }
    if (op == "-") {
      if (BothInt(a, b)) return Json(a.json.get<int64_t>() - b.json.get<int64_t>());
      return Json(Num(a, line) - Num(b, line));
    }
    if (op == "*") {
      if (a.json.is_string() && b.json.is_number_integer()) {
        std::string out;
        for (int64_t i = 0; i < b.json.get<int64_t>(); ++i) out += a.json.get<std::string>();
        return Json(out);
      }
      if (BothInt(a, b)) return Json(a.json.get<int64_t>() * b.json.get<int64_t>());
      return Json(Num(a, line) * Num(b, line));
    }
    if (op == "/") {
      if (Num(b, line) == 0) Fail(line, "division by zero");
      return Json(Num(a, line) / Num(b, line));
    }
    if (op == "//" || op == "%") {
      if (Num(b, line) == 0) Fail(line, "division by zero");
      if (BothInt(a, b)) {
        const int64_t x = a.json.get<int64_t>(), y = b.json.get<int64_t>();
        int64_t q = x / y;
        if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
        return op == "//" ? Json(q) : Json(x - q * y);
      }
      const double q = std::floor(Num(a, line) / Num(b, line));
      return op == "//" ? Json(q) : Json(Num(a, line) - q * Num(b, line));
    }
    if (op == "**") {
      if (BothInt(a, b) && b.json.get<int64_t>() >= 0) {
        return Json(static_cast<int64_t>(std::llround(std::pow(Num(a, line), Num(b, line)))));
      }
      return Json(std::pow(Num(a, line), Num(b, line)));
    }
    Fail(line, "unknown operator " + op);
  }

  JinjaValue Attr(const JinjaValue& obj, const std::string& name, int line) {
    const Json& j = obj.json;
    if (j.is_object() && j.contains(name)) return j[name];
    // Methods of str and dict, bound to the value.
    auto method = [&](std::function<Result<JinjaValue>(const JinjaArgs&)> f) {
      return JinjaValue::Function([f](const JinjaArgs& a, const JinjaKwargs&) { return f(a); });
    };
    if (j.is_string()) {
      const std::string s = j.get<std::string>();
      if (name == "lower" || name == "upper") {
        return method([s, name](const JinjaArgs&) -> Result<JinjaValue> {
          std::string out = s;
          for (char& c : out) c = name == "lower" ? std::tolower(static_cast<unsigned char>(c)) : std::toupper(static_cast<unsigned char>(c));
          return JinjaValue(Json(out));
        });
      }
      if (name == "strip") {
        return method([s](const JinjaArgs&) -> Result<JinjaValue> {
          const size_t a = s.find_first_not_of(" \t\r\n"), b = s.find_last_not_of(" \t\r\n");
          return JinjaValue(Json(a == std::string::npos ? "" : s.substr(a, b - a + 1)));
        });
      }
      if (name == "startswith" || name == "endswith") {
        return method([s, name](const JinjaArgs& a) -> Result<JinjaValue> {
          const std::string x = a.empty() ? "" : a[0].Str();
          const bool r = name == "startswith" ? s.rfind(x, 0) == 0
                                              : s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
          return JinjaValue(Json(r));
        });
      }
      if (name == "split") {
        return method([s](const JinjaArgs& a) -> Result<JinjaValue> {
          Json out = Json::array();
          const std::string sep = a.empty() ? " " : a[0].Str();
          size_t start = 0;
          for (size_t k; (k = s.find(sep, start)) != std::string::npos; start = k + sep.size()) out.push_back(s.substr(start, k - start));
          out.push_back(s.substr(start));
          return JinjaValue(out);
        });
      }
      if (name == "replace") {
        return method([s](const JinjaArgs& a) -> Result<JinjaValue> {
          if (a.size() < 2) return Status::ConfigError("replace(old, new) needs two arguments");
          std::string out = s;
          const std::string from = a[0].Str(), to = a[1].Str();
          for (size_t k = 0; !from.empty() && (k = out.find(from, k)) != std::string::npos; k += to.size()) out.replace(k, from.size(), to);
          return JinjaValue(Json(out));
        });
      }
    }
    if (j.is_object()) {
      if (name == "get") {
        return method([j](const JinjaArgs& a) -> Result<JinjaValue> {
          const std::string k = a.empty() ? "" : a[0].Str();
          if (j.contains(k)) return JinjaValue(j[k]);
          return a.size() > 1 ? a[1] : JinjaValue(Json());
        });
      }
      if (name == "items" || name == "keys" || name == "values") {
        return method([j, name](const JinjaArgs&) -> Result<JinjaValue> {
          Json out = Json::array();
          for (const auto& [k, v] : j.items()) {
            out.push_back(name == "items" ? Json::array({k, v}) : name == "keys" ? Json(k) : v);
          }
          return JinjaValue(out);
        });
      }
    }
    if (obj.undefined) Fail(line, fmt::format("'{}' of an undefined value", name));
    return JinjaValue::Undefined();
  }

  JinjaValue Filter(const std::string& name, const JinjaValue& v, const JinjaArgs& args, int line) {
    const Json& j = v.json;
    if (name == "default" || name == "d") {
      const bool use = v.undefined || (args.size() > 1 && args[1].Truthy() && !v.Truthy());
      return use ? (args.empty() ? JinjaValue(Json("")) : args[0]) : v;
    }
    if (name == "lower" || name == "upper") {
      std::string s = v.Str();
      for (char& c : s) c = name == "lower" ? std::tolower(static_cast<unsigned char>(c)) : std::toupper(static_cast<unsigned char>(c));
      return Json(s);
    }
    if (name == "trim") return Attr(Json(v.Str()), "strip", line).fn->operator()({}, {}).value();
    if (name == "string") return Json(v.Str());
    if (name == "length" || name == "count") {
      if (j.is_string() || j.is_array() || j.is_object()) return Json(static_cast<int64_t>(j.is_string() ? j.get<std::string>().size() : j.size()));
      return Json(0);
    }
    if (name == "join") {
      std::string out;
      const std::string sep = args.empty() ? "" : args[0].Str();
      if (!j.is_array()) Fail(line, "join needs a list");
      for (size_t i = 0; i < j.size(); ++i) out += (i ? sep : "") + JinjaValue(j[i]).Str();
      return Json(out);
    }
    if (name == "replace") {
      JinjaValue m = Attr(Json(v.Str()), "replace", line);
      auto r = (*m.fn)(args, {});
      if (!r.ok()) Fail(line, r.status().message());
      return *r;
    }
    if (name == "int") {
      if (j.is_number()) return Json(static_cast<int64_t>(j.get<double>()));
      try {
        return Json(static_cast<int64_t>(std::stoll(v.Str())));
      } catch (...) {
        return Json(0);
      }
    }
    if (name == "float") {
      if (j.is_number()) return Json(j.get<double>());
      try {
        return Json(std::stod(v.Str()));
      } catch (...) {
        return Json(0.0);
      }
    }
    if (name == "abs") return j.is_number_integer() ? Json(std::llabs(j.get<int64_t>())) : Json(std::abs(Num(v, line)));
    if (name == "round") {
      const int digits = args.empty() ? 0 : static_cast<int>(Num(args[0], line));
      const double f = std::pow(10.0, digits);
      return Json(std::round(Num(v, line) * f) / f);
    }
    if (name == "first" || name == "last") {
      if (!j.is_array() || j.empty()) return JinjaValue::Undefined();
      return name == "first" ? j.front() : j.back();
    }
    if (name == "list") {
      if (j.is_array()) return j;
      Json out = Json::array();
      if (j.is_object()) {
        for (const auto& item : j.items()) out.push_back(item.key());
      } else if (j.is_string()) {
        for (char c : j.get<std::string>()) out.push_back(std::string(1, c));
      }
      return out;
    }
    if (name == "unique" || name == "sort") {
      if (!j.is_array()) Fail(line, name + " needs a list");
      std::vector<Json> items(j.begin(), j.end());
      if (name == "sort") {
        std::stable_sort(items.begin(), items.end(), [&](const Json& a, const Json& b) {
          return Compare(JinjaValue(a), JinjaValue(b), line) < 0;
        });
      } else {
        std::vector<Json> seen;
        for (const Json& x : items) {
          if (std::find(seen.begin(), seen.end(), x) == seen.end()) seen.push_back(x);
        }
        items = seen;
      }
      return Json(items);
    }
    Fail(line, fmt::format("unknown filter '{}'", name));
  }

  JinjaValue Eval(const Expr& e, std::vector<Scope>& scopes, int line) {
    switch (e.kind) {
      case Expr::kLit: return e.lit;
      case Expr::kName: return Lookup(scopes, e.s);
      case Expr::kAttr: return Attr(Eval(*e.kids[0], scopes, line), e.s, line);
      case Expr::kIndex: {
        JinjaValue obj = Eval(*e.kids[0], scopes, line);
        JinjaValue key = Eval(*e.kids[1], scopes, line);
        if (obj.json.is_array() && key.json.is_number_integer()) {
          int64_t k = key.json.get<int64_t>();
          if (k < 0) k += static_cast<int64_t>(obj.json.size());
          if (k < 0 || k >= static_cast<int64_t>(obj.json.size())) Fail(line, "list index out of range");
          return obj.json[static_cast<size_t>(k)];
        }
        if (obj.json.is_object() && key.json.is_string() && obj.json.contains(key.json.get<std::string>())) {
          return obj.json[key.json.get<std::string>()];
        }
        if (obj.undefined) Fail(line, fmt::format("'{}' of an undefined value", key.Str()));
        return JinjaValue::Undefined();
      }
      case Expr::kCall: {
        JinjaValue callee = Eval(*e.kids[0], scopes, line);
        if (!callee.fn) {
          const std::string what = e.kids[0]->kind == Expr::kName ? e.kids[0]->s : "this value";
          Fail(line, fmt::format("'{}' is {}", what, callee.undefined ? "undefined" : "not callable"));
        }
        JinjaArgs args;
        JinjaKwargs kwargs;
        const size_t positional = e.kids.size() - 1 - e.kw.size();
        for (size_t i = 1; i < e.kids.size(); ++i) {
          JinjaValue v = Eval(*e.kids[i], scopes, line);
          if (i - 1 < positional) {
            args.push_back(std::move(v));
          } else {
            kwargs.emplace_back(e.kw[i - 1 - positional], std::move(v));
          }
        }
        auto r = (*callee.fn)(args, kwargs);
        if (!r.ok()) Fail(line, r.status().message());
        return std::move(r).value();
      }
      case Expr::kFilter: {
        JinjaValue v = Eval(*e.kids[0], scopes, line);
        JinjaArgs args;
        for (size_t i = 1; i < e.kids.size(); ++i) args.push_back(Eval(*e.kids[i], scopes, line));
        return Filter(e.s, v, args, line);
      }
      case Expr::kTest: {
        JinjaValue v = Eval(*e.kids[0], scopes, line);
        bool r;
        if (e.s == "defined") {
          r = !v.undefined;
        } else if (e.s == "undefined") {
          r = v.undefined;
        } else if (e.s == "none") {
          r = !v.undefined && v.json.is_null() && !v.fn;
        } else if (e.s == "string") {
          r = v.json.is_string();
        } else if (e.s == "number") {
          r = v.json.is_number();
        } else if (e.s == "mapping") {
          r = v.json.is_object();
        } else if (e.s == "iterable" || e.s == "sequence") {
          r = v.json.is_array() || v.json.is_string() || v.json.is_object();
        } else {
          Fail(line, fmt::format("unknown test '{}'", e.s));
        }
        return Json(e.negate ? !r : r);
      }
      case Expr::kUnary: {
        JinjaValue v = Eval(*e.kids[0], scopes, line);
        if (v.json.is_number_integer()) return Json(-v.json.get<int64_t>());
        return Json(-Num(v, line));
      }
      case Expr::kBinary:
        return Binary(e.s, Eval(*e.kids[0], scopes, line), Eval(*e.kids[1], scopes, line), line);
      case Expr::kAnd: {
        JinjaValue a = Eval(*e.kids[0], scopes, line);
        return a.Truthy() ? Eval(*e.kids[1], scopes, line) : a;
      }
      case Expr::kOr: {
        JinjaValue a = Eval(*e.kids[0], scopes, line);
        return a.Truthy() ? a : Eval(*e.kids[1], scopes, line);
      }
      case Expr::kNot: return Json(!Eval(*e.kids[0], scopes, line).Truthy());
      case Expr::kCond:
        return Eval(*e.kids[0], scopes, line).Truthy() ? Eval(*e.kids[1], scopes, line) : Eval(*e.kids[2], scopes, line);
      case Expr::kList: {
        Json out = Json::array();
        for (const auto& k : e.kids) out.push_back(Eval(*k, scopes, line).json);
        return out;
      }
      case Expr::kDict: {
        Json out = Json::object();
        for (size_t i = 0; i + 1 < e.kids.size(); i += 2) {
          out[Eval(*e.kids[i], scopes, line).Str()] = Eval(*e.kids[i + 1], scopes, line).json;
        }
        return out;
      }
    }
    return JinjaValue::Undefined();
  }

  void Bind(Scope& scope, const std::vector<std::string>& names, const JinjaValue& v, int line) {
    if (names.size() == 1) {
      if (!names[0].empty()) scope[names[0]] = v;
      return;
    }
    if (!v.json.is_array() || v.json.size() != names.size()) {
      Fail(line, fmt::format("cannot unpack '{}' into {} names", v.Str(), names.size()));
    }
    for (size_t i = 0; i < names.size(); ++i) scope[names[i]] = v.json[i];
  }

  void RenderNodes(const std::vector<Node>& nodes, std::vector<Scope>& scopes, std::string& out) {
    for (const Node& n : nodes) {
      switch (n.kind) {
        case Node::kText: out += n.text; break;
        case Node::kOutput: out += Eval(*n.exprs[0], scopes, n.line).Str(); break;
        case Node::kIf: {
          size_t i = 0;
          for (; i < n.exprs.size(); ++i) {
            if (Eval(*n.exprs[i], scopes, n.line).Truthy()) break;
          }
          if (i < n.bodies.size()) RenderNodes(n.bodies[i], scopes, out);
          break;
        }
        case Node::kFor: {
          JinjaValue it = Eval(*n.exprs[0], scopes, n.line);
          Json items = Json::array();
          if (it.json.is_array()) {
            items = it.json;
          } else if (it.json.is_object()) {
            for (const auto& item : it.json.items()) items.push_back(item.key());
          } else if (it.json.is_string()) {
            for (char c : it.json.get<std::string>()) items.push_back(std::string(1, c));
          } else if (!it.undefined && !it.json.is_null()) {
            Fail(n.line, fmt::format("'{}' is not iterable", it.Str()));
          }
          if (items.empty()) {
            if (n.bodies.size() > 1) RenderNodes(n.bodies[1], scopes, out);
            break;
          }
          for (size_t k = 0; k < items.size(); ++k) {
            scopes.emplace_back();
            Bind(scopes.back(), n.names, items[k], n.line);
            const int64_t len = static_cast<int64_t>(items.size()), idx = static_cast<int64_t>(k);
            scopes.back()["loop"] = Json{{"index", idx + 1}, {"index0", idx}, {"first", k == 0},
                                         {"last", k + 1 == items.size()}, {"length", len},
                                         {"revindex", len - idx}, {"revindex0", len - idx - 1}};
            RenderNodes(n.bodies[0], scopes, out);
            scopes.pop_back();
          }
          break;
        }
        case Node::kSet: Bind(scopes.back(), n.names, Eval(*n.exprs[0], scopes, n.line), n.line); break;
        case Node::kSetBlock: {
          std::string body;
          RenderNodes(n.bodies[0], scopes, body);
          scopes.back()[n.names[0]] = Json(body);
          break;
        }
        case Node::kMacro: scopes.back()[n.names[0]] = MakeMacro(files.back(), n, file); break;
      }
    }
  }

  std::shared_ptr<std::vector<Node>> Parse(std::string_view text) {
    return std::make_shared<std::vector<Node>>(TemplateParser(Split(text)).ParseAll());
  }
};

JinjaEngine::JinjaEngine() : impl_(std::make_unique<Impl>()) {}
JinjaEngine::~JinjaEngine() = default;

void JinjaEngine::SetGlobal(const std::string& name, JinjaValue value) { impl_->globals[name] = std::move(value); }

Status JinjaEngine::AddMacros(std::string_view text, const std::string& file_name) {
  try {
    auto nodes = impl_->Parse(text);
    impl_->files.push_back(nodes);
    for (const Node& n : *nodes) {
      if (n.kind == Node::kMacro) impl_->globals[n.names[0]] = impl_->MakeMacro(nodes, n, file_name);
    }
    return Status::Ok();
  } catch (const JinjaError& e) {
    return Status::ConfigError(fmt::format("{}:{}: {}", file_name, e.line, e.what()));
  }
}

Result<std::string> JinjaEngine::Render(std::string_view text, const std::string& file_name) {
  const std::string saved = impl_->file;
  impl_->file = file_name;
  try {
    auto nodes = impl_->Parse(text);
    impl_->files.push_back(nodes);
    std::vector<Impl::Scope> scopes(1);
    std::string out;
    impl_->RenderNodes(*nodes, scopes, out);
    impl_->file = saved;
    return out;
  } catch (const JinjaError& e) {
    const std::string where = impl_->file;
    impl_->file = saved;
    return Status::ConfigError(fmt::format("{}:{}: {}", where, e.line, e.what()));
  }
}

}  // namespace sluice

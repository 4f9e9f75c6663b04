// SplitSqlScript: where statements end (quotes, dollar bodies, comments), their lines, and
// scripts left open; IsTransactionControl.
#include "operations/sql_script.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

std::vector<std::pair<int, std::string>> Split(std::string_view script) {
  auto r = SplitSqlScript(script);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::vector<std::pair<int, std::string>> out;
  if (r.ok()) {
    for (const SqlStatement& s : *r) out.emplace_back(s.line, s.text);
  }
  return out;
}

using Statements = std::vector<std::pair<int, std::string>>;

TEST(SqlScriptTest, SplitsOnSemicolonsWithLines) {
  EXPECT_EQ(Split("create table t(a int);\n\n  insert into t values (1);\nselect 1"),
            (Statements{{1, "create table t(a int)"}, {3, "insert into t values (1)"}, {4, "select 1"}}));
  EXPECT_EQ(Split(" ;; \n"), Statements{});
}

TEST(SqlScriptTest, SemicolonsInsideQuotesAndBodiesStay) {
  EXPECT_EQ(Split("select 'a;b', \"c;d\", E'it\\'s;';\nselect 'x''y;'"),
            (Statements{{1, "select 'a;b', \"c;d\", E'it\\'s;'"}, {2, "select 'x''y;'"}}));
  EXPECT_EQ(Split("do $$ begin perform 1; end $$;\ncreate function f() returns int as $body$\nselect 1;\n$body$ "
                  "language sql;\nselect $1"),
            (Statements{{1, "do $$ begin perform 1; end $$"},
                        {2, "create function f() returns int as $body$\nselect 1;\n$body$ language sql"},
                        {5, "select $1"}}));
}

TEST(SqlScriptTest, CommentsBeforeAStatementAreDroppedAndCountLines) {
  EXPECT_EQ(Split("-- header; with a semicolon\n/* block;\n /* nested; */ still */\nselect 1; -- trailing;\nselect 2 "
                  "/* inline; */ + 1"),
            (Statements{{4, "select 1"}, {5, "select 2 /* inline; */ + 1"}}));
}

TEST(SqlScriptTest, OpenQuotesAreErrorsNamingTheLine) {
  for (auto [script, message] : std::vector<std::pair<std::string, std::string>>{
           {"select 1;\nselect 'x;", "line 2: a 'string' is not closed"},
           {"\n\nselect \"x", "line 3: a \"quoted identifier\" is not closed"},
           {"select $a$ x", "line 1: a $a$ body is not closed"},
           {"select 1; /* x", "line 1: a /* comment */ is not closed"}}) {
    auto r = SplitSqlScript(script);
    ASSERT_FALSE(r.ok()) << script;
    EXPECT_EQ(r.status().failure_type(), FailureType::kConfig);
    EXPECT_EQ(r.status().message(), message);
  }
}

TEST(SqlScriptTest, TransactionControl) {
  for (const char* yes : {"BEGIN", "begin transaction", "START TRANSACTION", "commit", "END", "rollback",
                          "ABORT", "prepare transaction 'x'", "COMMIT PREPARED 'x'"}) {
    EXPECT_TRUE(IsTransactionControl(yes)) << yes;
  }
  for (const char* no : {"select 1", "rollback to savepoint a", "savepoint a", "do $$ begin null; end $$",
                         "prepare q as select 1", "start_date", "ending"}) {
    EXPECT_FALSE(IsTransactionControl(no)) << no;
  }
}

}  // namespace
}  // namespace sluice

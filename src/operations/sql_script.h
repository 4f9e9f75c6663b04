#pragma once
// A SQL script split into its statements, for the `sql` operation (operations.h): PostgreSQL's
// lexical rules as far as where a statement ends — `;` outside '…' strings (E'…' with backslash
// escapes), "…" identifiers, $tag$…$tag$ bodies, -- and /* nested */ comments. Pure.

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sluice {

struct SqlStatement {
  std::string text;  //!< the statement without its `;`, comments before it and surrounding blanks
  int line = 1;      //!< the script's line (1-based) where the statement starts
};

//! The script's statements in order; empty ones (only blanks, comments or `;`) are left out. A
//! string, identifier, dollar body or comment left open is a ConfigError naming the line it
//! opened on.
Result<std::vector<SqlStatement>> SplitSqlScript(std::string_view script);

//! True for BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK (not TO SAVEPOINT), ABORT and
//! PREPARE/COMMIT PREPARED: statements that would break the one transaction the script runs in.
bool IsTransactionControl(std::string_view statement);

}  // namespace sluice

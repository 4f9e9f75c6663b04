#pragma once
// PostgreSQL text forms → batch columns, for the values pgoutput sends in text ('t'): the same
// mapping as binary COPY (pg_types.h: a column's PgColumnType, resolved from its type oid and
// typmod), read from the output functions' text instead of the send functions' bytes.
//
// REQUIRES of the session that produced the text (the CDC replication connection sets them):
// DateStyle=ISO, TimeZone=UTC, IntervalStyle=postgres, extra_float_digits=3, bytea_output=hex.

#include <string_view>

#include "connectors/sources/postgres/pg_types.h"
#include "protocol/record_batch.h"

namespace sluice {

//! Appends the value whose text form is `text` to `column` (of type `type.type`). Returns false
//! — nothing appended — when the text is not a valid value of the type or cannot be held by the
//! column (an infinite date); the caller then appends null and notes the change in the record.
bool AppendPgText(Column& column, const PgColumnType& type, std::string_view text);

//! A one- or more-dimensional array literal ('{1,2,"a b",NULL}') → JSON text ([1,2,"a b",null]),
//! elements converted as `element` (numbers and booleans bare, everything else a string).
//! False when malformed.
bool PgArrayTextToJson(std::string& out, pgbin::Decoder element, std::string_view text);

}  // namespace sluice

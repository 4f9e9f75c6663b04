#pragma once
// How often a CDC reader in continuous mode measures its replication lag (bytes of log the server
// holds beyond what the destination committed) and reports it through
// Emitter::ReportReplicationLag (the server's sluice_replication_lag_bytes gauge), and how often
// it logs it. Shared by source-postgres and source-mysql.

#include <chrono>

namespace sluice {

//! Continuous mode: measure and report the lag this often.
constexpr auto kReplicationLagReportEvery = std::chrono::seconds(2);
//! …and log it this often.
constexpr auto kReplicationLagLogEvery = std::chrono::seconds(10);

}  // namespace sluice

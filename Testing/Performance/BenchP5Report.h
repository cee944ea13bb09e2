#pragma once

// What benchmark P5 (BenchP5.cxx) prints: the machine and folder it runs on, the fixture's
// sizes, and the tables and summary of what BenchP5Measure measured.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "BenchP5Fixture.h"
#include "BenchP5Measure.h"
#include "Volume/ImageGeometry.h"

namespace annotrace::bench::p5 {

/// Target (issue 7): a save of the 10-organ map within this (median).
constexpr double kSaveTargetMs = 50.0;

/// The file system `folder` is on (a tmpfs is flagged: its fsync is free).
std::string fileSystemOf(const std::filesystem::path& folder);

/// The first three fields of /proc/loadavg (other work on the machine skews the figures).
std::string loadAverage();

/// The segments of the 10-organ map (voxels, mL, runs, run bytes as the payload's table states
/// them) and the size of each map's payload, raw and at zlib level 6. `fixtures` complete.
void printFixtureTables(const std::vector<Fixture>& fixtures, const ImageGeometry& g);

/// Median, min and max of each operation of each map.
void printOperationTable(const std::vector<Fixture>& fixtures, const std::vector<CaseTimes>& times);

/// The steps of a save of the 10-organ map, against RecordStore::save and the empty map's save
/// (times[0] and times[2]), and the disk's fsync latency.
void printSaveSplit(const SaveSplit& split, const std::vector<CaseTimes>& times);

/// Inside RecordFile::encode and SegmentationPayload::encode, zlib levels and AES-256-GCM
/// throughput; `payloadBytes`: the 10-organ payload's size.
void printEncodeProfile(const EncodeProfile& profile, std::size_t payloadBytes);

/// The summary table and the target lines.
void printSummary(const std::vector<Fixture>& fixtures, const std::vector<CaseTimes>& times,
                  const AesThroughput& aes);

}  // namespace annotrace::bench::p5

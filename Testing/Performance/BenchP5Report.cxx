// What benchmark P5 prints (see BenchP5Report.h).

#include "BenchP5Report.h"

#include <sys/statfs.h>
#include <zlib.h>

#include <cstdio>
#include <utility>

#include <nlohmann/json.hpp>

#include "BenchTiming.h"
#include "Records/RecordFile.h"

namespace annotrace::bench::p5 {

namespace fs = std::filesystem;

std::string fileSystemOf(const fs::path& folder) {
  struct statfs info {};
  if (::statfs(folder.c_str(), &info) != 0) return "unknown";
  switch (static_cast<unsigned long>(info.f_type)) {
    case 0xEF53:
      return "ext2/3/4";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x01021994:
      return "tmpfs (fsync is free: not a disk!)";
    case 0x794C7630:
      return "overlayfs";
    default: {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "0x%lx", static_cast<unsigned long>(info.f_type));
      return buffer;
    }
  }
}

/// The first three fields of /proc/loadavg (other work on the machine skews the figures).
std::string loadAverage() {
  FILE* file = std::fopen("/proc/loadavg", "r");
  if (!file) return "unknown";
  double a = 0, b = 0, c = 0;
  const int n = std::fscanf(file, "%lf %lf %lf", &a, &b, &c);
  std::fclose(file);
  if (n != 3) return "unknown";
  char text[64];
  std::snprintf(text, sizeof text, "%.2f %.2f %.2f", a, b, c);
  return text;
}

void printFixtureTables(const std::vector<Fixture>& fixtures, const ImageGeometry& g) {
  const double mlPerVoxel = g.spacing[0] * g.spacing[1] * g.spacing[2] / 1000.0;
  const Fixture& organsCase = fixtures.front();
  std::printf("\n%-20s %10s %9s %8s %9s\n", "segment", "voxels", "mL", "runs", "run bytes");
  {
    // Per-segment run bytes and counts, as the payload's table states them.
    std::size_t jsonBytes = 0;
    for (int b = 0; b < 4; ++b) jsonBytes |= std::size_t(organsCase.payload[8 + b]) << (8 * b);
    const auto table =
        nlohmann::json::parse(organsCase.payload.begin() + 12,
                              organsCase.payload.begin() + 12 + std::ptrdiff_t(jsonBytes));
    for (std::size_t p = 0; p < organsCase.segmentation.segmentCount(); ++p) {
      std::size_t runs = 0;
      organsCase.segmentation.maskAt(p).forEachRun([&](auto, auto, auto, auto) { ++runs; });
      const std::size_t count = organsCase.segmentation.maskAt(p).count();
      std::printf(
          "%-20s %10zu %9.1f %8zu %9zu\n", organsCase.segmentation.segmentAt(p).name.c_str(), count,
          double(count) * mlPerVoxel, runs, table["segments"][p]["run_bytes"].get<std::size_t>());
    }
    std::printf("%-20s %10zu %9.1f   (%.2f%% of %zu voxels); segment table JSON %zu B\n", "total",
                organsCase.labelled, double(organsCase.labelled) * mlPerVoxel,
                100.0 * double(organsCase.labelled) / double(g.voxelCount()), g.voxelCount(),
                jsonBytes);
  }
  std::printf("\n%-10s %10s %14s %14s %7s\n", "map", "voxels", "payload B", "zlib(6) B", "ratio");
  for (const Fixture& f : fixtures) {
    std::printf("%-10s %10zu %14zu %14zu %6.1fx\n", f.label.c_str(), f.labelled, f.payload.size(),
                f.zlibBytes, double(f.payload.size()) / double(f.zlibBytes));
  }
}

void printOperationTable(const std::vector<Fixture>& fixtures,
                         const std::vector<CaseTimes>& times) {
  std::printf("\n%-10s %-16s %9s %9s %9s\n", "map", "operation (ms)", "median", "min", "max");
  for (std::size_t c = 0; c < fixtures.size(); ++c) {
    const std::pair<const char*, const std::vector<double>*> rows[] = {
        {"payload encode", &times[c].payloadEncode},
        {"record encode", &times[c].recordEncode},
        {"save", &times[c].save},
        {"save (CPU time)", &times[c].saveCpu},
        {"open", &times[c].open},
        {"payload decode", &times[c].payloadDecode}};
    for (const auto& [label, values] : rows) {
      const Stats s = statsOf(*values);
      std::printf("%-10s %-16s %9.2f %9.2f %9.2f\n", fixtures[c].label.c_str(), label, s.median,
                  s.min, s.max);
    }
  }
}

void printSaveSplit(const SaveSplit& split, const std::vector<CaseTimes>& times) {
  const double saveMain = medianOf(times[0].save);
  const double saveEmpty = medianOf(times[2].save);
  const std::vector<SaveStep>& steps = split.steps;
  std::printf(
      "\nsave of the 10-organ map, step by step (replica of RecordStore::save; medians):\n");
  std::printf("  %-66s %8s %6s\n", "step", "ms", "%");
  double stepSum = 0;
  for (const SaveStep& step : steps) stepSum += medianOf(step.ms);
  for (const SaveStep& step : steps) {
    std::printf("  %-66s %8.3f %5.1f%%\n", step.label.c_str(), medianOf(step.ms),
                100.0 * medianOf(step.ms) / stepSum);
  }
  std::printf("  %-66s %8.3f (whole replica %.3f; RecordStore::save %.3f)\n", "sum of medians",
              stepSum, medianOf(split.replicaTotal), saveMain);
  const double syncSteps =
      medianOf(steps[3].ms) + medianOf(steps[4].ms) + medianOf(steps[5].ms) + medianOf(steps[6].ms);
  std::printf(
      "  => durable writes (4 fsyncs: record file, pending/, audit log, records/): "
      "%.2f ms = %.0f%% of the save\n",
      syncSteps, 100.0 * syncSteps / stepSum);
  std::printf("  => empty-map save %.2f ms: the fixed cost; 10-organ save - empty save = %.2f ms\n",
              saveEmpty, saveMain - saveEmpty);
  const Stats fileSync = statsOf(split.fileSyncMs), folderSync = statsOf(split.folderSyncMs);
  std::printf(
      "  => this disk right now: fsync of a new 4 KiB file %.2f ms (min %.2f, max %.2f), "
      "of a folder %.2f ms (min %.2f, max %.2f)\n",
      fileSync.median, fileSync.min, fileSync.max, folderSync.median, folderSync.min,
      folderSync.max);
}

void printEncodeProfile(const EncodeProfile& profile, std::size_t payloadBytes) {
  const AesThroughput& aes = profile.aes;
  std::printf("\ninside RecordFile::encode (10-organ payload; medians of CPU time, ms):\n");
  for (const SaveStep& part : profile.parts) {
    std::printf("  %-66s %8.3f\n", part.label.c_str(), medianOf(part.ms));
  }
  std::printf("  %-66s %8.3f\n", "RecordFile::encode as a whole",
              medianOf(profile.recordEncodeCpu));
  std::printf("\ninside SegmentationPayload::encode (10-organ map; medians of CPU time, ms):\n");
  std::printf("  %-66s %8.3f\n",
              ("SparseMask::forEachRun over the 10 masks (" + std::to_string(profile.runCount) +
               " runs, no output)")
                  .c_str(),
              medianOf(profile.scanMs));
  std::printf("  %-66s %8.3f\n", "SegmentationPayload::encode as a whole",
              medianOf(profile.payloadEncodeCpu));

  std::printf("\nzlib compress2 on the 10-organ payload (%zu B):\n", payloadBytes);
  std::printf("  %-6s %10s %7s %9s\n", "level", "bytes", "ratio", "CPU ms");
  for (const ZlibLevel& l : profile.levels) {
    std::printf(
        "  %-6s %10zu %6.1fx %9.3f%s\n",
        (std::to_string(l.level) + (l.strategy == Z_RLE ? " RLE" : "")).c_str(), l.bytes,
        double(payloadBytes) / double(l.bytes), l.ms,
        l.level == annotrace::records::WriteOptions{}.compressionLevel && l.strategy != Z_RLE
            ? "   (the writer's level)"
            : "");
  }
  std::printf("  inflate of the level-6 stream: %.3f ms\n", medianOf(profile.inflateMs));

  std::printf("\nAES-256-GCM throughput (MB/s = 1e6 bytes per CPU second, one thread):\n");
  std::printf("  %-58s %8.0f\n", "ours: crypto::aesGcmSeal, one 1 MiB buffer x 64", aes.ours);
  std::printf("  %-58s %8.0f\n", "ours: the same, per wall-clock second", aes.oursWall);
  std::printf("  %-58s %8.0f\n", "ours: raw EVP, one context and output buffer (control)", aes.raw);
  std::printf("  %-58s %8.0f\n", "ours: crypto::aesGcmSeal, 64 distinct MiB (cold)", aes.cold);
  std::printf(
      "  %-58s %8.0f\n",
      ("ours: the record's zlib output (" + std::to_string(profile.compressedBytes) + " B) x 100")
          .c_str(),
      aes.ourPath);
  if (aes.openssl) {
    std::printf("  %-58s %8.0f\n", "openssl speed (user CPU time)", *aes.openssl);
    std::printf("    (%s)\n", aes.opensslHow.c_str());
    std::printf("  ratio ours / openssl: %.2f (1 MiB), control %.2f, cold %.2f, record path %.2f\n",
                aes.ours / *aes.openssl, aes.raw / *aes.openssl, aes.cold / *aes.openssl,
                aes.ourPath / *aes.openssl);
  } else {
    std::printf("  openssl speed: unavailable (no openssl binary?); no ratio\n");
  }
}

void printSummary(const std::vector<Fixture>& fixtures, const std::vector<CaseTimes>& times,
                  const AesThroughput& aes) {
  const double saveMain = medianOf(times[0].save);
  const double saveEmpty = medianOf(times[2].save);
  std::printf("\n=== summary (target: save <= %.0f ms, median, 10-organ map) ===\n", kSaveTargetMs);
  std::printf("%-10s %12s %12s %10s %10s %10s %10s %12s\n", "map", "payload B", "zlib B", "enc ms",
              "rec ms", "save ms", "open ms", "decode ms");
  for (std::size_t c = 0; c < fixtures.size(); ++c) {
    const Fixture& f = fixtures[c];
    std::printf("%-10s %12zu %12zu %10.2f %10.2f %10.2f %10.2f %12.2f\n", f.label.c_str(),
                f.payload.size(), f.zlibBytes, medianOf(times[c].payloadEncode),
                medianOf(times[c].recordEncode), medianOf(times[c].save), medianOf(times[c].open),
                medianOf(times[c].payloadDecode));
  }
  std::printf("save (10 organs): %.2f ms -> %s (fixed cost, empty map: %.2f ms)\n", saveMain,
              saveMain <= kSaveTargetMs ? "PASS" : "MISS", saveEmpty);
  const double endToEnd = medianOf(times[0].encodeAndSave);
  std::printf("payload encode + save (10 organs): %.2f ms -> %s\n", endToEnd,
              endToEnd <= kSaveTargetMs ? "within 50 ms" : "over 50 ms");
  std::printf("open + decode (10 organs): %.2f ms\n",
              medianOf(times[0].open) + medianOf(times[0].payloadDecode));
  if (aes.openssl) {
    std::printf("AES-256-GCM: ours %.0f MB/s, openssl %.0f MB/s, ratio %.2f\n", aes.ours,
                *aes.openssl, aes.ours / *aes.openssl);
  }
}

}  // namespace annotrace::bench::p5

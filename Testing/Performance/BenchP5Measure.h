#pragma once

// What benchmark P5 (BenchP5.cxx) measures: the timer, the interleaved rounds of encode, save,
// open and decode per map, a save of the 10-organ map split into its steps, and the parts of
// the record and payload encoders (zlib, AES-256-GCM against `openssl speed`, SHA-256, Ed25519,
// the brick scan).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "BenchP5Fixture.h"
#include "Records/RecordFile.h"
#include "Records/RecordStore.h"
#include "Records/UnlockedMember.h"
#include "Records/Vault.h"

namespace annotrace::bench::p5 {

constexpr int kWarmup = 2;
constexpr std::size_t kMiB = std::size_t{1} << 20;

/// CPU time of the calling thread, ms. Unlike the wall clock it does not count the time other
/// processes hold the core (nor time asleep in fsync).
double cpuMs();

enum class Timer { Wall, Cpu };

/// Times `fn` (ms) `repeats` times after `warmup` untimed calls.
std::vector<double> timeIt(int warmup, int repeats, const std::function<void()>& fn,
                           Timer timer = Timer::Wall);

/// zlib compress2 of `data` at `level`.
Bytes zlibAt(std::span<const std::uint8_t> data, int level);

/// One step or part of a save and its times.
struct SaveStep {
  std::string label;
  std::vector<double> ms;
};

/// Timings of one map, one vector per operation.
struct CaseTimes {
  std::vector<double> payloadEncode, recordEncode, save, open, payloadDecode;
  std::vector<double> encodeAndSave;  ///< payload encode + save, per round: what the user waits
  std::vector<double> saveCpu;        ///< thread CPU time of the save
};

/// Interleaved rounds (kWarmup untimed, then `repeats` timed) over all maps, so that drift in
/// machine load and disk latency hits every map alike: payload encode, record encode, save,
/// open and payload decode of each. Sets `correct` to false when a decoded map has another
/// segment count or a record is empty.
std::vector<CaseTimes> timeRounds(const std::vector<Fixture>& fixtures, records::RecordStore& store,
                                  const records::UnlockedMember& member,
                                  const records::RecordInfo& info, int repeats, bool& correct);

/// A save of the 10-organ map step by step, and the disk's own fsync latency.
struct SaveSplit {
  std::vector<SaveStep> steps;       ///< the 8 steps of RecordStore::save, in order
  std::vector<double> replicaTotal;  ///< the whole replica, per round
  std::vector<double> fileSyncMs;    ///< fsync of a new 4 KiB file
  std::vector<double> folderSyncMs;  ///< fsync of its folder
};

/// Where a save's time goes: the steps of RecordStore::save done one by one through the same
/// public calls (real records, linked to their audit entries like any other); then the fsync
/// probe in `scratch`/fsync-probe.
SaveSplit splitSave(records::Vault& vault, const records::UnlockedMember& member,
                    const records::RecordInfo& info, const Fixture& organsCase,
                    const std::filesystem::path& scratch, int repeats);

/// zlib compress2 of the 10-organ payload at one level and strategy.
struct ZlibLevel {
  int level;
  int strategy;
  std::size_t bytes;
  double ms;
};

/// AES-256-GCM throughput in MB/s (1e6 bytes per second), ours and openssl's.
struct AesThroughput {
  double ours = 0;      ///< crypto::aesGcmSeal, one 1 MiB buffer x 64, CPU time
  double oursWall = 0;  ///< the same per wall-clock second
  double cold = 0;      ///< 64 distinct MiB
  double ourPath = 0;   ///< the record's zlib output x 100
  double raw = 0;       ///< raw EVP, one context and output buffer (control)
  std::optional<double> openssl;
  std::string opensslHow;  ///< the command openssl's figure comes from
};

/// The parts of RecordFile::encode and SegmentationPayload::encode on the 10-organ map (CPU
/// time), zlib levels, and AES-256-GCM throughput.
struct EncodeProfile {
  std::vector<SaveStep> parts;  ///< zlib, AES-GCM seal, SHA-256, Ed25519
  std::vector<double> recordEncodeCpu;
  std::size_t runCount = 0;  ///< runs of the 10 masks
  std::vector<double> scanMs;
  std::vector<double> payloadEncodeCpu;
  std::vector<ZlibLevel> levels;
  std::vector<double> inflateMs;
  std::size_t compressedBytes = 0;  ///< the payload at the writer's zlib level
  AesThroughput aes;
};

EncodeProfile profileEncode(const Fixture& organsCase, const records::UnlockedMember& member,
                            const records::RecordInfo& info, int repeats);

}  // namespace annotrace::bench::p5

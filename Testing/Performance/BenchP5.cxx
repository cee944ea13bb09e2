// Benchmark P5 (issue 7): saving and opening a label record in a vault.
//
// Builds, deterministically and in memory, a 512 x 512 x 300 segmentation (0.8 x 0.8 x 1.5 mm)
// with 10 organ-like segments from ~5 mL to ~1.5 L (lobulated ellipsoids and tubes with
// voxel-scale ragged edges, some touching, one thin and irregular, per-slice provenance on a
// few slices), plus the same grid with the largest segment alone and with no segment at all,
// so that the fixed cost of a save (the fsyncs) shows. For each map it times, in interleaved
// rounds (median over REPEATS >= 11, after 2 warm-up rounds):
//   payload encode   SegmentationPayload::encode (segment table JSON + LEB128 runs)
//   record encode    RecordFile::encode of that payload (zlib, AES-256-GCM, SHA-256, Ed25519)
//   save             RecordStore::save into a real vault on disk (encode + record file with
//                    fsync + audit append with fsync + pending commit + folder fsyncs)
//   open             RecordStore::open (verify, decrypt, "record-decrypted" audit append)
//   payload decode   SegmentationPayload::decode of the opened plaintext
// The save and encode times are wall-clock (what the user waits); "save (CPU time)" is the
// thread's CPU time, which leaves out fsync waits and time other processes hold the core.
// For the 10-organ map it then splits a save: the steps of RecordStore::save replayed one by
// one through the same public calls (beginAppend, projectKeys, RecordFile::encode, the record
// file's write/fsync/rename/folder fsync, the audit append, PendingRecords::commit), the disk's
// own fsync latency, the parts of RecordFile::encode (zlib, AES-GCM, SHA-256, Ed25519) and of
// SegmentationPayload::encode (the brick scan), zlib compress2 at levels 0-9, and the
// AES-256-GCM throughput of crypto::aesGcmSeal on 1 MiB buffers against
// `openssl speed -evp aes-256-gcm` run from this process (ratio ours / openssl; both in CPU
// time, which is what openssl speed divides by unless given -elapsed).
//
// Target (issue 7): save <= 50 ms (median, 10-organ map). Timings depend on the machine and its
// disk, so a missed target still exits 0; wrong results (a decoded map that differs, an
// exception) exit 1. Not a test: run it by hand or with the `run_bench_p5` target.
//
// Usage: annotrace_bench_p5 [WORK_DIR=.] [REPEATS=15]
//   WORK_DIR: where the throw-away vault is made (use a folder on the disk you care about, not
//   a tmpfs); it is removed at the end. Environment: OPENSSL (the openssl binary).
//
// The fixture is built in BenchP5Fixture.cxx, the measurements are in BenchP5Measure.cxx and
// the tables printed in BenchP5Report.cxx.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "BenchP5Fixture.h"
#include "BenchP5Measure.h"
#include "BenchP5Report.h"
#include "BenchTiming.h"
#include "Records/CryptoPrimitives.h"
#include "Records/RecordFile.h"
#include "Records/RecordStore.h"
#include "Records/SegmentationPayload.h"
#include "Records/Vault.h"

namespace fs = std::filesystem;
namespace crypto = annotrace::crypto;
using annotrace::ImageGeometry;
using annotrace::records::RecordInfo;
using annotrace::records::RecordStore;
using annotrace::records::SegmentationPayload;
using annotrace::records::UnlockedMember;
using annotrace::records::Vault;
using annotrace::records::VaultOptions;
using namespace annotrace::bench;      // Clock, msSince
using namespace annotrace::bench::p5;  // the fixture, the measurements and the report

int main(int argc, char** argv) try {
  const fs::path workDir = fs::absolute(argc > 1 ? fs::path(argv[1]) : fs::current_path());
  const int repeats = argc > 2 ? std::max(11, std::atoi(argv[2])) : 15;
  const auto total = Clock::now();
  bool correct = true;

  std::printf("P5: save and open a label record (512 x 512 x 300, %.1f x %.1f x %.1f mm)\n",
              kPixelMm, kPixelMm, kSliceMm);
  std::printf("repeats %d (+%d warm-up), medians reported; work folder %s (%s)\n", repeats, kWarmup,
              workDir.c_str(), fileSystemOf(workDir).c_str());
  std::printf("cores %ld, load average at start %s\n", ::sysconf(_SC_NPROCESSORS_ONLN),
              loadAverage().c_str());

  // Fixtures.
  auto start = Clock::now();
  const ImageGeometry g = makeGeometry();
  std::vector<Fixture> fixtures = makeFixtures(g);
  std::printf("fixture built in %.2f s\n", msSince(start) / 1e3);
  for (Fixture& f : fixtures) {
    f.payload = SegmentationPayload::encode(f.segmentation);
    f.zlibBytes = zlibAt(f.payload, annotrace::records::WriteOptions{}.compressionLevel).size();
    for (std::size_t p = 0; p < f.segmentation.segmentCount(); ++p) {
      f.labelled += f.segmentation.maskAt(p).count();
    }
  }
  printFixtureTables(fixtures, g);

  // The vault: fresh, on the work folder's disk, scrypt at the tests' cost.
  const fs::path root = workDir / ("annotrace_p5_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  struct Cleanup {
    fs::path root;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(root, ec);
    }
  } cleanup{root};
  VaultOptions options;
  options.scrypt = crypto::ScryptParameters::minimum();
  start = Clock::now();
  Vault vault = Vault::init(root / "vault", "bench", "bench passphrase", options);
  const UnlockedMember member = vault.unlock("bench", "bench passphrase");
  std::printf("\nvault made and unlocked in %.0f ms (scrypt minimum)\n", msSince(start));
  RecordStore store(vault);
  RecordInfo info;
  info.source = {{"study_uid", "1.2.826.0.1.3680043.8.498.1"},
                 {"series_uid", "1.2.826.0.1.3680043.8.498.2"},
                 {"frame_of_reference_uid", "1.2.826.0.1.3680043.8.498.3"}};

  // Correctness once: save, open, decode gives the same map back.
  for (const Fixture& f : fixtures) {
    const auto saved = store.save(member, info, f.payload);
    const auto opened = store.open(member, saved.id);
    const auto bundle = SegmentationPayload::decode(opened.plaintext);
    if (opened.plaintext != f.payload || !(bundle.segmentation == f.segmentation)) {
      std::printf("CORRECTNESS FAILURE: %s does not round-trip\n", f.label.c_str());
      correct = false;
    }
  }

  const std::vector<CaseTimes> times = timeRounds(fixtures, store, member, info, repeats, correct);
  const Fixture& organsCase = fixtures.front();
  const SaveSplit split = splitSave(vault, member, info, organsCase, root, repeats);
  const EncodeProfile profile = profileEncode(organsCase, member, info, repeats);

  printOperationTable(fixtures, times);
  printSaveSplit(split, times);
  printEncodeProfile(profile, organsCase.payload.size());
  printSummary(fixtures, times, profile.aes);
  std::printf("load average at the end %s\n", loadAverage().c_str());
  std::printf("total run time %.1f s; correctness: %s\n", msSince(total) / 1e3,
              correct ? "OK" : "FAILED");
  return correct ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "annotrace_bench_p5: %s\n", e.what());
  return 1;
}

// What benchmark P5 measures (see BenchP5Measure.h).

#include "BenchP5Measure.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <memory>
#include <stdexcept>
#include <utility>

#include "BenchTiming.h"
#include "Core/DurableIO.h"
#include "Core/UniqueFd.h"
#include "Records/CryptoPrimitives.h"
#include "Records/PendingRecords.h"
#include "Records/ProjectKeyRing.h"
#include "Records/SegmentationPayload.h"

namespace annotrace::bench::p5 {

namespace fs = std::filesystem;
using records::PendingRecords;
using records::ProjectKeyRing;
using records::RecordFile;
using records::RecordInfo;
using records::RecordStore;
using records::SegmentationPayload;
using records::UnlockedMember;
using records::Vault;
using records::VaultAppender;

double cpuMs() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

/// Times `fn` (ms) `repeats` times after `warmup` untimed calls.
std::vector<double> timeIt(int warmup, int repeats, const std::function<void()>& fn, Timer timer) {
  for (int r = 0; r < warmup; ++r) fn();
  std::vector<double> out;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    const double c0 = cpuMs();
    fn();
    out.push_back(timer == Timer::Wall ? msSince(t0) : cpuMs() - c0);
  }
  return out;
}

Bytes zlibAt(std::span<const std::uint8_t> data, int level) {
  uLongf size = compressBound(static_cast<uLong>(data.size()));
  Bytes out(size);
  if (compress2(out.data(), &size, data.data(), static_cast<uLong>(data.size()), level) != Z_OK) {
    throw std::runtime_error("compress2 failed");
  }
  out.resize(size);
  return out;
}

namespace {

/// AES-256-GCM over `data` the way RecordFile::encode does it: 1 MiB chunks, one seal each.
std::size_t sealChunks(const crypto::SymmetricKey& key, std::span<const std::uint8_t> data,
                       std::span<const std::uint8_t> aad) {
  std::size_t out = 0;
  crypto::GcmNonce nonce{};
  const std::size_t chunks = std::max<std::size_t>(1, (data.size() + kMiB - 1) / kMiB);
  for (std::size_t c = 0; c < chunks; ++c) {
    nonce[8] = static_cast<std::uint8_t>(c);
    const std::size_t begin = c * kMiB;
    out += crypto::aesGcmSeal(key, nonce, aad,
                              data.subspan(begin, std::min(kMiB, data.size() - begin)))
               .size();
  }
  return out;
}

/// deflate at level 1 with the Z_RLE strategy (matches of distance 1 only), zlib-wrapped.
Bytes deflateRle(std::span<const std::uint8_t> data) {
  z_stream z{};
  if (deflateInit2(&z, 1, Z_DEFLATED, 15, 8, Z_RLE) != Z_OK) throw std::runtime_error("deflate");
  Bytes out(deflateBound(&z, static_cast<uLong>(data.size())));
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (result != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  return out;
}

/// AES-256-GCM over `data` in 1 MiB chunks with raw EVP calls, one context and one output
/// buffer for all chunks.
void rawEvpSeal(const crypto::SymmetricKey& key, std::span<const std::uint8_t> data,
                std::span<const std::uint8_t> aad) {
  static Bytes out(kMiB + crypto::kGcmTagBytes);
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      &EVP_CIPHER_CTX_free);
  crypto::GcmNonce nonce{};
  bool ok = ctx != nullptr;
  for (std::size_t begin = 0; ok && begin < data.size(); begin += kMiB) {
    nonce[8] = static_cast<std::uint8_t>(begin / kMiB);
    const int size = static_cast<int>(std::min(kMiB, data.size() - begin));
    int n = 0;
    ok = EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce.data()) == 1 &&
         EVP_EncryptUpdate(ctx.get(), nullptr, &n, aad.data(), int(aad.size())) == 1 &&
         EVP_EncryptUpdate(ctx.get(), out.data(), &n, data.data() + begin, size) == 1 &&
         EVP_EncryptFinal_ex(ctx.get(), out.data() + n, &n) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, int(crypto::kGcmTagBytes),
                             out.data() + size) == 1;
  }
  if (!ok) throw std::runtime_error("raw EVP AES-256-GCM failed");
}

/// The disk's own latency: a new 4 KiB file written and fsynced, then its folder fsynced (the
/// two kinds of fsync a save makes). The files are removed at the end, not in between.
std::pair<std::vector<double>, std::vector<double>> fsyncProbe(const fs::path& folder,
                                                               int repeats) {
  std::vector<double> fileMs, folderMs;
  const std::vector<std::uint8_t> block(4096, 0x5a);
  for (int n = 0; n < repeats; ++n) {
    const fs::path file = folder / ("probe-" + std::to_string(n));
    const annotrace::UniqueFd fd(
        ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd || !annotrace::writeFully(fd.get(), block)) throw std::runtime_error("probe write");
    auto t0 = Clock::now();
    if (::fsync(fd.get()) != 0) throw std::runtime_error("probe fsync");
    fileMs.push_back(msSince(t0));
    t0 = Clock::now();
    annotrace::syncFolder(folder);
    folderMs.push_back(msSince(t0));
  }
  return {fileMs, folderMs};
}

/// `openssl speed -evp aes-256-gcm` on 1 MiB blocks for 2 s, in MB/s (1e6 bytes); falls back to
/// the 16384-byte column when -bytes is not supported. nullopt when openssl cannot be run.
std::optional<double> opensslAesGcmMBps(std::string& how) {
  const char* env = std::getenv("OPENSSL");
  const std::string openssl = env && *env ? env : "openssl";
  for (const std::string& args : {std::string(" speed -evp aes-256-gcm -bytes 1048576 -seconds 2"),
                                  std::string(" speed -evp aes-256-gcm -seconds 2")}) {
    const std::string command = openssl + args + " 2>/dev/null";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) continue;
    std::string last;
    std::array<char, 1024> line{};
    while (std::fgets(line.data(), int(line.size()), pipe)) {
      std::string text(line.data());
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      if (!text.empty()) last = text;
    }
    const int status = ::pclose(pipe);
    if (status != 0 || last.rfind("AES-256-GCM", 0) != 0) continue;
    // "AES-256-GCM   4472298.57k" (or six columns, the last being 16384-byte blocks):
    // thousands of bytes per second.
    const auto end = last.find_last_not_of(" \t");
    auto begin = last.find_last_of(" \t", end);
    std::string number = last.substr(begin + 1, end - begin);
    if (!number.empty() && number.back() == 'k') number.pop_back();
    try {
      const double kBps = std::stod(number);
      how = "`" + openssl + args + "`, last column";
      return kBps / 1e3;
    } catch (const std::exception&) {
      continue;
    }
  }
  return std::nullopt;
}

double mb(std::size_t bytes) {
  return double(bytes) / 1e6;
}

/// AES-256-GCM throughput of the key, the record's zlib output and its AAD (see AesThroughput).
AesThroughput aesThroughput(const crypto::SymmetricKey& key, const Bytes& compressed,
                            const crypto::Digest& aad, int repeats) {
  AesThroughput aes;
  // AES-256-GCM throughput: ours (crypto::aesGcmSeal, 1 MiB per call as RecordFile's chunks)
  // against `openssl speed`, which encrypts one 1 MiB buffer over and over (cache-hot) and by
  // default divides by its user CPU time, not the wall clock. So "ours" seals one 1 MiB buffer
  // 64 times and is timed in thread CPU time too: on a shared machine the wall clock also
  // counts the time other processes hold the core (the wall-clock figure is printed as well).
  Bytes block(64 * kMiB);
  for (std::size_t n = 0; n < block.size(); ++n) block[n] = static_cast<std::uint8_t>(n * 131 + 7);
  const auto firstMiB = std::span<const std::uint8_t>(block).first(kMiB);
  const int aesRepeats = std::max(5, repeats / 2);
  const double hotMB = mb(64 * kMiB);
  auto mbps = [](double megabytes, const std::vector<double>& ms) {
    return megabytes / (medianOf(ms) / 1e3);
  };
  const auto sealHot = [&] {
    for (int n = 0; n < 64; ++n) sealChunks(key, firstMiB, aad);
  };
  aes.ours = mbps(hotMB, timeIt(1, aesRepeats, sealHot, Timer::Cpu));
  aes.oursWall = mbps(hotMB, timeIt(1, aesRepeats, sealHot, Timer::Wall));
  aes.cold = mbps(hotMB, timeIt(
                             1, aesRepeats, [&] { sealChunks(key, block, aad); }, Timer::Cpu));
  aes.ourPath = mbps(100 * mb(compressed.size()), timeIt(
                                                      1, aesRepeats,
                                                      [&] {
                                                        for (int n = 0; n < 100; ++n)
                                                          sealChunks(key, compressed, aad);
                                                      },
                                                      Timer::Cpu));
  // Control: the same EVP calls with one context and one output buffer reused (no allocation,
  // no page faults): what the wrapper's per-call set-up and allocation cost.
  aes.raw = mbps(hotMB, timeIt(
                            1, aesRepeats,
                            [&] {
                              for (int n = 0; n < 64; ++n) rawEvpSeal(key, firstMiB, aad);
                            },
                            Timer::Cpu));
  aes.openssl = opensslAesGcmMBps(aes.opensslHow);
  return aes;
}

}  // namespace

std::vector<CaseTimes> timeRounds(const std::vector<Fixture>& fixtures, RecordStore& store,
                                  const UnlockedMember& member, const RecordInfo& info, int repeats,
                                  bool& correct) {
  std::vector<CaseTimes> times(fixtures.size());
  for (int round = -kWarmup; round < repeats; ++round) {
    for (std::size_t c = 0; c < fixtures.size(); ++c) {
      const Fixture& f = fixtures[c];
      auto t0 = Clock::now();
      const Bytes payload = SegmentationPayload::encode(f.segmentation);
      const double encodeMs = msSince(t0);
      t0 = Clock::now();
      const auto record =
          RecordFile::encode(info, payload, member.projectKey(), member.signingSeed());
      const double recordMs = msSince(t0);
      t0 = Clock::now();
      const double c0 = cpuMs();
      const auto saved = store.save(member, info, payload);
      const double saveMs = msSince(t0);
      const double saveCpuMs = cpuMs() - c0;
      t0 = Clock::now();
      const auto opened = store.open(member, saved.id);
      const double openMs = msSince(t0);
      t0 = Clock::now();
      const auto bundle = SegmentationPayload::decode(opened.plaintext);
      const double decodeMs = msSince(t0);
      if (bundle.segmentation.segmentCount() != f.segmentation.segmentCount() ||
          record.bytes.empty()) {
        correct = false;
      }
      if (round < 0) continue;
      times[c].payloadEncode.push_back(encodeMs);
      times[c].recordEncode.push_back(recordMs);
      times[c].save.push_back(saveMs);
      times[c].open.push_back(openMs);
      times[c].payloadDecode.push_back(decodeMs);
      times[c].encodeAndSave.push_back(encodeMs + saveMs);
      times[c].saveCpu.push_back(saveCpuMs);
    }
  }
  return times;
}

SaveSplit splitSave(Vault& vault, const UnlockedMember& member, const RecordInfo& info,
                    const Fixture& organsCase, const fs::path& scratch, int repeats) {
  // Where a save's time goes (10-organ map): the steps of RecordStore::save done one by one
  // through the same public calls (a replica of RecordStore.cxx; the record file is written
  // with the system calls of RecordFile's storeNoClobber), with a clock read between steps.
  // The records it makes are real ones, linked to their audit entries like any other.
  const fs::path records = vault.recordsFolder();
  const fs::path pending = PendingRecords::folder(records);
  std::vector<SaveStep> steps = {
      {"create_directories + Vault::beginAppend (lock, membership, tail)", {}},
      {"Vault::projectKeys (read and unwrap the member's key ring)", {}},
      {"RecordFile::encode (zlib, AES-GCM, SHA-256, Ed25519, JSON)", {}},
      {"record file in pending/: create, write, fsync", {}},
      {"rename (no-replace) + fsync of pending/", {}},
      {"audit append \"record-created\" (write + fsync)", {}},
      {"PendingRecords::commit (link, fsync records/, unlink)", {}},
      {"release of the audit lock", {}}};
  std::vector<double> replicaTotal;
  for (int round = -kWarmup; round < repeats; ++round) {
    std::array<double, 8> lapMs{};
    const auto begin = Clock::now();
    auto t0 = begin;
    auto lap = [&](std::size_t n) {
      lapMs[n] = msSince(t0);
      t0 = Clock::now();
    };
    {
      std::error_code ec;
      fs::create_directories(pending, ec);
      VaultAppender appender = vault.beginAppend(member);
      lap(0);
      RecordInfo stepInfo = info;
      const annotrace::records::AuditHead head = appender.head();
      stepInfo.author = member.id();
      stepInfo.role = std::string(annotrace::records::toString(appender.role()));
      stepInfo.auditEntry = std::to_string(head.seq + 1);
      stepInfo.auditHead = head.hash;
      const ProjectKeyRing keys = vault.projectKeys(member);
      lap(1);
      const auto record =
          RecordFile::encode(stepInfo, organsCase.payload, keys.key(vault.membership().keyEpoch),
                             member.signingSeed());
      lap(2);
      const std::string name = record.id + std::string(RecordFile::kExtension);
      const fs::path temp = pending / ("." + name + ".tmp-bench");
      {
        const annotrace::UniqueFd fd(
            ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (!fd || !annotrace::writeFully(fd.get(), record.bytes) || ::fsync(fd.get()) != 0) {
          throw std::runtime_error("cannot write " + temp.string());
        }
      }
      lap(3);
      if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, (pending / name).c_str(),
                      RENAME_NOREPLACE) != 0) {
        throw std::runtime_error("cannot rename " + temp.string());
      }
      annotrace::syncFolder(pending);
      lap(4);
      appender.append(std::string(RecordStore::kCreated),
                      {record.id, info.source["study_uid"].get<std::string>()}, "state draft");
      lap(5);
      PendingRecords::commit(records, record.id);
      lap(6);
    }
    lap(7);
    if (round < 0) continue;
    for (std::size_t n = 0; n < steps.size(); ++n) steps[n].ms.push_back(lapMs[n]);
    replicaTotal.push_back(msSince(begin));
  }

  const fs::path probeFolder = scratch / "fsync-probe";
  fs::create_directories(probeFolder);
  const auto [fileSyncMs, folderSyncMs] = fsyncProbe(probeFolder, repeats);
  return {std::move(steps), std::move(replicaTotal), fileSyncMs, folderSyncMs};
}

EncodeProfile profileEncode(const Fixture& organsCase, const UnlockedMember& member,
                            const RecordInfo& info, int repeats) {
  EncodeProfile profile;
  // The parts of RecordFile::encode, one by one.
  const Bytes compressed =
      zlibAt(organsCase.payload, annotrace::records::WriteOptions{}.compressionLevel);
  crypto::SymmetricKey key{};
  crypto::randomBytes(key);
  const crypto::Digest aad = crypto::sha256(organsCase.payload);
  const Bytes sealedOnce = [&] {
    crypto::GcmNonce nonce{};
    return crypto::aesGcmSeal(key, nonce, aad, compressed);
  }();
  std::vector<SaveStep>& parts = profile.parts;
  parts.push_back(
      {"zlib compress2, the writer's level (WriteOptions::compressionLevel)",
       timeIt(
           kWarmup, repeats,
           [&] { zlibAt(organsCase.payload, annotrace::records::WriteOptions{}.compressionLevel); },
           Timer::Cpu)});
  parts.push_back({"AES-256-GCM seal of the zlib output (crypto::aesGcmSeal)",
                   timeIt(
                       kWarmup, repeats, [&] { sealChunks(key, compressed, aad); }, Timer::Cpu)});
  parts.push_back({"SHA-256 of plaintext + ciphertext", timeIt(
                                                            kWarmup, repeats,
                                                            [&] {
                                                              crypto::sha256(organsCase.payload);
                                                              crypto::sha256(sealedOnce);
                                                            },
                                                            Timer::Cpu)});
  parts.push_back(
      {"Ed25519 sign (header digest)",
       timeIt(
           kWarmup, repeats, [&] { crypto::ed25519Sign(member.signingSeed(), aad); }, Timer::Cpu)});
  // Inside SegmentationPayload::encode: the brick scan that finds the runs, alone.
  std::size_t& runCount = profile.runCount;
  profile.scanMs = timeIt(
      kWarmup, repeats,
      [&] {
        runCount = 0;
        for (std::size_t p = 0; p < organsCase.segmentation.segmentCount(); ++p) {
          organsCase.segmentation.maskAt(p).forEachRun([&](auto, auto, auto, auto) { ++runCount; });
        }
      },
      Timer::Cpu);
  profile.payloadEncodeCpu = timeIt(
      kWarmup, repeats, [&] { SegmentationPayload::encode(organsCase.segmentation); }, Timer::Cpu);
  profile.recordEncodeCpu = timeIt(
      kWarmup, repeats,
      [&] {
        RecordFile::encode(info, organsCase.payload, member.projectKey(), member.signingSeed());
      },
      Timer::Cpu);

  // zlib levels on the 10-organ payload.
  std::vector<ZlibLevel>& levels = profile.levels;
  for (int level : {0, 1, 2, 3, 6, 9}) {
    const std::size_t bytes = zlibAt(organsCase.payload, level).size();
    levels.push_back(
        {level, Z_DEFAULT_STRATEGY, bytes,
         medianOf(timeIt(
             kWarmup, repeats, [&] { zlibAt(organsCase.payload, level); }, Timer::Cpu))});
  }
  levels.push_back({1, Z_RLE, deflateRle(organsCase.payload).size(),
                    medianOf(timeIt(
                        kWarmup, repeats, [&] { deflateRle(organsCase.payload); }, Timer::Cpu))});
  profile.inflateMs = timeIt(
      kWarmup, repeats,
      [&] {
        uLongf size = static_cast<uLongf>(organsCase.payload.size());
        Bytes out(size);
        if (uncompress(out.data(), &size, compressed.data(),
                       static_cast<uLong>(compressed.size())) != Z_OK) {
          throw std::runtime_error("uncompress failed");
        }
      },
      Timer::Cpu);

  profile.compressedBytes = compressed.size();
  profile.aes = aesThroughput(key, compressed, aad, repeats);
  return profile;
}

}  // namespace annotrace::bench::p5

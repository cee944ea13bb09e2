// Benchmark P1: load one large CT series (>= 300 slices of 512x512, see MakeReplicatedSeries.cxx)
// with (a) Annotrace's loader, (b) ITK ImageSeriesReader + GDCMImageIO, (c) the dcm2niix binary
// and (d) a plain read of every file from the page cache, in one run, and print the median times
// and the ratios. Not a timed test: run it by hand or with the `run_bench_p1` target.
//
// Usage: annotrace_bench_p1 SERIES_DIR [REPEATS=5]
// Environment: DCM2NIIX (the dcm2niix binary), ANNOTRACE_BENCH_ONLY (run only the methods whose
// name contains it, e.g. for perf).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "IO/DicomFolderScanner.h"
#include "IO/VolumeReader.h"
#include "ItkSeriesLoad.h"

extern char** environ;

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct SeriesFiles {
  std::vector<fs::path> paths;
  std::size_t bytes = 0;
};

SeriesFiles listFiles(const fs::path& folder) {
  SeriesFiles files;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (!entry.is_regular_file()) continue;
    files.paths.push_back(entry.path());
    files.bytes += entry.file_size();
  }
  std::ranges::sort(files.paths);
  if (files.paths.empty()) throw std::runtime_error("no files in " + folder.string());
  return files;
}

/// Reads every file into one buffer with plain read(2): the floor for any loader.
std::size_t readAllFiles(const SeriesFiles& files) {
  auto buffer = std::make_unique_for_overwrite<char[]>(files.bytes);
  std::size_t offset = 0;
  for (const auto& path : files.paths) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) throw std::runtime_error("cannot open " + path.string());
    for (;;) {
      const ssize_t n = ::read(fd, buffer.get() + offset, files.bytes - offset);
      if (n < 0) {
        ::close(fd);
        throw std::runtime_error("cannot read " + path.string());
      }
      if (n == 0) break;
      offset += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }
  if (offset != files.bytes) throw std::runtime_error("the series changed while it was read");
  return offset;
}

/// Runs a program with its output discarded and returns its exit status.
int runQuietly(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + args[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) throw std::runtime_error("waitpid failed for " + args[0]);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

double median(std::vector<double> values) {
  std::ranges::sort(values);
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

/// One way of loading the series; `run` returns its own time in seconds (so checks done after
/// loading stay outside the measurement) or throws when the method is not available.
struct Method {
  std::string name;
  std::function<double()> run;
  std::vector<double> times;
  std::string failure;
};

struct VolumeSummary {
  std::size_t size[3] = {0, 0, 0};
  double voxelSum = 0;
};

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " SERIES_DIR [REPEATS=5]\n";
    return 2;
  }
  const fs::path series = fs::absolute(argv[1]);
  const int repeats = argc > 2 ? std::max(1, std::stoi(argv[2])) : 5;
  const char* dcm2niixEnv = std::getenv("DCM2NIIX");
  const std::string dcm2niix = dcm2niixEnv && *dcm2niixEnv ? dcm2niixEnv : "dcm2niix";

  const SeriesFiles files = listFiles(series);
  const double megabytes = static_cast<double>(files.bytes) / 1e6;
  std::printf("P1: %zu files, %.1f MB in %s\n", files.paths.size(), megabytes, series.c_str());
  std::printf("cores: %u, repeats: %d (median reported)\n", std::thread::hardware_concurrency(),
              repeats);

  const fs::path niftiDir =
      fs::temp_directory_path() / ("annotrace_p1_dcm2niix_" + std::to_string(::getpid()));

  std::optional<VolumeSummary> ours;
  std::optional<annotrace::bench::ItkLoadResult> itk;
  std::vector<Method> methods;
  auto add = [&](std::string name, std::function<double()> run) {
    methods.push_back(Method{std::move(name), std::move(run), {}, {}});
  };
  add("raw read", [&] {
    const auto start = Clock::now();
    readAllFiles(files);
    return secondsSince(start);
  });
  add("annotrace", [&] {
    const auto start = Clock::now();
    const annotrace::Volume volume = annotrace::VolumeReader::read(series);
    const double seconds = secondsSince(start);
    VolumeSummary summary;
    for (int d = 0; d < 3; ++d) summary.size[d] = volume.geometry().size[d];
    summary.voxelSum = volume.visitVoxels(
        [](auto voxels) { return std::accumulate(voxels.begin(), voxels.end(), 0.0); });
    ours = summary;
    return seconds;
  });
  // The header pass alone, to show how the loader's time splits between scanning and decoding.
  add("  scan", [&] {
    const auto start = Clock::now();
    const annotrace::DicomScanResult scan = annotrace::DicomFolderScanner::scan(series);
    const double seconds = secondsSince(start);
    if (scan.imageSeries().size() != 1) throw std::runtime_error("scan found no single series");
    return seconds;
  });
  add("ITK", [&] {
    itk = annotrace::bench::loadWithItk(series);
    return itk->seconds;
  });
  add("dcm2niix", [&] {
    fs::remove_all(niftiDir);
    fs::create_directories(niftiDir);
    const auto start = Clock::now();
    const int status =
        runQuietly({dcm2niix, "-z", "n", "-o", niftiDir.string(), "-f", "p1", series.string()});
    const double seconds = secondsSince(start);
    if (status != 0 || !fs::exists(niftiDir / "p1.nii")) {
      throw std::runtime_error(dcm2niix + " exited with status " + std::to_string(status) +
                               " or wrote no p1.nii");
    }
    return seconds;
  });

  // For profiling one method: ANNOTRACE_BENCH_ONLY=annotrace keeps it (and the raw read).
  if (const char* only = std::getenv("ANNOTRACE_BENCH_ONLY"); only && *only) {
    std::erase_if(methods, [&](const Method& m) {
      return m.name != "raw read" && m.name.find(only) == std::string::npos;
    });
  }

  // Warm the page cache, then one untimed run of each method (lazy initialisation, first
  // allocation of big buffers); a method that throws here is reported and skipped.
  readAllFiles(files);
  for (auto& method : methods) {
    try {
      method.run();
    } catch (const std::exception& e) {
      method.failure = e.what();
    }
  }
  // Interleave the methods in each round so drift in machine load hits them all alike.
  for (int r = 0; r < repeats; ++r) {
    for (auto& method : methods) {
      if (method.failure.empty()) method.times.push_back(method.run());
    }
  }
  fs::remove_all(niftiDir);

  std::printf("\n%-10s %9s   %s\n", "method", "median s", "runs (s)");
  for (const auto& method : methods) {
    if (!method.failure.empty()) {
      std::printf("%-10s %9s   unavailable: %s\n", method.name.c_str(), "-",
                  method.failure.c_str());
      continue;
    }
    std::printf("%-10s %9.3f  ", method.name.c_str(), median(method.times));
    for (double t : method.times) std::printf(" %.3f", t);
    std::printf("   (%.0f MB/s)\n", megabytes / median(method.times));
  }

  auto medianOf = [&](const std::string& name) -> std::optional<double> {
    for (const auto& m : methods) {
      if (m.name == name && m.failure.empty()) return median(m.times);
    }
    return std::nullopt;
  };
  const auto tOurs = medianOf("annotrace");
  std::printf("\nseries size: %.1f MB\n", megabytes);
  bool targetMet = false;
  if (tOurs) {
    for (const char* other : {"dcm2niix", "ITK", "raw read"}) {
      if (const auto t = medianOf(other)) {
        std::printf("ratio annotrace/%-8s %6.2f\n", other, *tOurs / *t);
      }
    }
    if (const auto t = medianOf("dcm2niix")) {
      targetMet = *tOurs <= 0.5 * *t;
      std::printf("target annotrace <= 0.5 x dcm2niix: %s\n", targetMet ? "MET" : "NOT MET");
    }
  } else {
    if (const auto tItk = medianOf("ITK"), tDcm = medianOf("dcm2niix"); tItk && tDcm) {
      std::printf("ratio ITK/dcm2niix %6.2f\n", *tItk / *tDcm);
    }
    std::printf("annotrace loader unavailable: no ratios for it\n");
  }

  // The readers must agree on what they loaded, or the times compare different work.
  if (ours && itk) {
    const bool sameSize = ours->size[0] == itk->size[0] && ours->size[1] == itk->size[1] &&
                          ours->size[2] == itk->size[2];
    const bool sameSum = ours->voxelSum == itk->voxelSum;
    std::printf("check: annotrace %zux%zux%zu sum %.0f, ITK %zux%zux%zu sum %.0f: %s\n",
                ours->size[0], ours->size[1], ours->size[2], ours->voxelSum, itk->size[0],
                itk->size[1], itk->size[2], itk->voxelSum,
                sameSize && sameSum ? "same volume" : "MISMATCH");
    if (!(sameSize && sameSum)) return 1;
  } else if (itk) {
    std::printf("check: ITK %zux%zux%zu, spacing %.4g %.4g %.4g, sum %.0f\n", itk->size[0],
                itk->size[1], itk->size[2], itk->spacing[0], itk->spacing[1], itk->spacing[2],
                itk->voxelSum);
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "annotrace_bench_p1: " << e.what() << "\n";
  return 1;
}

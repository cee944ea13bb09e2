#include "PeerInterpolator.h"

#include <array>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace annotrace::accuracy {

namespace fs = std::filesystem;

namespace {

std::string shellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string readText(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string packageVersion(const fs::path& packageJson) {
  std::ifstream in(packageJson);
  if (!in) return "missing";
  return nlohmann::json::parse(in).value("version", "?");
}

}  // namespace

PeerInterpolator::PeerInterpolator(fs::path peerDir, std::string node)
    : peerDir_(std::move(peerDir)), node_(std::move(node)) {}

void PeerInterpolator::checkInstalled() const {
  const fs::path module =
      peerDir_ / "node_modules/@itk-wasm/morphological-contour-interpolation/package.json";
  if (!fs::exists(peerDir_ / "interpolate.mjs") || !fs::exists(module)) {
    throw std::runtime_error("the peer is not installed in " + peerDir_.string() +
                             ": run scripts/install-peers.sh (npm ci)");
  }
  if (node_.empty()) throw std::runtime_error("Node.js not found: set ANNOTRACE_NODE");
}

std::string PeerInterpolator::versions() const {
  const fs::path modules = peerDir_ / "node_modules/@itk-wasm";
  return "@itk-wasm/morphological-contour-interpolation " +
         packageVersion(modules / "morphological-contour-interpolation/package.json") +
         ", @itk-wasm/image-io " + packageVersion(modules / "image-io/package.json");
}

PeerRun PeerInterpolator::run(const fs::path& input, const fs::path& output, int label, int axis,
                              int repeat) const {
  checkInstalled();
  // The peer's messages go to a log beside its output, quoted when it fails.
  const fs::path log = fs::path(output).concat(".log");
  const std::string command =
      shellQuote(node_) + " " + shellQuote((peerDir_ / "interpolate.mjs").string()) + " " +
      shellQuote(input.string()) + " " + shellQuote(output.string()) + " --label " +
      std::to_string(label) + " --axis " + std::to_string(axis) + " --repeat " +
      std::to_string(repeat) + " 2>" + shellQuote(log.string());
  struct Closer {
    void operator()(FILE* f) const { pclose(f); }
  };
  std::unique_ptr<FILE, Closer> pipe(popen(command.c_str(), "r"));
  if (!pipe) throw std::runtime_error("cannot start: " + command);
  std::string out;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0)
    out.append(buffer.data(), n);
  const int status = pclose(pipe.release());
  if (status != 0) {
    throw std::runtime_error("the peer failed (status " + std::to_string(status) + ") on " +
                             input.string() + ": " + readText(log));
  }
  const nlohmann::json report = nlohmann::json::parse(out);
  PeerRun run;
  run.firstMs = report.at("compute_ms").get<double>();
  run.runsMs = report.at("compute_ms_runs").get<std::vector<double>>();
  run.bestMs = run.firstMs;
  for (double ms : run.runsMs) run.bestMs = std::min(run.bestMs, ms);
  run.totalMs = report.at("total_ms").get<double>();
  return run;
}

}  // namespace annotrace::accuracy

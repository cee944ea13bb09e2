#include "ProgressPrinter.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>

namespace annotrace::cli {

namespace {

// The Progress the SIGINT handler cancels. Progress::cancel() is a lock-free atomic store,
// which is safe inside a signal handler.
std::atomic<Progress*> activeProgress{nullptr};

extern "C" void onInterrupt(int) {
  if (Progress* p = activeProgress.load()) p->cancel();
  constexpr char message[] = "\nInterrupted: stopping (press Ctrl-C again to kill)\n";
  [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, message, sizeof message - 1);
  std::signal(SIGINT, SIG_DFL);
}

}  // namespace

ProgressPrinter::ProgressPrinter()
    : progress_([this](std::string_view stage, double fraction) { show(stage, fraction); }),
      terminal_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()) {
  activeProgress.store(&progress_);
  std::signal(SIGINT, onInterrupt);
}

ProgressPrinter::~ProgressPrinter() {
  std::signal(SIGINT, SIG_DFL);
  activeProgress.store(nullptr);
  finish();
}

void ProgressPrinter::finish() {
  std::lock_guard lock(mutex_);
  if (lineOpen_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    lineOpen_ = false;
  }
}

void ProgressPrinter::show(std::string_view stage, double fraction) {
  const auto now = std::chrono::steady_clock::now();
  if (now - start_ < std::chrono::milliseconds(500)) return;
  const int percent = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 100);
  std::lock_guard lock(mutex_);
  const bool newStage = stage != stage_;
  if (terminal_) {
    if (!newStage && (percent == lastPercent_ || now - lastPrint_ < std::chrono::milliseconds(100)))
      return;
    std::fprintf(stderr, "\r\033[K%.*s %d%%", static_cast<int>(stage.size()), stage.data(),
                 percent);
    lineOpen_ = true;
  } else {
    if (!newStage && percent / 10 == lastPercent_ / 10) return;
    std::fprintf(stderr, "%.*s %d%%\n", static_cast<int>(stage.size()), stage.data(), percent);
  }
  std::fflush(stderr);
  stage_ = stage;
  lastPercent_ = percent;
  lastPrint_ = now;
}

}  // namespace annotrace::cli

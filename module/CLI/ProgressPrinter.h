#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

#include "Core/Progress.h"

namespace annotrace::cli {

/// Shows a long operation's progress on stderr and turns Ctrl-C into a clean cancel.
///
/// On a terminal one line is rewritten in place ("Decoding 45%"); otherwise (logs, pipes) a
/// plain line is printed every 10 %. Nothing is shown during the first half second, so quick
/// loads stay silent. While the printer lives, the first SIGINT cancels its Progress (the
/// operation stops at its next check and nothing is half-written); a second one kills at once.
class ProgressPrinter {
 public:
  ProgressPrinter();
  ~ProgressPrinter();
  ProgressPrinter(const ProgressPrinter&) = delete;
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;

  const Progress& progress() const { return progress_; }
  bool cancelled() const { return progress_.cancelled(); }
  /// Clears the progress line so that other output starts on a clean line.
  void finish();

 private:
  void show(std::string_view stage, double fraction);

  Progress progress_;
  std::mutex mutex_;
  const bool terminal_;
  const std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point lastPrint_{};
  std::string stage_;
  int lastPercent_ = -1;
  bool lineOpen_ = false;
};

}  // namespace annotrace::cli

#pragma once

#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace annotrace {

/// Thrown by long operations when their Progress was cancelled.
class OperationCancelled : public std::runtime_error {
 public:
  OperationCancelled() : std::runtime_error("operation cancelled") {}
};

/// Reports how far a long operation is and lets the caller cancel it.
///
/// Shared by the CLI (progress lines), the GUI (progress bars) and tests. Thread-safe: workers
/// may call report() and throwIfCancelled() concurrently; the callback must be thread-safe too.
class Progress {
 public:
  using Callback = std::function<void(std::string_view stage, double fraction)>;

  Progress() = default;
  explicit Progress(Callback callback) : callback_(std::move(callback)) {}

  void report(std::string_view stage, double fraction) const {
    if (callback_) callback_(stage, fraction);
  }
  void cancel() { cancelled_.store(true); }
  bool cancelled() const { return cancelled_.load(); }
  void throwIfCancelled() const {
    if (cancelled()) throw OperationCancelled();
  }

 private:
  Callback callback_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace annotrace

#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "Core/Progress.h"

namespace annotrace {

/// Runs body(i) for i in [0, count) on up to `threads` threads (0: one per core), handing out
/// indices one at a time so slow items (compressed frames) balance. The first exception thrown
/// by a body, or OperationCancelled, stops the others and is rethrown to the caller.
template <typename Body>
void parallelFor(std::size_t count, unsigned threads, const Progress* progress, Body&& body) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(count, 1)));
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr firstError;
  std::mutex errorMutex;
  auto worker = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= count || failed.load()) return;
      try {
        if (progress) progress->throwIfCancelled();
        body(i);
      } catch (...) {
        std::lock_guard lock(errorMutex);
        if (!firstError) firstError = std::current_exception();
        failed.store(true);
        return;
      }
    }
  };
  std::vector<std::jthread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  pool.clear();  // joins
  if (firstError) std::rethrow_exception(firstError);
}

}  // namespace annotrace

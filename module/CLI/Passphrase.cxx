#include "Passphrase.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "ExitCodes.h"

namespace annotrace::cli {

namespace {

std::string firstLineOf(const std::string& file) {
  std::ifstream in(file);
  if (!in) throw UsageError("cannot read the passphrase file " + file);
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// Reads one line from the terminal with echo off; nullopt without a terminal.
std::optional<std::string> prompt(const std::string& question) {
  const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  termios saved{};
  const bool isTerminal = ::tcgetattr(fd, &saved) == 0;
  if (isTerminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  (void)!::write(fd, question.data(), question.size());
  std::string answer;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n') answer.push_back(c);
  if (isTerminal) ::tcsetattr(fd, TCSAFLUSH, &saved);
  (void)!::write(fd, "\n", 1);
  ::close(fd);
  return answer;
}

std::string obtain(const CommandLine& line, const char* option, const char* variable,
                   const std::string& question, bool confirm) {
  if (const auto file = line.value(option)) return firstLineOf(*file);
  if (const char* value = std::getenv(variable); value && *value) return value;
  const auto answer = prompt(question);
  if (!answer) {
    throw UsageError(std::string("no passphrase: give ") + option + " FILE or set " + variable +
                     " (there is no terminal to ask on)");
  }
  if (confirm && prompt("Repeat it: ") != answer) throw UsageError("the passphrases differ");
  return *answer;
}

}  // namespace

std::string Passphrase::forMember(const CommandLine& line, const std::string& member) {
  return obtain(line, "--passphrase-file", "ANNOTRACE_PASSPHRASE",
                "Passphrase for " + member + ": ", false);
}

std::string Passphrase::forNewMember(const CommandLine& line, const std::string& member) {
  return obtain(line, "--new-passphrase-file", "ANNOTRACE_NEW_PASSPHRASE",
                "New passphrase for " + member + ": ", true);
}

}  // namespace annotrace::cli

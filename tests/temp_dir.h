// A fresh directory under the system temp dir for one test, removed with the object.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace anymal::testkit {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag) {
    path =
        std::filesystem::temp_directory_path() / ("anymal_" + tag + "_" + std::to_string(getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string str(const std::string& rel = "") const { return (path / rel).string(); }
};

}  // namespace anymal::testkit

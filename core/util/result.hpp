// Result<T>: a value or a human-readable error message. The core never throws across its API;
// callers (CLI, UI) turn the message into one line on stderr or a notice in the window.
#pragma once
#include <optional>
#include <string>
#include <utility>

namespace qviz::core {

struct Error {
  std::string message;
};

template <class T>
class [[nodiscard]] Result {
public:
  Result(T value) : m_value(std::move(value)) {}
  Result(Error error) : m_error(std::move(error.message)) {}

  bool ok() const { return m_value.has_value(); }
  explicit operator bool() const { return ok(); }
  const std::string& error() const { return m_error; }
  T& value() & { return *m_value; }
  const T& value() const& { return *m_value; }
  T&& value() && { return std::move(*m_value); }
  T* operator->() { return &*m_value; }
  const T* operator->() const { return &*m_value; }
  T& operator*() & { return *m_value; }
  const T& operator*() const& { return *m_value; }

private:
  std::optional<T> m_value;
  std::string m_error;
};

// Result<void>: success or an error message.
template <>
class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(Error error) : m_error(std::move(error.message)), m_failed(true) {}
  bool ok() const { return !m_failed; }
  explicit operator bool() const { return ok(); }
  const std::string& error() const { return m_error; }

private:
  std::string m_error;
  bool m_failed = false;
};

using Status = Result<void>;

inline Error fail(std::string message) { return Error{std::move(message)}; }

}  // namespace qviz::core

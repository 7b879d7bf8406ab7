// .npy parsing: a strict reader of the header's Python dict literal ({'descr': '<f4',
// 'fortran_order': False, 'shape': (2, 3), }) and an exact size check of the data that follows.
#include "tensor/npy.hpp"
#include "tensor/source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <utility>

#include "util/fs.hpp"

namespace qviz::core {
namespace {

constexpr std::uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

// Cursor over the header text with the few Python literal forms numpy writes.
class HeaderParser {
public:
  explicit HeaderParser(const std::string& text) : m_text(text) {}

  void skipSpace() {
    while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t' || m_text[m_pos] == '\n'))
      ++m_pos;
  }
  bool eat(char c) {
    skipSpace();
    if (m_pos < m_text.size() && m_text[m_pos] == c) {
      ++m_pos;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    skipSpace();
    return m_pos < m_text.size() && m_text[m_pos] == c;
  }
  bool atEnd() {
    skipSpace();
    return m_pos >= m_text.size();
  }
  bool string(std::string& out) {
    skipSpace();
    if (m_pos >= m_text.size() || (m_text[m_pos] != '\'' && m_text[m_pos] != '"')) return false;
    const char q = m_text[m_pos++];
    const std::size_t end = m_text.find(q, m_pos);
    if (end == std::string::npos) return false;
    out = m_text.substr(m_pos, end - m_pos);
    if (out.find('\\') != std::string::npos) return false;  // numpy never escapes in these fields
    m_pos = end + 1;
    return true;
  }
  bool word(std::string& out) {
    skipSpace();
    const std::size_t start = m_pos;
    while (m_pos < m_text.size() && std::isalpha(static_cast<unsigned char>(m_text[m_pos]))) ++m_pos;
    out = m_text.substr(start, m_pos - start);
    return !out.empty();
  }
  bool integer(std::size_t& out) {
    skipSpace();
    const std::size_t start = m_pos;
    std::size_t v = 0;
    while (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9') {
      const std::size_t digit = std::size_t(m_text[m_pos] - '0');
      if (v > (std::size_t(-1) - digit) / 10) return false;
      v = v * 10 + digit;
      ++m_pos;
    }
    if (m_pos < m_text.size() && m_text[m_pos] == 'L') ++m_pos;  // Python 2 long suffix
    out = v;
    return m_pos > start;
  }

private:
  const std::string& m_text;
  std::size_t m_pos = 0;
};

Result<DType> parseDescr(const std::string& descr, const std::string& name) {
  if (descr.size() < 2) return fail(name + ": unsupported dtype '" + descr + "'");
  const char order = descr[0];
  const std::string kind = descr.substr(1);
  if (kind == "O" || kind == "O8" || kind == "O4")
    return fail(name + ": object arrays are not supported (dtype '" + descr + "')");
  const bool oneByte = kind == "u1" || kind == "i1" || kind == "b1";
  if (!oneByte && order == '>') return fail(name + ": big-endian data is not supported (dtype '" + descr + "')");
  if (!oneByte && order != '<')
    return fail(name + ": unsupported byte order in dtype '" + descr + "' (only little-endian '<')");
  if (oneByte && order != '|' && order != '<' && order != '>' && order != '=')
    return fail(name + ": unsupported dtype '" + descr + "'");
  if (kind == "f4") return DType::F32;
  if (kind == "f2") return DType::F16;
  if (kind == "u1") return DType::U8;
  if (kind == "i1") return DType::I8;
  return fail(name + ": unsupported dtype '" + descr + "' (float32, float16, uint8 and int8 are read)");
}

}  // namespace

namespace {
// What the header declares; checked against the memory budget before any data is read.
struct NpyLayout {
  DType dtype = DType::F32;
  std::vector<std::size_t> shape;
  std::size_t dataOffset = 0;   // prefix + header
  std::uint64_t dataBytes = 0;  // what the shape needs
};

// Length of prefix + header from the first 12 bytes (or fewer: then an error).
Result<std::size_t> npyHeaderEnd(const std::uint8_t* data, std::size_t size, const std::string& name,
                                 const NpyLimits& limits) {
  if (size < 10 || std::memcmp(data, kMagic, 6) != 0) return fail(name + ": not a .npy file (no \\x93NUMPY magic)");
  const int major = data[6], minor = data[7];
  if (major < 1 || major > 3 || minor != 0)
    return fail(name + ": unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
  std::size_t headerLen = 0, prefix = 0;
  if (major == 1) {
    headerLen = std::size_t(data[8]) | std::size_t(data[9]) << 8;
    prefix = 10;
  } else {
    if (size < 12) return fail(name + ": truncated .npy header");
    headerLen = std::size_t(data[8]) | std::size_t(data[9]) << 8 | std::size_t(data[10]) << 16 |
                std::size_t(data[11]) << 24;
    prefix = 12;
  }
  if (headerLen > limits.maxHeaderBytes)
    return fail(name + ": .npy header of " + std::to_string(headerLen) + " bytes is larger than the limit");
  return prefix + headerLen;
}

// Parses prefix + header (`size` >= npyHeaderEnd) and checks the declared size against the budget.
Result<NpyLayout> parseNpyHeader(const std::uint8_t* data, std::size_t size, const std::string& name,
                                 const NpyLimits& limits) {
  auto end = npyHeaderEnd(data, size, name, limits);
  if (!end) return fail(end.error());
  if (*end > size) return fail(name + ": truncated .npy header");
  const int major = data[6];
  const std::size_t prefix = major == 1 ? 10 : 12;
  const std::string header(reinterpret_cast<const char*>(data + prefix), *end - prefix);
  if (header.empty() || header.back() != '\n') return fail(name + ": malformed .npy header (no final newline)");
  if (major < 3)  // versions 1 and 2 are latin-1; anything non-ASCII is not something numpy wrote
    for (char c : header)
      if (static_cast<unsigned char>(c) >= 0x80) return fail(name + ": malformed .npy header (non-ASCII)");

  HeaderParser p(header);
  std::string descr;
  bool haveDescr = false, haveOrder = false, haveShape = false, fortran = false;
  NpyLayout layout;
  std::vector<std::size_t>& shape = layout.shape;
  if (!p.eat('{')) return fail(name + ": malformed .npy header (expected a dict)");
  while (!p.eat('}')) {
    std::string key;
    if (!p.string(key) || !p.eat(':')) return fail(name + ": malformed .npy header");
    if (key == "descr") {
      if (p.peek('[')) return fail(name + ": structured arrays are not supported");
      if (!p.string(descr)) return fail(name + ": malformed .npy header (descr)");
      haveDescr = true;
    } else if (key == "fortran_order") {
      std::string w;
      if (!p.word(w) || (w != "True" && w != "False")) return fail(name + ": malformed .npy header (fortran_order)");
      fortran = w == "True";
      haveOrder = true;
    } else if (key == "shape") {
      if (!p.eat('(')) return fail(name + ": malformed .npy header (shape)");
      while (!p.eat(')')) {
        std::size_t dim = 0;
        if (!p.integer(dim)) return fail(name + ": malformed .npy header (shape)");
        shape.push_back(dim);
        if (shape.size() > 64) return fail(name + ": more than 64 dimensions");
        if (!p.eat(',') && !p.peek(')')) return fail(name + ": malformed .npy header (shape)");
      }
      haveShape = true;
    } else {
      return fail(name + ": unexpected key '" + key + "' in the .npy header");
    }
    if (!p.eat(',') && !p.peek('}')) return fail(name + ": malformed .npy header");
  }
  if (!p.atEnd()) return fail(name + ": malformed .npy header (text after the dict)");
  if (!haveDescr || !haveOrder || !haveShape)
    return fail(name + ": .npy header lacks one of descr, fortran_order, shape");
  if (fortran) return fail(name + ": Fortran-order arrays are not supported (save with C order)");
  auto dtype = parseDescr(descr, name);
  if (!dtype) return fail(dtype.error());
  layout.dtype = *dtype;
  layout.dataOffset = *end;
  auto bytes = tensorBytes(shape, layout.dtype, limits.maxTensorBytes);
  if (!bytes) return fail(name + ": " + bytes.error());
  layout.dataBytes = *bytes;
  return layout;
}
}  // namespace

Result<Tensor> parseNpy(const std::uint8_t* data, std::size_t size, const std::string& name, const NpyLimits& limits) {
  auto layout = parseNpyHeader(data, size, name, limits);
  if (!layout) return fail(layout.error());
  const std::size_t dataBytes = size - layout->dataOffset;
  if (layout->dataBytes != dataBytes)
    return fail(name + ": data is " + std::to_string(dataBytes) + " bytes but shape " + shapeString(layout->shape) +
                " of " + dtypeName(layout->dtype) + " needs " + std::to_string(layout->dataBytes));
  return tensorFromBytes(layout->shape, layout->dtype, data + layout->dataOffset, dataBytes);
}

namespace {
// Opens a .npy file and checks its header against the file and the limits (readNpy and
// TensorSource::openNpy): the descriptor stays open in `fd` on success.
Result<NpyLayout> openNpyChecked(const std::string& path, const NpyLimits& limits, int& fdOut) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return fail("cannot open " + path + ": " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() {
      if (fd >= 0) ::close(fd);
    }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return fail("cannot read " + path + ": not a regular file");
  const std::uint64_t fileSize = std::uint64_t(st.st_size);
  std::vector<std::uint8_t> head(std::size_t(std::min<std::uint64_t>(fileSize, 12)));
  if (!readAt(fd, head.data(), head.size(), 0)) return fail("cannot read " + path);
  auto end = npyHeaderEnd(head.data(), head.size(), path, limits);
  if (!end) return fail(end.error());
  if (*end > fileSize) return fail(path + ": truncated .npy header");
  head.resize(*end);
  if (!readAt(fd, head.data(), head.size(), 0)) return fail("cannot read " + path);
  auto layout = parseNpyHeader(head.data(), head.size(), path, limits);
  if (!layout) return fail(layout.error());
  const std::uint64_t dataBytes = fileSize - *end;
  if (layout->dataBytes != dataBytes)
    return fail(path + ": data is " + std::to_string(dataBytes) + " bytes but shape " + shapeString(layout->shape) +
                " of " + dtypeName(layout->dtype) + " needs " + std::to_string(layout->dataBytes));
  if (fileSize > limits.maxFileBytes)
    return fail("cannot read " + path + ": file is " + std::to_string(fileSize) + " bytes, more than the limit of " +
                std::to_string(limits.maxFileBytes));
  fdOut = std::exchange(closer.fd, -1);
  return layout;
}
}  // namespace

Result<Tensor> readNpy(const std::string& path, const NpyLimits& limits) {
  // The header first: a file whose header declares more than the memory budget is refused
  // before anything is allocated for its data; then the data straight into the tensor.
  int fd = -1;
  auto layout = openNpyChecked(path, limits, fd);
  if (!layout) return fail(layout.error());
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  Tensor t;
  t.dtype = layout->dtype;
  t.shape = layout->shape;
  t.bytes.resize(std::size_t(layout->dataBytes));
  if (!readAt(fd, t.bytes.data(), t.bytes.size(), layout->dataOffset))
    return fail("cannot read " + path + ": the file changed while reading");
  return t;
}

Result<TensorSource> TensorSource::openNpy(const std::string& path, const NpyLimits& limits) {
  int fd = -1;
  auto layout = openNpyChecked(path, limits, fd);
  if (!layout) return fail(layout.error());
  return TensorSource(fd, layout->dtype, layout->shape, layout->dataOffset,
                      "cannot read " + path + ": the file changed while reading");
}

Result<std::vector<std::uint8_t>> npyHeader(DType dtype, const std::vector<std::size_t>& shape) {
  const char* descr = nullptr;
  switch (dtype) {
    case DType::F32: descr = "<f4"; break;
    case DType::F16: descr = "<f2"; break;
    case DType::U8: descr = "|u1"; break;
    case DType::I8: descr = "|i1"; break;
    case DType::BF16: return fail("bfloat16 has no .npy dtype; convert to float32 first");
  }
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " +
                       shapeString(shape) + ", }";
  std::size_t prefix = 10;
  if (header.size() + 1 + prefix > 65535 + 10) prefix = 12;
  const std::size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
  header.append(total - prefix - header.size() - 1, ' ');
  header += '\n';
  std::vector<std::uint8_t> out;
  out.reserve(total);
  out.insert(out.end(), kMagic, kMagic + 6);
  out.push_back(prefix == 10 ? 1 : 2);
  out.push_back(0);
  const std::size_t len = header.size();
  out.push_back(std::uint8_t(len & 0xff));
  out.push_back(std::uint8_t((len >> 8) & 0xff));
  if (prefix == 12) {
    out.push_back(std::uint8_t((len >> 16) & 0xff));
    out.push_back(std::uint8_t((len >> 24) & 0xff));
  }
  out.insert(out.end(), header.begin(), header.end());
  return out;
}

Result<std::vector<std::uint8_t>> encodeNpy(const Tensor& t) {
  auto out = npyHeader(t.dtype, t.shape);
  if (!out) return out;
  if (t.bytes.size() != t.count() * dtypeSize(t.dtype))
    return fail("tensor holds " + std::to_string(t.bytes.size()) + " bytes, its shape needs " +
                std::to_string(t.count() * dtypeSize(t.dtype)));
  out->insert(out->end(), t.bytes.begin(), t.bytes.end());
  return out;
}

Status writeNpy(const std::string& path, const Tensor& t) {
  auto bytes = encodeNpy(t);
  if (!bytes) return fail("cannot write " + path + ": " + bytes.error());
  return writeFileAtomic(path, bytes->data(), bytes->size());
}

}  // namespace qviz::core
